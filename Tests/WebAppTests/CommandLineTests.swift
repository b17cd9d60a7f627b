import AppServices
import Foundation
import Logging
import Storage
import Testing

/// The `cairn` commands a person types, run as real processes.
@Suite("The cairn command line")
struct CommandLineTests {
    struct Outcome {
        let status: Int32
        let output: String
        let errors: String
    }

    static func cairn(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = LiveServerTests.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self), errors: String(decoding: errors, as: UTF8.self))
    }

    static func brokenCourses() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("bad-course"), withIntermediateDirectories: true)
        try "id: bad-course\ntitle: Bad\nversion: one\n".write(to: root.appendingPathComponent("bad-course/course.yaml"), atomically: true, encoding: .utf8)
        return root.path
    }

    @Test("content validate passes the shipped courses and fails broken ones with file:line reports")
    func validate() throws {
        let good = try Self.cairn(["content", "validate", Fixtures.shippedCourses])
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("0 errors"))
        #expect(good.output.contains("ai-foundations 1.0.0"))

        let folder = try Self.brokenCourses()
        let bad = try Self.cairn(["content", "validate", folder])
        #expect(bad.status == 1)
        #expect(bad.output.contains("\(folder)/bad-course/course.yaml:3: error: version 'one' must be MAJOR.MINOR.PATCH"))
        #expect(bad.output.contains("course.yaml:1: error: course.yaml is missing required key 'summary'"))
    }

    @Test("serve refuses to start on invalid content and prints the same report")
    func serveRefusesBadContent() throws {
        let folder = try Self.brokenCourses()
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-cli-\(UUID().uuidString)").path
        let outcome = try Self.cairn(["serve", "--port", "0", "--courses", folder, "--data", data])
        #expect(outcome.status == 1)
        #expect(outcome.errors.contains("the courses have errors"))
        #expect(outcome.errors.contains("bad-course/course.yaml:3: error: version 'one'"))
    }

    @Test("calibrate without a file reads the database, and says plainly when it holds no finished exams yet")
    func calibrateFromEmptyDatabase() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-cli-\(UUID().uuidString)").path
        let outcome = try Self.cairn(["calibrate", "ai-foundations", "--courses", Fixtures.shippedCourses, "--data", data])
        #expect(outcome.status != 0)
        #expect(outcome.errors.contains("\(data)/cairn.sqlite holds no finished exam sittings of ai-foundations yet; pass --responses FILE.csv"), "\(outcome.errors)")
    }

    @Test("a bad setting stops start-up naming the setting")
    func badSetting() throws {
        let outcome = try Self.cairn(["serve", "--port", "eighty"])
        #expect(outcome.status == 1)
        #expect(outcome.errors.contains("--port / CAIRN_PORT: 'eighty' must be a whole number"))
        let environment = try Self.cairn(["serve"], environment: ["CAIRN_LOG_FORMAT": "xml"])
        #expect(environment.status == 1)
        #expect(environment.errors.contains("CAIRN_LOG_FORMAT"))
        let jobs = try Self.cairn(["serve"], environment: ["CAIRN_JOBS": "sometimes"])
        #expect(jobs.status == 1 && jobs.errors.contains("--jobs / CAIRN_JOBS: 'sometimes' is neither on nor off"), "\(jobs.errors)")
    }

    @Test("a bad or unreachable database URL stops start-up naming the setting, never the password")
    func badDatabaseURL() throws {
        let scheme = try Self.cairn(["serve", "--database-url", "mysql://cairn:hunter2@127.0.0.1/cairn"])
        #expect(scheme.status == 1)
        #expect(scheme.errors.contains("--database-url / CAIRN_DATABASE_URL: the scheme is 'mysql'"), "\(scheme.errors)")
        #expect(!scheme.errors.contains("hunter2"))
        let unreachable = try Self.cairn(["migrate"], environment: ["CAIRN_DATABASE_URL": "postgres://cairn:hunter2@127.0.0.1:1/cairn?sslmode=disable"])
        #expect(unreachable.status == 1)
        #expect(unreachable.errors.contains("cannot reach PostgreSQL at postgres://cairn@127.0.0.1:1/cairn"), "\(unreachable.errors)")
        #expect(!unreachable.errors.contains("hunter2"))
        let pool = try Self.cairn(["serve", "--database-pool-size", "0"])
        #expect(pool.status == 1 && pool.errors.contains("--database-pool-size / CAIRN_DATABASE_POOL_SIZE"))
    }

    @Test("jobs list shows what the job runners did, and refuses a status it does not know")
    func jobsList() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-jobs-\(UUID().uuidString)").path
        let empty = try Self.cairn(["jobs", "list", "--status", "failed", "--data", data])
        #expect(empty.status == 0 && empty.output.contains("no jobs failed"), "\(empty.errors)")
        let bad = try Self.cairn(["jobs", "list", "--status", "stuck", "--data", data])
        #expect(bad.status == 1 && bad.errors.contains("--status: 'stuck' is not a status; use one of queued, running, done, failed"))
        let none = try Self.cairn(["jobs", "retry", "badge.issue:nothing", "--data", data])
        #expect(none.status == 1 && none.errors.contains("no failed job has the key 'badge.issue:nothing'"), "\(none.errors)")
    }

    @Test("jobs retry puts a failed job back in the queue with all its attempts")
    func jobsRetry() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-retry-\(UUID().uuidString)").path
        let database = try await Database.openSQLite(directory: data, logger: Logger(label: "test"))
        try await database.migrate()
        let now = Date()
        try await database.store.enqueueJob(NewJob(kind: "mail.send", payload: "", key: "mail.send:1", runAt: now, maxAttempts: 1, createdAt: now))
        let job = try #require(try await database.store.claimJob(worker: "w", now: now, leaseUntil: now + 60))
        try await database.store.failJob(id: job.id, worker: "w", error: "the mail server said no", retryAt: nil, at: now)
        await database.shutdown()

        let failed = try Self.cairn(["jobs", "list", "--status", "failed", "--data", data])
        #expect(failed.output.contains("mail.send:1") && failed.output.contains("the mail server said no"))
        let retried = try Self.cairn(["jobs", "retry", "mail.send:1", "--data", data])
        #expect(retried.status == 0 && retried.output.contains("queued again: mail.send mail.send:1 (1 attempts)"), "\(retried.errors)")
        let calibration = try Self.cairn(["jobs", "retry", "calibration.run:0b5f", "--data", data])
        #expect(calibration.status == 1 && calibration.errors.contains("ask for it again at /admin/calibration"), "\(calibration.errors)")
        let queued = try Self.cairn(["jobs", "list", "--status", "queued", "--data", data])
        #expect(queued.output.contains("mail.send:1") && queued.output.contains("attempts 0/1"), "\(queued.output)")
    }

    @Test("serve --help lists every setting with its environment variable")
    func help() throws {
        let outcome = try Self.cairn(["serve", "--help"])
        #expect(outcome.status == 0)
        for setting in ["--host", "--port", "--data", "--database-url", "--database-pool-size", "--statement-timeout", "--courses", "--public-url",
                        "--log-level", "--log-format", "--max-body-bytes", "--bcrypt-cost", "--jobs"] {
            #expect(outcome.output.contains(setting), "\(setting) missing from --help")
        }
        for variable in ["CAIRN_HOST", "CAIRN_PORT", "CAIRN_DATA", "CAIRN_DATABASE_URL", "CAIRN_DATABASE_POOL_SIZE", "CAIRN_STATEMENT_TIMEOUT", "CAIRN_COURSES", "CAIRN_JOBS"] {
            #expect(outcome.output.contains(variable))
        }
    }

    @Test("migrate, then create-admin with the password from the environment, never printed")
    func migrateAndCreateAdmin() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-cli-\(UUID().uuidString)").path
        let migrate = try Self.cairn(["migrate", "--data", data])
        #expect(migrate.status == 0)
        #expect(migrate.output.contains("applied 1: create users"))
        let again = try Self.cairn(["migrate", "--data", data])
        #expect(again.output.contains("already up to date"))

        let secret = "very secret admin pw"
        let admin = try Self.cairn(["users", "create-admin", "boss@example.org", "--data", data], environment: ["CAIRN_ADMIN_PASSWORD": secret])
        #expect(admin.status == 0, "\(admin.errors)")
        #expect(admin.output.contains("platform admin boss@example.org is ready"))
        #expect(!admin.output.contains(secret) && !admin.errors.contains(secret))

        // Read from standard input when not a terminal; a short password is refused with the reason.
        let weak = try Self.cairn(["users", "create-admin", "other@example.org", "--data", data], input: "short\n")
        #expect(weak.status == 1)
        #expect(weak.errors.contains("at least 10 characters"))
    }
}
