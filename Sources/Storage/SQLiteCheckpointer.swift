import Logging
import NIOPosix
import Synchronization

/// Copies the write-ahead log back into the database file in the background.
///
/// Left to itself, SQLite does this inside whichever commit takes the log past 1,000
/// pages, with an fsync, while every other writer waits: a pause that lands on one
/// learner's request now and then. Here a passive checkpoint runs every `interval` on its
/// own connection and on NIO's blocking thread pool; it never waits for readers or the
/// writer. The writer still checkpoints by itself once the log passes `safetyPages` (set on
/// the write connection), should this task ever fall behind.
final class SQLiteCheckpointer: Sendable {
    static let safetyPages = 10_000

    private let task: Mutex<Task<Void, Never>?>

    init(path: String, interval: Duration = .milliseconds(250), logger: Logger) {
        task = Mutex(Task.detached(priority: .utility) {
            let handle: SQLiteHandle
            do {
                handle = try SQLiteHandle(path: path, logger: logger)
            } catch {
                logger.warning("background checkpoints are off; SQLite will checkpoint inside commits", metadata: ["error": "\(error)"])
                return
            }
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                do {
                    try await NIOThreadPool.singleton.runIfActive { try handle.execute("PRAGMA wal_checkpoint(PASSIVE)") }
                } catch is CancellationError {
                    break
                } catch {
                    logger.warning("background checkpoint failed", metadata: ["error": "\(error)"])
                }
            }
            handle.close()
        })
    }

    /// Stops the loop and closes its connection.
    func stop() async {
        guard let running = task.withLock({ task in defer { task = nil }; return task }) else { return }
        running.cancel()
        await running.value
    }
}
