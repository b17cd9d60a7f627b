import CairnCore
import Curriculum
import Foundation
import Grading
import Psychometrics

/// `cairn calibrate`: turns exam responses into item parameters and a report.
///
/// Responses come in long format (docs/calibration.md): one row per examinee and item with
/// the score the exam recorded, plus any number of group columns (language, organisation, …)
/// that DIF compares. Right/wrong items are fitted with the 2PL, rubric-scored items with the
/// graded response model, on the N(0, 1) scale of the examinees in the file.
public struct CalibrationService: Sendable {
    public init() {}

    /// One response row as read from the file.
    public struct Response: Sendable, Equatable {
        public var line: Int
        public var examinee: String
        public var item: String
        public var score: Int
        /// Group column → value, for DIF; empty values are left out.
        public var groups: [String: String]
        /// The option picked, for single-choice items when known: what distractor analysis reads.
        public var choice: String?

        public init(line: Int, examinee: String, item: String, score: Int, groups: [String: String] = [:], choice: String? = nil) {
            self.line = line
            self.examinee = examinee
            self.item = item
            self.score = score
            self.groups = groups
            self.choice = choice
        }
    }

    /// Every row that cannot be used, with its line number and what to change.
    public struct InputError: Error, Equatable, CustomStringConvertible {
        public var problems: [Problem]

        public struct Problem: Sendable, Equatable {
            public var line: Int
            public var message: String
            /// For a problem with one item's data: the item, and the problem in a few words.
            public var item: String?
            public var brief: String?

            public init(line: Int, message: String, item: String? = nil, brief: String? = nil) {
                self.line = line
                self.message = message
                self.item = item
                self.brief = brief
            }
        }

        public var description: String {
            let shown = problems.prefix(20).map { "line \($0.line): \($0.message)" }
            let more = problems.count > 20 ? ["… and \(problems.count - 20) more"] : []
            return (["the responses cannot be calibrated:"] + shown + more).joined(separator: "\n")
        }
    }

    /// The highest score an exam records for an item: 1 for right/wrong items, the rubric's
    /// points for rubric-scored ones.
    public static func maxScore(of item: Interaction) -> Int {
        switch item.content {
        case let .shortText(rubric, _), let .promptWriting(_, rubric, _):
            max(1, rubric.reduce(0) { $0 + $1.points })
        default:
            1
        }
    }

    /// The stored responses of finished exam sittings as calibration rows: one examinee per
    /// sitting; a rubric-scored item scores its rubric points, any other item 1 when passed
    /// and 0 otherwise; the learner's organisation is the group for DIF. Responses to items
    /// the course no longer has are left out (their count is returned).
    public func responses(stored: [StoredExamResponse], course: Course) throws -> (responses: [Response], unknownItems: Int) {
        let items = Dictionary(course.items.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var rows: [Response] = []
        var unknown = 0
        for (index, stored) in stored.enumerated() {
            let response = stored.response
            guard let item = items[response.interactionID] else {
                unknown += 1
                continue
            }
            let score: Int
            if item.content.rubric != nil {
                score = min(Self.maxScore(of: item), max(0, Int((response.score ?? 0).rounded())))
            } else {
                let passed = try response.result.map { try JSONDecoder().decode(GradeResult.self, from: Data($0.utf8)).passed } ?? false
                score = passed ? 1 : 0
            }
            var choice: String?
            if case .singleChoice = item.content, let json = response.answer,
               case let .choice(picked)? = try? JSONDecoder().decode(Answer.self, from: Data(json.utf8)) {
                choice = picked
            }
            rows.append(Response(
                line: index + 1, examinee: response.sessionID.rawValue, item: item.id.rawValue, score: score,
                groups: stored.organisation.map { ["organisation": $0.rawValue] } ?? [:], choice: choice
            ))
        }
        return (rows, unknown)
    }

    /// Reads the long format; every bad row is reported, none is skipped silently.
    public func readResponses(csv text: String, course: Course) throws -> [Response] {
        let rows: [CSVReader.Row]
        do {
            rows = try CSVReader.rows(text)
        } catch let failure as CSVReader.Failure {
            throw InputError(problems: [.init(line: Self.line(of: failure), message: failure.description)])
        }
        guard let header = rows.first else {
            throw InputError(problems: [.init(line: 1, message: "the file is empty; the first line names the columns: examinee,item,score")])
        }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var problems: [InputError.Problem] = []
        for required in ["examinee", "item", "score"] where !names.contains(required) {
            problems.append(.init(line: header.line, message: "no '\(required)' column; the first line must name examinee, item and score"))
        }
        if !problems.isEmpty { throw InputError(problems: problems) }
        let examineeColumn = names.firstIndex(of: "examinee")!
        let itemColumn = names.firstIndex(of: "item")!
        let scoreColumn = names.firstIndex(of: "score")!
        let choiceColumn = names.firstIndex(of: "choice")
        let groupColumns = names.indices.filter { ![examineeColumn, itemColumn, scoreColumn, choiceColumn].contains($0) && !names[$0].isEmpty }
        let items = Dictionary(course.items.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { first, _ in first })

        var responses: [Response] = []
        var seen: [String: Int] = [:]
        var groupOf: [String: (value: String, line: Int)] = [:]
        for row in rows.dropFirst() {
            guard row.fields.count == names.count else {
                problems.append(.init(line: row.line, message: "\(row.fields.count) fields where the header has \(names.count)"))
                continue
            }
            let examinee = row.fields[examineeColumn].trimmingCharacters(in: .whitespaces)
            let itemID = row.fields[itemColumn].trimmingCharacters(in: .whitespaces)
            let scoreText = row.fields[scoreColumn].trimmingCharacters(in: .whitespaces)
            guard !examinee.isEmpty else {
                problems.append(.init(line: row.line, message: "examinee is empty; give the examinee's id"))
                continue
            }
            guard let item = items[itemID] else {
                problems.append(.init(line: row.line, message: "item '\(itemID)' is not an exam item of \(course.id.rawValue); use an id from its items/ folder"))
                continue
            }
            let maximum = Self.maxScore(of: item)
            guard let score = Int(scoreText), (0 ... maximum).contains(score) else {
                problems.append(.init(line: row.line, message: "score '\(scoreText)' for \(itemID) is not a whole number from 0 to \(maximum)"))
                continue
            }
            let key = examinee + "\u{0}" + itemID
            if let first = seen[key] {
                problems.append(.init(line: row.line, message: "\(examinee) already has a score for \(itemID) on line \(first); keep one"))
                continue
            }
            seen[key] = row.line
            var groups: [String: String] = [:]
            var conflict = false
            for column in groupColumns {
                let value = row.fields[column].trimmingCharacters(in: .whitespaces)
                guard !value.isEmpty else { continue }
                groups[names[column]] = value
                let groupKey = examinee + "\u{0}" + names[column]
                if let earlier = groupOf[groupKey], earlier.value != value {
                    problems.append(.init(line: row.line, message: "\(examinee) has \(names[column]) '\(value)' here but '\(earlier.value)' on line \(earlier.line); an examinee belongs to one group per column"))
                    conflict = true
                } else if groupOf[groupKey] == nil {
                    groupOf[groupKey] = (value, row.line)
                }
            }
            if conflict { continue }
            var choice: String?
            if let choiceColumn, case let picked = row.fields[choiceColumn].trimmingCharacters(in: .whitespaces), !picked.isEmpty {
                guard let item = items[itemID], case let .singleChoice(options, key) = item.content else {
                    problems.append(.init(line: row.line, message: "choice '\(picked)' given for \(itemID), which is not a single-choice item; leave choice empty"))
                    continue
                }
                guard options.contains(where: { $0.id == picked }) else {
                    problems.append(.init(line: row.line, message: "choice '\(picked)' is not an option of \(itemID) (options: \(options.map(\.id).joined(separator: ", ")))"))
                    continue
                }
                if (picked == key) != (score == 1) {
                    problems.append(.init(line: row.line, message: "choice '\(picked)' \(picked == key ? "is" : "is not") the key of \(itemID), but the score is \(score); the two must agree"))
                    continue
                }
                choice = picked
            }
            responses.append(Response(line: row.line, examinee: examinee, item: itemID, score: score, groups: groups, choice: choice))
        }
        if !problems.isEmpty { throw InputError(problems: problems) }
        if responses.isEmpty { throw InputError(problems: [.init(line: header.line, message: "no responses below the header")]) }
        return responses
    }

    /// Fits the items the responses cover and builds the report.
    public func calibrate(course: Course, responses: [Response], at date: Date) throws -> CalibrationReport {
        let byID = Dictionary(course.items.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        // Items in bank order, only those with responses.
        let answered = Set(responses.map(\.item))
        let items = course.items.filter { answered.contains($0.id.rawValue) }
        guard items.count >= 2 else {
            throw InputError(problems: [.init(line: 1, message: "responses cover \(items.count) item(s); calibration needs at least two")])
        }
        let itemIndex = Dictionary(uniqueKeysWithValues: items.enumerated().map { ($1.id.rawValue, $0) })
        let maxScores = items.map(Self.maxScore)

        // Examinees in first-seen order.
        var examineeIndex: [String: Int] = [:]
        var examineeGroups: [[String: String]] = []
        var examineeChoices: [[String?]] = []
        var patternItems: [[Int]] = []
        var patternScores: [[Int]] = []
        for response in responses {
            guard byID[response.item] != nil, let item = itemIndex[response.item] else { continue }
            let examinee: Int
            if let known = examineeIndex[response.examinee] {
                examinee = known
            } else {
                examinee = patternItems.count
                examineeIndex[response.examinee] = examinee
                patternItems.append([])
                patternScores.append([])
                examineeGroups.append([:])
                examineeChoices.append([String?](repeating: nil, count: items.count))
            }
            examineeChoices[examinee][item] = response.choice
            patternItems[examinee].append(item)
            patternScores[examinee].append(response.score)
            examineeGroups[examinee].merge(response.groups) { first, _ in first }
        }
        let patterns = zip(patternItems, patternScores).map { ResponsePattern(items: $0, scores: $1) }

        // Items the data cannot calibrate: everyone scored the same, or a rubric item with
        // scores nobody got (its thresholds there would have no data behind them).
        var problems: [InputError.Problem] = []
        var seenScores = [Set<Int>](repeating: [], count: items.count)
        for pattern in patterns {
            for (item, score) in zip(pattern.items, pattern.scores) { seenScores[item].insert(score) }
        }
        for (index, item) in items.enumerated() {
            let seen = seenScores[index]
            let firstLine = responses.first { $0.item == item.id.rawValue }?.line ?? 1
            if seen.count < 2 {
                problems.append(.init(
                    line: firstLine, message: "every examinee scored \(seen.first ?? 0) on \(item.id.rawValue), so there is nothing to calibrate; leave it out, or collect answers from a wider range of examinees",
                    item: item.id.rawValue, brief: "everyone scored \(seen.first ?? 0)"
                ))
            } else if maxScores[index] > 1 {
                let missing = (0 ... maxScores[index]).filter { !seen.contains($0) }
                if !missing.isEmpty {
                    problems.append(.init(
                        line: firstLine, message: "nobody scored \(missing.map(String.init).joined(separator: ", ")) of \(maxScores[index]) on \(item.id.rawValue); the graded model needs every score seen at least once — collect more answers or leave it out",
                        item: item.id.rawValue, brief: "nobody scored \(missing.map(String.init).joined(separator: ", ")) of \(maxScores[index])"
                    ))
                }
            }
        }
        if !problems.isEmpty { throw InputError(problems: problems) }

        let fit: CalibrationResult
        do {
            fit = try Calibrator.calibrate(patterns, maxScores: maxScores)
        } catch let error as CalibrationError {
            throw InputError(problems: [.init(line: 1, message: error.description)])
        }

        // Classical statistics and DIF over the examinee × item score matrix.
        var matrix = [[Int?]](repeating: [Int?](repeating: nil, count: items.count), count: patterns.count)
        for (examinee, pattern) in patterns.enumerated() {
            for (item, score) in zip(pattern.items, pattern.scores) { matrix[examinee][item] = score }
        }
        let scores = ScoreMatrix(scores: matrix, maxScores: maxScores)
        // Distractor analysis for single-choice items, when the responses say which option was picked.
        let keys: [String?] = items.map { if case let .singleChoice(_, key) = $0.content { key } else { nil } }
        let knowsChoices = responses.contains { $0.choice != nil }
        let classical = ClassicalAnalysis.analyse(scores, choices: knowsChoices ? examineeChoices : nil, keys: knowsChoices ? keys : nil)
        var dif: [[String: String]] = Array(repeating: [:], count: items.count)
        var comparisons: [String] = []
        let columns = Set(examineeGroups.flatMap(\.keys)).sorted()
        for column in columns {
            var sizes: [String: Int] = [:]
            for groups in examineeGroups { if let value = groups[column] { sizes[value, default: 0] += 1 } }
            // The largest group is the reference; every other group of 100 or more is compared with it.
            guard let reference = sizes.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })?.key else { continue }
            for (focal, size) in sizes.sorted(by: { $0.key < $1.key }) where focal != reference && size >= 100 {
                let name = "\(column): \(reference) vs \(focal)"
                comparisons.append(name)
                let results = MantelHaenszel.dif(scores, groups: examineeGroups.map { $0[column] }, reference: reference, focal: focal)
                for result in results where result.item < items.count {
                    dif[result.item][name] = result.category.rawValue
                }
            }
        }

        let models = fit.items.map(\.model)
        let estimates = AbilityEstimator.eapAll(patterns, items: models)
        let fits = ItemFit.rmsd(patterns, items: models)
        let reportItems = items.enumerated().map { index, item -> CalibrationReport.Item in
            let calibration = fit.items[index]
            let statistics = classical.items[index]
            var flags = statistics.flags.map(\.description)
            if case let .dichotomous(fitted) = calibration.model, fitted.discrimination <= 0 {
                flags.append("negative discrimination: stronger examinees do worse on it; check its key. Left out of bank.yaml")
            } else if case let .graded(fitted) = calibration.model, fitted.discrimination <= 0 {
                flags.append("negative discrimination: stronger examinees score lower on it; check its rubric. Left out of bank.yaml")
            }
            if calibration.standardErrors.contains(where: { !$0.isFinite }) {
                flags.append("its standard errors could not be computed: the data hardly inform this item; collect more answers")
            }
            if fits[index].isMisfit {
                flags.append(String(format: "poor fit: the item's curve misses the answers by %.2f (RMSD, above %.2f); check its key and wording",
                                    fits[index].rmsd, ItemFit.misfitThreshold))
            }
            for (comparison, category) in dif[index].sorted(by: { $0.key < $1.key }) where category == "C" {
                flags.append("large DIF (\(comparison)): the item works differently for the two groups; review its wording")
            }
            let (model, a, bs, c): (String, Double, [Double], Double?) = switch calibration.model {
            case let .dichotomous(fitted): (fitted.guessing > 0 ? "3pl" : "2pl", fitted.discrimination, [fitted.difficulty], fitted.guessing > 0 ? fitted.guessing : nil)
            case let .graded(fitted): ("grm", fitted.discrimination, fitted.thresholds, nil)
            }
            return CalibrationReport.Item(
                id: item.id.rawValue, skill: item.skills.first?.rawValue ?? "", model: model, discrimination: a, difficulties: bs,
                guessing: c, standardErrors: calibration.standardErrors, maxScore: maxScores[index], responses: calibration.responseCount,
                proportion: statistics.difficulty, correctedPointBiserial: statistics.correctedPointBiserial,
                alphaIfDeleted: statistics.alphaIfDeleted, fitRMSD: fits[index].rmsd, dif: dif[index], flags: flags,
                options: statistics.distractors.map {
                    CalibrationReport.Option(id: $0.option, isKey: $0.isKey, proportion: $0.proportion, upper: $0.upperProportion, lower: $0.lowerProportion)
                }
            )
        }
        let information = stride(from: -4.0, through: 4.0, by: 0.25).map { theta -> CalibrationReport.InformationPoint in
            let value = testInformation(models, at: theta)
            return CalibrationReport.InformationPoint(theta: theta, information: value, standardError: value > 0 ? 1 / value.squareRoot() : .infinity)
        }
        let stamp = Self.stamp(date)
        return CalibrationReport(
            courseID: course.id.rawValue, courseTitle: course.title, courseVersion: course.version,
            bankVersion: "\(course.version)+calibrated.\(stamp)", generatedAt: date, examinees: patterns.count,
            responses: responses.count, items: reportItems, information: information, logLikelihood: fit.logLikelihood,
            iterations: fit.iterations, converged: fit.converged,
            marginalReliability: AbilityEstimator.marginalReliability(estimates), alpha: classical.alpha, comparisons: comparisons
        )
    }

    static func stamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d%02d%02d%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    static func line(of failure: CSVReader.Failure) -> Int {
        switch failure {
        case let .unterminatedQuote(line), let .textAfterQuote(line): line
        }
    }
}
