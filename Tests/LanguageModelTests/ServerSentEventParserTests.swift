import Testing
@testable import LanguageModel

@Suite("Server-sent events")
struct ServerSentEventParserTests {
    static let stream = "data: {\"a\":1}\n\n: keep-alive\n\ndata: first line\ndata: second line\n\nevent: ignored\nid: 7\ndata:no space\r\n\r\ndata: café ☕\r\rdata: [DONE]\n\n"
    static let events = ["{\"a\":1}", "first line\nsecond line", "no space", "café ☕", "[DONE]"]

    @Test("events, comments, multi-line data and every line ending")
    func whole() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array(Self.stream.utf8)) == Self.events)
        #expect(parser.finish() == nil)
    }

    @Test("the same events however the bytes are cut, even inside a character")
    func everyCut() {
        let bytes = Array(Self.stream.utf8)
        for cut in 1 ..< bytes.count {
            var parser = ServerSentEventParser()
            let events = parser.feed(bytes[..<cut]) + parser.feed(bytes[cut...])
            #expect(events == Self.events, "cut at byte \(cut)")
        }
        var parser = ServerSentEventParser()
        #expect(bytes.flatMap { parser.feed([$0]) } == Self.events, "one byte at a time")
    }

    @Test("an event left without its blank line is given at the end of the body")
    func unterminated() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("data: one\n\ndata: two".utf8)) == ["one"])
        #expect(parser.finish() == "two")
    }
}
