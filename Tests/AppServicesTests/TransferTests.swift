import AppServices
import CairnCore
import Foundation
import Logging
import Storage
import Testing

// cairn export-db / import-db underneath: all data out of one database and into another.
// In the PostgreSQL run of scripts/test the data goes PostgreSQL → SQLite → PostgreSQL.

@Suite("Moving data between databases")
struct TransferTests {
    static func file(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cairn-transfer-\(UUID().uuidString)-\(name).jsonl").path
    }

    /// A database with a bit of everything: learners, chat, attempts, mastery, hints, an
    /// exam passed with its badge and its job, a failed sitting, a session.
    static func populated() async throws -> (ExamRoom, Database) {
        let (room, badges, _) = try await BadgeServiceTests.room()
        let exams = ExamService(catalog: room.catalog, learning: room.learning, store: room.store, badges: badges, clock: room.world.clock.clock)
        let ada = try await room.readyLearner("ada")
        _ = try await BadgeServiceTests.pass(room, exams, ada)
        let bo = try await room.readyLearner("bo")
        _ = try await room.learning.perform(.hint(InteractionID(rawValue: "intro-check")), lesson: LessonID(rawValue: "intro"), in: ExamRoom.courseID, for: bo)
        _ = try await room.exams.start(course: ExamRoom.courseID, user: bo)
        try await room.answer(bo, right: false)
        _ = try await room.world.accounts.logIn(email: "bo@example.org", password: "a long password")
        // A calibration done, with its files, and one still waiting with its job.
        let finished = CalibrationRun(id: "calibration-1", courseID: ExamRoom.courseID, requestedBy: ada, requestedAt: room.world.clock.now)
        try await room.store.insertCalibrationRun(finished)
        var done = finished
        done.status = .done
        done.finishedAt = room.world.clock.now + 5
        done.examinees = 300
        done.items = 20
        done.flaggedItems = 1
        done.bankVersion = "2026-11-22.1"
        done.message = "6000 responses; converged"
        _ = try await room.store.finishCalibrationRun(done, files: CalibrationFiles(
            reportHTML: "<!doctype html>\n<h1>Calibration — “exam”</h1>", parametersCSV: "item,a,b\nq1,1.1,-0.2\n", bankYAML: "bank_version: 2026-11-22.1\n"
        ))
        _ = try await CalibrationRunService(catalog: room.catalog, store: room.store, clock: room.world.clock.clock).request(course: ExamRoom.courseID, by: bo)
        return (room, room.world.database)
    }

    @Test("an export imported into another database and exported again is the same, line for line")
    func roundTrip() async throws {
        let (room, source) = try await Self.populated()
        let date = Date(timeIntervalSince1970: 1_900_000_000)
        let first = Self.file("first")
        let summary = try await source.export(to: first, at: date)
        #expect(summary.rows["users"] == 2 && summary.rows["badges"] == 1 && summary.rows["jobs"] == 2 && summary.rows["calibration_runs"] == 2)
        #expect((summary.rows["attempts"] ?? 0) >= 2 && (summary.rows["exam_responses"] ?? 0) >= 4 && (summary.rows["chat_messages"] ?? 0) > 4)

        // Into SQLite, then from SQLite into a database of the run's kind (SQLite, or PostgreSQL).
        let middle = try await openSQLiteTestDatabase()
        try await middle.migrate()
        #expect(try await middle.importExport(from: first) == summary)
        let second = Self.file("second")
        #expect(try await middle.export(to: second, at: date) == summary)
        let last = try await openTestDatabase()
        try await last.migrate()
        #expect(try await last.importExport(from: second) == summary)
        let third = Self.file("third")
        _ = try await last.export(to: third, at: date)
        // The same lines; within a table the order is each database's key order, which a
        // PostgreSQL collation other than C may make differ from SQLite's byte order.
        func lines(_ path: String) throws -> [String] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init).sorted()
        }
        let original = try lines(first)
        #expect(original.count > 40)
        #expect(original == (try lines(second)), "\(source.kind) to SQLite loses nothing")
        #expect(original == (try lines(third)), "SQLite to \(last.kind) loses nothing")

        // The imported copy works: the learner's badge and session read back the same.
        let ada = try #require(try await last.store.userWithPasswordHash(email: EmailAddress("ada@example.org")!))
        #expect(try await last.store.badges(user: ada.0.id) == (try await source.store.badges(user: ada.0.id)))
        #expect(try await last.store.mastery(user: ada.0.id, course: ExamRoom.courseID) == (try await source.store.mastery(user: ada.0.id, course: ExamRoom.courseID)))
        await middle.shutdown()
        await last.shutdown()
        await room.shutdown()
    }

    @Test("an import refuses a database with data, a file cut short and a bad value, naming the line, and stores nothing")
    func refusals() async throws {
        let (room, source) = try await Self.populated()
        let export = Self.file("export")
        _ = try await source.export(to: export)
        await #expect {
            _ = try await source.importExport(from: export)
        } throws: { error in
            "\(error)".contains("already holds data") && "\(error)".contains("import into a new, empty database")
        }

        let text = try String(contentsOfFile: export, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let cut = Self.file("cut")
        try lines.dropLast(2).joined(separator: "\n").write(toFile: cut, atomically: true, encoding: .utf8)
        let empty = try await openTestDatabase()
        try await empty.migrate()
        await #expect {
            _ = try await empty.importExport(from: cut)
        } throws: { error in
            "\(error)".contains("ends without its end line")
        }
        #expect(try await empty.store.countUsers(role: .learner) == 0, "nothing of the cut file was stored")

        // A user's e-mail replaced by a number.
        let userRow = try #require(lines.firstIndex { $0.hasPrefix("{\"table\":\"users\"") }) + 1
        lines[userRow] = lines[userRow].replacingOccurrences(of: "\"ada@example.org\"", with: "42").replacingOccurrences(of: "\"bo@example.org\"", with: "42")
        let bad = Self.file("bad")
        try lines.joined(separator: "\n").write(toFile: bad, atomically: true, encoding: .utf8)
        await #expect {
            _ = try await empty.importExport(from: bad)
        } throws: { error in
            "\(error)".contains("line \(userRow + 1): users.email holds 42, not text")
        }
        #expect(try await empty.store.countUsers(role: .learner) == 0)

        let notExport = Self.file("other")
        try "{\"hello\":1}\n".write(toFile: notExport, atomically: true, encoding: .utf8)
        await #expect {
            _ = try await empty.importExport(from: notExport)
        } throws: { error in
            "\(error)".contains("line 1: this is not an export of cairn export-db")
        }
        await empty.shutdown()
        await room.shutdown()
    }
}
