import AppServices
import CairnCore
import Foundation
@testable import Storage
import SQLKit
import Testing

// Contract tests for the learning-loop tables (migrations 6–9): conversations and their
// messages, attempts, hint requests and skill mastery. They use `Backend`, `t0` and
// `makeUser` from StoreContractTests.swift, so every backend added there runs them too.

private let sampleCourse = CourseID(rawValue: "sample-course")
private let firstLesson = LessonID(rawValue: "first-lesson")
private let firstCheck = InteractionID(rawValue: "first-check")
private let redactTask = InteractionID(rawValue: "redact-task")

/// Times with a millisecond part, written as literals so that they are exactly the dates
/// a millisecond column reads back (t0 + 0.123 could differ from them in the last bit).
private let atMillis1 = Date(timeIntervalSince1970: 1_800_000_000.123)
private let atMillis2 = Date(timeIntervalSince1970: 1_800_000_001.456)
private let atMillis3 = Date(timeIntervalSince1970: 1_800_000_002.789)

private func conversation(for user: UserID, lesson: LessonID = firstLesson, mode: LearningMode = .conversational, at date: Date = t0) -> Conversation {
    Conversation(
        id: .random(), userID: user, courseID: sampleCourse, lessonID: lesson, courseVersion: "1.2.0",
        mode: mode, createdAt: date, updatedAt: date
    )
}

private func message(_ conversation: ConversationID, _ sequence: Int, author: ChatMessageRecord.Author = .tutor, kind: String = "passage",
                     step: String? = nil, interaction: InteractionID? = nil, payload: String = "{}", at date: Date = atMillis1) -> ChatMessageRecord {
    ChatMessageRecord(conversationID: conversation, sequence: sequence, author: author, kind: kind, step: step,
                      interactionID: interaction, payload: payload, createdAt: date)
}

private func attempt(_ user: UserID, _ interaction: InteractionID, course: CourseID = sampleCourse, passed: Bool, at date: Date) -> AttemptRecord {
    AttemptRecord(
        id: .random(), userID: user, courseID: course, courseVersion: "1.2.0", lessonID: firstLesson, interactionID: interaction,
        context: .practice, answer: #"{"choice":"a"}"#, score: passed ? 1 : 0, maxScore: 1, passed: passed,
        result: #"{"passed":\#(passed)}"#, hintsUsed: 0, createdAt: date
    )
}

private func isConflict(_ error: any Error) -> Bool {
    if case StoreError.conflict = error { return true }
    return false
}

private func isMissingReference(_ error: any Error) -> Bool {
    if case StoreError.missingReference = error { return true }
    return false
}

@Suite("Learning store contract")
struct LearningStoreTests {
    // MARK: conversations

    @Test("a conversation is opened once per learner and lesson; a second proposal gets the first", arguments: Backend.allCases)
    func openConversationIsIdempotent(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("conv@example.org")
            try await store.insertUser(user, passwordHash: "h")
            #expect(try await store.conversation(user: user.id, course: sampleCourse, lesson: firstLesson) == nil)

            let first = conversation(for: user.id)
            #expect(try await store.openConversation(first) == first)

            let second = conversation(for: user.id, mode: .practiceFirst, at: t0 + 60)
            let reopened = try await store.openConversation(second)
            #expect(reopened == first)
            #expect(reopened.id != second.id)
            #expect(reopened.mode == .conversational)
            #expect(try await store.conversation(user: user.id, course: sampleCourse, lesson: firstLesson) == first)

            // Another lesson is another conversation.
            let other = conversation(for: user.id, lesson: LessonID(rawValue: "second-lesson"), mode: .readFirst)
            #expect(try await store.openConversation(other) == other)
            #expect(try await store.conversation(user: user.id, course: sampleCourse, lesson: other.lessonID) == other)
            #expect(try await store.conversation(user: user.id, course: CourseID(rawValue: "other-course"), lesson: firstLesson) == nil)
        }
    }

    @Test("setMode persists the mode and the time of the change", arguments: Backend.allCases)
    func setMode(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("mode@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let opened = try await store.openConversation(conversation(for: user.id))
            try await store.setMode(.readFirst, of: opened.id, at: atMillis2)
            let found = try #require(try await store.conversation(user: user.id, course: sampleCourse, lesson: firstLesson))
            #expect(found.mode == .readFirst)
            #expect(found.updatedAt == atMillis2)
            #expect(found.createdAt == t0)
            #expect(found.id == opened.id)
            try await store.setMode(.practiceFirst, of: opened.id, at: atMillis3)
            #expect(try await store.conversation(user: user.id, course: sampleCourse, lesson: firstLesson)?.mode == .practiceFirst)
        }
    }

    // MARK: messages

    @Test("messages come back in sequence order with every field intact", arguments: Backend.allCases)
    func messagesRoundTrip(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("msg@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let opened = try await store.openConversation(conversation(for: user.id))
            #expect(try await store.lastSequence(in: opened.id) == 0)
            let empty = try #require(try await store.conversationWithLastSequence(user: user.id, course: sampleCourse, lesson: firstLesson))
            #expect(empty.0 == opened)
            #expect(empty.1 == 0)
            #expect(try await store.messages(in: opened.id, after: 0).isEmpty)

            let passage = message(opened.id, 1, kind: "passage", step: "p0", payload: #"{"blocks":[{"markdown":"Plain **text**"}]}"#, at: atMillis1)
            let taskMessage = message(opened.id, 2, kind: "task", step: "t:first-check", interaction: firstCheck, payload: #"{"kind":"task"}"#, at: atMillis2)
            let answer = message(opened.id, 3, author: .learner, kind: "answer", step: nil, interaction: firstCheck,
                                 payload: #"{"text":"Zoë said \"<b>ünïcode</b>\" ✓\nnew line"}"#, at: atMillis3)
            let question = message(opened.id, 4, author: .learner, kind: "question", step: nil, interaction: nil, payload: #"{"q":"why?"}"#, at: atMillis3)
            // Out of order, in two batches: the store orders by sequence, not by arrival.
            try await store.appendMessages([taskMessage, passage])
            try await store.appendMessages([question, answer])
            try await store.appendMessages([])

            let all = try await store.messages(in: opened.id, after: 0)
            #expect(all == [passage, taskMessage, answer, question])
            #expect(all.map(\.sequence) == [1, 2, 3, 4])
            #expect(all[0].interactionID == nil)
            #expect(all[0].step == "p0")
            #expect(all[2].step == nil)
            #expect(all[2].author == .learner)
            #expect(all[0].createdAt == atMillis1, "kept to the millisecond")
            #expect(try await store.messages(in: opened.id, after: 2) == [answer, question])
            #expect(try await store.messages(in: opened.id, after: 4).isEmpty)
            #expect(try await store.lastSequence(in: opened.id) == 4)
            let found = try #require(try await store.conversationWithLastSequence(user: user.id, course: sampleCourse, lesson: firstLesson))
            #expect(found.0 == opened)
            #expect(found.1 == 4)
            #expect(try await store.conversationWithLastSequence(user: user.id, course: sampleCourse, lesson: LessonID(rawValue: "never-opened")) == nil)
            #expect(try await store.lastSequence(in: .random()) == 0)
        }
    }

    @Test("a sequence number already taken is a conflict; inside a transaction nothing of the batch stays", arguments: Backend.allCases)
    func sequenceConflict(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("seq@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let opened = try await store.openConversation(conversation(for: user.id))
            let original = message(opened.id, 1, payload: #"{"original":true}"#)
            try await store.appendMessages([original])

            // On its own: the taken number is refused and the stored message is unchanged.
            await #expect {
                try await store.appendMessages([message(opened.id, 1, payload: #"{"original":false}"#)])
            } throws: { isConflict($0) }
            #expect(try await store.messages(in: opened.id, after: 0) == [original])

            // One batch with a fresh number and a taken one: nothing of it is stored.
            await #expect {
                try await store.transaction { tx in
                    try await tx.appendMessages([message(opened.id, 2), message(opened.id, 1, payload: #"{"dup":1}"#)])
                }
            } throws: { isConflict($0) }
            #expect(try await store.messages(in: opened.id, after: 0) == [original])

            // Two calls in one transaction, the second conflicting: the first is rolled back too.
            await #expect {
                try await store.transaction { tx in
                    try await tx.appendMessages([message(opened.id, 2, kind: "feedback"), message(opened.id, 3, kind: "note")])
                    try await tx.appendMessages([message(opened.id, 1, payload: #"{"dup":2}"#)])
                }
            } throws: { isConflict($0) }
            #expect(try await store.messages(in: opened.id, after: 0) == [original])
            #expect(try await store.lastSequence(in: opened.id) == 1)
        }
    }

    // MARK: attempts

    @Test("attempts round-trip every field, per course and per task", arguments: Backend.allCases)
    func attemptsRoundTrip(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("att@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let wrong = AttemptRecord(
                id: .random(), userID: user.id, courseID: sampleCourse, courseVersion: "1.2.0", lessonID: firstLesson, interactionID: firstCheck,
                context: .practice, answer: #"{"choice":"a"}"#, score: 0, maxScore: 1, passed: false,
                result: #"{"passed":false,"feedback":"That one is the distractor."}"#, hintsUsed: 0, createdAt: atMillis1
            )
            let right = AttemptRecord(
                id: .random(), userID: user.id, courseID: sampleCourse, courseVersion: "1.2.0", lessonID: firstLesson, interactionID: firstCheck,
                context: .practice, answer: #"{"choice":"b"}"#, score: 1, maxScore: 1, passed: true,
                result: #"{"passed":true}"#, hintsUsed: 2, createdAt: atMillis2
            )
            let exam = AttemptRecord(
                id: .random(), userID: user.id, courseID: sampleCourse, courseVersion: "1.1.0", lessonID: nil, interactionID: redactTask,
                context: .exam, answer: #"{"spans":[[5,17]]}"#, score: 2.5, maxScore: 4, passed: false,
                result: #"{"passed":false,"score":2.5}"#, hintsUsed: 1, createdAt: atMillis3
            )
            let elsewhere = attempt(user.id, firstCheck, course: CourseID(rawValue: "other-course"), passed: true, at: atMillis1)
            try await store.insertAttempt(exam)
            try await store.insertAttempt(right)
            try await store.insertAttempt(wrong)
            try await store.insertAttempt(elsewhere)

            let all = try await store.attempts(user: user.id, course: sampleCourse)
            #expect(all == [wrong, right, exam])
            #expect(all.map(\.passed) == [false, true, false])
            #expect(all.map(\.context) == [.practice, .practice, .exam])
            #expect(all.map(\.hintsUsed) == [0, 2, 1])
            #expect(all[2].lessonID == nil)
            #expect(all[2].score == 2.5)
            #expect(all[2].maxScore == 4)
            #expect(all[0].createdAt == atMillis1)
            #expect(try await store.attempts(user: user.id, course: sampleCourse, interaction: firstCheck) == [wrong, right])
            #expect(try await store.attempts(user: user.id, course: sampleCourse, interaction: redactTask) == [exam])
            #expect(try await store.attempts(user: user.id, course: sampleCourse, interaction: InteractionID(rawValue: "never-tried")).isEmpty)
            #expect(try await store.attempts(user: user.id, course: elsewhere.courseID) == [elsewhere])
        }
    }

    @Test("attempts are append-only: identical answers with new ids all stay, a reused id is refused", arguments: Backend.allCases)
    func attemptsAppendOnly(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("append@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let first = attempt(user.id, firstCheck, passed: false, at: atMillis1)
            var second = first
            second.id = .random()
            second.createdAt = atMillis2
            try await store.insertAttempt(first)
            try await store.insertAttempt(second)
            #expect(try await store.attempts(user: user.id, course: sampleCourse, interaction: firstCheck) == [first, second])

            var rewrite = first
            rewrite.passed = true
            rewrite.score = 1
            await #expect { try await store.insertAttempt(rewrite) } throws: { isConflict($0) }
            #expect(try await store.attempts(user: user.id, course: sampleCourse) == [first, second])
        }
    }

    @Test("the tally counts attempts per task and a task is passed if any attempt passed", arguments: Backend.allCases)
    func attemptTally(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("tally@example.org")
            try await store.insertUser(user, passwordHash: "h")
            #expect(try await store.attemptTally(user: user.id, course: sampleCourse).isEmpty)
            let never = InteractionID(rawValue: "write-prompt")
            try await store.insertAttempt(attempt(user.id, firstCheck, passed: false, at: atMillis1))
            try await store.insertAttempt(attempt(user.id, firstCheck, passed: true, at: atMillis2))
            try await store.insertAttempt(attempt(user.id, firstCheck, passed: false, at: atMillis3))
            try await store.insertAttempt(attempt(user.id, redactTask, passed: false, at: atMillis1))
            try await store.insertAttempt(attempt(user.id, redactTask, passed: false, at: atMillis2))
            try await store.insertAttempt(attempt(user.id, never, course: CourseID(rawValue: "other-course"), passed: true, at: atMillis1))
            let tally = try await store.attemptTally(user: user.id, course: sampleCourse)
            #expect(tally == [
                firstCheck: AttemptTally(attempts: 3, passed: true),
                redactTask: AttemptTally(attempts: 2, passed: false),
            ])
            #expect(tally[never] == nil, "another course's attempts are not counted")
        }
    }

    @Test("upgrading to task progress counts the attempts and hints already stored", arguments: Backend.allCases)
    func taskProgressBackfill(_ backend: Backend) async throws {
        let (database, _) = try await backend.open()
        try await database.migrate(Migrations.all.filter { $0.version < 10 })
        let user = makeUser("upgraded@example.org")
        try await database.store.insertUser(user, passwordHash: "h")
        // Rows as a Cairn before migration 10 wrote them: attempts and hints, no tally.
        try await database.store.withDatabase { db in
            for (index, passed) in [false, true, false].enumerated() {
                try await db.insert(into: "attempts").model(AttemptRow(attempt(user.id, firstCheck, passed: passed, at: t0 + Double(index)))).run()
            }
            try await db.insert(into: "attempts").model(AttemptRow(attempt(user.id, redactTask, passed: false, at: t0))).run()
            for level in [1, 2] {
                try await db.insert(into: "hint_requests").model(HintRequestRow(
                    user_id: user.id.rawValue, course_id: sampleCourse.rawValue, interaction_id: redactTask.rawValue, level: level,
                    created_at: t0.epochMilliseconds)).run()
            }
            let hintOnly = InteractionID(rawValue: "hint-only")
            try await db.insert(into: "hint_requests").model(HintRequestRow(
                user_id: user.id.rawValue, course_id: sampleCourse.rawValue, interaction_id: hintOnly.rawValue, level: 1,
                created_at: t0.epochMilliseconds)).run()
        }
        #expect(try await database.migrate().map(\.version) == Array(10...Migrations.latestVersion))
        let store = database.store
        #expect(try await store.attemptTally(user: user.id, course: sampleCourse) == [
            firstCheck: AttemptTally(attempts: 3, passed: true),
            redactTask: AttemptTally(attempts: 1, passed: false),
        ], "a task with only hints has no attempts to count")
        #expect(try await store.hintLevel(user: user.id, course: sampleCourse, interaction: redactTask) == 2)
        #expect(try await store.hintLevel(user: user.id, course: sampleCourse, interaction: InteractionID(rawValue: "hint-only")) == 1)
        #expect(try await store.hintLevel(user: user.id, course: sampleCourse, interaction: firstCheck) == 0)
        // New attempts and hints keep counting from there.
        try await store.insertAttempt(attempt(user.id, redactTask, passed: true, at: t0 + 10))
        try await store.recordHint(user: user.id, course: sampleCourse, interaction: firstCheck, level: 1, at: t0 + 11)
        #expect(try await store.attemptTally(user: user.id, course: sampleCourse)[redactTask] == AttemptTally(attempts: 2, passed: true))
        #expect(try await store.hintLevel(user: user.id, course: sampleCourse, interaction: firstCheck) == 1)
        await database.shutdown()
    }

    @Test("the write-ahead log is copied into the database file in the background, not inside a commit")
    func backgroundCheckpoint() async throws {
        let (database, folder) = try await Backend.sqlite.open()
        try await database.migrate()
        let user = makeUser("checkpoint@example.org")
        try await database.store.insertUser(user, passwordHash: "h")
        let file = URL(fileURLWithPath: folder).appendingPathComponent("cairn.sqlite").path
        let expected = try await database.store.withReader { db in
            let pages = try await db.raw("PRAGMA page_count").first()?.decode(column: "page_count", as: Int.self) ?? 0
            let size = try await db.raw("PRAGMA page_size").first()?.decode(column: "page_size", as: Int.self) ?? 0
            return pages * size
        }
        #expect(expected > 0)
        // Far fewer pages than SQLite's own checkpoint threshold: only the background task moves them.
        var size = 0
        for _ in 0 ..< 100 {
            size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            if size >= expected { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(size >= expected, "the database file holds every page after a checkpoint")
        await database.shutdown()
    }

    // MARK: hints

    @Test("a hint level is recorded once and the highest level shown is returned", arguments: Backend.allCases)
    func hints(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("hint@example.org")
            try await store.insertUser(user, passwordHash: "h")
            #expect(try await store.hintLevel(user: user.id, course: sampleCourse, interaction: firstCheck) == 0)
            try await store.recordHint(user: user.id, course: sampleCourse, interaction: firstCheck, level: 1, at: t0)
            try await store.recordHint(user: user.id, course: sampleCourse, interaction: firstCheck, level: 1, at: t0 + 10)
            #expect(try await store.hintLevel(user: user.id, course: sampleCourse, interaction: firstCheck) == 1)
            try await store.recordHint(user: user.id, course: sampleCourse, interaction: firstCheck, level: 3, at: t0 + 20)
            try await store.recordHint(user: user.id, course: sampleCourse, interaction: firstCheck, level: 2, at: t0 + 30)
            try await store.recordHint(user: user.id, course: sampleCourse, interaction: firstCheck, level: 2, at: t0 + 40)
            #expect(try await store.hintLevel(user: user.id, course: sampleCourse, interaction: firstCheck) == 3)
            #expect(try await store.hintLevel(user: user.id, course: sampleCourse, interaction: redactTask) == 0)
            #expect(try await store.hintLevel(user: user.id, course: CourseID(rawValue: "other-course"), interaction: firstCheck) == 0)
        }
    }

    // MARK: mastery

    @Test("mastery is inserted, then replaced, and listed by skill", arguments: Backend.allCases)
    func masteryUpsert(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("mastery@example.org")
            try await store.insertUser(user, passwordHash: "h")
            #expect(try await store.mastery(user: user.id, course: sampleCourse).isEmpty)
            let practice = SkillMastery(userID: user.id, courseID: sampleCourse, skillID: SkillID(rawValue: "practice"), probability: 0.3,
                                        observations: 1, updatedAt: atMillis1)
            let basics = SkillMastery(userID: user.id, courseID: sampleCourse, skillID: SkillID(rawValue: "basics"), probability: 0.4,
                                      observations: 1, updatedAt: atMillis1)
            let otherCourse = SkillMastery(userID: user.id, courseID: CourseID(rawValue: "other-course"), skillID: SkillID(rawValue: "basics"),
                                           probability: 0.99, observations: 7, updatedAt: atMillis1)
            try await store.saveMastery([practice, basics, otherCourse])
            try await store.saveMastery([])
            #expect(try await store.mastery(user: user.id, course: sampleCourse) == [basics, practice])

            var better = basics
            better.probability = 0.8125
            better.observations = 2
            better.updatedAt = atMillis2
            try await store.saveMastery([better])
            #expect(try await store.mastery(user: user.id, course: sampleCourse) == [better, practice])
            #expect(try await store.mastery(user: user.id, course: otherCourse.courseID) == [otherCourse])
        }
    }

    // MARK: references and isolation

    @Test("rows for an unknown learner or conversation are refused by the foreign keys", arguments: Backend.allCases)
    func foreignKeys(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let ghost = UserID.random()
            await #expect { _ = try await store.openConversation(conversation(for: ghost)) } throws: { isMissingReference($0) }
            await #expect {
                try await store.appendMessages([message(.random(), 1)])
            } throws: { isMissingReference($0) }
            await #expect {
                try await store.insertAttempt(attempt(ghost, firstCheck, passed: true, at: atMillis1))
            } throws: { isMissingReference($0) }
            await #expect {
                try await store.saveMastery([SkillMastery(userID: ghost, courseID: sampleCourse, skillID: SkillID(rawValue: "basics"),
                                                          probability: 0.5, observations: 1, updatedAt: t0)])
            } throws: { isMissingReference($0) }
            await #expect {
                try await store.recordHint(user: ghost, course: sampleCourse, interaction: firstCheck, level: 1, at: t0)
            } throws: { isMissingReference($0) }

            let found = try await store.conversation(user: ghost, course: sampleCourse, lesson: firstLesson)
            let attempts = try await store.attempts(user: ghost, course: sampleCourse)
            let mastery = try await store.mastery(user: ghost, course: sampleCourse)
            let hints = try await store.hintLevel(user: ghost, course: sampleCourse, interaction: firstCheck)
            #expect(found == nil)
            #expect(attempts.isEmpty)
            #expect(mastery.isEmpty)
            #expect(hints == 0)
        }
    }

    @Test("one learner's conversations, attempts, hints and mastery never show in another's", arguments: Backend.allCases)
    func learnersAreIsolated(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let ada = makeUser("ada@example.org")
            let bob = makeUser("bob@example.org")
            try await store.insertUser(ada, passwordHash: "h")
            try await store.insertUser(bob, passwordHash: "h")

            let adaConversation = try await store.openConversation(conversation(for: ada.id, mode: .readFirst))
            #expect(try await store.conversation(user: bob.id, course: sampleCourse, lesson: firstLesson) == nil)
            let bobConversation = try await store.openConversation(conversation(for: bob.id))
            #expect(bobConversation.id != adaConversation.id)
            #expect(bobConversation.mode == .conversational)

            let adaMessages = [message(adaConversation.id, 1), message(adaConversation.id, 2, author: .learner, kind: "question")]
            try await store.appendMessages(adaMessages)
            // Sequence numbers are per conversation: Bob's 1 does not clash with Ada's.
            let bobMessage = message(bobConversation.id, 1, kind: "note")
            try await store.appendMessages([bobMessage])
            #expect(try await store.messages(in: adaConversation.id, after: 0) == adaMessages)
            #expect(try await store.messages(in: bobConversation.id, after: 0) == [bobMessage])
            #expect(try await store.lastSequence(in: bobConversation.id) == 1)

            let adaAttempt = attempt(ada.id, firstCheck, passed: true, at: atMillis1)
            try await store.insertAttempt(adaAttempt)
            try await store.recordHint(user: ada.id, course: sampleCourse, interaction: firstCheck, level: 2, at: t0)
            let adaMastery = SkillMastery(userID: ada.id, courseID: sampleCourse, skillID: SkillID(rawValue: "basics"), probability: 0.9,
                                          observations: 3, updatedAt: t0)
            try await store.saveMastery([adaMastery])

            #expect(try await store.attempts(user: bob.id, course: sampleCourse).isEmpty)
            #expect(try await store.attempts(user: bob.id, course: sampleCourse, interaction: firstCheck).isEmpty)
            #expect(try await store.attemptTally(user: bob.id, course: sampleCourse).isEmpty)
            #expect(try await store.hintLevel(user: bob.id, course: sampleCourse, interaction: firstCheck) == 0)
            #expect(try await store.mastery(user: bob.id, course: sampleCourse).isEmpty)

            // Bob's own mastery of the same skill is a separate row, and Ada's is unchanged.
            let bobMastery = SkillMastery(userID: bob.id, courseID: sampleCourse, skillID: SkillID(rawValue: "basics"), probability: 0.2,
                                          observations: 1, updatedAt: t0)
            try await store.saveMastery([bobMastery])
            #expect(try await store.mastery(user: bob.id, course: sampleCourse) == [bobMastery])
            #expect(try await store.mastery(user: ada.id, course: sampleCourse) == [adaMastery])
            #expect(try await store.attempts(user: ada.id, course: sampleCourse) == [adaAttempt])
            #expect(try await store.attemptTally(user: ada.id, course: sampleCourse) == [firstCheck: AttemptTally(attempts: 1, passed: true)])
            #expect(try await store.hintLevel(user: ada.id, course: sampleCourse, interaction: firstCheck) == 2)
        }
    }

    // MARK: answering

    private static func mastery(_ user: UserID, _ skill: String, _ probability: Double, observations: Int, at date: Date = t0) -> SkillMastery {
        SkillMastery(userID: user, courseID: sampleCourse, skillID: SkillID(rawValue: skill), probability: probability,
                     observations: observations, updatedAt: date)
    }

    @Test("the snapshot holds the conversation, its last message, progress, hint levels and mastery", arguments: Backend.allCases)
    func snapshot(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("snapshot@example.org")
            try await store.insertUser(user, passwordHash: "h")
            #expect(try await store.chatSnapshot(user: user.id, course: sampleCourse, lesson: firstLesson) == nil)
            let opened = try await store.openConversation(conversation(for: user.id))
            var snapshot = try #require(try await store.chatSnapshot(user: user.id, course: sampleCourse, lesson: firstLesson))
            #expect(snapshot.conversation == opened)
            #expect(snapshot.lastSequence == 0)
            #expect(snapshot.tally.isEmpty && snapshot.hintLevels.isEmpty && snapshot.mastery.isEmpty)

            try await store.appendMessages([message(opened.id, 1), message(opened.id, 2)])
            try await store.insertAttempt(attempt(user.id, firstCheck, passed: false, at: t0))
            try await store.insertAttempt(attempt(user.id, firstCheck, passed: true, at: t0 + 1))
            try await store.recordHint(user: user.id, course: sampleCourse, interaction: redactTask, level: 2, at: t0)
            try await store.saveMastery([Self.mastery(user.id, "basics", 0.6, observations: 2)])
            snapshot = try #require(try await store.chatSnapshot(user: user.id, course: sampleCourse, lesson: firstLesson))
            #expect(snapshot.lastSequence == 2)
            #expect(snapshot.tally == [firstCheck: AttemptTally(attempts: 2, passed: true)], "a task with only hints has no attempts to count")
            #expect(snapshot.hintLevels == [redactTask: 2])
            #expect(snapshot.mastery == [SkillID(rawValue: "basics"): Self.mastery(user.id, "basics", 0.6, observations: 2)])
        }
    }

    @Test("an answer is stored whole, and refused whole when its conversation or mastery moved on", arguments: Backend.allCases)
    func recordAnswer(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("answer@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let opened = try await store.openConversation(conversation(for: user.id))
            try await store.appendMessages([message(opened.id, 1)])

            let first = AnswerWrite(attempt: attempt(user.id, firstCheck, passed: false, at: atMillis1),
                                    messages: [message(opened.id, 2, author: .learner, kind: "answer"), message(opened.id, 3, kind: "feedback")],
                                    mastery: [Self.mastery(user.id, "basics", 0.3, observations: 1, at: atMillis1)])
            try await store.recordAnswer(first)
            #expect(try await store.messages(in: opened.id, after: 1) == first.messages)
            #expect(try await store.attempts(user: user.id, course: sampleCourse) == [first.attempt])
            #expect(try await store.attemptTally(user: user.id, course: sampleCourse) == [firstCheck: AttemptTally(attempts: 1, passed: false)])
            #expect(try await store.mastery(user: user.id, course: sampleCourse) == first.mastery)

            // Worked out from the same snapshot as `first`: its messages' numbers are taken.
            let stale = AnswerWrite(attempt: attempt(user.id, firstCheck, passed: true, at: atMillis2),
                                    messages: [message(opened.id, 2, kind: "answer"), message(opened.id, 3, kind: "feedback")],
                                    mastery: [Self.mastery(user.id, "practice", 0.5, observations: 1, at: atMillis2)])
            await #expect { try await store.recordAnswer(stale) } throws: { isConflict($0) }
            // Fresh numbers, but the mastery it read (no row yet) is no longer there.
            let staleFirstObservation = AnswerWrite(attempt: stale.attempt, messages: [message(opened.id, 4), message(opened.id, 5)],
                                                    mastery: [Self.mastery(user.id, "basics", 0.5, observations: 1, at: atMillis2)])
            await #expect { try await store.recordAnswer(staleFirstObservation) } throws: { isConflict($0) }
            // Fresh numbers, but the mastery it read (one observation) has moved on to two.
            try await store.saveMastery([Self.mastery(user.id, "basics", 0.45, observations: 2, at: atMillis2)])
            let staleUpdate = AnswerWrite(attempt: stale.attempt, messages: [message(opened.id, 4), message(opened.id, 5)],
                                          mastery: [Self.mastery(user.id, "practice", 0.5, observations: 1, at: atMillis2),
                                                    Self.mastery(user.id, "basics", 0.6, observations: 2, at: atMillis2)])
            await #expect { try await store.recordAnswer(staleUpdate) } throws: { isConflict($0) }

            // None of the refused writes left anything behind.
            #expect(try await store.messages(in: opened.id, after: 1) == first.messages)
            #expect(try await store.attempts(user: user.id, course: sampleCourse) == [first.attempt])
            #expect(try await store.attemptTally(user: user.id, course: sampleCourse) == [firstCheck: AttemptTally(attempts: 1, passed: false)])
            #expect(try await store.mastery(user: user.id, course: sampleCourse) == [Self.mastery(user.id, "basics", 0.45, observations: 2, at: atMillis2)])

            // Worked out again from what is stored now, it goes in.
            let redone = AnswerWrite(attempt: stale.attempt, messages: [message(opened.id, 4), message(opened.id, 5)],
                                     mastery: [Self.mastery(user.id, "basics", 0.7, observations: 3, at: atMillis3)])
            try await store.recordAnswer(redone)
            #expect(try await store.attemptTally(user: user.id, course: sampleCourse) == [firstCheck: AttemptTally(attempts: 2, passed: true)])
            #expect(try await store.mastery(user: user.id, course: sampleCourse) == redone.mastery)
            #expect(try await store.lastSequence(in: opened.id) == 5)
        }
    }

    @Test("transactions that read and then write, run at once, end as if they had taken turns", arguments: Backend.allCases)
    func transactionsTakeTurns(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let user = makeUser("turns@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let opened = try await store.openConversation(conversation(for: user.id))
            try await store.appendMessages([message(opened.id, 1)])
            // Each reads the last message number and appends the next one: on SQLite the
            // writers take turns; on PostgreSQL (SERIALIZABLE) the losers are run again.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0 ..< 16 {
                    group.addTask {
                        try await store.transaction { tx in
                            let last = try await tx.lastSequence(in: opened.id)
                            try await tx.appendMessages([message(opened.id, last + 1)])
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.lastSequence(in: opened.id) == 17)
            #expect(try await store.messages(in: opened.id, after: 0).map(\.sequence) == Array(1 ... 17))
        }
    }

    @Test("answers sent at once share commits; one refused among them fails alone", arguments: Backend.allCases)
    func answersCommittedTogether(_ backend: Backend) async throws {
        try await backend.withStore { store, database in
            let learners = (0 ..< 40).map { makeUser("together-\($0)@example.org") }
            var conversations: [Conversation] = []
            for learner in learners {
                try await store.insertUser(learner, passwordHash: "h")
                let opened = try await store.openConversation(conversation(for: learner.id))
                try await store.appendMessages([message(opened.id, 1)])
                conversations.append(opened)
            }
            // Every learner answers twice at the same moment from the same snapshot: exactly
            // one of each pair goes in; the other finds its message numbers taken.
            let opened = conversations.map(\.id)
            let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
                for (index, learner) in learners.enumerated() {
                    for copy in 0 ..< 2 {
                        group.addTask {
                            let write = AnswerWrite(
                                attempt: attempt(learner.id, firstCheck, passed: copy == 0, at: atMillis1),
                                messages: [message(opened[index], 2, author: .learner, kind: "answer"), message(opened[index], 3, kind: "feedback")],
                                mastery: [Self.mastery(learner.id, "basics", 0.3 + Double(copy) / 10, observations: 1, at: atMillis1)]
                            )
                            do {
                                try await store.recordAnswer(write)
                                return (index, true)
                            } catch {
                                return (index, false)
                            }
                        }
                    }
                }
                var stored: [Int: Int] = [:]
                for await (index, ok) in group where ok { stored[index, default: 0] += 1 }
                return stored
            }
            #expect(outcomes.count == learners.count && outcomes.values.allSatisfy { $0 == 1 }, "one answer of each pair stored: \(outcomes)")
            if backend == .sqlite {
                // Group commit is SQLite's: PostgreSQL commits each answer on its own connection.
                #expect(try #require(database.sharedTransactions) < 2 * learners.count, "answers sent together were committed together")
            }
            for (index, learner) in learners.enumerated() {
                let attempts = try await store.attempts(user: learner.id, course: sampleCourse)
                let mastery = try await store.mastery(user: learner.id, course: sampleCourse)
                #expect(attempts.count == 1)
                #expect(try await store.lastSequence(in: conversations[index].id) == 3)
                // The stored mastery belongs to the stored attempt, not to the refused one.
                #expect(mastery.map(\.probability) == [0.3 + Double(attempts[0].passed ? 0 : 1) / 10])
            }
        }
    }

    @Test("an answer that cannot reach the database fails as a store error, not a driver's")
    func answerWithoutDatabase() async throws {
        let (database, _) = try await Backend.sqlite.open()
        try await database.migrate()
        let store = database.store
        let user = makeUser("closed@example.org")
        try await store.insertUser(user, passwordHash: "h")
        let opened = try await store.openConversation(conversation(for: user.id))
        await database.shutdown()
        let write = AnswerWrite(attempt: attempt(user.id, firstCheck, passed: true, at: atMillis1),
                                messages: [message(opened.id, 1)], mastery: [])
        await #expect {
            try await store.recordAnswer(write)
        } throws: { error in
            if case StoreError.unavailable = error { return true }
            return false
        }
    }
}
