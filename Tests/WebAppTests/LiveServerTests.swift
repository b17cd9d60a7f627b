import Foundation
import Synchronization
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs the real `cairn` binary on a free port and talks to it over a socket, the way
/// a person's browser would, then stops it with SIGTERM.
@Suite("The real binary over a socket")
struct LiveServerTests {
    /// The `cairn` executable sits beside the test bundle in the build folder.
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("cairn")
    }

    /// Where a real process keeps its data: a new SQLite folder, or, in the PostgreSQL run
    /// of scripts/test, a new schema on that server (with the folder beside it).
    static func databaseArguments(data: String = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-live-\(UUID().uuidString)").path) -> [String] {
        ["--data", data] + (Fixtures.newPostgresDatabase().map { ["--database-url", $0] } ?? [])
    }

    /// Starts `cairn serve` on a free port with the given database and courses; returns the
    /// process and the URL it says it listens at.
    static func startServer(_ database: [String], courses: String) async throws -> (Process, String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0", "--courses", courses, "--log-format", "json", "--bcrypt-cost", "10"] + database
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        guard let url = try await readServerURL(from: errors.fileHandleForReading) else {
            process.terminate()
            throw ServerError.didNotStart
        }
        return (process, url)
    }

    enum ServerError: Error { case didNotStart }

    @Test("serve the shipped courses, sign up, open the first lesson, shut down gracefully")
    func liveServer() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the cairn executable first (swift build)")
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-live-\(UUID().uuidString)").path
        let database = Self.databaseArguments(data: data)
        let (process, base) = try await Self.startServer(database, courses: Fixtures.shippedCourses)
        defer { if process.isRunning { process.terminate() } }
        #expect(base.hasPrefix("http://127.0.0.1:"))
        #expect(Fixtures.postgresServer != nil || FileManager.default.fileExists(atPath: data + "/cairn.sqlite"), "the database is created on first start")

        let health = try await Self.request(base + "/healthz")
        #expect(health.status == 200)
        let ready = try await Self.request(base + "/readyz")
        #expect(ready.status == 200)

        let signUp = try await Self.request(
            base + "/api/v1/accounts", method: "POST",
            body: #"{"email":"live@example.org","password":"live password 123","name":"Live Tester"}"#
        )
        #expect(signUp.status == 201)
        let logIn = try await Self.request(
            base + "/api/v1/sessions", method: "POST", body: #"{"email":"live@example.org","password":"live password 123"}"#
        )
        #expect(logIn.status == 200)
        let cookie = try #require(logIn.setCookie?.components(separatedBy: ";").first)

        let catalogue = try await Self.request(base + "/courses", cookie: cookie)
        #expect(catalogue.body.contains("AI Foundations"))
        let course = try await Self.request(base + "/courses/ai-foundations", cookie: cookie)
        let lessonPath = try #require(Self.firstLessonLink(in: course.body), "the course page links its lessons")
        let lesson = try await Self.request(base + lessonPath, cookie: cookie)
        #expect(lesson.status == 200)
        #expect(lesson.body.contains("id=\"chat\""), "the first lesson opens as a conversation with the tutor")
        #expect(lesson.body.contains("class=\"msg tutor kind-passage\""), "the tutor presents the first section")

        // A second process writes to the same database while the server runs (SQLite: WAL and
        // the busy timeout; PostgreSQL: its own connection).
        let admin = try CommandLineTests.cairn(
            ["users", "create-admin", "admin@example.org"] + database, environment: ["CAIRN_ADMIN_PASSWORD": "admin password 1"]
        )
        #expect(admin.status == 0, "\(admin.errors)")
        let adminLogIn = try await Self.request(
            base + "/api/v1/sessions", method: "POST", body: #"{"email":"admin@example.org","password":"admin password 1"}"#
        )
        #expect(adminLogIn.status == 200)
        #expect(adminLogIn.body.contains("\"role\":\"platform_admin\""))

        // SIGTERM: the process stops by itself, cleanly.
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning, "the server did not stop within 15 s of SIGTERM")
        #expect(process.terminationStatus == 0)
    }

    struct Reply {
        let status: Int
        let body: String
        let setCookie: String?
    }

    static func request(_ url: String, method: String = "GET", body: String? = nil, cookie: String? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return Reply(status: http.statusCode, body: String(decoding: data, as: UTF8.self), setCookie: http.value(forHTTPHeaderField: "Set-Cookie"))
    }

    /// Reads JSON log lines until the "Cairn is running" line and returns its url; the pipe
    /// keeps being drained afterwards so the server never blocks on a full pipe.
    static func readServerURL(from handle: FileHandle) async throws -> String? {
        let found = AsyncStream<String?>.makeStream()
        let lines = LineBuffer()
        handle.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                found.continuation.yield(nil)
                handle.readabilityHandler = nil
                return
            }
            for line in lines.append(chunk) {
                if let object = try? JSONSerialization.jsonObject(with: line) as? [String: String],
                   object["message"] == "Cairn is running" {
                    found.continuation.yield(object["url"])
                }
            }
        }
        return await withTaskGroup(of: String?.self) { group in
            group.addTask { for await url in found.stream { return url }; return nil }
            group.addTask { try? await Task.sleep(for: .seconds(60)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            found.continuation.finish()
            return first
        }
    }

    /// Splits a byte stream into lines.
    final class LineBuffer: Sendable {
        private let pending = Mutex(Data())
        func append(_ data: Data) -> [Data] {
            pending.withLock { pending in
                pending.append(data)
                var lines: [Data] = []
                while let newline = pending.firstIndex(of: 0x0A) {
                    lines.append(Data(pending[pending.startIndex..<newline]))
                    pending = Data(pending[(newline + 1)...])
                }
                return lines
            }
        }
    }

    static func firstLessonLink(in html: String) -> String? {
        guard let range = html.range(of: #"href="/courses/ai-foundations/lessons/[a-z0-9-]+""#, options: .regularExpression) else { return nil }
        return String(html[range].dropFirst(6).dropLast())
    }
}
