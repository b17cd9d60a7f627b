import AppServices
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit

/// An open Cairn database: its connections, its migrations and the store over it.
///
/// SQLite is the embedded default: one file under the data folder, WAL journal so readers
/// never wait for the writer, foreign keys enforced on every connection. PostgreSQL is the
/// production store, shared by any number of Cairn nodes: a connection pool per node, the
/// same migrations and the same queries.
public final class Database: Sendable {
    public enum Kind: String, Sendable { case sqlite, postgresql }

    enum Connections: Sendable {
        case sqlite(writer: SQLitePool, readers: SQLitePool, batch: GroupCommit, checkpointer: SQLiteCheckpointer?)
        case postgresql(PostgresConnections)
    }

    public let kind: Kind
    /// Where the data lives, for messages ("SQLite at ./cairn-data/cairn.sqlite"); never a password.
    public let location: String
    let connections: Connections
    let logger: Logger

    private init(kind: Kind, location: String, connections: Connections, logger: Logger) {
        self.kind = kind
        self.location = location
        self.connections = connections
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
        let connections = Connections.sqlite(
            writer: writer, readers: readers, batch: GroupCommit(writer: writer),
            checkpointer: SQLiteCheckpointer(path: path, logger: logger)
        )
        return Database(kind: .sqlite, location: path, connections: connections, logger: logger)
    }

    /// Connects to the PostgreSQL database at `url` with a pool of up to `poolSize`
    /// connections. Fails at once, saying why, when the server cannot be reached or refuses
    /// the user, password or database.
    public static func openPostgreSQL(
        url: PostgresURL, poolSize: Int = 10, statementTimeout: Duration = .seconds(30), logger: Logger
    ) async throws -> Database {
        let connections = try await PostgresConnections.open(url, poolSize: poolSize, statementTimeout: statementTimeout, logger: logger)
        return Database(kind: .postgresql, location: "PostgreSQL at \(url)", connections: .postgresql(connections), logger: logger)
    }

    /// The store, for use cases.
    public var store: SQLStore {
        switch connections {
        case let .sqlite(writer, readers, batch, _): SQLStore(executor: .pools(writer: writer, readers: readers, batch: batch), logger: logger)
        case let .postgresql(connections): SQLStore(executor: .postgres(connections.client), logger: logger)
        }
    }

    /// Group commit's transaction count (SQLite), for tests.
    var sharedTransactions: Int? {
        if case let .sqlite(_, _, batch, _) = connections { return batch.transactions }
        return nil
    }

    public func shutdown() async {
        switch connections {
        case let .sqlite(writer, readers, _, checkpointer):
            await checkpointer?.stop()
            writer.close()
            readers.close()
        case let .postgresql(connections):
            await connections.shutdown()
        }
    }

    // MARK: migrations

    /// The highest migration applied, 0 for an empty database.
    public func schemaVersion() async throws -> Int {
        try await store.withSchemaLock { db in try await Self.version(db) }
    }

    /// Applies every migration not yet applied, each in its own transaction, and returns them.
    /// Refuses to touch a database written by a newer Cairn. Nodes starting together take
    /// turns (the schema lock), so each migration is applied once.
    @discardableResult
    public func migrate(_ migrations: [Migration] = Migrations.all) async throws -> [Migration] {
        let known = migrations.last?.version ?? 0
        let current = try await schemaVersion()
        guard current <= known else { throw StoreError.schemaTooNew(database: current, known: known) }
        var applied: [Migration] = []
        for migration in migrations where migration.version > current {
            let done = try await store.withSchemaLock { db -> Bool in
                // Another node may have applied it since the first look.
                guard try await Self.version(db) < migration.version else { return false }
                for statement in migration.statements {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.insert(into: "schema_migrations")
                    .columns("version", "name", "applied_at")
                    .values(SQLBind(migration.version), SQLBind(migration.name), SQLBind(Date().epochMilliseconds))
                    .run()
                return true
            }
            guard done else { continue }
            logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            applied.append(migration)
        }
        return applied
    }

    private static func version(_ db: any SQLDatabase) async throws -> Int {
        try await ensureMigrationTable(db)
        guard let row = try await db.raw("SELECT MAX(version) AS version FROM schema_migrations").first(),
              try !row.decodeNil(column: "version")
        else { return 0 }
        return try row.decode(column: "version", as: Int.self)
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
