import Foundation

/// How the tutor presents a lesson; the learner can switch at any time.
public enum LearningMode: String, Sendable, Codable, CaseIterable {
    /// The tutor leads: a section of text, then its task, step by step.
    case conversational
    /// The whole lesson text first, then the tasks one by one.
    case readFirst = "read_first"
    /// Tasks straight away, with the text on demand.
    case practiceFirst = "practice_first"

    public var displayName: String {
        switch self {
        case .conversational: "Conversational"
        case .readFirst: "Read first"
        case .practiceFirst: "Practice first"
        }
    }
}

/// One conversation per learner and lesson, kept so that it resumes on any device.
public struct Conversation: Sendable, Equatable, Codable {
    public var id: ConversationID
    public var userID: UserID
    public var courseID: CourseID
    public var lessonID: LessonID
    public var courseVersion: String
    public var mode: LearningMode
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: ConversationID, userID: UserID, courseID: CourseID, lessonID: LessonID, courseVersion: String, mode: LearningMode, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.userID = userID
        self.courseID = courseID
        self.lessonID = lessonID
        self.courseVersion = courseVersion
        self.mode = mode
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One message of a conversation as stored. `payload` is the tutor's structured message
/// (JSON), which the application layer encodes and decodes.
public struct ChatMessageRecord: Sendable, Equatable, Codable {
    public enum Author: String, Sendable, Codable { case tutor, learner }

    public var conversationID: ConversationID
    /// Position in the conversation, from 1.
    public var sequence: Int
    public var author: Author
    /// What kind of message it is (passage, task, answer, feedback, hint, question, reply, note).
    public var kind: String
    /// The lesson step it delivers ("p3" for the fourth passage, "t:ID" for a task), if any.
    public var step: String?
    public var interactionID: InteractionID?
    public var payload: String
    public var createdAt: Date

    public init(conversationID: ConversationID, sequence: Int, author: Author, kind: String, step: String?, interactionID: InteractionID?, payload: String, createdAt: Date) {
        self.conversationID = conversationID
        self.sequence = sequence
        self.author = author
        self.kind = kind
        self.step = step
        self.interactionID = interactionID
        self.payload = payload
        self.createdAt = createdAt
    }
}

/// Where an attempt was made.
public enum AttemptContext: String, Sendable, Codable {
    case practice
    case exam
}

/// One graded attempt, stored append-only: the source for analytics, calibration and export.
public struct AttemptRecord: Sendable, Equatable, Codable {
    public var id: AttemptID
    public var userID: UserID
    public var courseID: CourseID
    public var courseVersion: String
    public var lessonID: LessonID?
    public var interactionID: InteractionID
    public var context: AttemptContext
    /// The answer as submitted (JSON).
    public var answer: String
    public var score: Double
    public var maxScore: Double
    public var passed: Bool
    /// The full grading result (JSON).
    public var result: String
    public var hintsUsed: Int
    public var createdAt: Date

    public init(id: AttemptID, userID: UserID, courseID: CourseID, courseVersion: String, lessonID: LessonID?, interactionID: InteractionID, context: AttemptContext, answer: String, score: Double, maxScore: Double, passed: Bool, result: String, hintsUsed: Int, createdAt: Date) {
        self.id = id
        self.userID = userID
        self.courseID = courseID
        self.courseVersion = courseVersion
        self.lessonID = lessonID
        self.interactionID = interactionID
        self.context = context
        self.answer = answer
        self.score = score
        self.maxScore = maxScore
        self.passed = passed
        self.result = result
        self.hintsUsed = hintsUsed
        self.createdAt = createdAt
    }
}

/// A learner's estimated probability of knowing one skill.
public struct SkillMastery: Sendable, Equatable, Codable {
    public var userID: UserID
    public var courseID: CourseID
    public var skillID: SkillID
    public var probability: Double
    /// Graded attempts that updated it.
    public var observations: Int
    public var updatedAt: Date

    public init(userID: UserID, courseID: CourseID, skillID: SkillID, probability: Double, observations: Int, updatedAt: Date) {
        self.userID = userID
        self.courseID = courseID
        self.skillID = skillID
        self.probability = probability
        self.observations = observations
        self.updatedAt = updatedAt
    }
}
