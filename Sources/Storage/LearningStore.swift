import AppServices
import CairnCore
import Foundation
import SQLKit

extension SQLStore {
    // MARK: conversations

    public func openConversation(_ proposed: Conversation) async throws -> Conversation {
        try await withDatabase { db in
            try await db.insert(into: "conversations").model(ConversationRow(proposed))
                .ignoringConflicts(with: ["user_id", "course_id", "lesson_id"]).run()
            guard let row = try await db.select().column("*").from("conversations")
                .where("user_id", .equal, proposed.userID.rawValue).where("course_id", .equal, proposed.courseID.rawValue)
                .where("lesson_id", .equal, proposed.lessonID.rawValue)
                .first(decoding: ConversationRow.self)
            else { throw StoreError.unavailable("conversation vanished after insert") }
            return try row.domain()
        }
    }

    public func conversation(user: UserID, course: CourseID, lesson: LessonID) async throws -> Conversation? {
        try await withDatabase { db in
            try await db.select().column("*").from("conversations")
                .where("user_id", .equal, user.rawValue).where("course_id", .equal, course.rawValue)
                .where("lesson_id", .equal, lesson.rawValue)
                .first(decoding: ConversationRow.self)?.domain()
        }
    }

    public func setMode(_ mode: LearningMode, of conversation: ConversationID, at date: Date) async throws {
        try await withDatabase { db in
            try await db.update("conversations").set("mode", to: mode.rawValue).set("updated_at", to: date.epochMilliseconds)
                .where("id", .equal, conversation.rawValue).run()
        }
    }

    public func messages(in conversation: ConversationID, after sequence: Int) async throws -> [ChatMessageRecord] {
        try await withDatabase { db in
            try await db.select().column("*").from("chat_messages")
                .where("conversation_id", .equal, conversation.rawValue).where("seq", .greaterThan, sequence)
                .orderBy("seq").all(decoding: ChatMessageRow.self).map { try $0.domain() }
        }
    }

    public func appendMessages(_ messages: [ChatMessageRecord]) async throws {
        guard !messages.isEmpty else { return }
        try await withDatabase { db in
            try await db.insert(into: "chat_messages").models(messages.map(ChatMessageRow.init), nilEncodingStrategy: .asNil).run()
        }
    }

    public func lastSequence(in conversation: ConversationID) async throws -> Int {
        struct Last: Decodable { var last: Int? }
        return try await withDatabase { db in
            try await db.select().column(SQLFunction("MAX", args: SQLIdentifier("seq")), as: "last").from("chat_messages")
                .where("conversation_id", .equal, conversation.rawValue).first(decoding: Last.self)?.last ?? 0
        }
    }

    // MARK: attempts

    public func insertAttempt(_ attempt: AttemptRecord) async throws {
        try await withDatabase { db in try await db.insert(into: "attempts").model(AttemptRow(attempt)).run() }
    }

    public func attempts(user: UserID, course: CourseID) async throws -> [AttemptRecord] {
        try await withDatabase { db in
            try await db.select().column("*").from("attempts")
                .where("user_id", .equal, user.rawValue).where("course_id", .equal, course.rawValue)
                .orderBy("created_at").all(decoding: AttemptRow.self).map { try $0.domain() }
        }
    }

    public func attempts(user: UserID, course: CourseID, interaction: InteractionID) async throws -> [AttemptRecord] {
        try await withDatabase { db in
            try await db.select().column("*").from("attempts")
                .where("user_id", .equal, user.rawValue).where("course_id", .equal, course.rawValue)
                .where("interaction_id", .equal, interaction.rawValue)
                .orderBy("created_at").all(decoding: AttemptRow.self).map { try $0.domain() }
        }
    }

    public func attemptTally(user: UserID, course: CourseID) async throws -> [InteractionID: AttemptTally] {
        struct Row: Decodable {
            var interaction_id: String
            var attempts: Int
            var passed: Int
        }
        let rows = try await withDatabase { db in
            try await db.select().column("interaction_id")
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "attempts")
                .column(SQLFunction("SUM", args: SQLRaw("CASE WHEN passed THEN 1 ELSE 0 END")), as: "passed")
                .from("attempts")
                .where("user_id", .equal, user.rawValue).where("course_id", .equal, course.rawValue)
                .groupBy("interaction_id")
                .all(decoding: Row.self)
        }
        return Dictionary(rows.map { (InteractionID(rawValue: $0.interaction_id), AttemptTally(attempts: $0.attempts, passed: $0.passed > 0)) },
                          uniquingKeysWith: { a, _ in a })
    }

    // MARK: hints

    public func recordHint(user: UserID, course: CourseID, interaction: InteractionID, level: Int, at date: Date) async throws {
        let row = HintRequestRow(
            user_id: user.rawValue, course_id: course.rawValue, interaction_id: interaction.rawValue, level: level,
            created_at: date.epochMilliseconds
        )
        try await withDatabase { db in
            try await db.insert(into: "hint_requests").model(row)
                .ignoringConflicts(with: ["user_id", "course_id", "interaction_id", "level"]).run()
        }
    }

    public func hintLevel(user: UserID, course: CourseID, interaction: InteractionID) async throws -> Int {
        struct Level: Decodable { var level: Int? }
        return try await withDatabase { db in
            try await db.select().column(SQLFunction("MAX", args: SQLIdentifier("level")), as: "level").from("hint_requests")
                .where("user_id", .equal, user.rawValue).where("course_id", .equal, course.rawValue)
                .where("interaction_id", .equal, interaction.rawValue).first(decoding: Level.self)?.level ?? 0
        }
    }

    // MARK: mastery

    public func mastery(user: UserID, course: CourseID) async throws -> [SkillMastery] {
        try await withDatabase { db in
            try await db.select().column("*").from("skill_mastery")
                .where("user_id", .equal, user.rawValue).where("course_id", .equal, course.rawValue)
                .orderBy("skill_id").all(decoding: SkillMasteryRow.self).map { $0.domain() }
        }
    }

    public func saveMastery(_ mastery: [SkillMastery]) async throws {
        guard !mastery.isEmpty else { return }
        try await withDatabase { db in
            try await db.insert(into: "skill_mastery").models(mastery.map(SkillMasteryRow.init))
                .onConflict(with: ["user_id", "course_id", "skill_id"]) { conflict in
                    conflict.set(excludedValueOf: "probability").set(excludedValueOf: "observations")
                        .set(excludedValueOf: "updated_at")
                }
                .run()
        }
    }
}
