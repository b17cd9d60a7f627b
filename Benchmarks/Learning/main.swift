import AppServices
import CairnCore
import Curriculum
import Foundation
import Grading
import Logging
import Storage

// The learning loop's submit in process (issue 4): LearningService.perform answering a
// check, as the chat route calls it, over a real SQLite file, with 32 learners in turn;
// no HTTP. Reports the time per call, to tell the service's own cost from the web
// server's. Usage: learning-bench [COUNT] [COURSES_DIR]

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
