import CairnCore
import Foundation
import Logging

public enum JobStatus: String, Sendable, CaseIterable {
    /// Waiting for its time (`runAt`), or for a retry.
    case queued
    /// Held by a worker until its lease runs out.
    case running
    case done
    /// Gave up after its last attempt; `lastError` says why.
    case failed
}

/// A job to store: what to do (`kind` and `payload`), and a key that makes it once-only.
public struct NewJob: Sendable, Equatable {
    public var id: String
    public var kind: String
    public var payload: String
    /// At most one job per key is ever stored: enqueueing the same work twice stores it once.
    public var key: String
    public var runAt: Date
    public var maxAttempts: Int
    public var createdAt: Date

    public init(kind: String, payload: String, key: String, runAt: Date, maxAttempts: Int = 8, createdAt: Date) {
        id = RandomUUID.string()
        self.kind = kind
        self.payload = payload
        self.key = key
        self.runAt = runAt
        self.maxAttempts = maxAttempts
        self.createdAt = createdAt
    }
}

public struct JobRecord: Sendable, Equatable {
    public var id: String
    public var kind: String
    public var payload: String
    public var key: String
    public var status: JobStatus
    /// Attempts started so far, this one included while it runs.
    public var attempts: Int
    public var maxAttempts: Int
    public var runAt: Date
    public var lockedBy: String?
    public var lockedUntil: Date?
    public var lastError: String?
    public var createdAt: Date
    public var finishedAt: Date?

    public init(id: String, kind: String, payload: String, key: String, status: JobStatus, attempts: Int, maxAttempts: Int, runAt: Date,
                lockedBy: String?, lockedUntil: Date?, lastError: String?, createdAt: Date, finishedAt: Date?) {
        self.id = id
        self.kind = kind
        self.payload = payload
        self.key = key
        self.status = status
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.runAt = runAt
        self.lockedBy = lockedBy
        self.lockedUntil = lockedUntil
        self.lastError = lastError
        self.createdAt = createdAt
        self.finishedAt = finishedAt
    }

    /// Why a job whose worker stopped during its last attempt failed (`failAbandonedJobs`).
    public static let abandonedError = "its worker stopped during the last attempt (the lease ran out)"

    /// Whether nothing will run this job again: it failed for good, or its worker stopped
    /// during its last attempt (it is marked failed by the next hourly sweep).
    public func gaveUp(at date: Date) -> Bool {
        status == .failed || (status == .running && attempts >= maxAttempts && (lockedUntil ?? .distantFuture) <= date)
    }

    /// Why it gave up, for a person.
    public var failure: String {
        status == .failed ? lastError ?? "it failed" : Self.abandonedError
    }
}

/// Runs the background work stored as jobs: any node's runner may take any job.
///
/// Execution is at least once: a job is leased to one worker at a time, and if that worker
/// stops before finishing (a crash, a deploy), the lease runs out and another takes it. So
/// every handler is idempotent: running one twice has the effect of running it once (a
/// badge is issued once per sitting, a sweep deletes what is already gone). A handler that
/// throws is retried with a growing pause, up to the job's attempts, then marked failed
/// with its error for an administrator to see (`cairn jobs list`).
public final class JobRunner: Sendable {
    public typealias Handler = @Sendable (JobRecord) async throws -> Void

    /// Kinds of job Cairn has.
    public enum Kind {
        /// Issue the badge an exam sitting earned; the payload is the sitting's id.
        public static let issueBadge = "badge.issue"
        /// Delete expired sessions, and jobs done more than `keepDoneJobs` ago; scheduled once
        /// an hour by whichever node gets there first.
        public static let purgeSessions = "sessions.purge"
        /// Calibrate a course's exam from its stored sittings; the payload is the run's id
        /// (`CalibrationRunService`).
        public static let calibrate = "calibration.run"
    }

    let store: any CairnStore
    let handlers: [String: Handler]
    let worker: String
    let lease: TimeInterval
    let clock: Clock
    let logger: Logger

    public init(store: any CairnStore, handlers: [String: Handler], worker: String = "node-" + RandomUUID.string().prefix(8),
                lease: TimeInterval = 300, clock: Clock = .system, logger: Logger = Logger(label: "cairn.jobs")) {
        self.store = store
        self.handlers = handlers
        self.worker = worker
        self.lease = lease
        self.clock = clock
        self.logger = logger
    }

    /// The handlers for Cairn's own jobs.
    public static func handlers(store: any CairnStore, badges: BadgeService, calibration: CalibrationRunService, clock: Clock = .system) -> [String: Handler] {
        [
            Kind.issueBadge: { job in
                guard let session = try await store.examSession(id: ExamSessionID(rawValue: job.payload)) else {
                    throw JobError.permanent("no exam sitting \(job.payload)")
                }
                // Issuing is idempotent per sitting: a second run finds the badge and stops.
                guard try await badges.issue(for: session) != nil else {
                    throw JobError.permanent("sitting \(job.payload) did not pass, so it earns no badge")
                }
            },
            Kind.purgeSessions: { _ in
                try await store.failAbandonedJobs(at: clock.now())
                try await store.deleteSessions(expiredBefore: clock.now())
                try await store.deleteJobs(doneBefore: clock.now().addingTimeInterval(-keepDoneJobs))
            },
            Kind.calibrate: { job in try await calibration.perform(job) },
        ]
    }

    /// How long finished jobs are kept (30 days), for `cairn jobs list`.
    public static let keepDoneJobs: TimeInterval = 30 * 86_400

    /// Takes and runs due jobs until none is left; returns how many ran (successfully or not).
    @discardableResult
    public func runDue() async throws -> Int {
        var ran = 0
        // Not once the node is stopping: a job put back would be taken again at once.
        while !Task.isCancelled, let job = try await store.claimJob(kinds: kinds, worker: worker, now: clock.now(), leaseUntil: clock.now().addingTimeInterval(lease)) {
            await run(job)
            ran += 1
        }
        return ran
    }

    /// The kinds this node takes: those it has handlers for.
    var kinds: [String] { handlers.keys.sorted() }

    func run(_ job: JobRecord) async {
        let metadata: Logger.Metadata = ["job": "\(job.id)", "kind": "\(job.kind)", "attempt": "\(job.attempts)"]
        // While the handler works, the lease is renewed every third of it: a long job (a big
        // calibration) stays this worker's, and a worker that dies loses it within one lease.
        let heartbeat = Task { [store, worker, lease, clock] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(lease / 3))
                guard !Task.isCancelled else { return }
                _ = try? await store.renewJobLease(id: job.id, worker: worker, until: clock.now().addingTimeInterval(lease))
            }
        }
        defer { heartbeat.cancel() }
        do {
            guard let handler = handlers[job.kind] else { throw JobError.permanent("no handler for jobs of kind '\(job.kind)' on this node") }
            try await handler(job)
            if try await !store.completeJob(id: job.id, worker: worker, at: clock.now()) {
                logger.warning("job finished after its lease ran out; another worker holds it now", metadata: metadata)
            }
        } catch is CancellationError {
            // The node is shutting down: the job goes back to the queue, its attempt not
            // counted, for this node or another to take.
            logger.info("job put back: the node is stopping", metadata: metadata)
            // In a task of its own: this one is cancelled, and the database call must not be.
            await Task { [store, worker] in try? await store.releaseJob(id: job.id, worker: worker) }.value
        } catch {
            let permanent = (error as? JobError)?.isPermanent == true
            let retryAt = permanent || job.attempts >= job.maxAttempts ? nil : clock.now().addingTimeInterval(Self.backoff(attempt: job.attempts))
            logger.warning("job failed", metadata: metadata.merging(["error": "\(error)", "retry": "\(retryAt.map { "\($0)" } ?? "no")"]) { $1 })
            try? await store.failJob(id: job.id, worker: worker, error: "\(error)", retryAt: retryAt, at: clock.now())
        }
    }

    /// Seconds before attempt `attempt + 1`: 10 s, 20 s, 40 s, … up to an hour.
    static func backoff(attempt: Int) -> TimeInterval {
        min(3600, 10 * pow(2, Double(max(0, attempt - 1))))
    }

    /// Schedules the periodic jobs for the current hour; every node calls this and the
    /// jobs' keys make one of each per hour in all.
    public func schedulePeriodic() async throws {
        let now = clock.now()
        let hour = Int(now.timeIntervalSince1970 / 3600)
        try await store.enqueueJob(NewJob(kind: Kind.purgeSessions, payload: "", key: "\(Kind.purgeSessions):\(hour)", runAt: now, maxAttempts: 3, createdAt: now))
    }

    /// Polls for due jobs every `interval` until cancelled (the node shutting down).
    public func run(every interval: Duration = .seconds(1)) async {
        var lastSchedule = Date.distantPast
        while !Task.isCancelled {
            do {
                if clock.now().timeIntervalSince(lastSchedule) >= 60 {
                    try await schedulePeriodic()
                    lastSchedule = clock.now()
                }
                try await runDue()
            } catch {
                logger.warning("could not take jobs", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}

/// A failure not worth retrying (the job names something that does not exist).
public struct JobError: Error, CustomStringConvertible {
    public let description: String
    let isPermanent: Bool
    public static func permanent(_ message: String) -> JobError { JobError(description: message, isPermanent: true) }
}
