import AppServices
import CairnCore
import Curriculum
import Foundation
import Logging
import Storage
import Synchronization
import Testing

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
    /// Sets the time, forward or back (a test that needs a given month).
    func set(_ date: Date) { current.withLock { $0 = date } }
    var clock: AppServices.Clock { AppServices.Clock { [self] in self.now } }
}

/// TEST ONLY: a reversible stand-in for bcrypt, so these tests run in microseconds.
/// The product's bcrypt hasher is exercised by the WebApp tests.
struct TestOnlyHasher: PasswordHasher {
    func hash(_ password: String) async throws -> String { "test-only:" + String(password.reversed()) }
    func verify(_ password: String, against hash: String) async throws -> Bool { hash == "test-only:" + String(password.reversed()) }
}

/// A database of its own: SQLite in a new folder, or a new schema on the PostgreSQL server
/// `CAIRN_TEST_POSTGRES_URL` names (scripts/test runs the suite again that way).
func openTestDatabase() async throws -> Database {
    let logger = Logger(label: "test")
    if let server = ProcessInfo.processInfo.environment["CAIRN_TEST_POSTGRES_URL"], !server.isEmpty {
        let schema = "test_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
        return try await Database.openPostgreSQL(url: PostgresURL(server + (server.contains("?") ? "&" : "?") + "search_path=" + schema), poolSize: 4, logger: logger)
    }
    return try await openSQLiteTestDatabase()
}

/// SQLite in a new folder, whichever database the run is for.
func openSQLiteTestDatabase() async throws -> Database {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-usecases-\(UUID().uuidString)").path
    return try await Database.openSQLite(directory: folder, logger: Logger(label: "test"))
}

/// A migrated database of its own, with the fixture course.
struct World {
    let database: Database
    let clock = ManualClock()
    let catalog: Catalog

    static func make() async throws -> World {
        let database = try await openTestDatabase()
        try await database.migrate()
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/courses").path
        return World(database: database, catalog: CourseLoader.loadCatalog(at: fixtures))
    }

    var accounts: AccountService { AccountService(store: database.store, hasher: TestOnlyHasher(), clock: clock.clock) }
    var courses: CatalogService { CatalogService(catalog: catalog, store: database.store, clock: clock.clock) }
}

@Suite("Accounts")
struct AccountTests {
    @Test("a session works until it expires, then is gone")
    func sessionExpiry() async throws {
        let world = try await World.make()
        _ = try await world.accounts.signUp(email: "ada@example.org", password: "a long password", displayName: "Ada")
        let (user, session) = try await world.accounts.logIn(email: "ada@example.org", password: "a long password")
        #expect(try await world.accounts.user(forSession: session.id) == user)
        world.clock.advance(by: AccountService.sessionLifetime - 1)
        #expect(try await world.accounts.user(forSession: session.id) == user)
        world.clock.advance(by: 2)
        #expect(try await world.accounts.user(forSession: session.id) == nil)
        #expect(try await world.database.store.session(id: session.id) == nil, "the expired session is deleted")
        await world.database.shutdown()
    }

    @Test("log-out ends the session")
    func logOut() async throws {
        let world = try await World.make()
        _ = try await world.accounts.signUp(email: "b@example.org", password: "a long password", displayName: "B")
        let (_, session) = try await world.accounts.logIn(email: "b@example.org", password: "a long password")
        try await world.accounts.logOut(session: session.id)
        #expect(try await world.accounts.user(forSession: session.id) == nil)
        await world.database.shutdown()
    }

    @Test("an unknown address and a wrong password fail the same way")
    func logInFailures() async throws {
        let world = try await World.make()
        _ = try await world.accounts.signUp(email: "c@example.org", password: "a long password", displayName: "C")
        await #expect(throws: AppError.invalidCredentials) { try await world.accounts.logIn(email: "nobody@example.org", password: "a long password") }
        await #expect(throws: AppError.invalidCredentials) { try await world.accounts.logIn(email: "c@example.org", password: "wrong password") }
        await world.database.shutdown()
    }

    @Test("the first admin: created, or an existing account promoted only with its password")
    func createAdmin() async throws {
        let world = try await World.make()
        #expect(try await world.accounts.hasPlatformAdmin() == false)
        let admin = try await world.accounts.createPlatformAdmin(email: "root@example.org", password: "admin password", displayName: "Root")
        #expect(admin.role == .platformAdmin)
        #expect(try await world.accounts.hasPlatformAdmin())

        _ = try await world.accounts.signUp(email: "dana@example.org", password: "dana password", displayName: "Dana")
        await #expect(throws: AppError.invalidCredentials) {
            try await world.accounts.createPlatformAdmin(email: "dana@example.org", password: "guessed password", displayName: "Dana")
        }
        let promoted = try await world.accounts.createPlatformAdmin(email: "dana@example.org", password: "dana password", displayName: "Dana")
        #expect(promoted.role == .platformAdmin)
        #expect(try await world.database.store.user(id: promoted.id)?.role == .platformAdmin)
        await world.database.shutdown()
    }
}

@Suite("Courses and progress")
struct CourseProgressTests {
    @Test("opening a lesson enrols the learner at the course's version and records the start")
    func openLesson() async throws {
        let world = try await World.make()
        let user = try await world.accounts.signUp(email: "l@example.org", password: "a long password", displayName: "L")
        let course = CourseID(rawValue: "sample-course")
        _ = try await world.courses.openLesson(LessonID(rawValue: "second-lesson"), in: course, for: user.id)
        let enrolments = try await world.courses.enrolments(of: user.id)
        #expect(enrolments.map(\.courseVersion) == ["1.2.0"])
        let progress = try await world.courses.progress(of: user.id, in: course)
        #expect(progress[LessonID(rawValue: "second-lesson")]?.status == .started)

        world.clock.advance(by: 600)
        try await world.courses.completeLesson(LessonID(rawValue: "second-lesson"), in: course, for: user.id)
        let done = try #require(try await world.courses.progress(of: user.id, in: course)[LessonID(rawValue: "second-lesson")])
        #expect(done.status == .completed)
        #expect(done.completedAt == world.clock.now)
        await world.database.shutdown()
    }

    @Test("a lesson that is not in the course, or a course that does not exist, is not found")
    func notFound() async throws {
        let world = try await World.make()
        let user = try await world.accounts.signUp(email: "n@example.org", password: "a long password", displayName: "N")
        await #expect(throws: AppError.self) {
            try await world.courses.openLesson(LessonID(rawValue: "future-lesson"), in: CourseID(rawValue: "sample-course"), for: user.id)
        }
        await #expect(throws: AppError.self) {
            try await world.courses.openLesson(LessonID(rawValue: "first-lesson"), in: CourseID(rawValue: "no-course"), for: user.id)
        }
        #expect(try await world.courses.enrolments(of: user.id).isEmpty, "nothing is recorded for a lesson that was not opened")
        await world.database.shutdown()
    }
}
