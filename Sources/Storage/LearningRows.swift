import AppServices
import CairnCore
import Foundation

// Rows of the learning-loop tables, mapped to CairnCore values at the edge.

struct ConversationRow: Codable {
    var id: String
    var user_id: String
    var course_id: String
    var lesson_id: String
    var course_version: String
    var mode: String
    var created_at: Int64
    var updated_at: Int64

    init(id: String, user_id: String, course_id: String, lesson_id: String, course_version: String, mode: String, created_at: Int64, updated_at: Int64) {
        self.id = id
        self.user_id = user_id
        self.course_id = course_id
        self.lesson_id = lesson_id
        self.course_version = course_version
        self.mode = mode
        self.created_at = created_at
        self.updated_at = updated_at
    }

    init(_ conversation: Conversation) {
        id = conversation.id.rawValue
        user_id = conversation.userID.rawValue
        course_id = conversation.courseID.rawValue
        lesson_id = conversation.lessonID.rawValue
        course_version = conversation.courseVersion
        mode = conversation.mode.rawValue
        created_at = conversation.createdAt.epochMilliseconds
        updated_at = conversation.updatedAt.epochMilliseconds
    }

    func domain() throws -> Conversation {
        guard let mode = LearningMode(rawValue: mode) else {
            throw StoreError.unavailable("conversations row \(id) holds an unknown mode '\(mode)'")
        }
        return Conversation(
            id: ConversationID(rawValue: id), userID: UserID(rawValue: user_id), courseID: CourseID(rawValue: course_id),
            lessonID: LessonID(rawValue: lesson_id), courseVersion: course_version, mode: mode,
            createdAt: .init(epochMilliseconds: created_at), updatedAt: .init(epochMilliseconds: updated_at)
        )
    }
}

struct ChatMessageRow: Codable {
    var conversation_id: String
    var seq: Int
    var author: String
    var kind: String
    var step: String?
    var interaction_id: String?
    var payload: String
    var created_at: Int64

    init(_ message: ChatMessageRecord) {
        conversation_id = message.conversationID.rawValue
        seq = message.sequence
        author = message.author.rawValue
        kind = message.kind
        step = message.step
        interaction_id = message.interactionID?.rawValue
        payload = message.payload
        created_at = message.createdAt.epochMilliseconds
    }

    func domain() throws -> ChatMessageRecord {
        guard let author = ChatMessageRecord.Author(rawValue: author) else {
            throw StoreError.unavailable("chat_messages row \(conversation_id)/\(seq) holds an unknown author '\(author)'")
        }
        return ChatMessageRecord(
            conversationID: ConversationID(rawValue: conversation_id), sequence: seq, author: author, kind: kind, step: step,
            interactionID: interaction_id.map(InteractionID.init(rawValue:)), payload: payload, createdAt: .init(epochMilliseconds: created_at)
        )
    }
}

struct AttemptRow: Codable {
    var id: String
    var user_id: String
    var course_id: String
    var course_version: String
    var lesson_id: String?
    var interaction_id: String
    var context: String
    var answer: String
    var score: Double
    var max_score: Double
    var passed: Bool
    var result: String
    var hints_used: Int
    var created_at: Int64

    init(_ attempt: AttemptRecord) {
        id = attempt.id.rawValue
        user_id = attempt.userID.rawValue
        course_id = attempt.courseID.rawValue
        course_version = attempt.courseVersion
        lesson_id = attempt.lessonID?.rawValue
        interaction_id = attempt.interactionID.rawValue
        context = attempt.context.rawValue
        answer = attempt.answer
        score = attempt.score
        max_score = attempt.maxScore
        passed = attempt.passed
        result = attempt.result
        hints_used = attempt.hintsUsed
        created_at = attempt.createdAt.epochMilliseconds
    }

    func domain() throws -> AttemptRecord {
        guard let context = AttemptContext(rawValue: context) else {
            throw StoreError.unavailable("attempts row \(id) holds an unknown context '\(context)'")
        }
        return AttemptRecord(
            id: AttemptID(rawValue: id), userID: UserID(rawValue: user_id), courseID: CourseID(rawValue: course_id),
            courseVersion: course_version, lessonID: lesson_id.map(LessonID.init(rawValue:)),
            interactionID: InteractionID(rawValue: interaction_id), context: context, answer: answer, score: score,
            maxScore: max_score, passed: passed, result: result, hintsUsed: hints_used, createdAt: .init(epochMilliseconds: created_at)
        )
    }
}

struct HintRequestRow: Codable {
    var user_id: String
    var course_id: String
    var interaction_id: String
    var level: Int
    var created_at: Int64
}

/// A mastery row as written (it is read back by `SQLStore.mastery`, column by column).
struct SkillMasteryRow {
    var user_id: String
    var course_id: String
    var skill_id: String
    var probability: Double
    var observations: Int
    var updated_at: Int64

    init(_ mastery: SkillMastery) {
        user_id = mastery.userID.rawValue
        course_id = mastery.courseID.rawValue
        skill_id = mastery.skillID.rawValue
        probability = mastery.probability
        observations = mastery.observations
        updated_at = mastery.updatedAt.epochMilliseconds
    }
}
