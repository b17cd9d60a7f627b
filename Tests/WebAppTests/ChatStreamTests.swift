import CairnCore
import Foundation
import Testing
@testable import WebApp

@Suite("Chat stream and escaping")
struct ChatStreamTests {
    func event(_ name: String, id: String?, data: String) -> String {
        var bytes: [UInt8] = []
        ChatStream.appendEvent(name, id: id, data: data, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("an event puts each line of its data in its own data field, and ends with a blank line")
    func eventFormat() {
        #expect(event("message", id: "7", data: "<p>one</p>\n<p>two</p>") == "event: message\nid: 7\ndata: <p>one</p>\ndata: <p>two</p>\n\n")
        #expect(event("done", id: nil, data: "") == "event: done\ndata: \n\n")
        #expect(event("message", id: nil, data: "a\n\nb\n") == "event: message\ndata: a\ndata: \ndata: b\ndata: \n\n")
        #expect(event("message", id: nil, data: "naïve — ✓ 日本") == "event: message\ndata: naïve — ✓ 日本\n\n")
    }

    @Test("escaping covers the five characters, leaves other text (any script) as it is")
    func escaping() {
        #expect(HTML.escape("<script>alert('x') & \"y\"</script>") == "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;")
        #expect(HTML.escape("plain text, no markup") == "plain text, no markup")
        #expect(HTML.escape("Ünïcödé <b>日本語</b> 🙂") == "Ünïcödé &lt;b&gt;日本語&lt;/b&gt; 🙂")
        #expect(HTML.escape("") == "")
    }

    @Test("the summary event's JSON is what JSONEncoder writes for it")
    func summaryJSON() throws {
        let summaries = [
            ChatStream.Summary(tasksPassed: 0, taskCount: 0, skills: []),
            ChatStream.Summary(tasksPassed: 2, taskCount: 5, skills: [
                MasteryView(title: "Tokens & \"prediction\" <b>", probability: 0.4234, threshold: 0.95, practised: true),
                MasteryView(title: "Ünïcödé 日本語", probability: 0.99, threshold: 0.95, practised: true),
                MasteryView(title: "Not yet", probability: 0.1, threshold: 0.95, practised: false),
            ]),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        for summary in summaries {
            let written = try JSONSerialization.jsonObject(with: Data(summary.jsonBytes)) as? NSDictionary
            let encoded = try JSONSerialization.jsonObject(with: encoder.encode(summary)) as? NSDictionary
            #expect(written != nil && written == encoded)
        }
    }
}
