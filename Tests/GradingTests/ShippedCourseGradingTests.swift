import CairnCore
import Curriculum
import Foundation
import Grading
import Testing
import Tutoring

// Every check, task and exam item of the shipped AI Foundations course, graded with its own
// key: the keyed answer must pass (or the course contradicts itself), and one plainly wrong
// answer must fail with feedback that helps without giving the explanation away.

enum ShippedCourseFixture {
    static let catalog = CourseLoader.loadCatalog(
        at: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("courses").path
    )
    static let course: Course? = catalog.course(CourseID(rawValue: "ai-foundations"))

    /// Every lesson interaction (all lessons loaded, in id order) and every exam item.
    static var interactions: [Interaction] {
        guard let course else { return [] }
        let lessons = course.lessons.values.sorted { $0.id < $1.id }
        return lessons.flatMap(\.interactions) + course.items
    }

    /// The key's spans: each quote located after the previous occurrence of the same quote,
    /// as the course format defines a repeated quote. Quotes not found are returned apart.
    static func keySpans(_ quotes: [QuotedSpan], in material: String) -> (spans: [CharacterSpan], missing: [String]) {
        var spans: [CharacterSpan] = []
        var missing: [String] = []
        var searchFrom: [String: Int] = [:]
        for quote in quotes {
            if let span = Material.locate(quote.quote, in: material, from: searchFrom[quote.quote] ?? 0) {
                spans.append(span)
                searchFrom[quote.quote] = span.end
            } else {
                missing.append(quote.quote)
            }
        }
        return (spans, missing)
    }

    /// The answer the key describes; nil for an open answer whose rubric has no automatic check.
    static func keyedAnswer(for interaction: Interaction) -> Answer? {
        switch interaction.content {
        case let .singleChoice(_, key): Answer.choice(key)
        case let .multipleChoice(_, keys): Answer.choices(keys)
        case let .numeric(key, _, _): Answer.number(String(key))
        case let .ordering(_, key): Answer.order(key)
        case let .matching(_, _, key): Answer.matches(key)
        case let .shortText(rubric, reference), let .promptWriting(_, rubric, reference):
            rubric.contains(where: { $0.check != nil }) ? Answer.text(reference) : nil
        case let .critique(material, quotes), let .redaction(material, quotes):
            Answer.spans(keySpans(quotes, in: material).spans)
        }
    }

    /// One plainly wrong answer for a keyed interaction; nil for open answers.
    static func wrongAnswer(for interaction: Interaction) -> Answer? {
        switch interaction.content {
        case let .singleChoice(options, key):
            return options.first { $0.id != key }.map { Answer.choice($0.id) }
        case let .multipleChoice(options, keys):
            // Swap the last right option for a wrong one, or leave one right option out.
            if let wrong = options.first(where: { !keys.contains($0.id) }) { return .choices(Array(keys.dropLast()) + [wrong.id]) }
            return keys.count >= 2 ? .choices(Array(keys.dropLast())) : nil
        case let .numeric(key, tolerance, _):
            return .number(String(key + 10 * (tolerance + 1)))
        case let .ordering(_, key):
            return .order(key.reversed())
        case let .matching(left, right, key):
            // Each left item takes the next item's partner.
            var shifted: [String: String] = [:]
            for (index, item) in left.enumerated() {
                shifted[item.id] = key[left[(index + 1) % left.count].id]
            }
            if shifted == key, let first = left.first, let other = right.first(where: { $0.id != key[first.id] }) {
                shifted[first.id] = other.id
            }
            return .matches(shifted)
        case .shortText, .promptWriting:
            return nil
        case let .critique(material, quotes), let .redaction(material, quotes):
            let spans = keySpans(quotes, in: material).spans
            if spans.count >= 2 { return .spans([spans[0]]) }
            // A single key span: mark a word outside it instead.
            let outside = Material.tokens(material).first { token in spans.allSatisfy { $0.overlap(with: token.span) == 0 } }
            return outside.map { Answer.spans([$0.span]) }
        }
    }

    /// Words that only the type-specific part of a wrong answer's feedback contains.
    static func specificFeedback(for type: InteractionType) -> [String] {
        switch type {
        case .singleChoice: ["You chose"]
        case .multipleChoice: ["which doesn't belong", "not ticked yet"]
        case .numeric: ["You gave"]
        case .ordering: ["not in the right place"]
        case .matching: ["Look again at these"]
        case .critique: ["You found", "errors"]
        case .redaction: ["You found", "pieces of personal data"]
        case .shortText, .promptWriting: ["What to change"]
        }
    }

    static func label(_ interaction: Interaction) -> String {
        "\(interaction.id) (\(interaction.type.rawValue), \(interaction.file):\(interaction.line))"
    }
}

@Suite("Shipped course grading")
struct ShippedCourseGradingTests {
    typealias Fixture = ShippedCourseFixture
    let grader = Grader()

    @Test("the shipped course loads without errors, with lessons and items of every keyed type")
    func loads() throws {
        #expect(!Fixture.catalog.diagnostics.hasErrors, "\(Fixture.catalog.diagnostics.report())")
        let course = try #require(Fixture.course, "courses/ai-foundations must load")
        #expect(!course.items.isEmpty)
        let types = Set(Fixture.interactions.map(\.type))
        #expect(types == Set(InteractionType.allCases), "missing: \(Set(InteractionType.allCases).subtracting(types))")
        #expect(Fixture.interactions.count >= 300, "\(Fixture.interactions.count) interactions")
    }

    @Test("every interaction's own key passes: choice key, numbers, order, matches, quoted spans, rubric reference")
    func keyedAnswersPass() throws {
        let interactions = Fixture.interactions
        try #require(!interactions.isEmpty)
        var failures: [String] = []
        var graded = 0
        for interaction in interactions {
            if case let .critique(material, quotes) = interaction.content, !Fixture.keySpans(quotes, in: material).missing.isEmpty {
                failures.append("\(Fixture.label(interaction)): quotes not in the material: \(Fixture.keySpans(quotes, in: material).missing)")
                continue
            }
            if case let .redaction(material, quotes) = interaction.content, !Fixture.keySpans(quotes, in: material).missing.isEmpty {
                failures.append("\(Fixture.label(interaction)): quotes not in the material: \(Fixture.keySpans(quotes, in: material).missing)")
                continue
            }
            guard let answer = Fixture.keyedAnswer(for: interaction) else { continue }
            graded += 1
            do {
                let result = try grader.grade(interaction, answer: answer)
                if !result.passed {
                    let unmet = result.criteria.filter { $0.status != .met && $0.status != .unjudged }
                        .map { "\($0.id) [\($0.evidence.map(\.text).joined(separator: ", "))]" }
                    failures.append("\(Fixture.label(interaction)): \(result.score)/\(result.maxScore), not passed; unmet: \(unmet.joined(separator: "; "))")
                } else if interaction.content.rubric == nil, result.score != result.maxScore {
                    failures.append("\(Fixture.label(interaction)): passed with \(result.score)/\(result.maxScore)")
                }
            } catch {
                failures.append("\(Fixture.label(interaction)): refused: \(error)")
            }
        }
        #expect(graded >= 300, "only \(graded) interactions had a gradable key")
        #expect(failures.isEmpty, "\(failures.count) keyed answers fail:\n\(failures.joined(separator: "\n"))")
    }

    @Test("a wrong answer to every keyed interaction fails, and the feedback is specific without giving the explanation away")
    func wrongAnswersFail() throws {
        let interactions = Fixture.interactions
        try #require(!interactions.isEmpty)
        let tutor = BuiltInTutor()
        var failures: [String] = []
        var graded = 0
        for interaction in interactions {
            guard interaction.content.rubric == nil else { continue }
            guard let answer = Fixture.wrongAnswer(for: interaction) else {
                failures.append("\(Fixture.label(interaction)): no wrong answer could be built")
                continue
            }
            graded += 1
            let result: GradeResult
            do {
                result = try grader.grade(interaction, answer: answer)
            } catch {
                failures.append("\(Fixture.label(interaction)): wrong answer \(answer) refused: \(error)")
                continue
            }
            if result.passed {
                failures.append("\(Fixture.label(interaction)): wrong answer \(answer) passed")
                continue
            }
            let message = tutor.feedback(for: interaction, result: result, attemptNumber: 1, hintsUsed: 0)
            let text = message.plainText
            if message.kind != .feedback { failures.append("\(Fixture.label(interaction)): feedback of kind \(message.kind)") }
            if let explanation = interaction.explanation, !explanation.isEmpty, text.contains(explanation) {
                failures.append("\(Fixture.label(interaction)): the explanation is given away after a wrong answer")
            }
            if text.contains("Why this works") {
                failures.append("\(Fixture.label(interaction)): 'Why this works' after a wrong answer")
            }
            // Between the verdict (first block) and the retry advice (last block) there must be
            // something about this answer.
            let middle = message.blocks.dropFirst().dropLast().map(\.plainText).joined(separator: "\n")
            if middle.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                failures.append("\(Fixture.label(interaction)): nothing specific between the verdict and the retry advice: \(text)")
            } else if !Fixture.specificFeedback(for: interaction.type).contains(where: { middle.contains($0) }) {
                failures.append("\(Fixture.label(interaction)): feedback lacks \(Fixture.specificFeedback(for: interaction.type)): \(middle)")
            }
            if case let .singleChoice(options, _) = interaction.content, case let .choice(id) = answer,
               let chosen = options.first(where: { $0.id == id }), !middle.contains(chosen.text) {
                failures.append("\(Fixture.label(interaction)): feedback does not quote the chosen option '\(chosen.text)'")
            }
            if !message.actions.contains(.continue) {
                failures.append("\(Fixture.label(interaction)): no way to move on after a wrong answer")
            }
            if !interaction.hints.isEmpty, !message.actions.contains(.hint) {
                failures.append("\(Fixture.label(interaction)): hints exist but none is offered after a wrong first answer")
            }
        }
        #expect(graded >= 250, "only \(graded) keyed interactions were checked")
        #expect(failures.isEmpty, "\(failures.count) wrong answers are mishandled:\n\(failures.joined(separator: "\n"))")
    }
}
