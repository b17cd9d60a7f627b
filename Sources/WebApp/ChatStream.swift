import AppServices
import CairnCore
import Foundation
import Hummingbird

/// Server-sent events carrying new chat messages as HTML fragments: one `message` event per
/// message (its id is the message's sequence number), then a `summary` event with the
/// progress figures the page shows beside the chat, then `done`.
enum ChatStream {
    struct Summary: Encodable {
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
    }

    static func response(_ entries: [LearningService.Entry], renderer: ChatRenderer, summary: Summary) -> Response {
        var events: [String] = []
        for (index, entry) in entries.enumerated() {
            let html = renderer.html(entry, showActions: index == entries.count - 1)
            events.append(event("message", id: String(entry.record.sequence), data: html))
        }
        let encoder = JSONEncoder()
        if let json = try? encoder.encode(summary) {
            events.append(event("summary", id: nil, data: String(decoding: json, as: UTF8.self)))
        }
        events.append(event("done", id: nil, data: ""))
        // The built-in tutor has every event ready at once: the stream goes out as one body.
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: events.joined()))
        )
    }

    /// One event in the text/event-stream format; each line of data gets its own `data:` field.
    static func event(_ name: String, id: String?, data: String) -> String {
        var text = "event: \(name)\n"
        if let id { text += "id: \(id)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: \(line)\n"
        }
        return text + "\n"
    }
}
