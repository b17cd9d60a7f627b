/// Splits a text/event-stream body into the data of its events, as the bytes arrive in
/// pieces of any size (a line may be cut anywhere, even inside a multi-byte character).
/// Lines starting with `:` are comments (keep-alives); the event name and id are not needed
/// by the Chat Completions stream and are skipped. Lines end in LF, CRLF or CR.
struct ServerSentEventParser {
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var lastWasCR = false

    /// The data of every event completed by `bytes`, in order.
    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [String] where Bytes.Element == UInt8 {
        var events: [String] = []
        for byte in bytes {
            if lastWasCR {
                lastWasCR = false
                if byte == 0x0A { continue } // the LF of a CRLF
            }
            switch byte {
            case 0x0A, 0x0D:
                lastWasCR = byte == 0x0D
                if let event = endLine() { events.append(event) }
            default:
                line.append(byte)
            }
        }
        return events
    }

    /// The event left without its blank line when the body ends, if any.
    mutating func finish() -> String? {
        if !line.isEmpty { _ = endLine() }
        guard hasData else { return nil }
        return dispatch()
    }

    private mutating func endLine() -> String? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty { return hasData ? dispatch() : nil }
        if line.first == UInt8(ascii: ":") { return nil }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        guard line[..<colon].elementsEqual("data".utf8) else { return nil }
        var value = colon < line.endIndex ? line.index(after: colon) : colon
        if value < line.endIndex, line[value] == UInt8(ascii: " ") { value += 1 }
        if hasData { data.append(0x0A) }
        data.append(contentsOf: line[value...])
        hasData = true
        return nil
    }

    private mutating func dispatch() -> String {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
        }
        return String(decoding: data, as: UTF8.self)
    }
}
