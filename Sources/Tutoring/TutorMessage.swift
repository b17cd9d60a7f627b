import CairnCore
import Foundation

/// What the tutor (or the learner) says, as structured blocks rather than HTML or Markdown
/// with the learner's words pasted in: the page renders each piece with the right escaping,
/// so a learner's `<script>` or `**` is shown as typed, never interpreted.
public struct TutorMessage: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// A section of lesson text.
        case passage
        /// A check or task to answer.
        case task
        /// The learner's submitted answer, as they gave it.
        case answer
        /// The tutor's reply to an answer.
        case feedback
        case hint
        /// A free question from the learner.
        case question
        /// The tutor's answer to a free question.
        case reply
        /// Anything else the tutor says (welcome, mode changes, lesson complete).
        case note
        /// The model-backed tutor's conversational reply to an answer or a question, after the
        /// built-in one.
        case coaching
        /// What a language model wrote when given the learner's prompt (the practice space).
        case practice
    }

    public var kind: Kind
    public var blocks: [Block]
    /// Set on `task` messages and on replies about one task.
    public var interaction: InteractionID?
    /// The actions to offer under this message.
    public var actions: [Action]

    public init(kind: Kind, blocks: [Block], interaction: InteractionID? = nil, actions: [Action] = []) {
        self.kind = kind
        self.blocks = blocks
        self.interaction = interaction
        self.actions = actions
    }

    /// The message as plain text (for the JSON API, logs and tests).
    public var plainText: String {
        blocks.map(\.plainText).joined(separator: "\n")
    }
}

public enum Block: Sendable, Equatable, Codable {
    /// Course text written by an author (trusted Markdown).
    case courseMarkdown(String)
    case paragraph([Inline])
    case bullets([[Inline]])
    /// A heading inside a message (e.g. "Why this works").
    case heading(String)

    public var plainText: String {
        switch self {
        case let .courseMarkdown(text): text
        case let .paragraph(inlines): inlines.map(\.plainText).joined()
        case let .bullets(items): items.map { "- " + $0.map(\.plainText).joined() }.joined(separator: "\n")
        case let .heading(text): text
        }
    }
}

public enum Inline: Sendable, Equatable, Codable {
    case text(String)
    case strong(String)
    /// The learner's own words, shown as a quotation.
    case learnerWords(String)
    /// A link to a lesson, at a section when `anchor` is given.
    case lessonLink(title: String, lesson: LessonID, anchor: String?)
    /// A link that opens a lesson's conversation with one task set again.
    case practiceLink(title: String, lesson: LessonID, interaction: InteractionID)

    public var plainText: String {
        switch self {
        case let .text(text), let .strong(text): text
        case let .learnerWords(text): "“\(text)”"
        case let .lessonLink(title, _, _), let .practiceLink(title, _, _): title
        }
    }
}

/// A button the page offers under a message.
public enum Action: String, Sendable, Equatable, Codable {
    case `continue`
    case hint
    case showText = "show_text"
}
