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
