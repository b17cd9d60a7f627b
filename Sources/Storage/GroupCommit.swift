import SQLKit
import Synchronization

/// Group commit: writes from many requests share one transaction on the write connection.
///
/// SQLite has one writer, and a commit costs more than the statements before it (each
/// changed page is written to the log). With many learners answering at once, each
/// answer's statements queue here; whoever finds the queue idle starts a drain, which
/// takes everything queued (up to `maxBatch`), runs each piece of work inside its own
/// savepoint, commits once and then tells every caller how its work went. A piece of work
/// that fails is rolled back to its savepoint and fails alone; a failed commit fails them
/// all, and nothing of theirs is stored. No caller hears "done" before the commit.
final class GroupCommit: Sendable {
    typealias Work = @Sendable (any SQLDatabase) async throws -> Void

    private struct Pending {
        let work: Work
        let done: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var queue: [Pending] = []
        var draining = false
        var transactions = 0
    }

    /// At most this many pieces of work per transaction, so that one commit never holds
    /// the write connection for long.
    static let maxBatch = 64

    private let writer: SQLitePool
    private let state = Mutex(State())

    init(writer: SQLitePool) {
        self.writer = writer
    }

    /// How many transactions the work so far took (fewer than the pieces of work when
    /// they were batched).
    var transactions: Int { state.withLock(\.transactions) }

    /// Runs `work` in a transaction, perhaps with others' work; returns once committed.
    func run(_ work: @escaping Work) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let start = state.withLock { state -> Bool in
                state.queue.append(Pending(work: work, done: done))
                if state.draining { return false }
                state.draining = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Pending] in
                guard !state.queue.isEmpty else {
                    state.draining = false
                    return []
                }
                let batch = Array(state.queue.prefix(Self.maxBatch))
                state.queue.removeFirst(batch.count)
                state.transactions += 1
                return batch
            }
            if batch.isEmpty { return }
            let outcomes = await commit(batch.map(\.work))
            for (pending, outcome) in zip(batch, outcomes) { pending.done.resume(with: outcome) }
        }
    }

    private func commit(_ batch: [Work]) async -> [Result<Void, any Error>] {
        var outcomes = [Result<Void, any Error>](repeating: .success(()), count: batch.count)
        do {
            let connection = try await writer.acquire()
            defer { writer.release(connection) }
            let db = connection.sql()
            try await db.inTransaction(.write) {
                if batch.count == 1 {
                    // Alone: its failure is the transaction's, no savepoint needed.
                    try await batch[0](db)
                    return
                }
                for (index, work) in batch.enumerated() {
                    try await db.run(Statement("SAVEPOINT work"))
                    do {
                        try await work(db)
                    } catch {
                        outcomes[index] = .failure(error)
                        try await db.run(Statement("ROLLBACK TO work"))
                    }
                    try await db.run(Statement("RELEASE work"))
                }
            }
        } catch {
            // Nothing was committed: every piece of work fails, with its own error if it had one.
            for index in outcomes.indices {
                if case .success = outcomes[index] { outcomes[index] = .failure(error) }
            }
        }
        return outcomes
    }
}
