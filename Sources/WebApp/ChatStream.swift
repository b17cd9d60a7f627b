import AppServices
import CairnCore
import Foundation
import Hummingbird

/// Server-sent events carrying new chat messages as HTML fragments: one `message` event per
/// message (its id is the message's sequence number), then a `summary` event with the
/// progress figures the page shows beside the chat, then `done`.
enum ChatStream {
    struct Summary: Encodable, JSONWritable {
        var tasksPassed: Int
        var taskCount: Int
        var skills: [Skill]

        struct Skill: Encodable {
            var title: String
            var percent: Int
            var level: String
        }

        init(tasksPassed: Int, taskCount: Int, skills: [MasteryView]) {
            self.tasksPassed = tasksPassed
            self.taskCount = taskCount
            self.skills = skills.map { Skill(title: $0.title, percent: $0.percent, level: $0.level) }
        }

        /// The JSON `JSONEncoder` gives, written directly (`ChatStreamTests` compares them).
        func write(to out: inout JSONOutput) {
            out.object { out in
                out.member("tasksPassed", tasksPassed)
                out.member("taskCount", taskCount)
                out.key("skills")
                out.array(skills) { out, skill in
                    out.object { out in
                        out.member("title", skill.title)
                        out.member("percent", skill.percent)
                        out.member("level", skill.level)
                    }
                }
            }
        }
    }

    static func response(_ entries: [LearningService.Entry], renderer: ChatRenderer, summary: Summary) -> Response {
        var body: [UInt8] = []
        body.reserveCapacity(8_192)
        for (index, entry) in entries.enumerated() {
            let html = renderer.html(entry, showActions: index == entries.count - 1)
            appendEvent("message", id: String(entry.record.sequence), data: html, to: &body)
        }
        appendEvent("summary", id: nil, data: summary.jsonString, to: &body)
        appendEvent("done", id: nil, data: "", to: &body)
        // The built-in tutor has every event ready at once: the stream goes out as one body.
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    /// Appends one event in the text/event-stream format: each line of data gets its own
    /// `data:` field (the data is split into lines on its UTF-8 bytes).
    static func appendEvent(_ name: String, id: String?, data: String, to out: inout [UInt8]) {
        out += Array("event: ".utf8) + Array(name.utf8)
        out.append(0x0A)
        if let id {
            out += Array("id: ".utf8) + Array(id.utf8)
            out.append(0x0A)
        }
        let field = Array("data: ".utf8)
        out += field
        for byte in data.utf8 {
            out.append(byte)
            if byte == 0x0A { out += field }
        }
        out += [0x0A, 0x0A]
    }
}
