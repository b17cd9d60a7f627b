import AppServices
import CairnCore
import Foundation
import Logging
import PostgresKit
import PostgresNIO
import SQLKit
import SQLiteKit

/// The `CairnStore` over SQLKit. Queries use SQLKit's builders, so the same code serves
/// every database SQLKit speaks; only connections, transactions and error codes are per
/// database.
public struct SQLStore: CairnStore {
    enum Executor: Sendable {
        /// SQLite: each call borrows a pooled connection: the writer, or a reader for reads.
        /// Writes that may share a transaction with others go through `batch`.
        case pools(writer: SQLitePool, readers: SQLitePool, batch: GroupCommit)
        /// PostgreSQL: each call borrows a connection from the client's pool.
        case postgres(PostgresClient)
        /// Inside a transaction: every call uses this one connection.
        case pinned(any SQLDatabase)
    }

    let executor: Executor
    let logger: Logger

    /// Runs `body` on the write connection (or the transaction's).
    func withDatabase<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        switch executor {
        case let .pinned(db): try await mapErrors(keepingRetries: true) { try await body(db) }
        case let .pools(writer, _, _): try await borrow(from: writer, body)
        case let .postgres(client): try await borrow(from: client, body)
        }
    }

    /// Runs a read-only `body` on a read connection (or the transaction's), so reads never
    /// queue behind writes.
    func withReader<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        switch executor {
        case let .pinned(db): try await mapErrors(keepingRetries: true) { try await body(db) }
        case let .pools(_, readers, _): try await borrow(from: readers, body)
        case let .postgres(client): try await borrow(from: client, body)
        }
    }

    /// Runs a read-only `body` on a read connection inside one read transaction, so that all
    /// its reads see the same moment (inside a transaction already, it joins that one).
    func withReadTransaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        if case let .pinned(db) = executor { return try await mapErrors(keepingRetries: true) { try await body(db) } }
        return try await withReader { db in try await db.inTransaction(.read) { try await body(db) } }
    }

    private func borrow<T: Sendable>(from pool: SQLitePool, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        let connection: SQLiteHandle
        do {
            connection = try await pool.acquire()
        } catch {
            throw StoreError.unavailable("no database connection: \(error)")
        }
        defer { pool.release(connection) }
        return try await mapErrors { try await body(connection.sql()) }
    }

    private func borrow<T: Sendable>(from client: PostgresClient, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await mapErrors {
            try await client.withConnection { connection in try await body(connection.sql()) }
        }
    }

    /// Turns the database's errors into `StoreError`s. Inside a transaction
    /// (`keepingRetries`), PostgreSQL's "run it again" failures are left as they are for
    /// `withTransaction` to see: the transaction is lost by then, whatever the body does.
    private func mapErrors<T>(keepingRetries: Bool = false, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SQLiteFailure {
            if error.isUniqueViolation { throw StoreError.conflict(error.message) }
            if error.isForeignKeyViolation { throw StoreError.missingReference(error.message) }
            throw StoreError.unavailable(error.message)
        } catch let error as PSQLError {
            if error.mustRetry && keepingRetries { throw error }
            switch error.sqlState {
            case "23505": throw StoreError.conflict(describe(error))
            case "23503": throw StoreError.missingReference(describe(error))
            // Two transactions overlapped and this one lost, more often than it was run
            // again. Not a conflict (callers read that as "someone stored it already"): the
            // database was too busy, and the person may try again.
            case "40001", "40P01": throw StoreError.unavailable("the database was too busy to finish this (\(describe(error))); try again")
            default: throw StoreError.unavailable(describe(error))
            }
        }
    }

    /// Runs `body`, whose writes guard themselves, in a transaction that other calls' bodies
    /// may share (group commit on SQLite): returns once committed, or throws with nothing of
    /// `body` stored. Inside a transaction already, it joins that one.
    func withSharedTransaction(_ body: @escaping @Sendable (SQLStore) async throws -> Void) async throws {
        switch executor {
        case let .pinned(db):
            // Inside the caller's transaction: a savepoint keeps the body all or nothing
            // even if the caller goes on after it fails.
            try await mapErrors(keepingRetries: true) { try await db.run(Statement("SAVEPOINT shared")) }
            do {
                try await body(self)
            } catch {
                try? await db.run(Statement("ROLLBACK TO shared"))
                try? await db.run(Statement("RELEASE shared"))
                throw error
            }
            try await mapErrors(keepingRetries: true) { try await db.run(Statement("RELEASE shared")) }
        case let .pools(_, _, batch):
            let logger = logger
            // The batch's own failures (no connection, a busy lock, a failed commit) are
            // reported as store errors, like those of the body.
            try await mapErrors {
                do {
                    try await batch.run { db in try await body(SQLStore(executor: .pinned(db), logger: logger)) }
                } catch is SQLitePoolError {
                    throw StoreError.unavailable("no database connection: the database is closed")
                }
            }
        case let .postgres(client):
            // Every connection commits on its own on PostgreSQL, so each body has its own
            // transaction, many at once. The bodies guard their own writes (see
            // `TransactionKind.guardedWrite`): a lost race is a key conflict or a guard
            // refusing, which the caller answers by working it out again.
            let logger = logger
            try await mapErrors {
                do {
                    try await Self.transaction(on: client, .guardedWrite) { db in try await body(SQLStore(executor: .pinned(db), logger: logger)) }
                } catch let error as PSQLError where error.mustRetry {
                    // A deadlock between two answers of one learner: the caller works it out again.
                    throw StoreError.conflict(describe(error))
                }
            }
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any CairnStore) async throws -> T) async throws -> T {
        try await withTransaction { db in try await body(SQLStore(executor: .pinned(db), logger: logger)) }
    }

    /// Runs `body` on one connection inside a transaction: committed if it returns,
    /// rolled back if it throws. Inside a transaction already, it joins that one.
    ///
    /// On PostgreSQL the transaction is SERIALIZABLE: when it overlaps another and loses
    /// (SQLSTATE 40001, or a deadlock), it is rolled back and `body` runs again, up to
    /// `Self.serializationRetries` times, so callers see what SQLite's one writer gives.
    func withTransaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        switch executor {
        case let .pinned(db):
            return try await body(db)
        case .pools:
            return try await withDatabase { db in try await db.inTransaction(.write) { try await body(db) } }
        case let .postgres(client):
            var attempt = 0
            while true {
                do {
                    return try await Self.transaction(on: client, .write, body)
                } catch let error as PSQLError where error.mustRetry && attempt < Self.serializationRetries {
                    attempt += 1
                    // A short, growing, random pause, so the transactions that overlapped do not meet again.
                    try await Task.sleep(for: .microseconds(Int.random(in: 0 ... 1_000 << attempt)))
                } catch {
                    return try await mapErrors { throw error }
                }
            }
        }
    }

    static let serializationRetries = 10

    /// One transaction of `kind` on a connection borrowed from the pool; errors as the
    /// database gave them (the callers decide what a lost race means to them).
    private static func transaction<T: Sendable>(
        on client: PostgresClient, _ kind: TransactionKind, _ body: (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await client.withConnection { connection in
            let db = connection.sql()
            return try await db.inTransaction(kind) { try await body(db) }
        }
    }

    /// Runs `body` in a transaction that holds the schema lock: one node at a time, across
    /// every node sharing the database (migrations, and reading the schema version).
    func withSchemaLock<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await withDatabase { db in
            try await db.inTransaction(.schema) {
                if db.dialect.name == "postgresql" {
                    // Waiting for another node's migration, or a long migration itself, is not
                    // a runaway statement: no time-out inside this transaction.
                    try await db.run(Statement("SET LOCAL statement_timeout = 0"))
                    // A transaction-level advisory lock, one per schema (several Cairns may
                    // share a database, each in its own): released at commit or rollback.
                    try await db.run(Statement("SELECT pg_advisory_xact_lock(hashtext(current_schema())) AS locked"))
                }
                return try await body(db)
            }
        }
    }

    public func ping() async throws {
        try await withReader { db in _ = try await db.raw("SELECT 1 AS one").first() }
    }

    // MARK: users

    public func insertUser(_ user: User, passwordHash: String) async throws {
        try await withDatabase { db in try await db.insert(into: "users").model(UserRow(user, passwordHash: passwordHash)).run() }
    }

    public func user(id: UserID) async throws -> User? {
        try await withReader { db in
            // A query string, not a builder: every signed-in request runs this and the next.
            try await db.raw("SELECT * FROM users WHERE id = \(bind: id.rawValue)").first(decoding: UserRow.self)?.domain()
        }
    }

    public func userWithPasswordHash(email: EmailAddress) async throws -> (User, String)? {
        try await withReader { db in
            guard let row = try await db.select().column("*").from("users").where("email", .equal, email.value)
                .first(decoding: UserRow.self)
            else { return nil }
            return (try row.domain(), row.password_hash)
        }
    }

    public func countUsers(role: Role) async throws -> Int {
        try await withReader { db in
            let row = try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count").from("users")
                .where("role", .equal, role.rawValue).first()
            return try row?.decode(column: "count", as: Int.self) ?? 0
        }
    }

    public func setRole(_ role: Role, for user: UserID) async throws {
        try await withDatabase { db in
            try await db.update("users").set("role", to: role.rawValue).where("id", .equal, user.rawValue).run()
        }
    }

    // MARK: sessions

    public func insertSession(_ session: StoredSession) async throws {
        try await withDatabase { db in try await db.insert(into: "sessions").model(SessionRow(session)).run() }
    }

    public func session(id: SessionID) async throws -> StoredSession? {
        try await withReader { db in
            try await db.raw("SELECT * FROM sessions WHERE id = \(bind: id.rawValue)").first(decoding: SessionRow.self)?.domain()
        }
    }

    static let sessionWithUser = Statement("""
        SELECT sessions.id AS s_id, sessions.user_id AS s_user_id, sessions.created_at AS s_created_at,
            sessions.expires_at AS s_expires_at, users.id AS u_id, users.email AS u_email, users.display_name AS u_display_name,
            users.role AS u_role, users.created_at AS u_created_at
        FROM sessions JOIN users ON users.id = sessions.user_id WHERE sessions.id = ?
        """)

    public func sessionWithUser(id: SessionID) async throws -> (StoredSession, User)? {
        try await withReader { db in
            // A fixed statement read by position: every signed-in request makes this look-up.
            guard let row = try await db.rows(Self.sessionWithUser, [.text(id.rawValue)]).first else { return nil }
            let session = SessionRow(id: try row.string(0), user_id: try row.string(1), created_at: try row.int64(2), expires_at: try row.int64(3))
            let user = UserProfileRow(id: try row.string(4), email: try row.string(5), display_name: try row.string(6), role: try row.string(7),
                                      created_at: try row.int64(8))
            return (session.domain(), try user.domain())
        }
    }

    public func deleteSession(id: SessionID) async throws {
        try await withDatabase { db in try await db.delete(from: "sessions").where("id", .equal, id.rawValue).run() }
    }

    public func deleteSessions(expiredBefore date: Date) async throws {
        try await withDatabase { db in
            try await db.delete(from: "sessions").where("expires_at", .lessThan, date.epochMilliseconds).run()
        }
    }

    // MARK: organisations

    public func insertOrganisation(_ organisation: Organisation) async throws {
        try await withDatabase { db in try await db.insert(into: "organisations").model(OrganisationRow(organisation)).run() }
    }

    public func organisation(id: OrganisationID) async throws -> Organisation? {
        try await withReader { db in
            try await db.select().column("*").from("organisations").where("id", .equal, id.rawValue)
                .first(decoding: OrganisationRow.self)?.domain()
        }
    }

    public func insertMembership(_ membership: Membership) async throws {
        try await withDatabase { db in try await db.insert(into: "memberships").model(MembershipRow(membership)).run() }
    }

    public func memberships(of user: UserID) async throws -> [Membership] {
        try await withReader { db in
            try await db.select().column("*").from("memberships").where("user_id", .equal, user.rawValue)
                .orderBy("created_at").all(decoding: MembershipRow.self).map { try $0.domain() }
        }
    }

    public func members(of organisation: OrganisationID) async throws -> [Membership] {
        try await withReader { db in
            try await db.select().column("*").from("memberships").where("organisation_id", .equal, organisation.rawValue)
                .orderBy("created_at").all(decoding: MembershipRow.self).map { try $0.domain() }
        }
    }

    // MARK: enrolments and progress

    public func enrol(_ enrolment: Enrolment) async throws -> Enrolment {
        try await withDatabase { db in
            try await db.insert(into: "enrolments").model(EnrolmentRow(enrolment))
                .ignoringConflicts(with: ["user_id", "course_id"]).run()
            guard let row = try await db.select().column("*").from("enrolments")
                .where("user_id", .equal, enrolment.userID.rawValue).where("course_id", .equal, enrolment.courseID.rawValue)
                .first(decoding: EnrolmentRow.self)
            else { throw StoreError.unavailable("enrolment vanished after insert") }
            return row.domain()
        }
    }

    public func enrolments(of user: UserID) async throws -> [Enrolment] {
        try await withReader { db in
            try await db.select().column("*").from("enrolments").where("user_id", .equal, user.rawValue)
                .orderBy("enrolled_at").all(decoding: EnrolmentRow.self).map { $0.domain() }
        }
    }

    public func recordLessonStarted(_ progress: LessonProgress) async throws {
        try await withDatabase { db in
            try await db.insert(into: "lesson_progress").model(LessonProgressRow(progress))
                .ignoringConflicts(with: ["user_id", "course_id", "lesson_id"]).run()
        }
    }

    public func recordLessonCompleted(user: UserID, course: CourseID, lesson: LessonID, at date: Date) async throws {
        try await withDatabase { db in
            try await db.update("lesson_progress")
                .set("status", to: LessonStatus.completed.rawValue)
                .set("completed_at", to: date.epochMilliseconds)
                .where("user_id", .equal, user.rawValue).where("course_id", .equal, course.rawValue)
                .where("lesson_id", .equal, lesson.rawValue).where("completed_at", .is, SQLLiteral.null)
                .run()
        }
    }

    public func lessonProgress(user: UserID, course: CourseID) async throws -> [LessonProgress] {
        try await withReader { db in
            try await db.select().column("*").from("lesson_progress")
                .where("user_id", .equal, user.rawValue).where("course_id", .equal, course.rawValue)
                .orderBy("started_at").all(decoding: LessonProgressRow.self).map { try $0.domain() }
        }
    }
}
