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
        try await withReader { db in
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
        try await withReader { db in
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
        return try await withReader { db in
            try await db.select().column(SQLFunction("MAX", args: SQLIdentifier("seq")), as: "last").from("chat_messages")
                .where("conversation_id", .equal, conversation.rawValue).first(decoding: Last.self)?.last ?? 0
        }
    }

    // MARK: attempts

    /// Stores the attempt and counts it in the learner's progress on the task, together.
    public func insertAttempt(_ attempt: AttemptRecord) async throws {
        try await withTransaction { db in
            try await db.insert(into: "attempts").model(AttemptRow(attempt)).run()
            try await db.insert(into: "task_progress")
                .columns("user_id", "course_id", "interaction_id", "attempts", "passed", "hint_level", "updated_at")
                .values(SQLBind(attempt.userID.rawValue), SQLBind(attempt.courseID.rawValue), SQLBind(attempt.interactionID.rawValue),
                        SQLLiteral.numeric("1"), SQLBind(attempt.passed), SQLLiteral.numeric("0"), SQLBind(attempt.createdAt.epochMilliseconds))
                .onConflict(with: ["user_id", "course_id", "interaction_id"]) { conflict in
                    conflict.set(SQLColumn("attempts"), to: SQLRaw("task_progress.attempts + 1"))
                        .set(SQLColumn("passed"), to: SQLRaw("task_progress.passed OR excluded.passed"))
                        .set(excludedValueOf: "updated_at")
                }
                .run()
        }
    }

    public func attempts(user: UserID, course: CourseID) async throws -> [AttemptRecord] {
        try await withReader { db in
            try await db.select().column("*").from("attempts")
                .where("user_id", .equal, user.rawValue).where("course_id", .equal, course.rawValue)
                .orderBy("created_at").all(decoding: AttemptRow.self).map { try $0.domain() }
        }
    }

    public func attempts(user: UserID, course: CourseID, interaction: InteractionID) async throws -> [AttemptRecord] {
        try await withReader { db in
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
            var passed: Bool
        }
        let rows = try await withReader { db in
            try await db.select().columns("interaction_id", "attempts", "passed").from("task_progress")
                .where("user_id", .equal, user.rawValue).where("course_id", .equal, course.rawValue)
                .where("attempts", .greaterThan, 0)
                .all(decoding: Row.self)
        }
        return Dictionary(rows.map { (InteractionID(rawValue: $0.interaction_id), AttemptTally(attempts: $0.attempts, passed: $0.passed)) },
                          uniquingKeysWith: { a, _ in a })
    }

    // MARK: hints

    public func recordHint(user: UserID, course: CourseID, interaction: InteractionID, level: Int, at date: Date) async throws {
        let row = HintRequestRow(
            user_id: user.rawValue, course_id: course.rawValue, interaction_id: interaction.rawValue, level: level,
            created_at: date.epochMilliseconds
        )
        try await withTransaction { db in
            try await db.insert(into: "hint_requests").model(row)
                .ignoringConflicts(with: ["user_id", "course_id", "interaction_id", "level"]).run()
            try await db.insert(into: "task_progress")
                .columns("user_id", "course_id", "interaction_id", "attempts", "passed", "hint_level", "updated_at")
                .values(SQLBind(row.user_id), SQLBind(row.course_id), SQLBind(row.interaction_id),
                        SQLLiteral.numeric("0"), SQLLiteral.boolean(false), SQLBind(level), SQLBind(row.created_at))
                .onConflict(with: ["user_id", "course_id", "interaction_id"]) { conflict in
                    conflict.set(SQLColumn("hint_level"), to: SQLRaw("CASE WHEN excluded.hint_level > task_progress.hint_level THEN excluded.hint_level ELSE task_progress.hint_level END"))
                        .set(excludedValueOf: "updated_at")
                }
                .run()
        }
    }

    public func hintLevel(user: UserID, course: CourseID, interaction: InteractionID) async throws -> Int {
        struct Level: Decodable { var hint_level: Int }
        return try await withReader { db in
            try await db.select().column("hint_level").from("task_progress")
                .where("user_id", .equal, user.rawValue).where("course_id", .equal, course.rawValue)
                .where("interaction_id", .equal, interaction.rawValue).first(decoding: Level.self)?.hint_level ?? 0
        }
    }

    // MARK: mastery

    public func mastery(user: UserID, course: CourseID) async throws -> [SkillMastery] {
        try await withReader { db in
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
