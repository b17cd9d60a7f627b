import CairnCore
import Foundation
import Testing
@testable import Tutoring

/// Chat messages are stored as JSON written by hand (`TutorMessageJSON.swift`); each must be
/// the JSON `JSONEncoder` gives with sorted keys, byte for byte, and read back as the same message.
@Suite("Tutor message JSON")
struct TutorMessageJSONTests {
    static let lesson = LessonID(rawValue: "what-generative-ai-is")

    static let messages: [TutorMessage] = [
        TutorMessage(kind: .note, blocks: []),
        TutorMessage(kind: .passage, blocks: [.courseMarkdown("## Tokens\n\nA *token* is a piece of a word: \"un\" + \"believ\" + \"able\".\t\\")]),
        TutorMessage(kind: .feedback, blocks: [
            .paragraph([.text("Right: "), .strong("a language model"), .text(" predicts "), .learnerWords("<script>alert(1)</script> & “quotes”")]),
            .heading("Why this works"),
            .bullets([[.text("one")], [], [.text("two "), .strong("bold")]]),
            .paragraph([
                .lessonLink(title: "Tokens", lesson: lesson, anchor: "tokens"),
                .lessonLink(title: "No anchor", lesson: lesson, anchor: nil),
                .practiceLink(title: "Try again", lesson: lesson, interaction: InteractionID(rawValue: "next-token-step-check")),
            ]),
        ], interaction: InteractionID(rawValue: "next-token-step-check"), actions: [.continue, .hint, .showText]),
        TutorMessage(kind: .answer, blocks: [.paragraph([.learnerWords("Ünïcödé 日本語 🧗‍♀️, a line\nbreak, a NUL \u{0} and a bell \u{7}, slashes / \\")])]),
        TutorMessage(kind: .question, blocks: [.paragraph([.learnerWords(String(repeating: "long answer ", count: 400))])]),
    ]

    @Test("written JSON is JSONEncoder's with sorted keys, byte for byte", arguments: messages)
    func sameBytes(message: TutorMessage) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(message.jsonString == String(decoding: try encoder.encode(message), as: UTF8.self))
    }

    @Test("written JSON reads back as the same message", arguments: messages)
    func roundTrip(message: TutorMessage) throws {
        #expect(try JSONDecoder().decode(TutorMessage.self, from: Data(message.jsonBytes)) == message)
    }
}
