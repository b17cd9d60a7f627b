import Logging

/// A small pool of SQLite connections to one file.
///
/// SQLite needs little more: a few connections so readers run beside the one writer WAL
/// allows. Each connection is handed to one task at a time.
actor SQLitePool {
    private let path: String
    private let maxConnections: Int
    private let logger: Logger
    private var idle: [SQLiteHandle] = []
    private var open = 0
    private var waiters: [CheckedContinuation<SQLiteHandle, any Error>] = []
    private var closed = false

    init(path: String, maxConnections: Int, logger: Logger) {
        self.path = path
        self.maxConnections = max(1, maxConnections)
        self.logger = logger
    }

    func acquire() async throws -> SQLiteHandle {
        if closed { throw SQLitePoolError.closed }
        if let connection = idle.popLast() { return connection }
        if open < maxConnections {
            open += 1
            do {
                return try SQLiteHandle(path: path, logger: logger)
            } catch {
                open -= 1
                throw error
            }
        }
        return try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    func release(_ connection: SQLiteHandle) {
        if closed {
            open -= 1
            connection.close()
        } else if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    func close() {
        closed = true
        for waiter in waiters { waiter.resume(throwing: SQLitePoolError.closed) }
        waiters = []
        open -= idle.count
        for connection in idle { connection.close() }
        idle = []
    }
}

enum SQLitePoolError: Error { case closed }
