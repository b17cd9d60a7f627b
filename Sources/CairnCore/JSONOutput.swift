/// Writes JSON straight into bytes, for the shapes Cairn writes on its hot paths (a
/// credential and its claims, a chat message, a grade result, an answer).
///
/// Foundation's `JSONEncoder` goes through Codable's generic containers: it took 135 µs of
/// the 193 µs that issuing one credential cost (`credentials-bench`), and a fifth of a
/// graded chat answer (`learning-bench`). A type written here lists its members by hand and
/// gets the JSON `JSONEncoder` gives it with `.withoutEscapingSlashes` (the same keys, nil
/// values left out, numbers in the same form), which the tests check. JSON stored before
/// this writer has `/` escaped as `\/`; both read back the same.
public struct JSONOutput {
    public var bytes: [UInt8] = []
    private var needsComma: [Bool] = []

    public init(capacity: Int = 4_096) { bytes.reserveCapacity(capacity) }

    public mutating func object(_ body: (inout JSONOutput) -> Void) {
        separator()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func array<T>(_ items: [T], _ write: (inout JSONOutput, T) -> Void) {
        separator()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
        for item in items { write(&self, item) }
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// A key inside an object; the value written next belongs to it.
    public mutating func key(_ name: String) {
        separator()
        string(name, separate: false)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    public mutating func separator() {
        guard let last = needsComma.last else { return }
        if last { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    public mutating func string(_ value: String) { string(value, separate: true) }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func string(_ value: String, separate: Bool) {
        if separate { separator() }
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            // Runs of bytes that need no escape are copied in one go.
            var runStart = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart ..< index]))
                runStart = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0x0F)]])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func int(_ value: Int) {
        separator()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A number as `JSONEncoder` writes it: the shortest form that reads back the same,
    /// without a trailing ".0". JSON has no infinity or NaN (`JSONEncoder` refuses them);
    /// the scores and probabilities written here are always finite, and one that was not
    /// would be written as 0 rather than make the whole document unreadable.
    public mutating func double(_ value: Double) {
        separator()
        assert(value.isFinite, "JSON has no \(value); a grader or tracer produced it")
        guard value.isFinite else {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func null() {
        separator()
        bytes.append(contentsOf: "null".utf8)
    }

    public mutating func bool(_ value: Bool) {
        separator()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    // Object members, with nil values left out as `encodeIfPresent` does.
    public mutating func member(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    public mutating func member(_ name: String, _ values: [String]?) {
        guard let values else { return }
        key(name)
        array(values) { $0.string($1) }
    }

    public mutating func member(_ name: String, _ value: (some JSONWritable)?) {
        guard let value else { return }
        key(name)
        value.write(to: &self)
    }

    public mutating func member(_ name: String, _ values: [some JSONWritable]?) {
        guard let values else { return }
        key(name)
        array(values) { $1.write(to: &$0) }
    }

    public mutating func member(_ name: String, _ value: Int) {
        key(name)
        int(value)
    }

    public mutating func member(_ name: String, _ value: Double) {
        key(name)
        double(value)
    }

    public mutating func member(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    public mutating func member(_ name: String, _ value: some TypedID) {
        key(name)
        string(value.rawValue)
    }

    public mutating func member(_ name: String, _ value: (some TypedID)?) {
        guard let value else { return }
        member(name, value)
    }

    /// A value of an enum case as Swift's synthesized `Codable` writes it: an object with
    /// the case name as its only key, and the associated values under their labels
    /// (`_0`, `_1`… for unlabelled ones).
    public mutating func enumCase(_ name: String, _ associated: (inout JSONOutput) -> Void) {
        object { out in
            out.key(name)
            out.object(associated)
        }
    }
}

/// A type that writes itself as JSON through `JSONOutput`.
public protocol JSONWritable {
    func write(to out: inout JSONOutput)
}

extension JSONWritable {
    public var jsonBytes: [UInt8] {
        var out = JSONOutput(capacity: 1_024)
        write(to: &out)
        return out.bytes
    }

    /// The JSON as a string (what Cairn stores in text columns).
    public var jsonString: String { String(decoding: jsonBytes, as: UTF8.self) }
}
