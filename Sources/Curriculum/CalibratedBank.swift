import Foundation
import Yams

/// A bank version written by `cairn calibrate` (`bank.yaml`): fitted parameters per exam
/// item. Read here so that the exam engine and `cairn exam simulate` can use a calibration
/// before its parameters are copied into the items' own files.
public struct CalibratedBank: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        /// "2pl", "3pl" or "grm".
        public var model: String
        public var a: Double
        /// b, or the thresholds b_1…b_m of a graded item.
        public var b: [Double]
        public var c: Double?

        public init(model: String, a: Double, b: [Double], c: Double?) {
            self.model = model
            self.a = a
            self.b = b
            self.c = c
        }

        /// What makes these parameters unusable in a bank, or nil when they are fine: the
        /// rules `load` applies, and `cairn calibrate` checks before writing an item.
        public var problem: String? {
            guard ["2pl", "3pl", "grm"].contains(model) else { return "irt.model must be 2pl, 3pl or grm" }
            guard a.isFinite, a > 0 else { return "irt.a must be a positive number" }
            guard !b.isEmpty, b.allSatisfy(\.isFinite) else { return "irt.b must be a number (or a list of thresholds for grm)" }
            if model == "grm", zip(b, b.dropFirst()).contains(where: { $0 >= $1 }) { return "the thresholds in irt.b must increase" }
            if model != "grm", b.count != 1 { return "a \(model) item has one b" }
            if model == "3pl" {
                guard let c, (0 ..< 1).contains(c) else { return "irt.c must be at least 0 and below 1" }
            }
            return nil
        }
    }

    public var course: String
    public var bankVersion: String
    public var items: [String: Item]

    public struct LoadError: Error, Equatable, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file): \(message)" }
    }

    public static func load(path: String) throws -> CalibratedBank {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LoadError(file: path, message: "cannot read it (\(error.localizedDescription))")
        }
        func fail(_ message: String) -> LoadError { LoadError(file: path, message: message) }
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw fail("not valid YAML: \(error)")
        }
        guard let document = root as? [String: Any] else { throw fail("expected a mapping with course, bank_version and items") }
        guard let course = document["course"] as? String else { throw fail("'course' is missing; it names the course the bank belongs to") }
        guard let version = document["bank_version"] as? String else { throw fail("'bank_version' is missing") }
        guard let entries = document["items"] as? [Any] else { throw fail("'items' is missing or not a list") }
        var items: [String: Item] = [:]
        for (position, entry) in entries.enumerated() {
            let label = "item \(position + 1)"
            guard let fields = entry as? [String: Any], let id = fields["id"] as? String else { throw fail("\(label) has no 'id'") }
            guard let irt = fields["irt"] as? [String: Any] else { throw fail("\(id): 'irt' is missing") }
            guard let model = irt["model"] as? String else { throw fail("\(id): irt.model must be 2pl, 3pl or grm") }
            guard let a = number(irt["a"]) else { throw fail("\(id): irt.a must be a positive number") }
            let b: [Double]
            if let single = number(irt["b"]) {
                b = [single]
            } else if let list = irt["b"] as? [Any], !list.isEmpty, list.allSatisfy({ number($0) != nil }) {
                b = list.compactMap(number)
            } else {
                throw fail("\(id): irt.b must be a number (or a list of thresholds for grm)")
            }
            let item = Item(model: model, a: a, b: b, c: model == "3pl" ? number(irt["c"]) : nil)
            if let problem = item.problem { throw fail("\(id): \(problem)") }
            if items[id] != nil { throw fail("\(id) appears twice") }
            items[id] = item
        }
        return CalibratedBank(course: course, bankVersion: version, items: items)
    }

    private static func number(_ value: Any?) -> Double? {
        switch value {
        case let value as Double: value.isFinite ? value : nil
        case let value as Int: Double(value)
        default: nil
        }
    }
}
