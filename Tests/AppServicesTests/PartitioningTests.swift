import AppServices
import CairnCore
import Curriculum
import Grading
import Foundation
@testable import Storage
import Testing

// docs/scaling.md's procedure for partitioning `attempts` by month, run as written (the SQL
// is read from the document) on a database Cairn has used, then Cairn goes on using it.
// PostgreSQL only: the run of scripts/test with CAIRN_TEST_POSTGRES_URL.

@Suite("Partitioning attempts (docs/scaling.md)")
struct PartitioningTests {
    static let postgres = ProcessInfo.processInfo.environment["CAIRN_TEST_POSTGRES_URL"].map { !$0.isEmpty } ?? false

    /// The statements of the document's partitioning block, in order.
    static func documentedSQL() throws -> [String] {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/scaling.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        guard let section = text.range(of: "### Partitioning attempts by time"),
              let open = text.range(of: "```sql\n", range: section.upperBound ..< text.endIndex),
              let close = text.range(of: "```", range: open.upperBound ..< text.endIndex)
        else { throw StoreError.unavailable("docs/scaling.md has no SQL block under its partitioning heading") }
        let lines = text[open.upperBound ..< close.lowerBound].split(separator: "\n")
            .map { line in line.range(of: "--").map { String(line[..<$0.lowerBound]) } ?? String(line) }
        return lines.joined(separator: "\n").split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    @Test("the documented procedure runs on a database in use; new answers land in their month's partition or the default one; reads, exports and imports see every attempt",
          .enabled(if: postgres))
    func documentedPartitioning() async throws {
        let room = try await Classroom.fixture()
        let store = room.world.database.store
        // December 2026: before the procedure's first monthly partition.
        room.world.clock.set(Date(timeIntervalSince1970: 1_797_000_000))
        let user = try await room.learner("ada")
        _ = try await room.open(user)
        _ = try await room.perform(.continue, user)
        _ = try await room.perform(.answer(Classroom.firstCheck, .choice("a")), user)
        _ = try await room.perform(.answer(Classroom.firstCheck, .choice("b")), user)

        let statements = try Self.documentedSQL()
        #expect(statements.first == "BEGIN" && statements.last == "COMMIT" && statements.count > 10)
        try await store.withDatabase { db in
            for statement in statements { try await db.run(Statement(statement)) }
        }
        let kind = try await store.withReader { db in
            try await db.rows(Statement("SELECT relkind::text FROM pg_class WHERE oid = 'attempts'::regclass")).first?.string(0)
        }
        #expect(kind == "p", "attempts is now a partitioned table")

        // January 2027: the next answer goes into that month's partition.
        room.world.clock.set(Date(timeIntervalSince1970: 1_800_000_000))
        _ = try await room.perform(.answer(Classroom.firstCheck, .choice("b")), user)
        let placed = try await store.withReader { db in
            try await db.rows(Statement("SELECT tableoid::regclass::text, COUNT(*) FROM attempts GROUP BY 1 ORDER BY 1")).map {
                "\(try $0.string(0)) \(try $0.int(1))"
            }
        }
        #expect(placed == ["attempts_2027_01 1", "attempts_before 2"], "\(placed)")
        let course = try room.course()
        #expect(try await store.attempts(user: user, course: course.id).map(\.passed) == [false, true, true])
        #expect(try await store.attempts(user: user, course: course.id, interaction: Classroom.firstCheck).count == 3)

        // A month with no partition of its own yet: the answer lands in the default partition.
        room.world.clock.set(Date(timeIntervalSince1970: 1_803_000_000))
        _ = try await room.perform(.answer(Classroom.firstCheck, .choice("b")), user)
        let spilled = try await store.withReader { db in
            try await db.rows(Statement("SELECT COUNT(*) FROM attempts_default")).first?.int(0)
        }
        #expect(spilled == 1)

        // export-db reads the partitioned table as one, and the copy imports into SQLite.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-partitioned-\(UUID().uuidString).jsonl").path
        let summary = try await room.world.database.export(to: file)
        #expect(summary.rows["attempts"] == 4)
        let copy = try await openSQLiteTestDatabase()
        try await copy.migrate()
        #expect(try await copy.importExport(from: file) == summary)
        #expect(try await copy.store.attempts(user: user, course: course.id).count == 4)
        await copy.shutdown()

        // Deleting a learner still deletes their attempts, in every partition.
        try await store.withDatabase { db in try await db.run(Statement("DELETE FROM users WHERE id = ?"), [.text(user.rawValue)]) }
        let left = try await store.withReader { db in try await db.rows(Statement("SELECT COUNT(*) FROM attempts")).first?.int(0) }
        #expect(left == 0)
        await room.shutdown()
    }
}
