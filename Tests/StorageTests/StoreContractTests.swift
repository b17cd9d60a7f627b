import AppServices
import CairnCore
import Foundation
import Logging
import Storage
import Testing

/// A database the contract runs against: SQLite, or, when `CAIRN_TEST_POSTGRES_URL` names a
/// PostgreSQL server (scripts/test starts one and runs the suite a second time), PostgreSQL.
/// Every test below runs unchanged against either.
enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgresql
    var description: String { rawValue }

    static var allCases: [Backend] { postgresServer == nil ? [.sqlite] : [.postgresql] }

    /// The PostgreSQL server to test against, if any.
    static let postgresServer = ProcessInfo.processInfo.environment["CAIRN_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// A database of its own: a new folder for SQLite, a new schema for PostgreSQL (`directory`
    /// names the folder, or the schema whose database to open again).
    func open(directory: String? = nil) async throws -> (Database, String) {
        let logger = Logger(label: "test")
        switch self {
        case .sqlite:
            let folder = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("cairn-store-\(UUID().uuidString)").path
            return (try await Database.openSQLite(directory: folder, logger: logger), folder)
        case .postgresql:
            let server = try #require(Self.postgresServer, "CAIRN_TEST_POSTGRES_URL is not set")
            let schema = directory ?? "test_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
            let url = try PostgresURL(server + (server.contains("?") ? "&" : "?") + "search_path=" + schema)
            return (try await Database.openPostgreSQL(url: url, poolSize: 4, logger: logger), schema)
        }
    }

    /// A migrated database, closed after `body`.
    func withStore(_ body: (SQLStore, Database) async throws -> Void) async throws {
        let (database, _) = try await open()
        try await database.migrate()
        do {
            try await body(database.store, database)
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }
}

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func makeUser(_ email: String, role: Role = .learner) -> User {
    User(id: .random(), email: EmailAddress(email)!, displayName: email.components(separatedBy: "@")[0], role: role, createdAt: t0)
}

@Suite("Migrations")
struct MigrationTests {
    @Test("an empty database gets every migration, in order", arguments: Backend.allCases)
    func emptyDatabase(_ backend: Backend) async throws {
        let (database, _) = try await backend.open()
        #expect(try await database.schemaVersion() == 0)
        let applied = try await database.migrate()
        #expect(applied.map(\.version) == Migrations.all.map(\.version))
        #expect(try await database.schemaVersion() == Migrations.latestVersion)
        await database.shutdown()
    }

    @Test("an existing database keeps its data and gets only the new migrations", arguments: Backend.allCases)
    func existingDatabase(_ backend: Backend) async throws {
        let (first, folder) = try await backend.open()
        // Stop at migration 2, store a user, then reopen with the full list.
        try await first.migrate(Array(Migrations.all.prefix(2)))
        let user = makeUser("kept@example.org")
        try await first.store.insertUser(user, passwordHash: "hash")
        await first.shutdown()

        let (second, _) = try await backend.open(directory: folder)
        let applied = try await second.migrate()
        #expect(applied.map(\.version) == Array(3...Migrations.latestVersion))
        #expect(try await second.store.user(id: user.id) == user)
        #expect(try await second.migrate().isEmpty)
        await second.shutdown()
    }

    @Test("nodes starting at once apply each migration once", arguments: Backend.allCases)
    func concurrentMigrations(_ backend: Backend) async throws {
        let (first, location) = try await backend.open()
        let (second, _) = try await backend.open(directory: location)
        async let one = first.migrate()
        async let two = second.migrate()
        let (applied1, applied2) = try await (one, two)
        #expect((applied1 + applied2).map(\.version).sorted() == Migrations.all.map(\.version))
        #expect(try await first.schemaVersion() == Migrations.latestVersion)
        await first.shutdown()
        await second.shutdown()
    }

    @Test("a database from a newer Cairn is refused, untouched", arguments: Backend.allCases)
    func newerDatabase(_ backend: Backend) async throws {
        let (database, _) = try await backend.open()
        try await database.migrate()
        await #expect(throws: StoreError.schemaTooNew(database: Migrations.latestVersion, known: 2)) {
            try await database.migrate(Array(Migrations.all.prefix(2)))
        }
        #expect(try await database.schemaVersion() == Migrations.latestVersion)
        await database.shutdown()
    }

    @Test("migration numbers are unique and increasing")
    func numbering() {
        let versions = Migrations.all.map(\.version)
        #expect(versions == Array(1...versions.count))
    }
}

@Suite("Store contract")
struct StoreContractTests {
    @Test("users: insert, find by id and e-mail, count by role", arguments: Backend.allCases)
    func users(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let learner = makeUser("ada@example.org")
            let admin = makeUser("root@example.org", role: .platformAdmin)
            try await store.insertUser(learner, passwordHash: "h1")
            try await store.insertUser(admin, passwordHash: "h2")
            #expect(try await store.user(id: learner.id) == learner)
            let found = try #require(try await store.userWithPasswordHash(email: EmailAddress("ADA@example.org")!))
            #expect(found.0 == learner)
            #expect(found.1 == "h1")
            #expect(try await store.user(id: .random()) == nil)
            #expect(try await store.countUsers(role: .platformAdmin) == 1)
            #expect(try await store.countUsers(role: .learner) == 1)
            try await store.setRole(.platformAdmin, for: learner.id)
            #expect(try await store.countUsers(role: .platformAdmin) == 2)
        }
    }

    @Test("a second account with the same e-mail is a conflict and changes nothing", arguments: Backend.allCases)
    func duplicateEmail(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let first = makeUser("same@example.org")
            try await store.insertUser(first, passwordHash: "first")
            await #expect {
                try await store.insertUser(makeUser("same@example.org"), passwordHash: "second")
            } throws: { error in
                if case StoreError.conflict = error { return true }
                return false
            }
            #expect(try await store.userWithPasswordHash(email: first.email)?.1 == "first")
        }
    }

    @Test("sessions: insert, find, delete, expire", arguments: Backend.allCases)
    func sessions(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("s@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let live = StoredSession(id: .random(), userID: user.id, createdAt: t0, expiresAt: t0 + 3600)
            let old = StoredSession(id: .random(), userID: user.id, createdAt: t0 - 7200, expiresAt: t0 - 3600)
            try await store.insertSession(live)
            try await store.insertSession(old)
            #expect(try await store.session(id: live.id) == live)
            let found = try #require(try await store.sessionWithUser(id: live.id))
            #expect(found.0 == live)
            #expect(found.1 == user)
            #expect(try await store.sessionWithUser(id: .random()) == nil)
            try await store.deleteSessions(expiredBefore: t0)
            #expect(try await store.session(id: old.id) == nil)
            #expect(try await store.session(id: live.id) != nil)
            try await store.deleteSession(id: live.id)
            #expect(try await store.session(id: live.id) == nil)
            #expect(try await store.sessionWithUser(id: live.id) == nil)
        }
    }

    @Test("a session for an unknown user is refused by the foreign key", arguments: Backend.allCases)
    func sessionForeignKey(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            await #expect {
                try await store.insertSession(StoredSession(id: .random(), userID: .random(), createdAt: t0, expiresAt: t0 + 1))
            } throws: { error in
                if case StoreError.missingReference = error { return true }
                return false
            }
        }
    }

    @Test("organisations and memberships; a learner may belong to several", arguments: Backend.allCases)
    func organisations(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("m@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let a = Organisation(id: .random(), name: "Acme Retail", createdAt: t0)
            let b = Organisation(id: .random(), name: "County Council", createdAt: t0 + 1)
            try await store.insertOrganisation(a)
            try await store.insertOrganisation(b)
            #expect(try await store.organisation(id: a.id) == a)
            try await store.insertMembership(Membership(organisationID: a.id, userID: user.id, role: .learner, createdAt: t0))
            try await store.insertMembership(Membership(organisationID: b.id, userID: user.id, role: .orgAdmin, createdAt: t0 + 1))
            let memberships = try await store.memberships(of: user.id)
            #expect(memberships.map(\.organisationID) == [a.id, b.id])
            #expect(memberships.map(\.role) == [.learner, .orgAdmin])
            #expect(try await store.members(of: a.id).map(\.userID) == [user.id])
        }
    }

    @Test("enrolling twice keeps the first enrolment", arguments: Backend.allCases)
    func enrolments(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("e@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let course = CourseID(rawValue: "ai-foundations")
            let first = try await store.enrol(Enrolment(userID: user.id, courseID: course, courseVersion: "1.0.0", enrolledAt: t0))
            let again = try await store.enrol(Enrolment(userID: user.id, courseID: course, courseVersion: "1.1.0", enrolledAt: t0 + 60))
            #expect(first == again)
            #expect(again.courseVersion == "1.0.0")
            #expect(try await store.enrolments(of: user.id) == [first])
        }
    }

    @Test("lesson progress: first start and first completion are kept", arguments: Backend.allCases)
    func progress(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("p@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let course = CourseID(rawValue: "c")
            let lesson = LessonID(rawValue: "l")
            let start = LessonProgress(userID: user.id, courseID: course, lessonID: lesson, courseVersion: "1.0.0", status: .started, startedAt: t0, completedAt: nil)
            try await store.recordLessonStarted(start)
            var later = start
            later.startedAt = t0 + 100
            try await store.recordLessonStarted(later)
            #expect(try await store.lessonProgress(user: user.id, course: course) == [start])
            try await store.recordLessonCompleted(user: user.id, course: course, lesson: lesson, at: t0 + 200)
            try await store.recordLessonCompleted(user: user.id, course: course, lesson: lesson, at: t0 + 300)
            let done = try #require(try await store.lessonProgress(user: user.id, course: course).first)
            #expect(done.status == .completed)
            #expect(done.completedAt == t0 + 200)
            #expect(done.startedAt == t0)
        }
    }

    @Test("a failed transaction leaves nothing written", arguments: Backend.allCases)
    func transactionRollback(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("t@example.org")
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await store.transaction { tx in
                    try await tx.insertUser(user, passwordHash: "h")
                    _ = try await tx.enrol(Enrolment(userID: user.id, courseID: CourseID(rawValue: "c"), courseVersion: "1", enrolledAt: t0))
                    throw Boom()
                }
            }
            #expect(try await store.user(id: user.id) == nil)
            #expect(try await store.enrolments(of: user.id).isEmpty)
            // And a transaction that succeeds commits everything.
            try await store.transaction { tx in try await tx.insertUser(user, passwordHash: "h") }
            #expect(try await store.user(id: user.id) == user)
        }
    }

    @Test("concurrent writers all succeed", arguments: Backend.allCases)
    func concurrentWriters(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await store.transaction { tx in
                            try await tx.insertUser(makeUser("user\(index)@example.org"), passwordHash: "h")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.countUsers(role: .learner) == 20)
        }
    }
}
