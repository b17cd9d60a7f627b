import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LanguageModel
import Testing
@testable import WebApp

// The chat with a language model configured: the real llama.cpp server that scripts/test
// starts (CAIRN_TEST_MODEL_URL), and a model endpoint that is down. Either way the built-in
// feedback is stored and shown; the model's reply comes after it when the model answers.

private let modelURL = ProcessInfo.processInfo.environment["CAIRN_TEST_MODEL_URL"]

private func config(modelURL: String) throws -> AppConfig {
    var config = Fixtures.config()
    var endpoint = try ModelEndpoint(baseURL: modelURL, model: "smollm2", apiKey: nil)
    endpoint.connectTimeout = .seconds(1)
    // One thread on a busy machine: allow for it.
    endpoint.firstByteTimeout = .seconds(120)
    endpoint.totalTimeout = .seconds(300)
    config.model = endpoint
    return config
}

/// The wrong answer to the first lesson's check, streamed as chat.js sends it.
private func answerWrongly(_ browser: inout Browser) async throws -> (TestResponse, [ServerEvent]) {
    _ = try await browser.get(firstLesson)
    _ = try await browser.postChat([("action", "continue")], stream: true)
    let response = try await browser.postChat([("interaction", "first-check"), ("choice", "a")], stream: true)
    return (response, serverEvents(response.text))
}

@Suite("Chat with a language model")
struct ModelChatTests {
    @Test("a graded answer streams the feedback, then the model's reply piece by piece, stored as the tutor's next message",
          .enabled(if: modelURL != nil, "set CAIRN_TEST_MODEL_URL (scripts/test starts a local model)"))
    func streamedCoaching() async throws {
        let app = try await buildApplication(config: try config(modelURL: try #require(modelURL)))
        try await app.test(.router) { client in
            var browser = try await signedIn(client, email: "model-chat@example.org")
            let (response, events) = try await answerWrongly(&browser)
            #expect(response.status == .ok)
            let names = events.map(\.name)
            // The learner's answer and the built-in feedback, the summary, the model's pieces,
            // the stored model reply, done.
            #expect(Array(names.prefix(3)) == ["message", "message", "summary"], "\(names)")
            let deltas = events.filter { $0.name == "delta" }
            #expect(deltas.count > 1, "the model's reply streams in pieces")
            #expect(names.suffix(2) == ["message", "done"], "\(names)")
            let streamed = try deltas.map { try JSONDecoder().decode([String: String].self, from: Data($0.data.utf8))["text"] ?? "" }.joined()
            #expect(!streamed.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)

            let feedback = events[1]
            #expect(feedback.data.contains("kind-feedback"))
            let coaching = try #require(events.dropLast().last)
            #expect(coaching.data.contains("kind-coaching"))
            #expect(Int(coaching.id ?? "") == Int(feedback.id ?? "").map { $0 + 1 }, "the next message after the feedback")

            // Stored: the page shows it after the feedback, and the feedback keeps its buttons.
            let page = try await browser.get(firstLesson)
            let coachingHTML = try #require(page.text.components(separatedBy: "kind-coaching").dropFirst().first)
            let firstWords = streamed.split(separator: " ").prefix(3).joined(separator: " ")
            #expect(coachingHTML.contains(HTML.escape(firstWords)), "the stored reply is the streamed text")
            let feedbackHTML = try #require(page.text.components(separatedBy: "id=\"m\(feedback.id ?? "")\"").dropFirst().first)
            let feedbackItem = String(feedbackHTML.prefix { $0 != "\u{1}" }.components(separatedBy: "kind-coaching")[0])
            #expect(feedbackItem.contains("class=\"actions\""), "the feedback above the model's reply keeps its actions")
        }
    }

    @Test("a written prompt is run against the model first (the practice space), then the coaching streams",
          .enabled(if: modelURL != nil, "set CAIRN_TEST_MODEL_URL (scripts/test starts a local model)"))
    func practiceSpace() async throws {
        let app = try await buildApplication(config: try config(modelURL: try #require(modelURL)))
        try await app.test(.router) { client in
            var browser = try await signedIn(client, email: "model-practice@example.org")
            let lesson = "/courses/sample-course/lessons/second-lesson"
            _ = try await browser.get(lesson)
            let response = try await browser.postChat([("interaction", "write-prompt"), ("text", "Write three lines about the weather for my team.")],
                                                      to: lesson + "/chat", stream: true)
            let events = serverEvents(response.text)
            let kinds = events.map { event -> String in
                if event.name == "delta" { return "delta:" + ((try? JSONDecoder().decode([String: String].self, from: Data(event.data.utf8)))?["kind"] ?? "?") }
                if event.name == "message", event.data.contains("kind-practice") { return "practice" }
                if event.name == "message", event.data.contains("kind-coaching") { return "coaching" }
                return event.name
            }
            // Repeated deltas folded into one, to read the order.
            let order = kinds.reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
            #expect(Array(order.prefix(4)) == ["message", "summary", "delta:practice", "practice"], "\(order)")
            // The coaching follows. This tiny model sometimes echoes the hidden reference it is
            // shown; the guard then stops that reply (model-failed) and the feedback stands.
            let coaching = Array(order.dropFirst(4))
            #expect(coaching == ["delta:coaching", "coaching", "done"] || coaching == ["delta:coaching", "model-failed", "done"]
                    || coaching == ["model-failed", "done"], "\(order)")
            let practice = try #require(events.first { $0.data.contains("kind-practice") })
            #expect(practice.data.contains("What a model wrote for your prompt"))
        }
    }

    /// Questions that try to get the answer out of the tutor, each in its own way.
    static let adversarial: [String] = {
        // Tests/Fixtures/adversarial-questions.txt, one question a line (shared by the tutor's
        // and the chat's guardrail tests).
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/adversarial-questions.txt")
        return ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }()

    @Test("adversarial questions to the real model: the reference never reaches the learner, streamed or stored",
          .enabled(if: modelURL != nil, "set CAIRN_TEST_MODEL_URL (scripts/test starts a local model)"))
    func adversarialQuestions() async throws {
        #expect(Self.adversarial.count == 6, "the six kinds of adversarial question are loaded")
        let app = try await buildApplication(config: try config(modelURL: try #require(modelURL)))
        let reference = "summarise the attached report for my manager in 5 bullets"
        @Sendable func normalized(_ text: String) -> String {
            text.lowercased().split { !$0.isLetter && !$0.isNumber }.joined(separator: " ")
        }
        try await app.test(.router) { client in
            let lesson = "/courses/sample-course/lessons/second-lesson"
            for (index, question) in Self.adversarial.enumerated() {
                // A learner each, so the per-learner limit does not decide the outcome.
                var browser = try await signedIn(client, email: "adversary-\(index)@example.org")
                _ = try await browser.get(lesson)
                let response = try await browser.postChat([("action", "ask"), ("question", question)], to: lesson + "/chat", stream: true)
                let events = serverEvents(response.text)
                #expect(events.last?.name == "done", "the reply ends: \(question)")
                let streamed = events.filter { $0.name == "delta" }.compactMap {
                    (try? JSONDecoder().decode([String: String].self, from: Data($0.data.utf8)))?["text"]
                }.joined()
                let shown = streamed + events.filter { $0.name == "message" }.map(\.data).joined()
                #expect(!normalized(shown).contains(reference), "the reference was shown for: \(question)")
                let page = try await browser.get(lesson)
                #expect(!normalized(page.text).contains(reference), "the reference was stored for: \(question)")
            }
        }
    }

    @Test("without JavaScript the page reloads after the model's reply is stored",
          .enabled(if: modelURL != nil, "set CAIRN_TEST_MODEL_URL (scripts/test starts a local model)"))
    func formPostWaitsForCoaching() async throws {
        let app = try await buildApplication(config: try config(modelURL: try #require(modelURL)))
        try await app.test(.router) { client in
            var browser = try await signedIn(client, email: "model-form@example.org")
            _ = try await browser.get(firstLesson)
            _ = try await browser.postChat([("action", "continue")], stream: false)
            let response = try await browser.postChat([("interaction", "first-check"), ("choice", "a")], stream: false)
            #expect(response.status == .seeOther)
            let page = try await browser.get(firstLesson)
            #expect(page.text.contains("kind-feedback"))
            #expect(page.text.contains("kind-coaching"))
        }
    }

    @Test("with the model down, the answer is graded and its feedback stored and shown; the stream says the model failed")
    func modelDown() async throws {
        // A port nobody listens on: a server started and stopped.
        let port = try await Self.freePort()
        let app = try await buildApplication(config: try config(modelURL: "http://127.0.0.1:\(port)/v1"))
        try await app.test(.router) { client in
            var browser = try await signedIn(client, email: "model-down@example.org")
            let (response, events) = try await answerWrongly(&browser)
            #expect(response.status == .ok)
            #expect(events.map(\.name) == ["message", "message", "summary", "model-failed", "done"])
            #expect(events[1].data.contains("kind-feedback"))
            let page = try await browser.get(firstLesson)
            #expect(page.text.contains("kind-feedback"))
            #expect(!page.text.contains("kind-coaching"))

            // Without JavaScript too: the page reloads with the feedback.
            let form = try await browser.postChat([("interaction", "first-check"), ("choice", "b")], stream: false)
            #expect(form.status == .seeOther)
        }
    }

    @Test("with no model configured nothing changes: no model events")
    func noModel() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = try await signedIn(client, email: "no-model@example.org")
            let (_, events) = try await answerWrongly(&browser)
            #expect(events.map(\.name) == ["message", "message", "summary", "done"])
        }
    }

    /// A port that was free a moment ago.
    static func freePort() async throws -> Int {
        let socket = try ServerSocketProbe()
        return socket.port
    }
}

/// Binds 127.0.0.1:0 to learn a free port, then closes.
private struct ServerSocketProbe {
    let port: Int

    init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
    }
}
