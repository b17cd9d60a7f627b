import CairnCore
import Curriculum
import Foundation
import Testing

@Suite("Calibrated bank files")
struct CalibratedBankTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bank-\(UUID().uuidString).yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("2PL, 3PL and graded items are read with their parameters")
    func reads() throws {
        let path = try write("""
            course: "sample"
            bank_version: "1.0.0+calibrated.202611220000"
            items:
              - id: "one"
                irt: {model: 2pl, a: 1.25, b: -0.5}
              - id: "two"
                irt: {model: 3pl, a: 0.9, b: 1, c: 0.2}
              - id: "three"
                irt: {model: grm, a: 1.1, b: [-1, 0.5, 2]}
            """)
        let bank = try CalibratedBank.load(path: path)
        #expect(bank.course == "sample")
        #expect(bank.bankVersion == "1.0.0+calibrated.202611220000")
        #expect(bank.items["one"] == CalibratedBank.Item(model: "2pl", a: 1.25, b: [-0.5], c: nil))
        #expect(bank.items["two"] == CalibratedBank.Item(model: "3pl", a: 0.9, b: [1], c: 0.2))
        #expect(bank.items["three"] == CalibratedBank.Item(model: "grm", a: 1.1, b: [-1, 0.5, 2], c: nil))
    }

    @Test("a bad entry is refused with the item and what to change", arguments: [
        ("irt: {model: 2pl, b: 0}", "irt.a must be a positive number"),
        ("irt: {model: 2pl, a: -1, b: 0}", "irt.a must be a positive number"),
        ("irt: {model: grm, a: 1, b: [1, 0]}", "thresholds in irt.b must increase"),
        ("irt: {model: 3pl, a: 1, b: 0}", "irt.c must be at least 0 and below 1"),
        ("irt: {model: rasch, a: 1, b: 0}", "irt.model must be 2pl, 3pl or grm"),
        ("irt: {model: 2pl, a: 1, b: [0, 1]}", "a 2pl item has one b"),
    ])
    func refuses(entry: String, message: String) throws {
        let path = try write("""
            course: "sample"
            bank_version: "v"
            items:
              - id: "bad"
                \(entry)
            """)
        let error = try #require(throws: CalibratedBank.LoadError.self) { try CalibratedBank.load(path: path) }
        #expect(error.message.hasPrefix("bad: "))
        #expect(error.message.contains(message))
    }

    @Test("a file without course or items, or with an item twice, is refused")
    func structure() throws {
        #expect(throws: CalibratedBank.LoadError.self) { try CalibratedBank.load(path: try write("bank_version: v\nitems: []\n")) }
        #expect(throws: CalibratedBank.LoadError.self) { try CalibratedBank.load(path: try write("course: c\nbank_version: v\n")) }
        let twice = try write("""
            course: c
            bank_version: v
            items:
              - {id: x, irt: {model: 2pl, a: 1, b: 0}}
              - {id: x, irt: {model: 2pl, a: 1, b: 1}}
            """)
        let error = try #require(throws: CalibratedBank.LoadError.self) { try CalibratedBank.load(path: twice) }
        #expect(error.message.contains("appears twice"))
        #expect(throws: CalibratedBank.LoadError.self) { try CalibratedBank.load(path: "/nonexistent/bank.yaml") }
    }
}

@Suite("A bank.yaml in the course folder")
struct CourseBankTests {
    static let bank = """
        course: sample-course
        bank_version: 1.2.0+calibrated.202611220100
        items:
          - id: item-one
            irt: {model: 2pl, a: 1.25, b: -0.5}
          - id: item-two
            irt: {model: 3pl, a: 0.8, b: 0.75, c: 0.2}
        """

    @Test("gives the exam items their fitted parameters")
    func applies() throws {
        let copy = try CourseCopy()
        try copy.write("bank.yaml", Self.bank)
        let catalog = copy.load()
        #expect(!catalog.diagnostics.hasErrors && !catalog.diagnostics.contains { $0.severity == .warning }, "\(catalog.diagnostics.report())")
        let items = Dictionary(uniqueKeysWithValues: try #require(catalog.courses.first).items.map { ($0.id.rawValue, $0.irt) })
        #expect(items["item-one"] == IRTParameters(model: .twoPL, a: 1.25, b: [-0.5], c: nil))
        #expect(items["item-two"] == IRTParameters(model: .threePL, a: 0.8, b: [0.75], c: 0.2))
    }

    @Test("warns about items the course does not have and a bank fitted on another version")
    func warnings() throws {
        let copy = try CourseCopy()
        try copy.write("bank.yaml", Self.bank.replacingOccurrences(of: "1.2.0+", with: "1.1.0+") + """

              - id: retired-item
                irt: {model: 2pl, a: 1, b: 0}
            """)
        let catalog = copy.load()
        let report = catalog.diagnostics.report()
        #expect(!catalog.diagnostics.hasErrors, "\(report)")
        #expect(report.contains("retired-item is not an exam item of sample-course"), "\(report)")
        #expect(report.contains("fitted on another version of the course (now 1.2.0)"), "\(report)")
    }

    @Test("refuses a bank of another course, a broken file, and a model that does not fit the item's scoring")
    func errors() throws {
        for (bank, message) in [
            (Self.bank.replacingOccurrences(of: "course: sample-course", with: "course: other-course"), "this bank is for course 'other-course'"),
            (Self.bank.replacingOccurrences(of: "a: 1.25", with: "a: -1"), "item-one: irt.a must be a positive number"),
            (Self.bank.replacingOccurrences(of: "{model: 2pl, a: 1.25, b: -0.5}", with: "{model: grm, a: 1.25, b: [-0.5, 0.5]}"),
             "item-one: a grm model does not fit its single_choice scoring"),
        ] {
            let copy = try CourseCopy()
            try copy.write("bank.yaml", bank)
            let diagnostics = copy.load().diagnostics
            #expect(diagnostics.hasErrors && diagnostics.report().contains(message), "\(diagnostics.report())")
            #expect(diagnostics.contains { $0.file.hasSuffix("sample-course/bank.yaml") })
        }
    }
}
