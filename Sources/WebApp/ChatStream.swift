import AppServices
import CairnCore
import Foundation
import Hummingbird
import Tutoring

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
        var body = events(entries, renderer: renderer, summary: summary)
        appendEvent("done", id: nil, data: "", to: &body)
        // The built-in tutor has every event ready at once: the stream goes out as one body.
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    /// The messages' events and the summary event (no `done` yet).
    static func events(_ entries: [LearningService.Entry], renderer: ChatRenderer, summary: Summary) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(8_192)
        for (index, entry) in entries.enumerated() {
            let html = renderer.html(entry, showActions: index == entries.count - 1)
            appendEvent("message", id: String(entry.record.sequence), data: html, to: &body)
        }
        appendEvent("summary", id: nil, data: summary.jsonString, to: &body)
        return body
    }

    /// The messages and summary at once, then each model turn as it is written: a `delta`
    /// event per piece (`{"kind": …, "text": …}`, with the message's `title` on the first),
    /// then the stored reply as a `message` event, or a `model-failed` event naming the kind
    /// when the model failed (the page drops what it showed of it; the built-in feedback
    /// above stands), then `done`.
    static func coachedResponse(
        _ entries: [LearningService.Entry], renderer: ChatRenderer, summary: Summary, turns: [ModelTutor.Turn],
        run: @escaping @Sendable (ModelTutor.Turn, _ write: @escaping @Sendable (String) async throws -> Void) async -> LearningService.Entry?
    ) -> Response {
        let first = events(entries, renderer: renderer, summary: summary)
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(bytes: first))
                for turn in turns {
                    let pieces = AsyncStream<String>.makeStream()
                    // The model's pieces are passed through a stream, so the writer stays in this task.
                    let running = Task { () -> LearningService.Entry? in
                        defer { pieces.continuation.finish() }
                        return await run(turn) { piece in pieces.continuation.yield(piece) }
                    }
                    var title = turn.title
                    // The request cancelled (the server stopping, the connection gone): the
                    // model call stops too, and its reply is not stored.
                    try await withTaskCancellationHandler {
                    for await piece in pieces.stream {
                        var json = JSONOutput(capacity: piece.utf8.count + 48)
                        json.object { out in
                            out.member("kind", turn.kind.rawValue)
                            out.member("text", piece)
                            out.member("title", title)
                        }
                        title = nil
                        var event: [UInt8] = []
                        appendEvent("delta", id: nil, data: String(decoding: json.bytes, as: UTF8.self), to: &event)
                        do {
                            try await writer.write(ByteBuffer(bytes: event))
                        } catch {
                            // The learner left: stop the model (the reply is not stored).
                            running.cancel()
                            throw error
                        }
                    }
                    } onCancel: {
                        running.cancel()
                    }
                    var end: [UInt8] = []
                    if let entry = await running.value {
                        appendEvent("message", id: String(entry.record.sequence), data: renderer.html(entry, showActions: false), to: &end)
                    } else {
                        appendEvent("model-failed", id: nil, data: turn.kind.rawValue, to: &end)
                    }
                    try await writer.write(ByteBuffer(bytes: end))
                }
                var done: [UInt8] = []
                appendEvent("done", id: nil, data: "", to: &done)
                try await writer.write(ByteBuffer(bytes: done))
                try await writer.finish(nil)
            }
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
