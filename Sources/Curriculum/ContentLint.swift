import CairnCore
import Foundation

/// Checks that keep authoring honest. They find content that parses but teaches or
/// measures badly, so they are warnings: reported by `cairn content validate`, never
/// blocking a start.
enum ContentLint {
    static func check(_ course: Course, into sink: DiagnosticSink) {
        for lesson in course.lessons.values.sorted(by: { $0.id < $1.id }) where lesson.interactions.isEmpty {
            sink.warning(lesson.sourcePath, 1, "lesson '\(lesson.id)' has no check or task; learners only read it")
        }
        let all = course.practice + course.items
        var stems: [String: Interaction] = [:]
        for interaction in all {
            keyInFirstHint(interaction, sink)
            keyIsLongest(interaction, sink)
            missingFeedback(interaction, sink)
            let stem = normalised(interaction.prompt)
            if let first = stems[stem] {
                sink.warning(interaction.file, interaction.line, "\(interaction.kind.rawValue) '\(interaction.id)' has the same prompt as '\(first.id)' (\(first.file):\(first.line)); reword one of them")
            } else {
                stems[stem] = interaction
            }
        }
    }

    /// The first hint is a nudge: it must not hand over the answer.
    static func keyInFirstHint(_ interaction: Interaction, _ sink: DiagnosticSink) {
        guard let hint = interaction.hints.first.map(normalised) else { return }
        let keys: [String]
        switch interaction.content {
        case .singleChoice, .multipleChoice:
            let (options, correct) = interaction.content.choiceKeys ?? ([], [])
            keys = options.filter { correct.contains($0.id) }.map(\.text)
        case let .numeric(answer, _, _):
            keys = [answer.rounded() == answer ? String(Int(answer)) : String(answer)]
        case let .shortText(_, reference), let .promptWriting(_, _, reference):
            keys = [reference]
        default:
            keys = []
        }
        for key in keys.map(normalised) where !key.isEmpty && containsWord(hint, key) {
            sink.warning(interaction.file, interaction.line, "the first hint of '\(interaction.id)' contains its answer ('\(key.prefix(60))'); make the first hint a nudge")
        }
    }

    /// Test-wise learners pick the longest option; a key that stands out by length is a flaw.
    static func keyIsLongest(_ interaction: Interaction, _ sink: DiagnosticSink) {
        guard case let .singleChoice(options, answer) = interaction.content, options.count >= 3,
              let key = options.first(where: { $0.id == answer })
        else { return }
        let longestOther = options.filter { $0.id != answer }.map(\.text.count).max() ?? 0
        if Double(key.text.count) >= 1.3 * Double(longestOther) {
            sink.warning(interaction.file, interaction.line, "the key of '\(interaction.id)' is by far its longest option, which gives it away; even out the option lengths")
        }
    }

    /// Every graded interaction says something specific when the learner gets it wrong.
    static func missingFeedback(_ interaction: Interaction, _ sink: DiagnosticSink) {
        guard interaction.kind != .item else { return }
        var missing: [String] = []
        if interaction.explanation == nil { missing.append("explanation") }
        switch interaction.content {
        case .singleChoice, .multipleChoice:
            guard let (options, keys) = interaction.content.choiceKeys else { break }
            let silent = options.filter { !keys.contains($0.id) && $0.feedback == nil }.map(\.id)
            if !silent.isEmpty { missing.append("feedback for wrong option\(silent.count == 1 ? "" : "s") \(silent.joined(separator: ", "))") }
        case let .shortText(rubric, _), let .promptWriting(_, rubric, _):
            let silent = rubric.filter { $0.feedbackUnmet == nil }.map(\.id)
            if !silent.isEmpty { missing.append("feedback_unmet for criteria \(silent.joined(separator: ", "))") }
        default:
            break
        }
        if !missing.isEmpty {
            sink.warning(interaction.file, interaction.line, "\(interaction.kind.rawValue) '\(interaction.id)' has no \(missing.joined(separator: " and no ")); learners who get it wrong are not told why")
        }
    }

    static func normalised(_ text: String) -> String {
        text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).joined(separator: " ")
    }

    /// Whether `needle` occurs in `haystack` on word boundaries (both normalised).
    static func containsWord(_ haystack: String, _ needle: String) -> Bool {
        (" " + haystack + " ").contains(" " + needle + " ")
    }
}

extension InteractionContent {
    /// The options of a choice question and the ids of its correct ones.
    fileprivate var choiceKeys: (options: [Choice], keys: Set<String>)? {
        switch self {
        case let .singleChoice(options, answer): (options, [answer])
        case let .multipleChoice(options, answers): (options, Set(answers))
        default: nil
        }
    }
}
