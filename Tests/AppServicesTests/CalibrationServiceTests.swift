import AppServices
import CairnCore
import Curriculum
import Foundation
import Psychometrics
import Testing

@Suite("CSV reader")
struct CSVReaderTests {
    @Test("quoted fields keep commas, doubled quotes and line breaks; CRLF and a byte-order mark are fine")
    func quoting() throws {
        let text = "\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n\n1,,3\n"
        let rows = try CSVReader.rows(text)
        #expect(rows.map(\.fields) == [["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["1", "", "3"]])
        #expect(rows.map(\.line) == [1, 2, 5])
    }

    @Test("old Mac line ends (CR alone), a quoted empty last field and a last row without a line end")
    func lineEnds() throws {
        #expect(try CSVReader.rows("a,b\r1,2\r3,4").map(\.fields) == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(try CSVReader.rows("a,b\r\n1,\"\"").map(\.fields) == [["a", "b"], ["1", ""]])
    }

    @Test("a quote never closed, or text after a closing quote, names its line")
    func malformed() {
        #expect(throws: CSVReader.Failure.unterminatedQuote(line: 2)) { try CSVReader.rows("a,b\n\"open,1\n") }
        #expect(throws: CSVReader.Failure.textAfterQuote(line: 1)) { try CSVReader.rows("\"a\"b,c\n") }
    }
}

@Suite("Calibration service")
struct CalibrationServiceTests {
    static let catalog = CourseLoader.loadCatalog(
        at: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("courses").path
    )
    static var course: Course { catalog.courses.first { $0.id.rawValue == "ai-foundations" }! }

    @Test("every bad row is reported with its line and what to change; nothing is calibrated")
    func badRows() throws {
        let course = Self.course
        let right = course.items.first { CalibrationService.maxScore(of: $0) == 1 }!.id.rawValue
        let csv = """
            examinee,item,score,language
            ann,\(right),1,en
            ann,no-such-item,1,en
            bob,\(right),2,en
            ,\(right),1,en
            cy,\(right),1
            ann,\(right),0,en
            """
        let error = try #require(throws: CalibrationService.InputError.self) {
            try CalibrationService().readResponses(csv: csv, course: course)
        }
        #expect(error.problems.map(\.line) == [3, 4, 5, 6, 7])
        #expect(error.problems[0].message.contains("no-such-item"))
        #expect(error.problems[1].message.contains("from 0 to 1"))
        #expect(error.problems[2].message.contains("examinee is empty"))
        #expect(error.problems[3].message.contains("3 fields where the header has 4"))
        #expect(error.problems[4].message.contains("line 2"))
        #expect(throws: CalibrationService.InputError.self) {
            try CalibrationService().readResponses(csv: "person,item,score\nann,x,1\n", course: course)
        }
    }

    /// Long-format rows for `items` (id, max score) with scores from `score(examinee, position)`.
    static func csv(_ items: [(String, Int)], examinees: Int, score: (Int, Int) -> Int) -> String {
        var lines = ["examinee,item,score"]
        for examinee in 0 ..< examinees {
            for (position, item) in items.enumerated() { lines.append("e\(examinee),\(item.0),\(score(examinee, position))") }
        }
        return lines.joined(separator: "\n")
    }

    @Test("an item everyone got right, and a rubric score nobody got, are named before anything is fitted")
    func degenerateItems() throws {
        let course = Self.course
        let rightWrong = course.items.filter { CalibrationService.maxScore(of: $0) == 1 }.prefix(3).map { ($0.id.rawValue, 1) }
        let rubric = try #require(course.items.first { CalibrationService.maxScore(of: $0) >= 2 })
        let top = CalibrationService.maxScore(of: rubric)
        var generator = SeededGenerator(seed: 4)
        let text = Self.csv(rightWrong + [(rubric.id.rawValue, top)], examinees: 300) { _, position in
            switch position {
            case 0: 1                                                   // everyone right
            case 3: generator.nextUniform() < 0.5 ? 0 : 1               // never above 1
            default: generator.nextUniform() < 0.5 ? 0 : 1
            }
        }
        let service = CalibrationService()
        let responses = try service.readResponses(csv: text, course: course)
        let error = try #require(throws: CalibrationService.InputError.self) {
            try service.calibrate(course: course, responses: responses, at: Date())
        }
        #expect(error.problems.count == 2)
        #expect(error.problems[0].message.contains("every examinee scored 1 on \(rightWrong[0].0)"))
        #expect(error.problems[1].message.contains("nobody scored \((2 ... top).map(String.init).joined(separator: ", ")) of \(top) on \(rubric.id.rawValue)"))
    }

    @Test("a choice column is checked against the item's options and score, and feeds the distractor analysis")
    func choices() throws {
        let course = Self.course
        let choiceItems = course.items.filter { if case .singleChoice = $0.content { true } else { false } }.prefix(6)
        let other = try #require(course.items.first { if case .singleChoice = $0.content { false } else { CalibrationService.maxScore(of: $0) == 1 } })
        guard case let .singleChoice(options, key) = choiceItems.first!.content else { return }
        let first = choiceItems.first!.id.rawValue
        let wrong = options.first { $0.id != key }!.id
        let bad = """
            examinee,item,score,choice
            ann,\(first),1,\(key)
            ann,\(other.id.rawValue),1,a
            bob,\(first),1,zz
            cy,\(first),0,\(key)
            dee,\(first),0,
            """
        let error = try #require(throws: CalibrationService.InputError.self) {
            try CalibrationService().readResponses(csv: bad, course: course)
        }
        #expect(error.problems.map(\.line) == [3, 4, 5])
        #expect(error.problems[0].message.contains("not a single-choice item"))
        #expect(error.problems[1].message.contains("'zz' is not an option of \(first)"))
        #expect(error.problems[2].message.contains("is the key of \(first), but the score is 0"))

        // One distractor of the first item is chosen by the strongest examinees: flagged.
        var generator = SeededGenerator(seed: 9)
        var lines = ["examinee,item,score,choice"]
        for examinee in 0 ..< 600 {
            let theta = Double(examinee) / 600 * 4 - 2
            for (position, item) in choiceItems.enumerated() {
                guard case let .singleChoice(itemOptions, itemKey) = item.content else { continue }
                let right = generator.nextUniform() < 1 / (1 + Foundation.exp(-(theta - 0.2 * Double(position))))
                var picked = right ? itemKey : itemOptions.filter { $0.id != itemKey }[Int(generator.nextUniform() * Double(itemOptions.count - 1))].id
                if position == 0, theta > 0.8, generator.nextUniform() < 0.8 { picked = wrong }
                lines.append("e\(examinee),\(item.id.rawValue),\(picked == itemKey ? 1 : 0),\(picked)")
            }
        }
        let service = CalibrationService()
        let report = try service.calibrate(course: course, responses: try service.readResponses(csv: lines.joined(separator: "\n"), course: course), at: Date())
        let flagged = try #require(report.items.first { $0.id == first })
        #expect(flagged.options.map(\.id) == options.map(\.id) && flagged.options.filter(\.isKey).map(\.id) == [key])
        #expect(flagged.flags.contains { $0.contains("high scorers chose option \(wrong) ") }, "\(flagged.flags)")
        #expect(report.items.filter { $0.id != first }.allSatisfy { !$0.flags.contains { $0.contains("high scorers chose option") } })
        let html = CalibrationReportWriter.html(report)
        #expect(html.contains("<strong>\(key) (key)</strong>"))
    }

    @Test("an examinee in two groups of the same column is reported with both lines")
    func groupConflict() throws {
        let course = Self.course
        let ids = course.items.filter { CalibrationService.maxScore(of: $0) == 1 }.prefix(2).map(\.id.rawValue)
        let text = "examinee,item,score,language\nann,\(ids[0]),1,en\nann,\(ids[1]),0,fr\n"
        let error = try #require(throws: CalibrationService.InputError.self) {
            try CalibrationService().readResponses(csv: text, course: course)
        }
        #expect(error.problems.map(\.line) == [3])
        #expect(error.problems[0].message.contains("'fr' here but 'en' on line 2"))
    }

    @Test("a miskeyed item (negative discrimination) is flagged and left out of the bank, which still reads back")
    func miskeyedItem() throws {
        let course = Self.course
        let ids = course.items.filter { CalibrationService.maxScore(of: $0) == 1 }.prefix(8).map { ($0.id.rawValue, 1) }
        var generator = SeededGenerator(seed: 8)
        let abilities = (0 ..< 2_000).map { _ in generator.nextNormal() }
        let text = Self.csv(ids, examinees: 2_000) { examinee, position in
            let theta = abilities[examinee]
            let z = position == 2 ? -1.2 * theta : 1.2 * (theta - Double(position - 4) * 0.3)
            return generator.nextUniform() < 1 / (1 + Foundation.exp(-z)) ? 1 : 0
        }
        let service = CalibrationService()
        let report = try service.calibrate(course: course, responses: try service.readResponses(csv: text, course: course), at: Date())
        let miskeyed = try #require(report.items.first { $0.id == ids[2].0 })
        #expect(miskeyed.discrimination < 0)
        #expect(miskeyed.flags.contains { $0.contains("negative discrimination") })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bank-\(UUID().uuidString).yaml").path
        try Data(CalibrationReportWriter.bankYAML(report).utf8).write(to: URL(fileURLWithPath: path))
        let bank = try CalibratedBank.load(path: path)
        #expect(bank.items[ids[2].0] == nil)
        #expect(bank.items.count == 7)
    }

    @Test("simulated responses to the shipped bank are fitted: right/wrong with the 2PL, rubric items with the graded model, parameters near the truth")
    func recovery() throws {
        let course = Self.course
        let rightWrong = course.items.filter { CalibrationService.maxScore(of: $0) == 1 }.prefix(12)
        let rubric = course.items.filter { CalibrationService.maxScore(of: $0) > 1 }.prefix(3)
        let chosen = Array(rightWrong) + Array(rubric)
        var generator = SeededGenerator(seed: 99)
        let truth: [ItemModel] = chosen.map { item in
            let maximum = CalibrationService.maxScore(of: item)
            let a = 0.8 + generator.nextUniform()
            if maximum == 1 { return .dichotomous(DichotomousItem(discrimination: a, difficulty: generator.nextNormal())) }
            let thresholds = (1 ... maximum).map { Double($0) * 2.4 / Double(maximum) - 1.2 }
            return .graded(GradedItem(discrimination: a, thresholds: thresholds))
        }
        var lines = ["examinee,item,score,language"]
        for examinee in 0 ..< 3_000 {
            let theta = generator.nextNormal()
            for (item, model) in zip(chosen, truth) {
                let u = generator.nextUniform()
                var score = 0
                var cumulative = model.probability(of: 0, at: theta)
                while u > cumulative, score < model.maxScore {
                    score += 1
                    cumulative += model.probability(of: score, at: theta)
                }
                lines.append("e\(examinee),\(item.id.rawValue),\(score),\(examinee % 2 == 0 ? "en" : "cy")")
            }
        }
        let service = CalibrationService()
        let responses = try service.readResponses(csv: lines.joined(separator: "\n"), course: course)
        let report = try service.calibrate(course: course, responses: responses, at: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(report.examinees == 3_000)
        #expect(report.items.count == chosen.count)
        #expect(report.converged)
        #expect(report.comparisons == ["language: cy vs en"] || report.comparisons == ["language: en vs cy"])
        #expect(report.bankVersion.hasPrefix(course.version + "+calibrated."))
        for (item, model) in zip(report.items, truth) {
            switch model {
            case let .dichotomous(true2PL):
                #expect(item.model == "2pl")
                #expect(abs(item.discrimination - true2PL.discrimination) < 0.25, "a of \(item.id)")
                #expect(abs(item.difficulties[0] - true2PL.difficulty) < 0.25, "b of \(item.id)")
            case let .graded(trueGraded):
                #expect(item.model == "grm")
                #expect(item.difficulties.count == trueGraded.thresholds.count)
                for (fitted, actual) in zip(item.difficulties, trueGraded.thresholds) { #expect(abs(fitted - actual) < 0.3, "threshold of \(item.id)") }
            }
            #expect(item.dif.values.allSatisfy { $0 != "C" }, "no DIF was planted")
            let fit = try #require(item.fitRMSD)
            #expect(fit < ItemFit.misfitThreshold, "\(item.id) follows its model")
        }
        #expect(report.marginalReliability > 0.5)
        // The bank file it writes reads back with the same parameters.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bank-\(UUID().uuidString).yaml").path
        try Data(CalibrationReportWriter.bankYAML(report).utf8).write(to: URL(fileURLWithPath: path))
        let bank = try CalibratedBank.load(path: path)
        #expect(bank.bankVersion == report.bankVersion)
        for item in report.items {
            let read = try #require(bank.items[item.id])
            #expect(read.model == item.model)
            #expect(abs(read.a - item.discrimination) < 1e-4)
            #expect(read.b.count == item.difficulties.count)
            for (x, y) in zip(read.b, item.difficulties) { #expect(abs(x - y) < 1e-4) }
        }
        let peak = try #require(report.information.max { $0.information < $1.information })
        #expect(peak.information > 1)
    }
}
