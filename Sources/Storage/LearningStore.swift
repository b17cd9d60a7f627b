import AppServices
import CairnCore
import Foundation
import SQLKit

// The statements every chat action runs are written out rather than built: a builder
// re-serialises its whole expression tree on each call, which cost a fifth of a graded
// submission's time. What an answer reads and writes are fixed `Statement`s (Statements.swift);
// the rest are SQLKit query strings. The SQL is plain and portable (lower-case names, no
// quoting needed) and binds stay placeholders of the dialect.
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
            try await db.raw("""
                SELECT * FROM conversations
                WHERE user_id = \(bind: user.rawValue) AND course_id = \(bind: course.rawValue) AND lesson_id = \(bind: lesson.rawValue)
                """).first(decoding: ConversationRow.self)?.domain()
        }
    }

    public func conversationWithLastSequence(user: UserID, course: CourseID, lesson: LessonID) async throws -> (Conversation, Int)? {
        try await withReader { db in try await Self.conversationWithLastSequence(user: user, course: course, lesson: lesson, db: db) }
    }

    static let conversationWithLastSequence = Statement("""
        SELECT id, user_id, course_id, lesson_id, course_version, mode, created_at, updated_at,
            (SELECT MAX(seq) FROM chat_messages WHERE chat_messages.conversation_id = conversations.id) AS last_seq
        FROM conversations WHERE user_id = ? AND course_id = ? AND lesson_id = ?
        """)

    /// The conversation with the sequence number of its last message (0 when it has none).
    static func conversationWithLastSequence(user: UserID, course: CourseID, lesson: LessonID,
                                             db: any SQLDatabase) async throws -> (Conversation, Int)? {
        let values: [StatementValue] = [.text(user.rawValue), .text(course.rawValue), .text(lesson.rawValue)]
        guard let row = try await db.rows(conversationWithLastSequence, values).first else { return nil }
        let conversation = try ConversationRow(
            id: row.string(0), user_id: row.string(1), course_id: row.string(2), lesson_id: row.string(3), course_version: row.string(4),
            mode: row.string(5), created_at: row.int64(6), updated_at: row.int64(7)
        ).domain()
        return (conversation, try row.optional(8, row.int) ?? 0)
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

    /// The insert of `count` messages (a chat action adds one to a handful).
    static func appendMessages(count: Int) -> Statement {
        if count < appendStatements.count { return appendStatements[count] }
        return makeAppend(count: count)
    }

    private static let appendStatements = (0 ..< 9).map(makeAppend)

    private static func makeAppend(count: Int) -> Statement {
        Statement("INSERT INTO chat_messages (conversation_id, seq, author, kind, step, interaction_id, payload, created_at) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", "))
    }

    public func appendMessages(_ messages: [ChatMessageRecord]) async throws {
        guard !messages.isEmpty else { return }
        var values: [StatementValue] = []
        values.reserveCapacity(messages.count * 8)
        for message in messages {
            values += [
                .text(message.conversationID.rawValue), .integer(message.sequence), .text(message.author.rawValue), .text(message.kind),
                .text(message.step), .text(message.interactionID?.rawValue), .text(message.payload), .integer(Int(message.createdAt.epochMilliseconds)),
            ]
        }
        try await withDatabase { db in try await db.run(Self.appendMessages(count: messages.count), values) }
    }

    public func lastSequence(in conversation: ConversationID) async throws -> Int {
        struct Last: Decodable { var last: Int? }
        return try await withReader { db in
            try await db.raw("SELECT MAX(seq) AS last FROM chat_messages WHERE conversation_id = \(bind: conversation.rawValue)")
                .first(decoding: Last.self)?.last ?? 0
        }
    }

    // MARK: attempts

    static let insertAttempt = Statement("""
        INSERT INTO attempts (id, user_id, course_id, course_version, lesson_id, interaction_id, context, answer, score, max_score,
            passed, result, hints_used, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """)
    static let countAttempt = Statement("""
        INSERT INTO task_progress (user_id, course_id, interaction_id, attempts, passed, hint_level, updated_at)
        VALUES (?, ?, ?, 1, ?, 0, ?)
        ON CONFLICT (user_id, course_id, interaction_id) DO UPDATE SET
            attempts = task_progress.attempts + 1, passed = task_progress.passed OR excluded.passed, updated_at = excluded.updated_at
        """)

    /// Stores the attempt and counts it in the learner's progress on the task, together.
    public func insertAttempt(_ attempt: AttemptRecord) async throws {
        let row = AttemptRow(attempt)
        try await withTransaction { db in
            try await db.run(Self.insertAttempt, [
                .text(row.id), .text(row.user_id), .text(row.course_id), .text(row.course_version), .text(row.lesson_id),
                .text(row.interaction_id), .text(row.context), .text(row.answer), .real(row.score), .real(row.max_score),
                .boolean(row.passed), .text(row.result), .integer(row.hints_used), .integer(Int(row.created_at)),
            ])
            try await db.run(Self.countAttempt, [
                .text(row.user_id), .text(row.course_id), .text(row.interaction_id), .boolean(row.passed), .integer(Int(row.created_at)),
            ])
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
            try await db.raw("""
                SELECT interaction_id, attempts, passed FROM task_progress
                WHERE user_id = \(bind: user.rawValue) AND course_id = \(bind: course.rawValue) AND attempts > 0
                """).all(decoding: Row.self)
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
            try await db.raw("""
                SELECT hint_level FROM task_progress
                WHERE user_id = \(bind: user.rawValue) AND course_id = \(bind: course.rawValue) AND interaction_id = \(bind: interaction.rawValue)
                """).first(decoding: Level.self)?.hint_level ?? 0
        }
    }

    // MARK: mastery

    public func mastery(user: UserID, course: CourseID) async throws -> [SkillMastery] {
        try await withReader { db in try await Self.mastery(user: user, course: course, db: db) }
    }

    static let mastery = Statement("""
        SELECT skill_id, probability, observations, updated_at FROM skill_mastery WHERE user_id = ? AND course_id = ? ORDER BY skill_id
        """)

    static func mastery(user: UserID, course: CourseID, db: any SQLDatabase) async throws -> [SkillMastery] {
        try await db.rows(mastery, [.text(user.rawValue), .text(course.rawValue)]).map { row in
            SkillMastery(userID: user, courseID: course, skillID: SkillID(rawValue: try row.string(0)), probability: try row.double(1),
                         observations: try row.int(2), updatedAt: .init(epochMilliseconds: try row.int64(3)))
        }
    }

    public func saveMastery(_ mastery: [SkillMastery]) async throws {
        guard !mastery.isEmpty else { return }
        let rows: [SQLQueryString] = mastery.map { mastery in
            let row = SkillMasteryRow(mastery)
            return """
                (\(bind: row.user_id), \(bind: row.course_id), \(bind: row.skill_id), \(bind: row.probability), \(bind: row.observations), \
                \(bind: row.updated_at))
                """
        }
        try await withDatabase { db in
            try await db.raw("""
                INSERT INTO skill_mastery (user_id, course_id, skill_id, probability, observations, updated_at)
                VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (user_id, course_id, skill_id) DO UPDATE SET
                    probability = excluded.probability, observations = excluded.observations, updated_at = excluded.updated_at
                """).run()
        }
    }

    // MARK: answering

    static let snapshotProgress = Statement("""
        SELECT interaction_id, attempts, passed, hint_level FROM task_progress WHERE user_id = ? AND course_id = ?
        """)

    public func chatSnapshot(user: UserID, course: CourseID, lesson: LessonID) async throws -> ChatSnapshot? {
        // One read transaction: the three reads see the same moment. Whatever changes after
        // it is caught when the answer is stored (a message numbered twice, a mastery row
        // moved on), and the answer is worked out again.
        try await withReadTransaction { db in try await Self.snapshot(user: user, course: course, lesson: lesson, db: db) }
    }

    private static func snapshot(user: UserID, course: CourseID, lesson: LessonID, db: any SQLDatabase) async throws -> ChatSnapshot? {
        guard let (conversation, last) = try await conversationWithLastSequence(user: user, course: course, lesson: lesson, db: db) else { return nil }
        var snapshot = ChatSnapshot(conversation: conversation, lastSequence: last, tally: [:], hintLevels: [:], mastery: [:])
        for row in try await db.rows(snapshotProgress, [.text(user.rawValue), .text(course.rawValue)]) {
            let interaction = InteractionID(rawValue: try row.string(0))
            let attempts = try row.int(1)
            if attempts > 0 { snapshot.tally[interaction] = AttemptTally(attempts: attempts, passed: try row.bool(2)) }
            let hints = try row.int(3)
            if hints > 0 { snapshot.hintLevels[interaction] = hints }
        }
        for mastery in try await mastery(user: user, course: course, db: db) { snapshot.mastery[mastery.skillID] = mastery }
        return snapshot
    }

    public func recordAnswer(_ write: AnswerWrite) async throws {
        try await withSharedTransaction { store in
            try await store.insertAttempt(write.attempt)
            try await store.appendMessages(write.messages)
            try await store.advanceMastery(write.mastery)
        }
    }

    static let firstMastery = Statement("""
        INSERT INTO skill_mastery (user_id, course_id, skill_id, probability, observations, updated_at) VALUES (?, ?, ?, ?, ?, ?)
        """)
    static let nextMastery = Statement("""
        UPDATE skill_mastery SET probability = ?, observations = ?, updated_at = ?
        WHERE user_id = ? AND course_id = ? AND skill_id = ? AND observations = ?
        RETURNING skill_id
        """)

    /// Stores new mastery values, each only over the row it was computed from.
    func advanceMastery(_ mastery: [SkillMastery]) async throws {
        guard !mastery.isEmpty else { return }
        try await withDatabase { db in
            for mastery in mastery {
                let key: [StatementValue] = [.text(mastery.userID.rawValue), .text(mastery.courseID.rawValue), .text(mastery.skillID.rawValue)]
                let updatedAt = StatementValue.integer(Int(mastery.updatedAt.epochMilliseconds))
                if mastery.observations <= 1 {
                    // The first observation: a row that appeared meanwhile is a key conflict.
                    try await db.run(Self.firstMastery, key + [.real(mastery.probability), .integer(mastery.observations), updatedAt])
                } else {
                    let updated = try await db.rows(Self.nextMastery, [.real(mastery.probability), .integer(mastery.observations), updatedAt]
                        + key + [.integer(mastery.observations - 1)])
                    guard !updated.isEmpty else {
                        throw StoreError.conflict("skill_mastery \(mastery.skillID) changed since it was read")
                    }
                }
            }
        }
    }
}
