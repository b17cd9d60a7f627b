import Logging
import NIOCore
import NIOPosix
import SQLiteKit

/// A small pool of SQLite connections to one file.
///
/// async-kit's pool is not `Sendable`; this actor is, and SQLite needs little more: a
/// few connections so readers run beside the one writer WAL allows.
actor SQLitePool {
    private let path: String
    private let maxConnections: Int
    private let logger: Logger
    private var idle: [SQLiteConnection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<SQLiteConnection, any Error>] = []
    private var closed = false

    init(path: String, maxConnections: Int, logger: Logger) {
        self.path = path
        self.maxConnections = max(1, maxConnections)
        self.logger = logger
    }

    func acquire() async throws -> SQLiteConnection {
        if closed { throw SQLitePoolError.closed }
        if let connection = idle.popLast() { return connection }
        if open < maxConnections {
            open += 1
            let connection: SQLiteConnection
            do {
                connection = try await SQLiteConnection.open(
                    storage: .file(path: path), threadPool: .singleton, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any()
                )
            } catch {
                open -= 1
                throw error
            }
            do {
                // Per-connection settings. busy_timeout replaces sqlite-nio's retry-forever
                // busy handler: another process holding the write lock (cairn migrate while
                // serve runs) makes a writer wait up to 5 s, then fail with a clear error.
                for pragma in ["PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 5000", "PRAGMA synchronous = NORMAL"] {
                    _ = try await connection.query(pragma)
                }
                return connection
            } catch {
                open -= 1
                try? await connection.close()
                throw error
            }
        }
        return try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    func release(_ connection: SQLiteConnection) {
        if closed {
            open -= 1
            Task { try? await connection.close() }
        } else if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    func close() async {
        closed = true
        for waiter in waiters { waiter.resume(throwing: SQLitePoolError.closed) }
        waiters = []
        let connections = idle
        idle = []
        open -= connections.count
        for connection in connections { try? await connection.close() }
    }
}

enum SQLitePoolError: Error { case closed }
