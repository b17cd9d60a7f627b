import AppServices
import CairnCore
import Foundation
import Storage
import Synchronization
import Testing

@Suite("Background jobs")
struct JobRunnerTests {
    @Test("a handler that fails is retried after a growing pause, then marked failed with its error")
    func retriesThenFails() async throws {
        let world = try await World.make()
        let store = world.database.store
        let calls = Mutex(0)
        let runner = JobRunner(store: store, handlers: ["flaky": { _ in
            calls.withLock { $0 += 1 }
            throw StoreError.unavailable("the mail server is down")
        }], worker: "w", clock: world.clock.clock)
        let now = world.clock.now
        try await store.enqueueJob(NewJob(kind: "flaky", payload: "", key: "flaky-1", runAt: now, maxAttempts: 3, createdAt: now))
        #expect(try await runner.runDue() == 1)
        var job = try #require(try await store.job(key: "flaky-1"))
        #expect(job.status == .queued && job.runAt == now + 10, "retried 10 s later")
        #expect(try await runner.runDue() == 0, "not before its time")
        world.clock.advance(by: 10)
        #expect(try await runner.runDue() == 1)
        job = try #require(try await store.job(key: "flaky-1"))
        #expect(job.runAt == now + 10 + 20, "then 20 s later")
        world.clock.advance(by: 20)
        #expect(try await runner.runDue() == 1)
        job = try #require(try await store.job(key: "flaky-1"))
        #expect(job.status == .failed && job.attempts == 3 && job.lastError?.contains("the mail server is down") == true)
        #expect(calls.withLock { $0 } == 3)
        await world.database.shutdown()
    }

    @Test("a job of a kind no handler knows fails at once, saying so")
    func unknownKind() async throws {
        let world = try await World.make()
        let store = world.database.store
        let runner = JobRunner(store: store, handlers: [:], worker: "w", clock: world.clock.clock)
        try await store.enqueueJob(NewJob(kind: "mystery", payload: "", key: "m", runAt: world.clock.now, createdAt: world.clock.now))
        #expect(try await runner.runDue() == 1)
        let job = try #require(try await store.job(key: "m"))
        #expect(job.status == .failed && job.attempts == 1 && job.lastError?.contains("no handler for jobs of kind 'mystery'") == true)
        await world.database.shutdown()
    }

    @Test("the hourly session sweep is scheduled once however many nodes schedule it, and deletes expired sessions")
    func periodicSweep() async throws {
        let world = try await World.make()
        let store = world.database.store
        _ = try await world.accounts.signUp(email: "sweep@example.org", password: "a long password", displayName: "Sweep")
        let (_, session) = try await world.accounts.logIn(email: "sweep@example.org", password: "a long password")
        let nodes = (0 ..< 3).map { JobRunner(store: store, handlers: JobRunner.handlers(store: store, badges: BadgeService(
            catalog: world.courses, store: store, baseURL: "https://learn.example.org", clock: world.clock.clock),
            calibration: CalibrationRunService(catalog: world.courses, store: store, clock: world.clock.clock), clock: world.clock.clock),
            worker: "node-\($0)", clock: world.clock.clock) }
        for node in nodes { try await node.schedulePeriodic() }
        #expect(try await store.jobs(status: .queued, limit: 10).count == 1, "one sweep for this hour")
        world.clock.advance(by: AccountService.sessionLifetime + 1)
        #expect(try await nodes[1].runDue() >= 1)
        #expect(try await store.session(id: session.id) == nil, "the expired session is gone")
        // A month on, the next sweep also deletes the jobs done before then.
        world.clock.advance(by: JobRunner.keepDoneJobs + 3600)
        try await nodes[2].schedulePeriodic()
        #expect(try await nodes[2].runDue() == 1)
        let left = try await store.jobs(status: nil, limit: 10)
        #expect(left.count == 1 && left[0].status == .done, "only the sweep just run is left: \(left.map(\.key))")
        await world.database.shutdown()
    }
}
