import AppServices
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit

/// An open Cairn database: the connection pool, its migrations and the store over it.
///
/// SQLite is the embedded default: one file under the data folder, WAL journal so
/// readers never wait for the writer, foreign keys enforced on every connection.
public final class Database: Sendable {
    public enum Kind: String, Sendable { case sqlite }

    public let kind: Kind
    /// Where the data lives, for messages ("SQLite at ./cairn-data/cairn.sqlite").
    public let location: String
    let writer: SQLitePool
    let readers: SQLitePool
    let batch: GroupCommit
    let checkpointer: SQLiteCheckpointer?
    let logger: Logger

    private init(kind: Kind, location: String, writer: SQLitePool, readers: SQLitePool, checkpointer: SQLiteCheckpointer?, logger: Logger) {
        self.kind = kind
        self.location = location
        self.writer = writer
        self.readers = readers
        batch = GroupCommit(writer: writer)
        self.checkpointer = checkpointer
        self.logger = logger
    }

    /// Opens (creating if needed) `cairn.sqlite` in `directory`: one connection for writes
    /// and up to `readers` read-only connections beside it.
    public static func openSQLite(directory: String, logger: Logger, readers: Int = 4) async throws -> Database {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError.unavailable("cannot create the data folder '\(directory)': \(error.localizedDescription); pass a writable folder with --data")
        }
        let path = URL(fileURLWithPath: directory).appendingPathComponent("cairn.sqlite").path
        let writer = SQLitePool(path: path, kind: .writer, maxConnections: 1, logger: logger)
        let readers = SQLitePool(path: path, kind: .reader, maxConnections: readers, logger: logger)
        do {
            try await SQLStore(executor: .pools(writer: writer, readers: readers, batch: GroupCommit(writer: writer)), logger: logger).withDatabase { db in
                // WAL is a property of the database file, so once is enough.
                try await db.raw("PRAGMA journal_mode = WAL").run()
            }
        } catch {
            writer.close()
            readers.close()
            throw StoreError.unavailable("cannot open SQLite database at \(path): \(error)")
        }
        return Database(
            kind: .sqlite, location: path, writer: writer, readers: readers,
            checkpointer: SQLiteCheckpointer(path: path, logger: logger), logger: logger
        )
    }

    /// The store, for use cases.
    public var store: SQLStore { SQLStore(executor: .pools(writer: writer, readers: readers, batch: batch), logger: logger) }

    public func shutdown() async {
        await checkpointer?.stop()
        writer.close()
        readers.close()
    }

    // MARK: migrations

    /// The highest migration applied, 0 for an empty database.
    public func schemaVersion() async throws -> Int {
        try await store.withDatabase { db in
            try await Self.ensureMigrationTable(db)
            guard let row = try await db.raw("SELECT MAX(version) AS version FROM schema_migrations").first(),
                  try !row.decodeNil(column: "version")
            else { return 0 }
            return try row.decode(column: "version", as: Int.self)
        }
    }

    /// Applies every migration not yet applied, each in its own transaction, and returns them.
    /// Refuses to touch a database written by a newer Cairn.
    @discardableResult
    public func migrate(_ migrations: [Migration] = Migrations.all) async throws -> [Migration] {
        let current = try await schemaVersion()
        let known = migrations.last?.version ?? 0
        guard current <= known else { throw StoreError.schemaTooNew(database: current, known: known) }
        var applied: [Migration] = []
        for migration in migrations where migration.version > current {
            try await store.withTransaction { db in
                for statement in migration.statements {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.insert(into: "schema_migrations")
                    .columns("version", "name", "applied_at")
                    .values(SQLBind(migration.version), SQLBind(migration.name), SQLBind(Date().epochMilliseconds))
                    .run()
            }
            logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            applied.append(migration)
        }
        return applied
    }

    static func ensureMigrationTable(_ db: any SQLDatabase) async throws {
        try await db.raw("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at BIGINT NOT NULL
            )
            """).run()
    }
}
