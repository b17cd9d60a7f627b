import AppServices
import CairnCore
import Curriculum
import Foundation
import Storage
import Testing

@Suite("Calibration as a background job")
struct CalibrationRunTests {
    /// A room whose linear exam gives every sitting the same eight items, a service and a
    /// runner over it, and an administrator to ask.
    static func room() async throws -> (ExamRoom, CalibrationRunService, JobRunner, UserID) {
        let room = try await ExamRoom.make(linear: true, itemsPerSkill: 4)
        let calibration = CalibrationRunService(catalog: room.catalog, store: room.store, clock: room.world.clock.clock)
        let badges = BadgeService(catalog: room.catalog, store: room.store, baseURL: "https://learn.example.org", clock: room.world.clock.clock)
        let runner = JobRunner(store: room.store, handlers: JobRunner.handlers(store: room.store, badges: badges, calibration: calibration, clock: room.world.clock.clock),
                               worker: "node-a", clock: room.world.clock.clock)
        return (room, calibration, runner, try await room.learner("admin"))
    }

    /// `count` finished sittings: learner k has ability k % 6 and gets an item right when
    /// its difficulty (its place in the bank, mod 5) is below that, with a slip now and then,
    /// so every item has right and wrong answers and the fit has something to find.
    static func sittings(_ room: ExamRoom, count: Int) async throws {
        let bank = ExamRoom.fixture.items.map(\.id)
        for k in 0 ..< count {
            let user = try await room.readyLearner("examinee-\(k)")
            _ = try await room.exams.start(course: ExamRoom.courseID, user: user)
            for _ in 0 ..< 8 {
                let item = try await room.presented(user)
                let index = bank.firstIndex(of: item.item.id) ?? 0
                try await room.answer(user, right: (index % 5 < k % 6) != ((k + index) % 7 == 0))
            }
        }
    }

    @Test("an administrator's request is queued as a job; any node's runner calibrates the stored sittings and keeps the report, once")
    func calibratesStoredSittings() async throws {
        let (room, calibration, runner, admin) = try await Self.room()
        try await Self.sittings(room, count: 60)

        let (run, queued) = try await calibration.request(course: ExamRoom.courseID, by: admin)
        #expect(queued && run.status == .queued)
        let again = try await calibration.request(course: ExamRoom.courseID, by: admin)
        #expect(!again.queued && again.run.id == run.id, "a second request while one waits is the same run")
        #expect(try await room.store.jobs(status: .queued, limit: 10).filter { $0.kind == JobRunner.Kind.calibrate }.count == 1)
        let listed = try await calibration.runs()
        #expect(listed.count == 1 && listed[0].job?.status == .queued, "the page sees the waiting job")

        #expect(try await runner.runDue() == 1)
        let (done, files) = try await calibration.files(run: run.id)
        #expect(done.status == .done && done.examinees == 60 && done.items == 8, "\(done)")
        #expect(done.message?.contains("480 responses") == true, "\(done.message ?? "no message")")
        #expect(files.reportHTML.contains("<h1>") && files.reportHTML.contains(ExamRoom.fixture.items[0].id.rawValue))
        #expect(files.parametersCSV.split(separator: "\n").count == 9, "a header and one line per item")
        let version = try #require(done.bankVersion)
        #expect(files.bankYAML.contains("bank_version:") && files.bankYAML.contains(version))
        #expect(try await room.store.job(key: "calibration.run:\(run.id)")?.status == .done)

        // Run again (a worker whose lease ran out finishing late): the first outcome stays.
        try await calibration.perform(try #require(try await room.store.job(key: "calibration.run:\(run.id)")))
        #expect(try await calibration.files(run: run.id).1 == files)
        // With nothing waiting, the next request queues a new run.
        #expect(try await calibration.request(course: ExamRoom.courseID, by: admin).queued)
        await room.shutdown()
    }

    @Test("too few sittings end the run as failed with the reason an administrator can act on, and no files")
    func tooLittleData() async throws {
        let (room, calibration, runner, admin) = try await Self.room()
        let none = try await calibration.request(course: ExamRoom.courseID, by: admin).run
        #expect(try await runner.runDue() == 1)
        let empty = try #require(try await calibration.runs().first { $0.run.id == none.id }?.run)
        #expect(empty.status == .failed && empty.message?.contains("has no finished exam sittings yet") == true, "\(empty.message ?? "")")

        try await Self.sittings(room, count: 2)
        let few = try await calibration.request(course: ExamRoom.courseID, by: admin).run
        #expect(try await runner.runDue() == 1)
        let failed = try #require(try await calibration.runs().first { $0.run.id == few.id }?.run)
        let message = try #require(failed.message)
        #expect(failed.status == .failed && message.hasPrefix("The stored sittings cannot be calibrated yet. "), "\(message)")
        #expect(message.contains("cannot be fitted from 2 sittings: ") && message.contains(" (everyone scored ") && message.contains("Calibrate again once"), "\(message)")
        await #expect(throws: AppError.notFound("That calibration report")) { try await calibration.files(run: few.id) }
        #expect(try await room.store.job(key: "calibration.run:\(few.id)")?.status == .done, "the data's verdict is the job's outcome, not a retry")
        await room.shutdown()
    }

    @Test("a run whose worker stopped during its last attempt is closed as failed when the course is asked for again, and a new one queued")
    func abandonedRun() async throws {
        let (room, calibration, _, admin) = try await Self.room()
        let stuck = try await calibration.request(course: ExamRoom.courseID, by: admin).run
        // Its worker stopped during each of its attempts.
        for attempt in 1 ... 3 {
            let job = try #require(try await room.store.claimJob(worker: "gone-\(attempt)", now: room.world.clock.now, leaseUntil: room.world.clock.now + 10))
            #expect(job.payload == stuck.id)
            room.world.clock.advance(by: 11)
        }
        #expect(try await room.store.job(key: "calibration.run:\(stuck.id)")?.status == .running, "nothing has noticed yet (the hourly sweep would)")

        let (fresh, queued) = try await calibration.request(course: ExamRoom.courseID, by: admin)
        #expect(queued && fresh.id != stuck.id)
        let closed = try #require(try await calibration.runs().first { $0.run.id == stuck.id }?.run)
        #expect(closed.status == .failed && closed.message?.contains("its worker stopped") == true, "\(closed.message ?? "")")
        await room.shutdown()
    }

    @Test("requests at the same moment queue one run between them")
    func concurrentRequests() async throws {
        let (room, calibration, _, admin) = try await Self.room()
        let results = try await withThrowingTaskGroup(of: (CalibrationRun, Bool).self) { group in
            for _ in 0 ..< 6 { group.addTask { try await calibration.request(course: ExamRoom.courseID, by: admin) } }
            return try await group.reduce(into: [(CalibrationRun, Bool)]()) { $0.append($1) }
        }
        #expect(results.filter(\.1).count == 1, "one request queued a run")
        #expect(Set(results.map(\.0.id)).count == 1, "the others were given that run")
        #expect(try await room.store.jobs(status: .queued, limit: 10).filter { $0.kind == JobRunner.Kind.calibrate }.count == 1)
        await room.shutdown()
    }

    @Test("a course without an exam cannot be asked for")
    func unknownCourse() async throws {
        let (room, calibration, _, admin) = try await Self.room()
        await #expect(throws: AppError.self) { try await calibration.request(course: CourseID(rawValue: "no-such-course"), by: admin) }
        #expect(try await calibration.runs().isEmpty)
        await room.shutdown()
    }
}
