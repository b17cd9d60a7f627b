import AppServices
import CairnCore
import Curriculum
import Foundation
import Grading
import Storage
import Testing

// Exams driven in-process, as the web layer drives them, over a real migrated SQLite store:
// unlocking, adaptive and linear forms, resume, double submission, time-out, attempts.
// `World` and `ManualClock` come from UseCaseTests.swift.

/// The exam fixture (Tests/Fixtures/exam-courses): one lesson with one check, and twenty
/// calibrated items in two skill areas, so the exam is adaptive unless `linear` strips the
/// calibration.
struct ExamRoom {
    static let courseID = CourseID(rawValue: "exam-course")
    static let fixtureCatalog: Catalog = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/exam-courses").path
        let catalog = CourseLoader.loadCatalog(at: folder)
        precondition(!catalog.diagnostics.hasErrors, catalog.diagnostics.report())
        return catalog
    }()
    static var fixture: Course { fixtureCatalog.courses[0] }

    let world: World
    let catalog: CatalogService
    let learning: LearningService
    let exams: ExamService

    /// `itemsPerSkill` keeps that many items of each skill area, so a small linear form
    /// (four per area) gives every sitting the same items.
    static func make(linear: Bool = false, itemsPerSkill: Int? = nil) async throws -> ExamRoom {
        var course = fixture
        if let itemsPerSkill {
            var kept: [SkillID: Int] = [:]
            course.items = course.items.filter { item in
                let skill = item.skills[0]
                kept[skill, default: 0] += 1
                return kept[skill]! <= itemsPerSkill
            }
        }
        if linear {
            course.exam.cutTheta = nil
            course.items = course.items.map { item in
                var item = item
                item.irt = nil
                return item
            }
        }
        let world = try await World.make()
        let catalog = CatalogService(
            catalog: Catalog(courses: [course], pathways: fixtureCatalog.pathways, diagnostics: []), store: world.database.store, clock: world.clock.clock
        )
        let learning = LearningService(catalog: catalog, store: world.database.store, clock: world.clock.clock)
        let exams = ExamService(catalog: catalog, learning: learning, store: world.database.store, clock: world.clock.clock)
        return ExamRoom(world: world, catalog: catalog, learning: learning, exams: exams)
    }

    var store: SQLStore { world.database.store }

    func learner(_ name: String) async throws -> UserID {
        try await world.accounts.signUp(email: "\(name)@example.org", password: "a long password", displayName: name).id
    }

    /// A learner who has completed the course's only module (its one check answered right).
    func readyLearner(_ name: String) async throws -> UserID {
        let user = try await learner(name)
        let lesson = LessonID(rawValue: "intro")
        _ = try await learning.open(lesson, in: Self.courseID, for: user)
        _ = try await learning.perform(.answer(InteractionID(rawValue: "intro-check"), .choice("b")), lesson: lesson, in: Self.courseID, for: user)
        return user
    }

    func presented(_ user: UserID) async throws -> ExamService.Presented {
        guard case let .item(presented) = try await exams.current(course: Self.courseID, user: user) else {
            Issue.record("expected an item, the exam had finished")
            throw AppError.notFound("item")
        }
        return presented
    }

    /// Answers the item in front of the learner, right or wrong; returns the receipt.
    @discardableResult
    func answer(_ user: UserID, right: Bool) async throws -> ExamService.Receipt {
        world.clock.advance(by: 30)
        let item = try await presented(user)
        guard case let .singleChoice(options, key) = item.item.content else { throw AppError.notFound("single choice") }
        let chosen = right ? key : options.first { $0.id != key }!.id
        return try await exams.answer(course: Self.courseID, user: user, position: item.position, answer: .choice(chosen))
    }

    func events(_ session: ExamSessionID) async throws -> [ExamEventKind] {
        try await store.examEvents(session: session).map(\.kind)
    }

    func shutdown() async { await world.database.shutdown() }
}

@Suite("Exams")
struct ExamServiceTests {
    @Test("the exam unlocks only when the required modules are complete")
    func unlocking() async throws {
        let room = try await ExamRoom.make()
        let user = try await room.learner("newcomer")
        let before = try await room.exams.overview(course: ExamRoom.courseID, user: user)
        #expect(before.availability == .locked(missing: ["The only module"]))
        await #expect(throws: AppError.self) { try await room.exams.start(course: ExamRoom.courseID, user: user) }
        #expect(try await room.store.activeExamSession(user: user) == nil, "a locked exam starts nothing")

        let lesson = LessonID(rawValue: "intro")
        _ = try await room.learning.open(lesson, in: ExamRoom.courseID, for: user)
        _ = try await room.learning.perform(.answer(InteractionID(rawValue: "intro-check"), .choice("b")), lesson: lesson, in: ExamRoom.courseID, for: user)
        #expect(try await room.exams.overview(course: ExamRoom.courseID, user: user).availability == .available)
        await room.shutdown()
    }

    @Test("an adaptive exam resumes on reload, records a double submission once, and passes a strong learner")
    func adaptiveSitting() async throws {
        let room = try await ExamRoom.make()
        let user = try await room.readyLearner("ada")
        let session = try await room.exams.start(course: ExamRoom.courseID, user: user)
        #expect(session.mode == .adaptive)
        #expect(try await room.exams.start(course: ExamRoom.courseID, user: user).id == session.id, "a second Start click keeps the same sitting")

        let first = try await room.presented(user)
        #expect(first.position == 1 && !first.resumed)
        let reloaded = try await room.presented(user)
        #expect(reloaded.position == 1 && reloaded.resumed, "a reload shows the same item")
        #expect(reloaded.item.id == first.item.id)
        #expect(optionOrder(reloaded.item) == optionOrder(first.item), "the option order is the sitting's own, stable across reloads")

        // A double click: the same answer twice, at the same moment.
        guard case let .singleChoice(_, key) = first.item.content else { Issue.record("fixture items are single choice"); return }
        async let one = room.exams.answer(course: ExamRoom.courseID, user: user, position: 1, answer: .choice(key))
        async let two = room.exams.answer(course: ExamRoom.courseID, user: user, position: 1, answer: .choice(key))
        let receipts = try await [one, two]
        #expect(receipts.filter { $0 == .recorded }.count == 1 && receipts.contains(.alreadyAnswered), "\(receipts)")
        // A retried request for an answered item records nothing either, even with another answer.
        #expect(try await room.exams.answer(course: ExamRoom.courseID, user: user, position: 1, answer: .choice("zz")) == .alreadyAnswered)

        var answered = 1
        while case .item = try await room.exams.current(course: ExamRoom.courseID, user: user) {
            try await room.answer(user, right: true)
            answered += 1
            #expect(answered <= 8, "the exam stops at the blueprint's maximum length")
            if answered > 8 { break }
        }
        let responses = try await room.store.examResponses(session: session.id)
        #expect((4...8).contains(responses.count))
        #expect(Set(responses.map(\.interactionID)).count == responses.count, "no item is given twice")
        #expect(responses.allSatisfy { $0.answeredAt != nil && $0.score == 1 })
        let areas = Dictionary(grouping: responses, by: { $0.interactionID.rawValue.hasPrefix("reading") })
        #expect(abs((areas[true]?.count ?? 0) - (areas[false]?.count ?? 0)) <= 1, "content balancing keeps the two areas level")

        let finished = try #require(try await room.store.examSession(id: session.id))
        #expect(finished.status == .submitted)
        let outcome = try #require(finished.result)
        #expect(outcome.passed)
        #expect((outcome.theta ?? 0) > 0 && (outcome.standardError ?? 9) < 1)
        #expect(outcome.areas.map(\.skill.rawValue).sorted() == ["checking", "reading"])
        #expect(outcome.areas.allSatisfy { $0.strong })

        let events = try await room.events(session.id)
        #expect(events.first == .start && events.last == .submit)
        #expect(events.contains(.resume) && events.contains(.refused))
        #expect(events.filter { $0 == .answer }.count == responses.count)
        #expect(try await room.exams.overview(course: ExamRoom.courseID, user: user).availability == .passed)
        await room.shutdown()
    }

    @Test("a weak learner fails the adaptive exam, with every area developing")
    func adaptiveFail() async throws {
        let room = try await ExamRoom.make()
        let user = try await room.readyLearner("bo")
        let session = try await room.exams.start(course: ExamRoom.courseID, user: user)
        while case .item = try await room.exams.current(course: ExamRoom.courseID, user: user) {
            try await room.answer(user, right: false)
        }
        let outcome = try #require(try await room.store.examSession(id: session.id)?.result)
        #expect(!outcome.passed)
        #expect((outcome.theta ?? 0) < 0)
        #expect(outcome.areas.allSatisfy { !$0.strong })
        await room.shutdown()
    }

    @Test("the time limit is the server's: a late answer is refused and the answered items are scored")
    func timeOut() async throws {
        let room = try await ExamRoom.make()
        let user = try await room.readyLearner("cy")
        let session = try await room.exams.start(course: ExamRoom.courseID, user: user)
        try await room.answer(user, right: true)
        let late = try await room.presented(user)
        room.world.clock.advance(by: 20 * 60)
        await #expect(throws: AppError.self) {
            try await room.exams.answer(course: ExamRoom.courseID, user: user, position: late.position, answer: .choice("a"))
        }
        let finished = try #require(try await room.store.examSession(id: session.id))
        #expect(finished.status == .timedOut)
        #expect(finished.result?.answered == 1)
        #expect(finished.result?.reason == "timed_out")
        let responses = try await room.store.examResponses(session: session.id)
        #expect(responses.filter { $0.answeredAt != nil }.count == 1, "the late answer was not stored")
        let events = try await room.events(session.id)
        #expect(events.contains(.timeOut) && events.contains(.refused))
        // After the time-out the page shows the finished sitting, not an item.
        guard case .finished = try await room.exams.current(course: ExamRoom.courseID, user: user) else {
            Issue.record("a timed-out exam still shows an item")
            return
        }
        await room.shutdown()
    }

    @Test("one sitting at a time, a cool-down between attempts, and no more than the attempts allowed")
    func attempts() async throws {
        let room = try await ExamRoom.make()
        let user = try await room.readyLearner("di")
        let first = try await room.exams.start(course: ExamRoom.courseID, user: user)
        // The database itself refuses a second active sitting.
        var second = first
        second.id = .random()
        await #expect(throws: StoreError.self) { try await room.store.insertExamSession(second) }

        try await room.answer(user, right: false)
        _ = try await room.exams.submit(course: ExamRoom.courseID, user: user)
        guard case let .coolingDown(until) = try await room.exams.overview(course: ExamRoom.courseID, user: user).availability else {
            Issue.record("expected a cool-down after a failed attempt")
            return
        }
        #expect(until.timeIntervalSince(room.world.clock.now) > 23 * 3600)
        await #expect(throws: AppError.self) { try await room.exams.start(course: ExamRoom.courseID, user: user) }
        room.world.clock.advance(by: 24 * 3600 + 1)
        #expect(try await room.exams.overview(course: ExamRoom.courseID, user: user).availability == .available)
        _ = try await room.exams.start(course: ExamRoom.courseID, user: user)
        _ = try await room.exams.submit(course: ExamRoom.courseID, user: user)
        room.world.clock.advance(by: 48 * 3600)
        let overview = try await room.exams.overview(course: ExamRoom.courseID, user: user)
        #expect(overview.availability == .noAttemptsLeft)
        #expect(overview.sittings.count == 2 && overview.attemptsLeft == 0)
        await room.shutdown()
    }

    @Test("an uncalibrated bank gives a linear form that meets the blueprint, passed at the percentage")
    func linearForm() async throws {
        let room = try await ExamRoom.make(linear: true)
        let strong = try await room.readyLearner("ed")
        let session = try await room.exams.start(course: ExamRoom.courseID, user: strong)
        #expect(session.mode == .linear)
        #expect(session.form.count == 8, "max_items with proportions 0.5/0.5")
        #expect(session.form.filter { $0.rawValue.hasPrefix("reading") }.count == 4)
        #expect(Set(session.form).count == 8)
        // 5 of 8 right is 62.5%, above the 60% pass mark.
        for index in 0 ..< 8 { try await room.answer(strong, right: index < 5) }
        let passed = try #require(try await room.store.examSession(id: session.id)?.result)
        #expect(passed.passed && passed.percent == 63 && passed.answered == 8 && passed.reason == "completed")
        #expect(passed.theta == nil)

        let weak = try await room.readyLearner("fay")
        let other = try await room.exams.start(course: ExamRoom.courseID, user: weak)
        #expect(other.form != session.form, "each sitting draws its own form")
        for index in 0 ..< 4 { try await room.answer(weak, right: index < 2) }
        let result = try await room.exams.submit(course: ExamRoom.courseID, user: weak)
        let outcome = try #require(result.result)
        #expect(!outcome.passed && outcome.answered == 4 && outcome.itemCount == 8, "unanswered items count as wrong")
        #expect(outcome.percent == 25)
        await room.shutdown()
    }

    @Test("an answer to an item that was never shown is refused and logged")
    func unseenItem() async throws {
        let room = try await ExamRoom.make()
        let user = try await room.readyLearner("gil")
        let session = try await room.exams.start(course: ExamRoom.courseID, user: user)
        _ = try await room.presented(user)
        await #expect(throws: AppError.self) {
            try await room.exams.answer(course: ExamRoom.courseID, user: user, position: 5, answer: .choice("a"))
        }
        #expect(try await room.store.examResponses(session: session.id).allSatisfy { $0.answeredAt == nil })
        #expect(try await room.events(session.id).contains(.refused))
        await room.shutdown()
    }

    @Test("option order and ids are the sitting's own, and grading maps them back to the key")
    func optionShuffle() async throws {
        let room = try await ExamRoom.make()
        var orders: Set<[String]> = []
        for name in ["h1", "h2", "h3", "h4", "h5", "h6"] {
            let user = try await room.readyLearner(name)
            _ = try await room.exams.start(course: ExamRoom.courseID, user: user)
            let item = try await room.presented(user)
            orders.insert(optionOrder(item.item))
            guard case let .singleChoice(options, _) = item.item.content else { Issue.record("fixture items are single choice"); return }
            #expect(options.map(\.id) == ["o1", "o2", "o3", "o4"], "the page gets ids of the sitting's own, not the author's")
            #expect(try await room.answer(user, right: true) == .recorded)
            let stored = try await room.store.examResponses(session: item.session.id)
            #expect(stored.first?.score == 1, "the right option scores whatever its place")
        }
        #expect(orders.count > 1, "six sittings showed the options in one order only")
        await room.shutdown()
    }
}

@Suite("Calibrating from stored exams")
struct StoredCalibrationTests {
    @Test("finished sittings become calibration rows: one examinee per sitting, right/wrong scores, the organisation as DIF group")
    func storedResponses() async throws {
        let room = try await ExamRoom.make(linear: true)
        let member = try await room.readyLearner("member")
        let organisation = Organisation(id: .random(), name: "Harbour Council", createdAt: room.world.clock.now)
        try await room.store.insertOrganisation(organisation)
        try await room.store.insertMembership(Membership(organisationID: organisation.id, userID: member, role: .learner, createdAt: room.world.clock.now))
        let loner = try await room.readyLearner("loner")
        let active = try await room.readyLearner("active")

        let first = try await room.exams.start(course: ExamRoom.courseID, user: member)
        for index in 0 ..< 8 { try await room.answer(member, right: index % 2 == 0) }
        let second = try await room.exams.start(course: ExamRoom.courseID, user: loner)
        for _ in 0 ..< 3 { try await room.answer(loner, right: true) }
        _ = try await room.exams.submit(course: ExamRoom.courseID, user: loner)
        _ = try await room.exams.start(course: ExamRoom.courseID, user: active)
        try await room.answer(active, right: true)

        let stored = try await room.store.calibrationResponses(course: ExamRoom.courseID)
        let (rows, unknown) = try CalibrationService().responses(stored: stored, course: ExamRoom.fixture)
        #expect(unknown == 0)
        #expect(rows.count == 11, "8 + 3 answered; the sitting still in progress is left out")
        let byExaminee = Dictionary(grouping: rows, by: \.examinee)
        #expect(Set(byExaminee.keys) == [first.id.rawValue, second.id.rawValue])
        #expect(byExaminee[first.id.rawValue]?.map(\.score) == [1, 0, 1, 0, 1, 0, 1, 0])
        #expect(byExaminee[first.id.rawValue]?.map(\.item) == first.form.map(\.rawValue), "in the order given")
        #expect(byExaminee[second.id.rawValue]?.map(\.score) == [1, 1, 1])
        #expect(byExaminee[first.id.rawValue]?.allSatisfy { $0.groups == ["organisation": organisation.id.rawValue] } == true)
        #expect(byExaminee[second.id.rawValue]?.allSatisfy { $0.groups.isEmpty } == true)
        await room.shutdown()
    }
}

/// The options' texts in the order shown.
func optionOrder(_ item: Interaction) -> [String] {
    if case let .singleChoice(options, _) = item.content { return options.map(\.text) }
    return []
}
