import CairnCore
import Curriculum
import Foundation
import Testing
@testable import Grading

/// Attempts store their answer and result as JSON written by hand (`GradeJSON.swift`); each
/// must be the JSON `JSONEncoder` gives with sorted keys, byte for byte, and read back the same.
@Suite("Grade JSON")
struct GradeJSONTests {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let results: [GradeResult] = [
        GradeResult(score: 0, maxScore: 0, passed: false, criteria: []),
        GradeResult(score: 1, maxScore: 1, passed: true, criteria: [
            CriterionOutcome(id: "a", description: "The model predicts the next token", points: 1, awarded: 1, status: .met,
                             evidence: [Evidence(kind: .value, text: "a")], feedback: "Yes: one token at a time."),
        ]),
        GradeResult(score: 2.5, maxScore: 4, passed: false, criteria: [
            CriterionOutcome(id: "role", description: "Gives the model a role", points: 1.5, awarded: 0.75, status: .partial,
                             evidence: [Evidence(kind: .matched, text: "You are", context: "You are a \"careful\" editor.\nCheck it.")]),
            CriterionOutcome(id: "no-pii", description: "No personal data", points: 1, awarded: 0, status: .unmet,
                             evidence: [Evidence(kind: .personalData, text: "jo@example.org", span: CharacterSpan(start: 12, end: 26))]),
            CriterionOutcome(id: "judge", description: "Tone", points: 1, awarded: 0, status: .unjudged),
        ], overlap: SpanOverlap(precision: 0.1, recall: 1.0 / 3.0, f1: 0.15384615384615385)),
        GradeResult(score: 1e-7, maxScore: 1_234_567, passed: true, criteria: [
            CriterionOutcome(id: "x", description: "Ünïcödé 日本語 🧗‍♀️ <b>&amp;</b> / \\ \u{1}", points: -0.0, awarded: 12.000001, status: .met),
        ]),
    ]

    static let answers: [Answer] = [
        .choice("a"), .choices([]), .choices(["b", "a"]), .number("£3.40"), .order(["c", "a", "b"]),
        .matches([:]), .matches(["zeta": "1", "alpha": "2", "Beta": "3"]),
        // Sorted as JSONEncoder sorts: by UTF-8 bytes, not by Swift's comparison of characters.
        .matches(["e\u{301}x": "1", "\u{e9}a": "2", "f": "3"]),
        .text(""), .text("Summarise this for a \"busy\" manager:\n\t<script>x</script> 日本語"),
        .spans([]), .spans([CharacterSpan(start: 0, end: 4), CharacterSpan(start: 10, end: 12)]),
    ]

    @Test("a written result is JSONEncoder's with sorted keys, byte for byte", arguments: results)
    func resultBytes(result: GradeResult) throws {
        #expect(result.jsonString == String(decoding: try Self.encoder.encode(result), as: UTF8.self))
    }

    @Test("a written result reads back the same", arguments: results)
    func resultRoundTrip(result: GradeResult) throws {
        #expect(try JSONDecoder().decode(GradeResult.self, from: Data(result.jsonBytes)) == result)
    }

    @Test("a written answer is JSONEncoder's with sorted keys and reads back the same", arguments: answers)
    func answer(answer: Answer) throws {
        #expect(answer.jsonString == String(decoding: try Self.encoder.encode(answer), as: UTF8.self))
        #expect(try JSONDecoder().decode(Answer.self, from: Data(answer.jsonBytes)) == answer)
    }

    @Test("the results of every shipped interaction, right and wrong, are written as JSONEncoder writes them")
    func shippedResults() throws {
        let grader = Grader()
        let interactions = ShippedCourseFixture.interactions
        #expect(interactions.count > 100)
        for interaction in interactions {
            for answer in [ShippedCourseFixture.keyedAnswer(for: interaction), ShippedCourseFixture.wrongAnswer(for: interaction)].compactMap({ $0 }) {
                let result = try grader.grade(interaction, answer: answer)
                #expect(result.jsonString == String(decoding: try Self.encoder.encode(result), as: UTF8.self), "\(interaction.id)")
                #expect(answer.jsonString == String(decoding: try Self.encoder.encode(answer), as: UTF8.self), "\(interaction.id)")
            }
        }
    }
}
