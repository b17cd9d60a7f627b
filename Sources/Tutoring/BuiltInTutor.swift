import CairnCore
import Curriculum
import Foundation
import Grading

/// The tutor that works with no language model: it presents lesson steps, turns a grading
/// result into specific feedback, gives hints in order and answers questions from the
/// course text. Every reply is built from the course files and the learner's own answer.
public struct BuiltInTutor: Sendable {
    public init() {}

    // MARK: presenting the lesson

    public func welcome(lesson: Lesson, mode: LearningMode, resumed: Bool) -> TutorMessage {
        var blocks: [Block] = []
        if resumed {
            blocks.append(.paragraph([.text("Welcome back to "), .strong(lesson.title), .text(". We carry on where you left off.")]))
        } else {
            blocks.append(.paragraph([.text("Let's work through "), .strong(lesson.title), .text(" (about \(lesson.minutes) minutes).")]))
            if !lesson.objectives.isEmpty {
                blocks.append(.paragraph([.text("By the end you will be able to:")]))
                blocks.append(.bullets(lesson.objectives.map { [.text($0)] }))
            }
        }
        blocks.append(.paragraph([.text(modeExplanation(mode))]))
        return TutorMessage(kind: .note, blocks: blocks)
    }

    public func modeChanged(to mode: LearningMode) -> TutorMessage {
        TutorMessage(kind: .note, blocks: [.paragraph([.text("Switched to "), .strong(mode.displayName), .text(". " + modeExplanation(mode))])])
    }

    func modeExplanation(_ mode: LearningMode) -> String {
        switch mode {
        case .conversational:
            "I'll explain one idea at a time and set a task after each. Ask me anything along the way."
        case .readFirst:
            "You get the whole lesson text first, then the tasks one by one."
        case .practiceFirst:
            "You go straight to the tasks; ask for the lesson text behind any task when you want it."
        }
    }

    public func passage(heading: String, markdown: String) -> TutorMessage {
        TutorMessage(kind: .passage, blocks: [.courseMarkdown(markdown)])
    }

    public func task(_ interaction: Interaction, again: Bool = false) -> TutorMessage {
        var blocks: [Block] = []
        if again { blocks.append(.paragraph([.text("Let's practise this one again.")])) }
        blocks.append(.courseMarkdown(interaction.prompt))
        var actions: [Action] = []
        if !interaction.hints.isEmpty { actions.append(.hint) }
        return TutorMessage(kind: .task, blocks: blocks, interaction: interaction.id, actions: actions)
    }

    public func waitingForAnswer(_ interaction: Interaction) -> TutorMessage {
        TutorMessage(
            kind: .note,
            blocks: [.paragraph([.text("Have a go at the task above first. If you are stuck, ask for a hint: the first one is only a nudge.")])],
            interaction: interaction.id, actions: interaction.hints.isEmpty ? [] : [.hint]
        )
    }

    // MARK: the learner's answer, echoed

    /// The learner's answer in words, for their side of the conversation.
    public func echo(_ answer: Answer, to interaction: Interaction) -> TutorMessage {
        var blocks: [Block] = []
        switch (answer, interaction.content) {
        case let (.choice(id), .singleChoice(options, _)):
            blocks = [.paragraph([.learnerWords(options.first { $0.id == id }?.text ?? id)])]
        case let (.choices(ids), .multipleChoice(options, _)):
            blocks = [.bullets(options.filter { ids.contains($0.id) }.map { [.learnerWords($0.text)] })]
        case let (.number(text), _):
            blocks = [.paragraph([.learnerWords(text)])]
        case let (.order(ids), .ordering(options, _)):
            blocks = [.bullets(ids.enumerated().map { index, id in
                [.text("\(index + 1). "), .learnerWords(options.first { $0.id == id }?.text ?? id)]
            })]
        case let (.matches(pairs), .matching(left, right, _)):
            blocks = [.bullets(left.compactMap { item in
                guard let chosen = pairs[item.id], let target = right.first(where: { $0.id == chosen }) else { return nil }
                return [.text(item.text + " → "), .learnerWords(target.text)]
            })]
        case let (.text(text), _):
            blocks = [.paragraph([.learnerWords(text)])]
        case let (.spans(spans), .critique(material, _)), let (.spans(spans), .redaction(material, _)):
            let characters = Array(material)
            let marked = spans.sorted().map { Material.text(of: $0, in: characters) }
            blocks = marked.isEmpty ? [.paragraph([.text("(nothing marked)")])]
                : [.paragraph([.text("I marked:")]), .bullets(marked.map { [.learnerWords($0)] })]
        default:
            blocks = [.paragraph([.text("(answer)")])]
        }
        return TutorMessage(kind: .answer, blocks: blocks, interaction: interaction.id)
    }

    // MARK: feedback

    /// What the tutor says after a graded attempt: what was right, what to change (citing the
    /// criterion and the learner's words), misconception-specific replies for wrong options,
    /// and after success why it works. Keys are not given away while the learner can still try.
    public func feedback(
        for interaction: Interaction, result: GradeResult, attemptNumber: Int, hintsUsed: Int, warnings: [PersonalDataDetector.Finding] = []
    ) -> TutorMessage {
        var blocks: [Block] = []
        let verdict: [Inline]
        if result.passed {
            verdict = [.strong(attemptNumber == 1 && hintsUsed == 0 ? "Right first time." : "That's it."), .text(" " + scoreLine(result))]
        } else if result.score > 0 {
            verdict = [.strong("Partly there."), .text(" " + scoreLine(result))]
        } else {
            verdict = [.strong("Not yet."), .text(" " + scoreLine(result))]
        }
        blocks.append(.paragraph(verdict))

        switch interaction.content {
        case .singleChoice:
            if let outcome = result.criteria.first, !result.passed {
                blocks.append(.paragraph([.text("You chose "), .learnerWords(outcome.description), .text(". ")]
                    + [.text(outcome.feedback ?? "That option doesn't fit the situation described. Read the question again and think about what it actually asks.")]))
            }
        case let .multipleChoice(_, keys):
            if !result.passed {
                let wronglyTicked = result.criteria.filter { $0.status == .unmet && !keys.contains($0.id) }
                for outcome in wronglyTicked {
                    blocks.append(.paragraph([.text("You ticked "), .learnerWords(outcome.description), .text(", which doesn't belong. ")]
                        + (outcome.feedback.map { [.text($0)] } ?? [])))
                }
                let missed = result.criteria.filter { $0.status == .unmet && keys.contains($0.id) }.count
                if missed > 0 {
                    blocks.append(.paragraph([.text(missed == 1 ? "One right option is not ticked yet." : "\(missed) right options are not ticked yet.")]))
                }
            }
        case .numeric:
            if let outcome = result.criteria.first, !result.passed {
                let value = outcome.evidence.first { $0.kind == .value }?.text ?? ""
                blocks.append(.paragraph([.text("You gave "), .learnerWords(value), .text(". "), .text(outcome.feedback ?? "")]))
                blocks.append(.paragraph([.text("Work it through step by step and check each figure you use comes from the task.")]))
            }
        case .ordering:
            if !result.passed {
                let misplaced = result.criteria.filter { $0.status == .unmet }
                blocks.append(.paragraph([.text("These are not in the right place yet:")]))
                blocks.append(.bullets(misplaced.map { outcome in
                    [.learnerWords(outcome.description)] + (outcome.feedback.map { [.text(" — " + $0)] } ?? [])
                }))
            }
        case .matching:
            if !result.passed {
                let wrong = result.criteria.filter { $0.status == .unmet }
                blocks.append(.paragraph([.text("Look again at these:")]))
                blocks.append(.bullets(wrong.map { outcome in
                    var line: [Inline] = [.strong(outcome.description)]
                    if let chosen = outcome.evidence.first(where: { $0.kind == .value }) {
                        line += [.text(" — you matched it with "), .learnerWords(chosen.text)]
                    } else {
                        line += [.text(" — not matched yet")]
                    }
                    if let feedback = outcome.feedback { line.append(.text(". " + feedback)) }
                    return line
                }))
            }
        case .shortText, .promptWriting:
            blocks += rubricFeedback(result)
        case .critique:
            blocks += spanFeedback(result, redaction: false)
        case .redaction:
            blocks += spanFeedback(result, redaction: true)
        }

        if !warnings.isEmpty {
            blocks.append(.paragraph([.strong("Careful: "), .text("your answer contains personal data, which you would not paste into an AI tool:")]))
            blocks.append(.bullets(warnings.map { [.text($0.kind.displayName + ": "), .learnerWords($0.text)] }))
        }

        var actions: [Action] = []
        if result.passed {
            if let explanation = interaction.explanation {
                blocks.append(.heading("Why this works"))
                blocks.append(.courseMarkdown(explanation))
            }
            actions.append(.continue)
        } else {
            blocks.append(.paragraph([.text(retryAdvice(interaction: interaction, attemptNumber: attemptNumber, hintsUsed: hintsUsed))]))
            if hintsUsed < interaction.hints.count { actions.append(.hint) }
            actions.append(.continue)
        }
        return TutorMessage(kind: .feedback, blocks: blocks, interaction: interaction.id, actions: actions)
    }

    func scoreLine(_ result: GradeResult) -> String {
        let score = format(result.score), max = format(result.maxScore)
        let unjudged = result.unjudged.reduce(0.0) { $0 + $1.points }
        if unjudged > 0 {
            return "\(score) of \(format(result.maxScore - unjudged)) points from the automatic checks; \(format(unjudged)) more are judged by a reviewer."
        }
        return "\(score) of \(max)."
    }

    func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    func retryAdvice(interaction: Interaction, attemptNumber: Int, hintsUsed: Int) -> String {
        if hintsUsed < interaction.hints.count {
            return attemptNumber >= 2
                ? "Try again. A hint may help: the next one is more specific."
                : "Change what's flagged and try again, or ask for a hint."
        }
        return "You have seen every hint, including the worked example; use it as a model and try again, or move on and come back later."
    }

    func rubricFeedback(_ result: GradeResult) -> [Block] {
        var blocks: [Block] = []
        let met = result.criteria.filter { $0.status == .met }
        let unmet = result.criteria.filter { $0.status == .unmet }
        let unjudged = result.unjudged
        if !met.isEmpty {
            blocks.append(.heading("What works"))
            blocks.append(.bullets(met.map { outcome in
                var line: [Inline] = [.text(outcome.feedback ?? outcome.description)]
                if let words = outcome.evidence.first(where: { $0.kind == .matched }) {
                    line += [.text(" You wrote "), .learnerWords(words.context ?? words.text), .text(".")]
                }
                return line
            }))
        }
        if !unmet.isEmpty {
            blocks.append(.heading("What to change"))
            blocks.append(.bullets(unmet.map { outcome in
                var line: [Inline] = [.strong(outcome.description + ": "), .text(outcome.feedback ?? "Not there yet.")]
                let forbidden = outcome.evidence.filter { $0.kind == .forbidden }
                for evidence in forbidden {
                    line += [.text(" You wrote "), .learnerWords(evidence.context ?? evidence.text), .text(".")]
                }
                let personal = outcome.evidence.filter { $0.kind == .personalData }
                for evidence in personal {
                    line += [.text(" It contains \(evidence.context ?? "personal data"): "), .learnerWords(evidence.text), .text(".")]
                }
                let missing = outcome.evidence.filter { $0.kind == .missing }.map(\.text)
                if !missing.isEmpty, outcome.feedback == nil {
                    line += [.text(" Missing: " + missing.joined(separator: ", ") + ".")]
                }
                if let count = outcome.evidence.first(where: { $0.kind == .value }), forbidden.isEmpty {
                    line += [.text(" (Yours: \(count.text).)")]
                }
                return line
            }))
        }
        if !unjudged.isEmpty {
            blocks.append(.paragraph([.text("Not checked automatically (a reviewer looks at these): "
                + unjudged.map(\.description).joined(separator: "; ") + ".")]))
        }
        return blocks
    }

    func spanFeedback(_ result: GradeResult, redaction: Bool) -> [Block] {
        var blocks: [Block] = []
        let spans = result.criteria.filter { $0.id.hasPrefix("span-") }
        let found = spans.filter { $0.status == .met }
        let partial = spans.filter { $0.status == .partial }
        let missed = spans.filter { $0.status == .unmet }
        let thing = redaction ? "pieces of personal data" : "errors"
        blocks.append(.paragraph([.text("You found \(found.count) of the \(spans.count) \(thing).")]))
        if !found.isEmpty, !redaction {
            blocks.append(.heading("What you caught"))
            blocks.append(.bullets(found.map { outcome in
                [.learnerWords(outcome.evidence.first?.text ?? ""), .text(" — " + outcome.description)]
            }))
        }
        if !partial.isEmpty {
            blocks.append(.paragraph([.text(partial.count == 1
                ? "You marked only part of one of them: mark the whole of it, since a part can still \(redaction ? "identify someone" : "mislead")."
                : "You marked only part of \(partial.count) of them: mark each one whole.")]))
        }
        if !missed.isEmpty, !result.passed {
            if redaction {
                let kinds = Dictionary(grouping: missed, by: \.description).map { kind, items in
                    items.count == 1 ? Self.kindName(kind) : "\(items.count) × \(Self.kindName(kind))"
                }.sorted()
                blocks.append(.paragraph([.text("Still to find: " + kinds.joined(separator: ", ") + ".")]))
            } else {
                blocks.append(.paragraph([
                    .text(missed.count == 1 ? "One error is still unmarked." : "\(missed.count) errors are still unmarked."),
                    .text(" Compare each claim with the source and the task."),
                ]))
            }
        }
        if let extra = result.criteria.first(where: { $0.id == "extra" }) {
            blocks.append(.paragraph([.text(redaction
                ? "You also marked text that doesn't need removing for this task:"
                : "You also marked text that is not one of the errors:")]))
            blocks.append(.bullets(extra.evidence.prefix(5).map { [.learnerWords($0.text)] }))
        }
        if let overlap = result.overlap, overlap.precision < 0.6, !spans.isEmpty, found.count == spans.count {
            blocks.append(.paragraph([.text("Mark only what matters: most of what you marked is not part of the answer.")]))
        }
        return blocks
    }

    static func kindName(_ kind: String) -> String {
        switch kind {
        case "name": "a name"
        case "email": "an e-mail address"
        case "phone": "a phone number"
        case "address": "an address or postcode"
        case "id_number": "an ID number"
        case "account": "an account number"
        case "date_of_birth", "dob": "a date of birth"
        case "other": "other sensitive detail"
        default: kind.replacingOccurrences(of: "_", with: " ")
        }
    }

    // MARK: hints

    /// Hint `level` (1-based) of the interaction's hints: nudge, then specific, then worked example.
    public func hint(for interaction: Interaction, level: Int) -> TutorMessage {
        guard !interaction.hints.isEmpty else {
            return TutorMessage(kind: .hint, blocks: [.paragraph([.text("There are no hints for this one. Reread the task and the lesson text above it.")])],
                                interaction: interaction.id, actions: [.showText])
        }
        let index = min(max(level, 1), interaction.hints.count) - 1
        let isWorkedExample = index == interaction.hints.count - 1 && interaction.hints.count >= 3
        let name = index == 0 ? "Nudge" : isWorkedExample ? "Worked example" : "More specific"
        var blocks: [Block] = [.heading("Hint \(index + 1) of \(interaction.hints.count): \(name)"), .courseMarkdown(interaction.hints[index])]
        if level > interaction.hints.count {
            blocks.insert(.paragraph([.text("That was the last hint; here it is again.")]), at: 0)
        }
        let actions: [Action] = index + 1 < interaction.hints.count ? [.hint] : []
        return TutorMessage(kind: .hint, blocks: blocks, interaction: interaction.id, actions: actions)
    }

    // MARK: questions

    public func question(_ text: String) -> TutorMessage {
        TutorMessage(kind: .question, blocks: [.paragraph([.learnerWords(text)])])
    }

    /// An answer grounded in the course text: the best passages quoted with links, or a plain
    /// statement that the course does not cover the question.
    public func reply(to question: String, hits: [Hit], covered: Bool) -> TutorMessage {
        guard covered, !hits.isEmpty else {
            return TutorMessage(kind: .reply, blocks: [
                .paragraph([.text("The course doesn't cover that, so I won't guess. Try asking about something in this lesson, or rephrase with the words the lesson uses.")]),
            ])
        }
        var blocks: [Block] = [.paragraph([.text(hits.count == 1 ? "Here is what the course says:" : "Here is what the course says, best match first:")])]
        for hit in hits {
            blocks.append(.paragraph([.text("“" + hit.excerpt + "” — "),
                                      .lessonLink(title: "\(hit.passage.lessonTitle): \(hit.passage.heading)", lesson: hit.passage.lessonID, anchor: hit.passage.anchor)]))
        }
        return TutorMessage(kind: .reply, blocks: blocks)
    }

    // MARK: end of lesson

    public func lessonComplete(lesson: Lesson, passed: Int, total: Int, next: NextStep?) -> TutorMessage {
        var blocks: [Block] = [.paragraph([.strong("You've finished \(lesson.title)."), .text(" You passed \(passed) of \(total) tasks.")])]
        if passed < total {
            blocks.append(.paragraph([.text("You can go back to any task above and try it again; every attempt counts towards your mastery.")]))
        }
        if let next { blocks.append(.paragraph(next.describe())) }
        return TutorMessage(kind: .note, blocks: blocks)
    }
}
