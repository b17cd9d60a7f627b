import AppServices
import CairnCore
import Foundation
import SQLKit

/// Jobs: enqueue once per key, claim with a lease, finish or fail. The claim is one
/// statement: on PostgreSQL it skips rows other workers have locked (`FOR UPDATE SKIP
/// LOCKED`, the usual queue), so many nodes take different jobs without waiting on each
/// other; SQLite has one writer, so the plain statement is already exclusive.
extension SQLStore {
    static let jobColumns = "id, kind, payload, job_key, status, attempts, max_attempts, run_at, locked_by, locked_until, last_error, created_at, finished_at"

    /// The claim, for jobs of the given kinds (all kinds when nil): a node takes only work it
    /// has handlers for, so during a rolling deploy an older node leaves a newer kind of job
    /// for the newer nodes instead of failing it.
    static func claimJob(postgres: Bool, kinds: Int?) -> Statement {
        let only = kinds.map { " AND kind IN (" + Array(repeating: "?", count: $0).joined(separator: ", ") + ")" } ?? ""
        return Statement("""
            UPDATE jobs SET status = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1
            WHERE id = (
                SELECT id FROM jobs
                WHERE ((status = 'queued' AND run_at <= ?) OR (status = 'running' AND locked_until <= ? AND attempts < max_attempts))\(only)
                ORDER BY run_at LIMIT 1\(postgres ? " FOR UPDATE SKIP LOCKED" : "")
            )
            RETURNING \(jobColumns)
            """)
    }

    @discardableResult
    public func enqueueJob(_ job: NewJob) async throws -> Bool {
        try await withDatabase { db in
            let inserted = try await db.rows(Statement("""
                INSERT INTO jobs (\(Self.jobColumns))
                VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, NULL, NULL, NULL, ?, NULL)
                ON CONFLICT (job_key) DO NOTHING
                RETURNING id
                """), [
                    .text(job.id), .text(job.kind), .text(job.payload), .text(job.key), .integer(job.maxAttempts),
                    .integer(Int(job.runAt.epochMilliseconds)), .integer(Int(job.createdAt.epochMilliseconds)),
                ])
            return !inserted.isEmpty
        }
    }

    public func claimJob(kinds: [String]?, worker: String, now: Date, leaseUntil: Date) async throws -> JobRecord? {
        if let kinds, kinds.isEmpty { return nil }
        return try await withDatabase { db in
            let now = Int(now.epochMilliseconds)
            return try await db.rows(Self.claimJob(postgres: db.dialect.name == "postgresql", kinds: kinds?.count), [
                .text(worker), .integer(Int(leaseUntil.epochMilliseconds)), .integer(now), .integer(now),
            ] + (kinds ?? []).map { .text($0) }).first.map(Self.job)
        }
    }

    @discardableResult
    public func renewJobLease(id: String, worker: String, until date: Date) async throws -> Bool {
        try await withDatabase { db in
            try await !db.rows(Statement("""
                UPDATE jobs SET locked_until = ? WHERE id = ? AND status = 'running' AND locked_by = ?
                RETURNING id
                """), [.integer(Int(date.epochMilliseconds)), .text(id), .text(worker)]).isEmpty
        }
    }

    public func releaseJob(id: String, worker: String) async throws {
        try await withDatabase { db in
            try await db.run(Statement("""
                UPDATE jobs SET status = 'queued', attempts = attempts - 1, locked_by = NULL, locked_until = NULL
                WHERE id = ? AND status = 'running' AND locked_by = ?
                """), [.text(id), .text(worker)])
        }
    }

    @discardableResult
    public func completeJob(id: String, worker: String, at date: Date) async throws -> Bool {
        try await withDatabase { db in
            try await !db.rows(Statement("""
                UPDATE jobs SET status = 'done', finished_at = ?, locked_by = NULL, locked_until = NULL, last_error = NULL
                WHERE id = ? AND status = 'running' AND locked_by = ?
                RETURNING id
                """), [.integer(Int(date.epochMilliseconds)), .text(id), .text(worker)]).isEmpty
        }
    }

    public func failJob(id: String, worker: String, error: String, retryAt: Date?, at date: Date) async throws {
        try await withDatabase { db in
            try await db.run(Statement("""
                UPDATE jobs SET status = ?, run_at = COALESCE(?, run_at), finished_at = ?, last_error = ?, locked_by = NULL, locked_until = NULL
                WHERE id = ? AND status = 'running' AND locked_by = ?
                """), [
                    .text(retryAt == nil ? JobStatus.failed.rawValue : JobStatus.queued.rawValue),
                    retryAt.map { .integer(Int($0.epochMilliseconds)) } ?? .null,
                    retryAt == nil ? .integer(Int(date.epochMilliseconds)) : .null,
                    .text(String(error.prefix(2000))), .text(id), .text(worker),
                ])
        }
    }

    public func retryJob(key: String, at date: Date) async throws -> JobRecord? {
        try await withDatabase { db in
            try await db.rows(Statement("""
                UPDATE jobs SET status = 'queued', attempts = 0, run_at = ?, finished_at = NULL, locked_by = NULL, locked_until = NULL
                WHERE job_key = ? AND status = 'failed'
                RETURNING \(Self.jobColumns)
                """), [.integer(Int(date.epochMilliseconds)), .text(key)]).first.map(Self.job)
        }
    }

    public func failAbandonedJobs(at date: Date) async throws {
        try await withDatabase { db in
            try await db.run(Statement("""
                UPDATE jobs SET status = 'failed', finished_at = ?, locked_by = NULL, locked_until = NULL, last_error = ?
                WHERE status = 'running' AND locked_until <= ? AND attempts >= max_attempts
                """), [.integer(Int(date.epochMilliseconds)), .text(JobRecord.abandonedError), .integer(Int(date.epochMilliseconds))])
        }
    }

    public func deleteJobs(doneBefore date: Date) async throws {
        try await withDatabase { db in
            try await db.run(Statement("DELETE FROM jobs WHERE status = 'done' AND finished_at < ?"), [.integer(Int(date.epochMilliseconds))])
        }
    }

    public func job(key: String) async throws -> JobRecord? {
        try await withReader { db in
            try await db.rows(Statement("SELECT \(Self.jobColumns) FROM jobs WHERE job_key = ?"), [.text(key)]).first.map(Self.job)
        }
    }

    public func jobs(status: JobStatus?, limit: Int) async throws -> [JobRecord] {
        try await withReader { db in
            if let status {
                return try await db.rows(Statement("SELECT \(Self.jobColumns) FROM jobs WHERE status = ? ORDER BY created_at DESC LIMIT ?"),
                                         [.text(status.rawValue), .integer(limit)]).map(Self.job)
            }
            return try await db.rows(Statement("SELECT \(Self.jobColumns) FROM jobs ORDER BY created_at DESC LIMIT ?"), [.integer(limit)]).map(Self.job)
        }
    }

    static func job(_ row: StatementRow) throws -> JobRecord {
        guard let status = JobStatus(rawValue: try row.string(4)) else { throw StoreError.unavailable("jobs.status holds '\(try row.string(4))'") }
        return JobRecord(
            id: try row.string(0), kind: try row.string(1), payload: try row.string(2), key: try row.string(3), status: status,
            attempts: try row.int(5), maxAttempts: try row.int(6), runAt: Date(epochMilliseconds: try row.int64(7)),
            lockedBy: try row.optional(8, row.string), lockedUntil: try row.optional(9, row.int64).map { Date(epochMilliseconds: $0) },
            lastError: try row.optional(10, row.string), createdAt: Date(epochMilliseconds: try row.int64(11)),
            finishedAt: try row.optional(12, row.int64).map { Date(epochMilliseconds: $0) }
        )
    }
}
