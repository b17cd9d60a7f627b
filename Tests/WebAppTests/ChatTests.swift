import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import WebApp

// The chat routes of the lesson page, driven in process: the streamed reply (what chat.js
// asks for), the plain form post (no JavaScript), bad input, escaping, the reading view,
// "practise this again" links and module completion on the course page.

let firstLesson = "/courses/sample-course/lessons/first-lesson"
private let secondLesson = "/courses/sample-course/lessons/second-lesson"
let firstChat = firstLesson + "/chat"
private let secondChat = secondLesson + "/chat"

/// A urlencoded body that keeps the order and repeats of its fields (a dictionary cannot).
func formBody(_ fields: [(String, String)]) -> ByteBuffer {
    ByteBuffer(string: fields.map { name, value in
        "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
    }.joined(separator: "&"))
}

extension Browser {
    /// Posts a chat form; `stream` sends the Accept header chat.js sends.
    @discardableResult
    mutating func postChat(_ fields: [(String, String)], to uri: String = firstChat, stream: Bool) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if stream { headers[.accept] = "text/event-stream" }
        return try await send(uri, .post, headers: headers, body: formBody(fields))
    }
}

/// A new learner, signed in.
func signedIn(_ client: any TestClientProtocol, email: String = "chat@example.org") async throws -> Browser {
    var browser = Browser(client: client)
    let response = try await browser.postForm("/signup", ["name": "Chat Learner", "email": email, "password": "correct horse battery"])
    #expect(response.status == .seeOther)
    #expect(browser.cookie != nil)
    return browser
}

/// The sequence numbers of the chat messages on a page.
func sequences(in html: String) -> [Int] {
    html.components(separatedBy: "data-seq=\"").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
}

private func messageCount(in html: String) -> Int {
    html.components(separatedBy: "<li class=\"msg ").count - 1
}

private func occurrences(of needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
}

/// One server-sent event.
struct ServerEvent: Equatable {
    var name: String
    var id: String?
    var data: String
}

/// Splits a text/event-stream body into events. Every data line carries its own `data:`
/// prefix, so a blank line only ever ends an event.
func serverEvents(_ body: String) -> [ServerEvent] {
    body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { block in
        var event = ServerEvent(name: "", id: nil, data: "")
        var data: [String] = []
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("event: ") {
                event.name = String(line.dropFirst("event: ".count))
            } else if line.hasPrefix("id: ") {
                event.id = String(line.dropFirst("id: ".count))
            } else if line.hasPrefix("data: ") {
                data.append(String(line.dropFirst("data: ".count)))
            } else if line == "data:" {
                data.append("")
            }
        }
        event.data = data.joined(separator: "\n")
        return event
    }
}

/// The `summary` event's JSON, as the page script reads it.
private struct StreamSummary: Decodable {
    struct Skill: Decodable {
        var title: String
        var percent: Int
        var level: String
    }

    var tasksPassed: Int
    var taskCount: Int
    var skills: [Skill]
}

@Suite("Chat, in process")
struct ChatTests {
    @Test("with Accept: text/event-stream the reply streams as message events, then a summary, then done")
    func streamedReply() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = try await signedIn(client)
            let page = try await browser.get(firstLesson)
            #expect(page.status == .ok)
            let last = try #require(sequences(in: page.text).max())

            let response = try await browser.postChat([("action", "continue")], stream: true)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/event-stream") == true)
            #expect(response.text.contains("event: message\nid: \(last + 1)\ndata: <li class=\"msg "), "\(response.text)")

            let events = serverEvents(response.text)
            let messages = events.filter { $0.name == "message" }
            try #require(!messages.isEmpty)
            #expect(events.map(\.name) == Array(repeating: "message", count: messages.count) + ["summary", "done"])
            let expectedIDs: [String?] = (1...messages.count).map { String(last + $0) }
            #expect(messages.map(\.id) == expectedIDs, "one event per message, numbered by sequence")
            for message in messages {
                #expect(message.data.hasPrefix("<li class=\"msg "))
                #expect(message.data.contains("id=\"m\(message.id ?? "")\""))
            }
            #expect(messages.contains { $0.data.contains("Which option is right?") }, "continue brings the check")
            #expect(response.text.hasSuffix("event: done\ndata: \n\n"))

            let summaryEvent = try #require(events.first { $0.name == "summary" })
            let summary = try JSONDecoder().decode(StreamSummary.self, from: Data(summaryEvent.data.utf8))
            #expect(summary.tasksPassed == 0)
            #expect(summary.taskCount == 1)
            #expect(summary.skills.map(\.title) == ["Basics"])

            // What was streamed was stored: the page shows the same messages.
            let after = try await browser.get(firstLesson)
            #expect(sequences(in: after.text).max() == last + messages.count)

            // A right answer, streamed: the summary counts the task as passed.
            let answer = try await browser.postChat([("interaction", "first-check"), ("choice", "b")], stream: true)
            #expect(answer.status == .ok)
            let answerEvents = serverEvents(answer.text)
            #expect(answerEvents.first?.id == String(last + messages.count + 1))
            let answerSummary = try #require(answerEvents.first { $0.name == "summary" })
            let passed = try JSONDecoder().decode(StreamSummary.self, from: Data(answerSummary.data.utf8))
            #expect(passed.tasksPassed == 1)
            #expect((passed.skills.first?.percent ?? 0) > 0)
        }
    }

    @Test("without JavaScript the same post answers 303 to the lesson page at the first new message")
    func plainFormPost() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = try await signedIn(client)
            let page = try await browser.get(firstLesson)
            let last = try #require(sequences(in: page.text).max())
            let response = try await browser.postChat([("action", "continue")], stream: false)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == firstLesson + "#m\(last + 1)")
            #expect(response.headers[.contentType]?.hasPrefix("text/event-stream") != true)
            let after = try await browser.get(firstLesson)
            #expect(after.text.contains("id=\"m\(last + 1)\""))
        }
    }

    @Test("a learner's question is escaped on the page and in the stream")
    func learnerTextIsEscaped() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = try await signedIn(client)
            _ = try await browser.get(firstLesson)
            let attack = "<script>alert(1)</script>"
            let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"

            let posted = try await browser.postChat([("action", "ask"), ("question", attack)], stream: false)
            #expect(posted.status == .seeOther)
            let page = try await browser.get(firstLesson)
            #expect(page.text.contains(escaped))
            #expect(!page.text.contains("<script>alert(1)"))

            let streamed = try await browser.postChat([("action", "ask"), ("question", attack + " again")], stream: true)
            #expect(streamed.status == .ok)
            #expect(streamed.text.contains(escaped + " again"))
            #expect(!streamed.text.contains("<script>alert(1)"))
        }
    }

    @Test("bad input without JavaScript: 422, the chat page with the message, and nothing appended", arguments: ChatTests.badInput)
    func badInputPage(fields: [(String, String)], field: String, message: String) async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = try await signedIn(client)
            let before = try await browser.get(firstLesson)
            let count = messageCount(in: before.text)
            #expect(count > 0)

            let response = try await browser.postChat(fields, stream: false)
            #expect(response.status == .unprocessableContent)
            #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(response.text.contains("role=\"alert\">\(field): "), "the message names the field")
            #expect(response.text.contains(message), "\(response.text)")
            #expect(response.text.contains("id=\"chat\""), "the chat page itself, not a bare error page")
            #expect(messageCount(in: response.text) == count)

            let after = try await browser.get(firstLesson)
            #expect(messageCount(in: after.text) == count)
        }
    }

    @Test("bad input with Accept: text/event-stream: a 422 JSON problem naming the field", arguments: ChatTests.badInput)
    func badInputStream(fields: [(String, String)], field: String, message: String) async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = try await signedIn(client)
            let before = try await browser.get(firstLesson)
            let count = messageCount(in: before.text)

            let response = try await browser.postChat(fields, stream: true)
            #expect(response.status == .unprocessableContent)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, "chat.js reads error.message from JSON")
            #expect(response.text.contains("\"field\":\"\(field)\""), "\(response.text)")
            #expect(response.text.contains("\"code\":\"invalid_field\""))
            #expect(response.text.contains(message))

            let after = try await browser.get(firstLesson)
            #expect(messageCount(in: after.text) == count)
        }
    }

    static let badInput: [([(String, String)], String, String)] = [
        ([("action", "dance")], "action", "is not an action"),
        ([("interaction", "redact-task"), ("choice", "b")], "interaction", "is not a task of this lesson"),
        ([("interaction", "first-check")], "choice", "Choose one of the options"),
        ([("action", "ask"), ("question", String(repeating: "q", count: 1_001))], "question", "Keep questions under 1000 characters"),
        ([("action", "mode"), ("mode", "sideways")], "mode", "Choose one of"),
    ]

    @Test("not signed in: the lesson page and the chat post send the visitor to log in")
    func notSignedIn() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var visitor = Browser(client: client)
            let page = try await visitor.get(firstLesson)
            #expect(page.status == .found)
            #expect(page.headers[.location] == "/login?next=" + firstLesson)

            let post = try await visitor.postChat([("action", "continue")], stream: false)
            #expect(post.status == .seeOther)
            #expect(post.headers[.location] == "/login")

            let practise = try await visitor.get(firstLesson + "?practise=first-check")
            #expect(practise.status == .found)
            #expect(practise.headers[.location]?.hasPrefix("/login?next=") == true)
        }
    }

    @Test("the reading view shows the lesson text with anchored headings and links back to the chat")
    func readingView() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = try await signedIn(client)
            let page = try await browser.get(firstLesson + "/text")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("<h2 id=\"a-check\">A check</h2>"))
            #expect(page.text.contains("Plain <strong>Markdown</strong>"))
            #expect(page.text.contains("Some closing text."))
            #expect(page.text.contains("Which option is right?"), "the task is shown")
            #expect(!page.text.contains("B is right because"), "but not its key")
            #expect(page.text.contains("href=\"\(firstLesson)\""), "links back to the chat")
            #expect(occurrences(of: "The first lesson</h1>", in: page.text) == 1, "the title once, not again from the Markdown")

            let missing = try await browser.get("/courses/sample-course/lessons/no-such-lesson/text")
            #expect(missing.status == .notFound)
        }
    }

    @Test("a practise link sets the task again, once, however often the page is reloaded")
    func practiseAgain() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = try await signedIn(client)
            func again(_ html: String) -> Int {
                occurrences(of: "Let&#39;s practise this one again", in: html) + occurrences(of: "Let's practise this one again", in: html)
            }
            let plain = try await browser.get(firstLesson)
            #expect(again(plain.text) == 0)

            let uri = firstLesson + "?practise=first-check"
            let first = try await browser.get(uri)
            #expect(first.status == .ok)
            #expect(again(first.text) == 1)
            #expect(first.text.contains("Which option is right?"))
            let count = messageCount(in: first.text)

            let reload = try await browser.get(uri)
            #expect(reload.status == .ok)
            #expect(again(reload.text) == 1)
            #expect(messageCount(in: reload.text) == count)

            // A task id that is not in the lesson adds nothing.
            let unknown = try await browser.get(firstLesson + "?practise=no-such-task")
            #expect(unknown.status == .ok)
            #expect(messageCount(in: unknown.text) == count)
        }
    }

    @Test("the course page marks a module complete once all its tasks are passed, with a mastery meter per skill")
    func moduleCompletion() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = try await signedIn(client)

            // first-module: first-lesson (first-check) and second-lesson (redact-task, write-prompt).
            #expect(try await browser.postChat([("interaction", "first-check"), ("choice", "b")], stream: false).status == .seeOther)
            let partway = try await browser.get("/courses/sample-course")
            #expect(partway.status == .ok)
            #expect(!partway.text.contains("module complete"), "one task of three is not the module")
            #expect(partway.text.contains("<meter"))

            let redact = try await browser.postChat([
                ("interaction", "redact-task"),
                ("quotes", "Dana Example\n0161 496 0000\ndana@example.org"),
            ], to: secondChat, stream: false)
            #expect(redact.status == .seeOther)
            let write = try await browser.postChat([
                ("interaction", "write-prompt"),
                ("text", "Summarise the attached report for my manager in 5 bullets."),
            ], to: secondChat, stream: false)
            #expect(write.status == .seeOther)
            let lesson = try await browser.get(secondLesson)
            #expect(lesson.text.contains("2 of 2 tasks passed"), "both tasks of the second lesson passed")

            let course = try await browser.get("/courses/sample-course")
            #expect(course.status == .ok)
            #expect(occurrences(of: "module complete", in: course.text) == 1, "the first module only; the later one is planned")
            #expect(occurrences(of: "<meter", in: course.text) == 2, "one meter per skill")
            #expect(course.text.contains("aria-label=\"Basics: "))
            #expect(course.text.contains("aria-label=\"Practice: "))
        }
    }
}
