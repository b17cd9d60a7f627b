import Foundation
import CairnCore
import Curriculum

/// A lesson cut into the steps the tutor delivers: sections of text (at `##` headings) and
/// the checks and tasks between them.
public struct LessonScript: Sendable {
    public enum Step: Sendable, Equatable {
        case passage(index: Int, heading: String, markdown: String)
        case task(InteractionID)

        /// The stable key stored with the message that delivered the step.
        public var key: String {
            switch self {
            case let .passage(index, _, _): "p\(index)"
            case let .task(id): "t:\(id.rawValue)"
            }
        }
    }

    public let lesson: Lesson
    /// Every step in file order.
    public let steps: [Step]

    public init(lesson: Lesson) {
        self.lesson = lesson
        var steps: [Step] = []
        var passageIndex = 0
        for block in lesson.blocks {
            switch block {
            case let .markdown(text):
                for (heading, section) in Self.sections(of: text, title: lesson.title) {
                    steps.append(.passage(index: passageIndex, heading: heading, markdown: section))
                    passageIndex += 1
                }
            case let .interaction(interaction):
                steps.append(.task(interaction.id))
            }
        }
        self.steps = steps
    }

    public var taskIDs: [InteractionID] {
        steps.compactMap { if case let .task(id) = $0 { id } else { nil } }
    }

    /// The steps a mode presents, in its order: text and tasks interleaved (conversational),
    /// all text then the tasks (read first), or the tasks alone (practice first).
    public func order(for mode: LearningMode) -> [Step] {
        switch mode {
        case .conversational: steps
        case .readFirst: steps.filter(\.isPassage) + steps.filter { !$0.isPassage }
        case .practiceFirst: steps.filter { !$0.isPassage }
        }
    }

    /// What the tutor delivers next, given the steps already delivered: in conversational mode
    /// one section and the task that follows it; in read-first mode all remaining text at once;
    /// in practice-first mode the next task. Empty when the lesson is finished.
    public func next(for mode: LearningMode, delivered: Set<String>) -> [Step] {
        let remaining = order(for: mode).filter { !delivered.contains($0.key) }
        guard let first = remaining.first else { return [] }
        switch mode {
        case .conversational:
            if first.isPassage, remaining.count > 1, !remaining[1].isPassage { return [first, remaining[1]] }
            return [first]
        case .readFirst:
            let passages = remaining.prefix { $0.isPassage }
            return passages.isEmpty ? [first] : Array(passages)
        case .practiceFirst:
            return [first]
        }
    }

    /// The first task delivered but never attempted: the learner answers it before moving on.
    public func openTask(delivered: Set<String>, attempted: [InteractionID: some Any]) -> InteractionID? {
        taskIDs.first { delivered.contains(Step.task($0).key) && attempted[$0] == nil }
    }

    /// The text that teaches a task: the sections between the previous task and this one.
    public func passages(before task: InteractionID) -> [Step] {
        guard let index = steps.firstIndex(of: .task(task)) else { return [] }
        var result: [Step] = []
        var cursor = index - 1
        while cursor >= 0, steps[cursor].isPassage {
            result.insert(steps[cursor], at: 0)
            cursor -= 1
        }
        return result
    }

    /// Splits Markdown at `## ` headings (by the rule retrieval uses too); each section keeps
    /// its heading line so it renders as it does in the lesson.
    static func sections(of markdown: String, title: String) -> [(String, String)] {
        MarkdownSections.split(markdown, title: title).compactMap { section in
            let lines = (section.headingLine.map { [$0] } ?? []) + section.lines.map(\.text)
            let text = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : (section.heading, text)
        }
    }
}

extension LessonScript.Step {
    public var isPassage: Bool {
        if case .passage = self { true } else { false }
    }
}
