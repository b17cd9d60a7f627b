import AppServices
import CairnCore
import Foundation
@testable import Storage
import Testing

// Contract tests for the exam tables (migration 11): sittings, the items shown in them,
// their events and item exposure. `Backend`, `t0` and `makeUser` come from
// StoreContractTests.swift.

private let examCourse = CourseID(rawValue: "exam-course")

private func sitting(_ user: UserID, mode: ExamMode = .adaptive, at date: Date = t0) -> ExamSession {
    ExamSession(
        id: .random(), userID: user, courseID: examCourse, courseVersion: "1.0.0", mode: mode, status: .active,
        seed: UInt64.max - 7, form: mode == .linear ? [InteractionID(rawValue: "b"), InteractionID(rawValue: "a")] : [],
        startedAt: date, deadline: date.addingTimeInterval(1200)
    )
}

private let outcome = ExamOutcome(
    passed: true, answered: 1, itemCount: 1, score: 1, maxScore: 1, theta: 0.4, standardError: 0.3, reason: "submitted",
    areas: [ExamOutcome.Area(skill: SkillID(rawValue: "reading"), items: 1, score: 1, maxScore: 1, strong: true)]
)

@Suite("Exam store contract")
struct ExamStoreTests {
    @Test("a sitting round-trips, a learner has one active sitting at a time, and it finishes once", arguments: Backend.allCases)
    func sittings(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("examinee@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let first = sitting(user.id, mode: .linear)
            try await store.insertExamSession(first)
            #expect(try await store.examSession(id: first.id) == first, "every field, the full 64-bit seed and the form included")
            #expect(try await store.activeExamSession(user: user.id) == first)
            await #expect(throws: StoreError.self, "a second active sitting") { try await store.insertExamSession(sitting(user.id)) }

            let end = t0.addingTimeInterval(600)
            #expect(try await store.finishExamSession(id: first.id, status: .submitted, result: outcome, at: end))
            #expect(!(try await store.finishExamSession(id: first.id, status: .timedOut, result: outcome, at: end)), "finished already")
            let finished = try #require(try await store.examSession(id: first.id))
            #expect(finished.status == .submitted && finished.result == outcome && finished.finishedAt == end)
            #expect(try await store.activeExamSession(user: user.id) == nil)

            let second = sitting(user.id, at: t0.addingTimeInterval(3600))
            try await store.insertExamSession(second)
            #expect(try await store.examSessions(user: user.id, course: examCourse).map(\.id) == [first.id, second.id])
        }
    }

    @Test("an item is shown once per position and answered once; events keep their order", arguments: Backend.allCases)
    func responsesAndEvents(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("responder@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let session = sitting(user.id)
            try await store.insertExamSession(session)
            let shown = ExamResponse(sessionID: session.id, position: 1, interactionID: InteractionID(rawValue: "reading-01"), presentedAt: t0)
            try await store.insertExamResponse(shown)
            await #expect(throws: StoreError.self, "position 1 is taken") {
                try await store.insertExamResponse(ExamResponse(sessionID: session.id, position: 1, interactionID: InteractionID(rawValue: "x"), presentedAt: t0))
            }
            var answered = shown
            answered.answer = #"{"choice":"a"}"#
            answered.score = 1
            answered.maxScore = 1
            answered.result = #"{"passed":true}"#
            answered.answeredAt = t0.addingTimeInterval(20)
            #expect(try await store.recordExamAnswer(answered))
            var again = answered
            again.answer = #"{"choice":"b"}"#
            #expect(!(try await store.recordExamAnswer(again)), "an answered item keeps its first answer")
            #expect(try await store.examResponses(session: session.id) == [answered])

            for kind in [ExamEventKind.start, .resume, .answer, .focusLost, .submit] {
                try await store.appendExamEvent(ExamEvent(sessionID: session.id, kind: kind, detail: kind.rawValue, at: t0))
            }
            #expect(try await store.examEvents(session: session.id).map(\.kind) == [.start, .resume, .answer, .focusLost, .submit],
                    "events of the same millisecond stay in the order stored")

            let (sessions, exposure) = try await store.adaptiveExposure(course: examCourse)
            #expect(sessions == 1 && exposure == [InteractionID(rawValue: "reading-01"): 1])
        }
    }

    @Test("events stored at once (two nodes) are numbered without repeats or gaps", arguments: Backend.allCases)
    func concurrentEvents(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("busy@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let session = sitting(user.id)
            try await store.insertExamSession(session)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0 ..< 10 {
                    group.addTask {
                        try await store.appendExamEvent(ExamEvent(sessionID: session.id, kind: .focusLost, detail: "event \(index)", at: t0))
                    }
                }
                try await group.waitForAll()
            }
            let events = try await store.examEvents(session: session.id)
            #expect(events.count == 10 && Set(events.map(\.detail)).count == 10)
            let numbers = try await store.withReader { db in
                try await db.rows(Statement("SELECT seq FROM exam_events WHERE session_id = ? ORDER BY seq"), [.text(session.id.rawValue)]).map { try $0.int(0) }
            }
            #expect(numbers == Array(1 ... 10))
        }
    }

    @Test("items shown in linear sittings do not count towards adaptive exposure", arguments: Backend.allCases)
    func exposureIsAdaptiveOnly(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("linear@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let session = sitting(user.id, mode: .linear)
            try await store.insertExamSession(session)
            try await store.insertExamResponse(ExamResponse(sessionID: session.id, position: 1, interactionID: InteractionID(rawValue: "b"), presentedAt: t0))
            let (sessions, exposure) = try await store.adaptiveExposure(course: examCourse)
            #expect(sessions == 0 && exposure.isEmpty)
        }
    }

    @Test("many sittings showing one item at once are each stored and counted once; a position shown twice is refused and not counted", arguments: Backend.allCases)
    func popularItem(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            var sessions: [ExamSession] = []
            for number in 0 ..< 16 {
                let user = makeUser("popular-\(number)@example.org")
                try await store.insertUser(user, passwordHash: "h")
                let session = sitting(user.id)
                try await store.insertExamSession(session)
                sessions.append(session)
            }
            let item = InteractionID(rawValue: "reading-01")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for session in sessions {
                    group.addTask { try await store.insertExamResponse(ExamResponse(sessionID: session.id, position: 1, interactionID: item, presentedAt: t0)) }
                }
                try await group.waitForAll()
            }
            await #expect(throws: StoreError.self, "position 1 is taken") {
                try await store.insertExamResponse(ExamResponse(sessionID: sessions[0].id, position: 1, interactionID: InteractionID(rawValue: "reading-02"), presentedAt: t0))
            }
            let (count, exposure) = try await store.adaptiveExposure(course: examCourse)
            #expect(count == 16 && exposure == [item: 16], "\(exposure)")
        }
    }
}
