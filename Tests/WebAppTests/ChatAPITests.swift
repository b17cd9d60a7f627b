import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import WebApp

@Suite("Chat JSON API")
struct ChatAPITests {
    static let chat = "/api/v1/courses/sample-course/lessons/second-lesson/chat"

    @Test("a learner works a lesson through the JSON API: tokens for redaction, text for a prompt, mastery after")
    func lessonThroughAPI() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = Browser(client: client)
            let unauthenticated = try await browser.get(Self.chat)
            #expect(unauthenticated.status == .unauthorized)

            _ = try await browser.postJSON("/api/v1/accounts", #"{"email":"api@example.org","password":"a long password","name":"Api Learner"}"#)
            _ = try await browser.postJSON("/api/v1/sessions", #"{"email":"api@example.org","password":"a long password"}"#)
            let opened = try await browser.get(Self.chat)
            #expect(opened.status == .ok)
            let chat = try JSONSerialization.jsonObject(with: Data(opened.text.utf8)) as? [String: Any]
            #expect(chat?["mode"] as? String == "conversational")
            let messages = chat?["messages"] as? [[String: Any]] ?? []
            #expect(messages.first?["kind"] as? String == "note", "the tutor's welcome comes first")
            #expect(messages.contains { $0["step"] as? String == "t:redact-task" }, "the first task follows its text")

            // "Call Dana Example on 0161 496 0000 or write to dana@example.org." — words 1,2 are the name.
            let partial = try await browser.postJSON(Self.chat, #"{"action":"answer","interaction":"redact-task","tokens":[1,2]}"#)
            #expect(partial.status == .ok)
            #expect(partial.text.contains("You found 1 of the 3 pieces of personal data"))
            #expect(partial.text.contains("\"passed\":false"))

            let whole = try await browser.postJSON(Self.chat, #"{"action":"answer","interaction":"redact-task","tokens":[1,2,4,5,6,10]}"#)
            #expect(whole.text.contains("You found 3 of the 3 pieces of personal data"))
            #expect(whole.text.contains("\"passed\":true"))
            #expect(whole.text.contains("A name, a phone number and an e-mail address each identify Dana."), "why this works, after success")

            _ = try await browser.postJSON(Self.chat, #"{"action":"continue"}"#)
            let prompt = try await browser.postJSON(Self.chat, #"{"action":"answer","interaction":"write-prompt","answer":{"text":"Summarise this report for my manager."}}"#)
            #expect(prompt.status == .ok)
            #expect(prompt.text.contains("Good, you named the audience."), "what works, in the author's words")
            #expect(prompt.text.contains("my manager"), "quoting the learner's own words")
            #expect(prompt.text.contains("Say how long the summary should be"), "what to change")

            let mastery = try await browser.get("/api/v1/courses/sample-course/mastery")
            #expect(mastery.status == .ok)
            let skills = (try JSONSerialization.jsonObject(with: Data(mastery.text.utf8)) as? [String: Any])?["skills"] as? [[String: Any]] ?? []
            let practice = skills.first { $0["skill"] as? String == "practice" }
            #expect(practice?["practised"] as? Bool == true)
            let probability = practice?["probability"] as? Double ?? 0
            #expect(probability > 0.2, "three graded attempts moved mastery above the prior (\(probability))")
        }
    }

    @Test("bad chat requests name the field and store nothing", arguments: [
        (#"{"action":"answer","interaction":"redact-task","answer":{"text":"x","choice":"a"}}"#, "answer"),
        (#"{"action":"answer","interaction":"redact-task","answer":{"choice":"a"}}"#, "answer"),
        (#"{"action":"answer","interaction":"no-such-task","answer":{"text":"x"}}"#, "interaction"),
        (#"{"action":"answer","interaction":"write-prompt"}"#, "answer"),
        (#"{"action":"answer","interaction":"write-prompt","tokens":[1]}"#, "tokens"),
        (#"{"action":"answer","interaction":"redact-task","tokens":[99]}"#, "token"),
        (#"{"action":"dance"}"#, "action"),
        (#"{"action":"mode","mode":"sideways"}"#, "mode"),
        (#"{"action":"ask","question":"   "}"#, "question"),
        (#"{"interaction":"redact-task"}"#, "action"),
    ])
    func badRequests(body: String, field: String) async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = Browser(client: client)
            _ = try await browser.postJSON("/api/v1/accounts", #"{"email":"bad@example.org","password":"a long password","name":"Bad Input"}"#)
            _ = try await browser.postJSON("/api/v1/sessions", #"{"email":"bad@example.org","password":"a long password"}"#)
            let before = try await browser.get(Self.chat).text.components(separatedBy: "\"sequence\"").count
            let response = try await browser.postJSON(Self.chat, body)
            #expect(response.status == .unprocessableContent)
            #expect(response.text.contains("\"field\":\"\(field)\""), "\(response.text)")
            let after = try await browser.get(Self.chat).text.components(separatedBy: "\"sequence\"").count
            #expect(after == before, "nothing was added to the conversation")
            #expect(before == 4, "welcome, text and task, counted from the split")
        }
    }
}
