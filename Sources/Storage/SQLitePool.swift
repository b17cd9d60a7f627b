import Logging
import Synchronization

/// A pool of SQLite connections to one file, of one kind (the writer, or readers).
///
/// WAL lets readers run beside the one writer, so `Database` keeps two pools: one
/// connection for writes, so writers in this process never meet SQLite's busy lock, and a
/// few read-only connections. Handing out an idle connection takes a lock, never a
/// suspension; a task waits only when every connection of its kind is in use.
final class SQLitePool: Sendable {
    enum Kind: Sendable { case writer, reader }

    private struct State {
        var idle: [SQLiteHandle] = []
        var open = 0
        var waiters: [CheckedContinuation<SQLiteHandle, any Error>] = []
        var closed = false
    }

    private enum Next {
        case ready(SQLiteHandle)
        case openNew
        case wait
        case closed
    }

    let path: String
    let kind: Kind
    let maxConnections: Int
    private let logger: Logger
    private let state = Mutex(State())

    init(path: String, kind: Kind, maxConnections: Int, logger: Logger) {
        self.path = path
        self.kind = kind
        self.maxConnections = max(1, maxConnections)
        self.logger = logger
    }

    func acquire() async throws -> SQLiteHandle {
        let next = state.withLock { state -> Next in
            if state.closed { return .closed }
            if let connection = state.idle.popLast() { return .ready(connection) }
            if state.open < maxConnections {
                state.open += 1
                return .openNew
            }
            return .wait
        }
        switch next {
        case let .ready(connection):
            return connection
        case .closed:
            throw SQLitePoolError.closed
        case .openNew:
            do {
                return try SQLiteHandle(path: path, readOnly: kind == .reader, logger: logger)
            } catch {
                state.withLock { $0.open -= 1 }
                throw error
            }
        case .wait:
            return try await withCheckedThrowingContinuation { waiter in
                // A connection may have come back between the first look and now.
                let outcome = state.withLock { state -> Result<SQLiteHandle, any Error>? in
                    if state.closed { return .failure(SQLitePoolError.closed) }
                    if let connection = state.idle.popLast() { return .success(connection) }
                    state.waiters.append(waiter)
                    return nil
                }
                if let outcome { waiter.resume(with: outcome) }
            }
        }
    }

    func release(_ connection: SQLiteHandle) {
        let waiter = state.withLock { state -> CheckedContinuation<SQLiteHandle, any Error>? in
            if state.closed {
                state.open -= 1
                return nil
            }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(connection)
            return nil
        }
        if let waiter {
            waiter.resume(returning: connection)
        } else if state.withLock({ $0.closed }) {
            connection.close()
        }
    }

    func close() {
        let (waiters, idle) = state.withLock { state in
            state.closed = true
            defer { state.waiters = []; state.idle = [] }
            state.open -= state.idle.count
            return (state.waiters, state.idle)
        }
        for waiter in waiters { waiter.resume(throwing: SQLitePoolError.closed) }
        for connection in idle { connection.close() }
    }
}

enum SQLitePoolError: Error { case closed }
