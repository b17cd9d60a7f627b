import AppServices
import CairnCore
import Foundation
import SQLKit

struct ExamSessionRow: Codable {
    var id: String
    var user_id: String
    var course_id: String
    var course_version: String
    var mode: String
    var status: String
    var seed: Int64
    var form: String
    var started_at: Int64
    var deadline_at: Int64
    var finished_at: Int64?
    var result: String?

    init(_ session: ExamSession) throws {
        id = session.id.rawValue
        user_id = session.userID.rawValue
        course_id = session.courseID.rawValue
        course_version = session.courseVersion
        mode = session.mode.rawValue
        status = session.status.rawValue
        seed = Int64(bitPattern: session.seed)
        form = String(decoding: try JSONEncoder().encode(session.form.map(\.rawValue)), as: UTF8.self)
        started_at = session.startedAt.epochMilliseconds
        deadline_at = session.deadline.epochMilliseconds
        finished_at = session.finishedAt?.epochMilliseconds
        result = try session.result.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
    }

    func domain() throws -> ExamSession {
        guard let mode = ExamMode(rawValue: mode), let status = ExamStatus(rawValue: status) else {
            throw StoreError.unavailable("exam_sessions row \(id) holds an unknown mode '\(mode)' or status '\(status)'")
        }
        let form: [String]
        let outcome: ExamOutcome?
        do {
            form = try JSONDecoder().decode([String].self, from: Data(self.form.utf8))
            outcome = try result.map { try JSONDecoder().decode(ExamOutcome.self, from: Data($0.utf8)) }
        } catch {
            throw StoreError.unavailable("exam_sessions row \(id) holds a form or result that is not valid JSON: \(error)")
        }
        return ExamSession(
            id: ExamSessionID(rawValue: id), userID: UserID(rawValue: user_id), courseID: CourseID(rawValue: course_id),
            courseVersion: course_version, mode: mode, status: status, seed: UInt64(bitPattern: seed),
            form: form.map(InteractionID.init(rawValue:)), startedAt: Date(epochMilliseconds: started_at),
            deadline: Date(epochMilliseconds: deadline_at), finishedAt: finished_at.map(Date.init(epochMilliseconds:)), result: outcome
        )
    }
}

struct ExamResponseRow: Codable {
    var session_id: String
    var position: Int
    var interaction_id: String
    var presented_at: Int64
    var answer: String?
    var score: Double?
    var max_score: Double?
    var result: String?
    var answered_at: Int64?

    init(session_id: String, position: Int, interaction_id: String, presented_at: Int64, answer: String?, score: Double?, max_score: Double?,
         result: String?, answered_at: Int64?) {
        self.session_id = session_id
        self.position = position
        self.interaction_id = interaction_id
        self.presented_at = presented_at
        self.answer = answer
        self.score = score
        self.max_score = max_score
        self.result = result
        self.answered_at = answered_at
    }

    init(_ response: ExamResponse) {
        session_id = response.sessionID.rawValue
        position = response.position
        interaction_id = response.interactionID.rawValue
        presented_at = response.presentedAt.epochMilliseconds
        answer = response.answer
        score = response.score
        max_score = response.maxScore
        result = response.result
        answered_at = response.answeredAt?.epochMilliseconds
    }

    func domain() -> ExamResponse {
        ExamResponse(
            sessionID: ExamSessionID(rawValue: session_id), position: position, interactionID: InteractionID(rawValue: interaction_id),
            presentedAt: Date(epochMilliseconds: presented_at), answer: answer, score: score, maxScore: max_score, result: result,
            answeredAt: answered_at.map(Date.init(epochMilliseconds:))
        )
    }
}

struct ExamEventRow: Codable {
    var id: String
    var session_id: String
    var kind: String
    var detail: String
    var seq: Int
    var created_at: Int64

    func domain() throws -> ExamEvent {
        guard let kind = ExamEventKind(rawValue: kind) else {
            throw StoreError.unavailable("exam_events row \(id) holds an unknown kind '\(kind)'")
        }
        return ExamEvent(sessionID: ExamSessionID(rawValue: session_id), kind: kind, detail: detail, at: Date(epochMilliseconds: created_at))
    }
}

extension SQLStore {
    public func insertExamSession(_ session: ExamSession) async throws {
        let row = try ExamSessionRow(session)
        try await withDatabase { db in try await db.insert(into: "exam_sessions").model(row).run() }
    }

    public func examSession(id: ExamSessionID) async throws -> ExamSession? {
        try await withReader { db in
            try await db.raw("SELECT * FROM exam_sessions WHERE id = \(bind: id.rawValue)").first(decoding: ExamSessionRow.self)?.domain()
        }
    }

    public func activeExamSession(user: UserID) async throws -> ExamSession? {
        try await withReader { db in
            try await db.raw("SELECT * FROM exam_sessions WHERE user_id = \(bind: user.rawValue) AND status = 'active'")
                .first(decoding: ExamSessionRow.self)?.domain()
        }
    }

    public func examSessions(user: UserID, course: CourseID) async throws -> [ExamSession] {
        try await withReader { db in
            try await db.raw("""
                SELECT * FROM exam_sessions WHERE user_id = \(bind: user.rawValue) AND course_id = \(bind: course.rawValue)
                ORDER BY started_at, id
                """).all(decoding: ExamSessionRow.self).map { try $0.domain() }
        }
    }

    public func finishExamSession(id: ExamSessionID, status: ExamStatus, result: ExamOutcome, at date: Date) async throws -> Bool {
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        return try await withDatabase { db in
            let rows = try await db.raw("""
                UPDATE exam_sessions SET status = \(bind: status.rawValue), result = \(bind: json), finished_at = \(bind: date.epochMilliseconds)
                WHERE id = \(bind: id.rawValue) AND status = 'active'
                RETURNING id
                """).all()
            return !rows.isEmpty
        }
    }

    /// Stores the shown item and, for an adaptive sitting, counts it in the item's exposure.
    ///
    /// Two statements, not one transaction: the response's key (sitting, position) decides
    /// which of two parallel requests shows an item, and only the one stored is counted. The
    /// count is a single upsert of its own: every sitting showing a popular item updates the
    /// same row, which inside a SERIALIZABLE transaction on PostgreSQL would make parallel
    /// sittings fail and retry; on its own each waits only for the row's lock. Should the
    /// count fail after the response is stored, the item is under-counted by one, which
    /// exposure control (a rate over many sittings) tolerates.
    public func insertExamResponse(_ response: ExamResponse) async throws {
        let row = ExamResponseRow(response)
        try await withDatabase { db in
            try await db.insert(into: "exam_responses").model(row).run()
        }
        try await withDatabase { db in
            try await db.raw("""
                INSERT INTO exam_item_exposure (course_id, interaction_id, shown)
                SELECT course_id, \(bind: row.interaction_id), 1 FROM exam_sessions
                WHERE id = \(bind: row.session_id) AND mode = 'adaptive'
                ON CONFLICT (course_id, interaction_id) DO UPDATE SET shown = exam_item_exposure.shown + 1
                """).run()
        }
    }

    public func recordExamAnswer(_ answered: ExamResponse) async throws -> Bool {
        let row = ExamResponseRow(answered)
        return try await withDatabase { db in
            let rows = try await db.raw("""
                UPDATE exam_responses SET answer = \(bind: row.answer), score = \(bind: row.score), max_score = \(bind: row.max_score),
                    result = \(bind: row.result), answered_at = \(bind: row.answered_at)
                WHERE session_id = \(bind: row.session_id) AND position = \(bind: row.position) AND answered_at IS NULL
                RETURNING position
                """).all()
            return !rows.isEmpty
        }
    }

    public func examResponses(session: ExamSessionID) async throws -> [ExamResponse] {
        try await withReader { db in
            try await db.raw("SELECT * FROM exam_responses WHERE session_id = \(bind: session.rawValue) ORDER BY position")
                .all(decoding: ExamResponseRow.self).map { $0.domain() }
        }
    }

    public func appendExamEvent(_ event: ExamEvent) async throws {
        // In a write transaction: two nodes storing events of one sitting at once must not
        // both take the same next number (on PostgreSQL one of them runs again).
        try await withTransaction { db in
            // seq numbers the sitting's events in the order they were stored.
            try await db.raw("""
                INSERT INTO exam_events (id, session_id, kind, detail, seq, created_at)
                SELECT \(bind: RandomUUID.string()), \(bind: event.sessionID.rawValue), \(bind: event.kind.rawValue), \(bind: event.detail),
                    COALESCE(MAX(seq), 0) + 1, \(bind: event.at.epochMilliseconds)
                FROM exam_events WHERE session_id = \(bind: event.sessionID.rawValue)
                """).run()
        }
    }

    public func examEvents(session: ExamSessionID) async throws -> [ExamEvent] {
        try await withReader { db in
            try await db.raw("SELECT * FROM exam_events WHERE session_id = \(bind: session.rawValue) ORDER BY seq")
                .all(decoding: ExamEventRow.self).map { try $0.domain() }
        }
    }

    public func calibrationResponses(course: CourseID) async throws -> [StoredExamResponse] {
        struct Row: Decodable {
            var session_id: String
            var position: Int
            var interaction_id: String
            var presented_at: Int64
            var answer: String?
            var score: Double?
            var max_score: Double?
            var result: String?
            var answered_at: Int64?
            var user_id: String
            var organisation_id: String?
        }
        return try await withReader { db in
            try await db.raw("""
                SELECT r.session_id, r.position, r.interaction_id, r.presented_at, r.answer, r.score, r.max_score, r.result, r.answered_at,
                    s.user_id, (SELECT MIN(m.organisation_id) FROM memberships m WHERE m.user_id = s.user_id) AS organisation_id
                FROM exam_responses r JOIN exam_sessions s ON s.id = r.session_id
                WHERE s.course_id = \(bind: course.rawValue) AND s.status <> 'active' AND r.answered_at IS NOT NULL
                ORDER BY s.started_at, r.session_id, r.position
                """).all(decoding: Row.self).map { row in
                StoredExamResponse(
                    response: ExamResponseRow(
                        session_id: row.session_id, position: row.position, interaction_id: row.interaction_id, presented_at: row.presented_at,
                        answer: row.answer, score: row.score, max_score: row.max_score, result: row.result, answered_at: row.answered_at
                    ).domain(),
                    userID: UserID(rawValue: row.user_id), organisation: row.organisation_id.map(OrganisationID.init(rawValue:))
                )
            }
        }
    }

    public func recentExamSessions(limit: Int) async throws -> [(ExamSession, String, [ExamEventKind: Int])] {
        struct Count: Decodable {
            var session_id: String
            var kind: String
            var count: Int
        }
        return try await withReader { db in
            let rows = try await db.raw("""
                SELECT exam_sessions.*, users.display_name AS learner FROM exam_sessions JOIN users ON users.id = exam_sessions.user_id
                ORDER BY exam_sessions.started_at DESC, exam_sessions.id LIMIT \(bind: limit)
                """).all()
            let sessions = try rows.map { (try $0.decode(model: ExamSessionRow.self).domain(), try $0.decode(column: "learner", as: String.self)) }
            guard !sessions.isEmpty else { return [] }
            let ids = SQLGroupExpression(sessions.map { SQLBind($0.0.id.rawValue) })
            let counts = try await db.select().column("session_id").column("kind").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count")
                .from("exam_events").where(SQLColumn("session_id"), .in, ids).groupBy("session_id").groupBy("kind")
                .all(decoding: Count.self)
            var bySession: [String: [ExamEventKind: Int]] = [:]
            for count in counts {
                if let kind = ExamEventKind(rawValue: count.kind) { bySession[count.session_id, default: [:]][kind] = count.count }
            }
            return sessions.map { ($0.0, $0.1, bySession[$0.0.id.rawValue] ?? [:]) }
        }
    }

    public func adaptiveExposure(course: CourseID) async throws -> (sessions: Int, shown: [InteractionID: Int]) {
        struct Count: Decodable { var count: Int }
        struct Shown: Decodable {
            var interaction_id: String
            var shown: Int
        }
        return try await withReader { db in
            let sessions = try await db.raw("""
                SELECT COUNT(*) AS count FROM exam_sessions WHERE course_id = \(bind: course.rawValue) AND mode = 'adaptive'
                """).first(decoding: Count.self)?.count ?? 0
            let shown = try await db.raw("SELECT interaction_id, shown FROM exam_item_exposure WHERE course_id = \(bind: course.rawValue)")
                .all(decoding: Shown.self)
            return (sessions, Dictionary(shown.map { (InteractionID(rawValue: $0.interaction_id), $0.shown) }, uniquingKeysWith: +))
        }
    }
}
