import AppServices
import CairnCore
import Foundation
import Storage
import Testing

// The jobs contract, on SQLite and (in scripts/test's PostgreSQL run) PostgreSQL.
// `Backend` and `t0` come from StoreContractTests.swift.

@Suite("Job store contract")
struct JobStoreTests {
    static func job(_ key: String, at date: Date = t0, attempts: Int = 3) -> NewJob {
        NewJob(kind: "test.kind", payload: "payload of \(key)", key: key, runAt: date, maxAttempts: attempts, createdAt: date)
    }

    @Test("the same work enqueued twice is stored once; a job waits for its time", arguments: Backend.allCases)
    func enqueueOnce(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            #expect(try await store.enqueueJob(Self.job("once")))
            #expect(try await !store.enqueueJob(Self.job("once")), "a second job with the same key is not stored")
            #expect(try await store.enqueueJob(Self.job("later", at: t0 + 60)))
            let claimed = try #require(try await store.claimJob(worker: "w1", now: t0, leaseUntil: t0 + 30))
            #expect(claimed.key == "once" && claimed.status == .running && claimed.attempts == 1 && claimed.lockedBy == "w1")
            #expect(claimed.payload == "payload of once" && claimed.kind == "test.kind")
            #expect(try await store.claimJob(worker: "w2", now: t0 + 1, leaseUntil: t0 + 31) == nil, "the other is not due until t0 + 60")
            #expect(try await store.completeJob(id: claimed.id, worker: "w1", at: t0 + 2))
            #expect(try await store.claimJob(worker: "w2", now: t0 + 60, leaseUntil: t0 + 90)?.key == "later")
        }
    }

    @Test("workers claiming at once never hold the same job", arguments: Backend.allCases)
    func exclusiveClaims(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            for index in 0 ..< 24 { try await store.enqueueJob(Self.job("job-\(index)", at: t0 + Double(index) / 1000)) }
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0 ..< 6 {
                    group.addTask {
                        var mine: [String] = []
                        while let job = try await store.claimJob(worker: "w\(worker)", now: t0 + 1, leaseUntil: t0 + 300) {
                            mine.append(job.key)
                            #expect(job.lockedBy == "w\(worker)")
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claimed.count == 24 && Set(claimed).count == 24, "each job claimed exactly once: \(claimed.sorted())")
        }
    }

    @Test("a job whose worker stopped is taken again once its lease runs out; the late worker cannot finish it", arguments: Backend.allCases)
    func leaseExpiry(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await store.enqueueJob(Self.job("leased"))
            let first = try #require(try await store.claimJob(worker: "w1", now: t0, leaseUntil: t0 + 10))
            #expect(try await store.claimJob(worker: "w2", now: t0 + 5, leaseUntil: t0 + 15) == nil, "held while the lease lasts")
            let second = try #require(try await store.claimJob(worker: "w2", now: t0 + 11, leaseUntil: t0 + 21))
            #expect(second.id == first.id && second.attempts == 2 && second.lockedBy == "w2")
            #expect(try await !store.completeJob(id: first.id, worker: "w1", at: t0 + 12), "w1's lease is gone")
            #expect(try await store.completeJob(id: first.id, worker: "w2", at: t0 + 13))
            let done = try #require(try await store.job(key: "leased"))
            #expect(done.status == .done && done.finishedAt == t0 + 13 && done.lockedBy == nil)
            #expect(try await store.claimJob(worker: "w3", now: t0 + 100, leaseUntil: t0 + 110) == nil, "a finished job is not taken again")
        }
    }

    @Test("a job whose worker stopped during its last attempt is not taken again, and is marked failed", arguments: Backend.allCases)
    func abandoned(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await store.enqueueJob(Self.job("last", attempts: 1))
            _ = try #require(try await store.claimJob(worker: "w1", now: t0, leaseUntil: t0 + 10))
            #expect(try await store.claimJob(worker: "w2", now: t0 + 11, leaseUntil: t0 + 21) == nil, "no attempts left")
            try await store.failAbandonedJobs(at: t0 + 12)
            let failed = try #require(try await store.job(key: "last"))
            #expect(failed.status == .failed && failed.lastError?.contains("its worker stopped") == true && failed.lockedBy == nil)
        }
    }

    @Test("a failed attempt is retried at the time given; the last one fails for good with its error", arguments: Backend.allCases)
    func failures(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await store.enqueueJob(Self.job("flaky"))
            let job = try #require(try await store.claimJob(worker: "w1", now: t0, leaseUntil: t0 + 10))
            try await store.failJob(id: job.id, worker: "w1", error: "the mail server said no", retryAt: t0 + 20, at: t0 + 1)
            let waiting = try #require(try await store.job(key: "flaky"))
            #expect(waiting.status == .queued && waiting.runAt == t0 + 20 && waiting.lastError == "the mail server said no" && waiting.finishedAt == nil)
            #expect(try await store.claimJob(worker: "w1", now: t0 + 19, leaseUntil: t0 + 29) == nil)
            let again = try #require(try await store.claimJob(worker: "w1", now: t0 + 20, leaseUntil: t0 + 30))
            try await store.failJob(id: again.id, worker: "w1", error: "still no", retryAt: nil, at: t0 + 21)
            let failed = try #require(try await store.job(key: "flaky"))
            #expect(failed.status == .failed && failed.lastError == "still no" && failed.attempts == 2 && failed.finishedAt == t0 + 21)
            #expect(try await store.jobs(status: .failed, limit: 10).map(\.key) == ["flaky"])
            #expect(try await store.jobs(status: .queued, limit: 10).isEmpty)
            #expect(try await store.claimJob(worker: "w1", now: t0 + 1000, leaseUntil: t0 + 1010) == nil)

            // Put back by an operator: due at once with all its attempts, taken again.
            #expect(try await store.retryJob(key: "missing", at: t0 + 2000) == nil)
            let retried = try #require(try await store.retryJob(key: "flaky", at: t0 + 2000))
            #expect(retried.status == .queued && retried.attempts == 0 && retried.runAt == t0 + 2000 && retried.finishedAt == nil)
            #expect(try await store.retryJob(key: "flaky", at: t0 + 2001) == nil, "only a failed job is put back")
            #expect(try await store.claimJob(worker: "w2", now: t0 + 2000, leaseUntil: t0 + 2010)?.key == "flaky")
        }
    }

    @Test("a claim takes only the kinds asked for; a lease is renewed only by its holder; a released job is queued again, its attempt uncounted", arguments: Backend.allCases)
    func kindsLeasesRelease(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await store.enqueueJob(NewJob(kind: "mail", payload: "", key: "mail-1", runAt: t0, createdAt: t0))
            try await store.enqueueJob(NewJob(kind: "export", payload: "", key: "export-1", runAt: t0 + 1, createdAt: t0))
            #expect(try await store.claimJob(kinds: [], worker: "w1", now: t0 + 2, leaseUntil: t0 + 12) == nil)
            #expect(try await store.claimJob(kinds: ["calibration"], worker: "w1", now: t0 + 2, leaseUntil: t0 + 12) == nil)
            let export = try #require(try await store.claimJob(kinds: ["export", "calibration"], worker: "w1", now: t0 + 2, leaseUntil: t0 + 12))
            #expect(export.key == "export-1", "the earlier mail job is not of these kinds")

            #expect(try await !store.renewJobLease(id: export.id, worker: "w2", until: t0 + 100), "only the holder renews")
            #expect(try await store.renewJobLease(id: export.id, worker: "w1", until: t0 + 100))
            #expect(try await store.claimJob(kinds: ["export"], worker: "w2", now: t0 + 50, leaseUntil: t0 + 60) == nil, "renewed past t0 + 50")
            #expect(try await store.job(key: "export-1")?.lockedUntil == t0 + 100)

            try await store.releaseJob(id: export.id, worker: "w2")
            #expect(try await store.job(key: "export-1")?.status == .running, "another worker cannot release it")
            try await store.releaseJob(id: export.id, worker: "w1")
            let released = try #require(try await store.job(key: "export-1"))
            #expect(released.status == .queued && released.attempts == 0 && released.lockedBy == nil && released.lockedUntil == nil)
            #expect(try await store.claimJob(kinds: nil, worker: "w3", now: t0 + 3, leaseUntil: t0 + 13)?.key == "mail-1", "any kind, oldest first")
        }
    }
}
