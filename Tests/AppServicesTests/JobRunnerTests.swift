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

    @Test("a job of a kind this node has no handler for is left queued for a node that has one (a rolling deploy)")
    func unknownKind() async throws {
        let world = try await World.make()
        let store = world.database.store
        let older = JobRunner(store: store, handlers: ["known": { _ in }], worker: "older", clock: world.clock.clock)
        try await store.enqueueJob(NewJob(kind: "newer", payload: "", key: "n", runAt: world.clock.now, createdAt: world.clock.now))
        try await store.enqueueJob(NewJob(kind: "known", payload: "", key: "k", runAt: world.clock.now + 1, createdAt: world.clock.now))
        world.clock.advance(by: 1)
        #expect(try await older.runDue() == 1, "it takes the kind it knows, though the other is older")
        #expect(try await store.job(key: "k")?.status == .done)
        let waiting = try #require(try await store.job(key: "n"))
        #expect(waiting.status == .queued && waiting.attempts == 0, "the newer kind is not touched")
        let ran = Mutex(0)
        let newer = JobRunner(store: store, handlers: ["newer": { _ in ran.withLock { $0 += 1 } }], worker: "newer", clock: world.clock.clock)
        #expect(try await newer.runDue() == 1)
        #expect(try await store.job(key: "n")?.status == .done && ran.withLock { $0 } == 1)
        await world.database.shutdown()
    }

    @Test("a long job's lease is renewed while it runs, so no other worker takes it; a job stopped by shutdown goes back to the queue uncounted")
    func heartbeatAndRelease() async throws {
        let world = try await World.make()
        let store = world.database.store
        let started = Mutex(0)
        // The real clock: the heartbeat sleeps in real time. A lease of 1.5 s (renewed every
        // 0.5 s, so a second of scheduling delay under a loaded test run still holds), a job of 3 s.
        let slow = JobRunner(store: store, handlers: ["slow": { _ in
            started.withLock { $0 += 1 }
            try await Task.sleep(for: .seconds(3))
        }], worker: "slow-node", lease: 1.5)
        let other = JobRunner(store: store, handlers: ["slow": { _ in started.withLock { $0 += 1 } }], worker: "other-node", lease: 1.5)
        try await store.enqueueJob(NewJob(kind: "slow", payload: "", key: "s", runAt: Date(), maxAttempts: 3, createdAt: Date()))
        let running = Task { try await slow.runDue() }
        try await Task.sleep(for: .milliseconds(400))
        for _ in 0 ..< 4 {
            // At about 1.0, 1.6, 2.2 and 2.8 s: past the first lease from 1.6 s on.
            try await Task.sleep(for: .milliseconds(600))
            #expect(try await other.runDue() == 0, "the lease was renewed: the job is still the slow node's")
        }
        #expect(try await running.value == 1)
        #expect(try await store.job(key: "s")?.status == .done && started.withLock { $0 } == 1, "it ran once")

        // Cancelled mid-job (the node stopping): back in the queue, the attempt not counted.
        try await store.enqueueJob(NewJob(kind: "slow", payload: "", key: "s2", runAt: Date(), maxAttempts: 3, createdAt: Date()))
        let stopping = Task { try await slow.runDue() }
        try await Task.sleep(for: .milliseconds(200))
        stopping.cancel()
        _ = try await stopping.value
        let back = try #require(try await store.job(key: "s2"))
        #expect(back.status == .queued && back.attempts == 0 && back.lockedBy == nil, "\(back)")
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
