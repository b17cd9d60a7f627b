import AppServices
import CairnCore
import Curriculum
import Foundation
import Grading
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Storage
import WebApp

// The learning loop's submit in process (issue 4), in two layers, to tell where the time
// of a submitted answer goes: LearningService.perform answering a check, as the chat route
// calls it, over a real SQLite file, with 32 learners in turn; then the whole chat route
// (middleware, session, form, grading, storing, the event stream) through the router in
// process, beside GET /healthz the same way, without sockets. Usage:
// learning-bench [COUNT] [COURSES_DIR]

struct PlainHasher: PasswordHasher {
    func hash(_ password: String) async throws -> String { password }
    func verify(_ password: String, against hash: String) async throws -> Bool { password == hash }
}

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 5_000 : 5_000
let coursesDirectory = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : "courses"
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("learning-bench-\(UUID().uuidString)").path
defer { try? FileManager.default.removeItem(atPath: folder) }
let logger = Logger(label: "learning-bench")
let database = try await Database.openSQLite(directory: folder, logger: logger)
_ = try await database.migrate()
let store = database.store
let catalog = CatalogService(catalog: CourseLoader.loadCatalog(at: coursesDirectory), store: store)
let learning = LearningService(catalog: catalog, store: store)
let accounts = AccountService(store: store, hasher: PlainHasher())
let course = CourseID(rawValue: "ai-foundations")
let lesson = LessonID(rawValue: "what-generative-ai-is")
var users: [UserID] = []
for number in 0 ..< 32 {
    let user = try await accounts.signUp(email: "bench-\(number)@example.org", password: "benchmark password", displayName: "Learner \(number)")
    _ = try await learning.open(lesson, in: course, for: user.id)
    _ = try await learning.perform(.continue, lesson: lesson, in: course, for: user.id)
    users.append(user.id)
}

/// Everything the loop needs is passed in, so it never touches the main actor's globals.
nonisolated func submitAll(_ count: Int, learning: LearningService, users: [UserID], lesson: LessonID, course: CourseID) async throws -> Double {
    let start = Date()
    for index in 0 ..< count {
        _ = try await learning.perform(
            .answer(InteractionID(rawValue: "next-token-step-check"), .choice("a")), lesson: lesson, in: course, for: users[index % users.count]
        )
    }
    return Date().timeIntervalSince(start)
}

let learners = users

_ = try await Task.detached { try await submitAll(200, learning: learning, users: learners, lesson: lesson, course: course) }.value
let seconds = try await Task.detached { try await submitAll(count, learning: learning, users: learners, lesson: lesson, course: course) }.value
print(String(format: "LearningService.perform(answer) in process, SQLite, %d calls on one task: %.0f per second, %.0f µs each", count, Double(count) / seconds, seconds / Double(count) * 1e6))
await database.shutdown()

// MARK: the route, through the router without sockets

var config = AppConfig()
config.dataDirectory = folder + "-web"
config.coursesDirectory = coursesDirectory
config.bcryptCost = 4
config.logLevel = .warning
defer { try? FileManager.default.removeItem(atPath: config.dataDirectory) }
let app = try await buildApplication(config: config)
try await app.test(.router) { client in
    let chat = "/courses/\(course)/lessons/\(lesson)/chat"
    var cookies: [String] = []
    for number in 0 ..< 32 {
        let form = "email=route-\(number)%40example.org&name=Learner&password=benchmark+password"
        let signup = try await client.execute(uri: "/signup", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                              body: ByteBuffer(string: form))
        guard let cookie = signup.headers[values: .setCookie].first(where: { $0.hasPrefix("cairn_session=") })?.split(separator: ";").first
        else { fatalError("sign-up gave no session cookie (status \(signup.status))") }
        cookies.append(String(cookie))
        _ = try await client.execute(uri: "/courses/\(course)/lessons/\(lesson)", method: .get, headers: [.cookie: String(cookie)])
        _ = try await client.execute(uri: chat, method: .post, headers: [.cookie: String(cookie), .contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "action=continue"))
    }
    let answer = ByteBuffer(string: "interaction=next-token-step-check&choice=a")
    func timed(_ label: String, _ count: Int, _ request: (Int) async throws -> TestResponse) async throws {
        for index in 0 ..< 200 { _ = try await request(index) }
        let start = Date()
        for index in 0 ..< count {
            let response = try await request(index)
            guard response.status == .ok else { fatalError("\(label) answered \(response.status)") }
        }
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "%@ through the router in process, %d requests on one task: %.0f per second, %.0f µs each", label, count,
                     Double(count) / seconds, seconds / Double(count) * 1e6))
    }
    try await timed("GET /healthz", count) { _ in try await client.execute(uri: "/healthz", method: .get) }
    try await timed("POST chat answer", count) { index in
        try await client.execute(uri: chat, method: .post, headers: [
            .cookie: cookies[index % cookies.count], .contentType: "application/x-www-form-urlencoded", .accept: "text/event-stream",
        ], body: answer)
    }
}
