import AppServices
import CairnCore
import Curriculum
import Foundation
import Grading
import Logging
import Storage
import Testing
import Tutoring

// The learning loop driven in-process, as the web layer drives it, over a real migrated
// SQLite store. `World`, `ManualClock` and `TestOnlyHasher` come from UseCaseTests.swift.

/// The learning loop over one `World`: the fixture course by default, or the shipped
/// AI Foundations course for questions that need real lesson text.
struct Classroom {
    static let sampleCourse = CourseID(rawValue: "sample-course")
    static let firstLesson = LessonID(rawValue: "first-lesson")
    static let firstCheck = InteractionID(rawValue: "first-check")
    /// The fixture's explanation of `first-check`: shown after a right answer only.
    static let firstCheckExplanation = "B is right because the fixture says so."

    static let shippedCourse = CourseID(rawValue: "ai-foundations")
    static let shippedCatalog = CourseLoader.loadCatalog(
        at: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("courses").path
    )

    let world: World
    let catalog: CatalogService
    let learning: LearningService
    let courseID: CourseID

    static func fixture() async throws -> Classroom {
        let world = try await World.make()
        return Classroom(world: world, catalog: world.catalog, courseID: sampleCourse)
    }

    static func shipped() async throws -> Classroom {
        let world = try await World.make()
        return Classroom(world: world, catalog: shippedCatalog, courseID: shippedCourse)
    }

    init(world: World, catalog: Catalog, courseID: CourseID, modelTutor: ModelTutor? = nil) {
        self.world = world
        self.courseID = courseID
        self.catalog = CatalogService(catalog: catalog, store: world.database.store, clock: world.clock.clock)
        self.learning = LearningService(catalog: self.catalog, store: world.database.store, clock: world.clock.clock, modelTutor: modelTutor)
    }

    var store: SQLStore { world.database.store }

    func course() throws -> Course { try catalog.course(courseID) }

    func learner(_ name: String) async throws -> UserID {
        try await world.accounts.signUp(email: "\(name)@example.org", password: "a long password", displayName: name).id
    }

    func open(_ user: UserID, lesson: LessonID = Classroom.firstLesson, mode: LearningMode? = nil) async throws -> LearningService.ChatState {
        try await learning.open(lesson, in: courseID, for: user, mode: mode)
    }

    /// Performs an action a minute after the previous one, so stored attempts have a clear order.
    func perform(_ action: LearningService.Action, _ user: UserID, lesson: LessonID = Classroom.firstLesson) async throws -> [LearningService.Entry] {
        world.clock.advance(by: 60)
        return try await learning.perform(action, lesson: lesson, in: courseID, for: user).entries
    }

    func state(_ user: UserID, lesson: LessonID = Classroom.firstLesson) async throws -> LearningService.ChatState {
        try await learning.state(lesson, in: courseID, for: user)
    }

    func lastSequence(_ user: UserID, lesson: LessonID = Classroom.firstLesson) async throws -> Int {
        try await store.lastSequence(in: state(user, lesson: lesson).conversation.id)
    }

    func shutdown() async { await world.database.shutdown() }
}

/// The field of an `AppError.invalidField`, or nil for any other error.
func invalidFieldName(_ error: AppError?) -> String? {
    guard case let .invalidField(field, _)? = error else { return nil }
    return field
}

/// The lessons a message links to.
func linkedLessons(_ message: TutorMessage) -> [LessonID] {
    message.blocks.flatMap { block -> [LessonID] in
        guard case let .paragraph(inlines) = block else { return [] }
        return inlines.compactMap { if case let .lessonLink(_, lesson, _) = $0 { lesson } else { nil } }
    }
}

@Suite("Learning loop")
struct LearningServiceTests {
    typealias Kind = TutorMessage.Kind

    // MARK: a whole lesson

    @Test("a lesson driven conversationally from welcome to completion, then resumed exactly as it was left")
    func fullLesson() async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("ada")
        var transcript: [LearningService.Entry] = []

        // Open: a welcome and the first passage; the passage is followed by another, so no task yet.
        let opened = try await room.open(user)
        transcript += opened.entries
        #expect(opened.entries.map(\.message.kind) == [Kind.note, .passage])
        #expect(opened.entries.first?.message.plainText.contains("The first lesson") == true)
        #expect(opened.entries.last?.message.plainText.contains("Plain **Markdown** text") == true)
        #expect(opened.entries.last?.record.step == "p0")
        #expect(opened.conversation.mode == .conversational)
        #expect(opened.openTask == nil)
        #expect(!opened.finished)

        // Continue: the next section and the task that follows it.
        let section = try await room.perform(.continue, user)
        transcript += section
        #expect(section.map(\.message.kind) == [Kind.passage, .task])
        #expect(section.map(\.record.step) == ["p1", "t:first-check"])
        #expect(section.last?.message.interaction == Classroom.firstCheck)
        #expect(section.last?.message.plainText.contains("Which option is right?") == true)
        #expect(try await room.state(user).openTask == Classroom.firstCheck)

        // Continue before answering: the tutor waits.
        let early = try await room.perform(.continue, user)
        transcript += early
        #expect(early.map(\.message.kind) == [Kind.note])
        #expect(early.first?.message.plainText.contains("Have a go at the task above first") == true)
        #expect(early.first?.record.step == nil, "waiting delivers no step")

        // A wrong answer: the distractor's own feedback, not the explanation.
        let wrong = try await room.perform(.answer(Classroom.firstCheck, .choice("a")), user)
        transcript += wrong
        #expect(wrong.map(\.message.kind) == [Kind.answer, .feedback])
        #expect(wrong.map(\.record.author) == [.learner, .tutor])
        #expect(wrong.first?.message.plainText.contains("The wrong one") == true, "the learner's choice is echoed in words")
        let wrongFeedback = try #require(wrong.last?.message)
        #expect(wrongFeedback.plainText.contains("That one is the distractor."))
        #expect(!wrongFeedback.plainText.contains(Classroom.firstCheckExplanation))
        #expect(!wrongFeedback.plainText.contains("Why this works"))

        // Hints, in order.
        let hint1 = try await room.perform(.hint(Classroom.firstCheck), user)
        transcript += hint1
        #expect(hint1.map(\.message.kind) == [Kind.hint])
        #expect(hint1.first?.message.plainText.contains("Hint 1 of 3") == true)
        #expect(hint1.first?.message.plainText.contains("Think about it.") == true)
        let hint2 = try await room.perform(.hint(Classroom.firstCheck), user)
        transcript += hint2
        #expect(hint2.first?.message.plainText.contains("Hint 2 of 3") == true)
        #expect(hint2.first?.message.plainText.contains("Not A.") == true)
        #expect(try await room.store.hintLevel(user: user, course: Classroom.sampleCourse, interaction: Classroom.firstCheck) == 2)

        // The right answer: why it works.
        let right = try await room.perform(.answer(Classroom.firstCheck, .choice("b")), user)
        transcript += right
        #expect(right.map(\.message.kind) == [Kind.answer, .feedback])
        let rightFeedback = try #require(right.last?.message)
        #expect(rightFeedback.plainText.contains("Why this works"))
        #expect(rightFeedback.plainText.contains(Classroom.firstCheckExplanation))
        #expect(!rightFeedback.plainText.contains("Right first time"), "this was the second attempt, after hints")

        // Attempts are appended, one per answer, each as it was graded.
        let attempts = try await room.store.attempts(user: user, course: Classroom.sampleCourse, interaction: Classroom.firstCheck)
        try #require(attempts.count == 2)
        #expect(attempts.map(\.passed) == [false, true])
        #expect(attempts.map(\.hintsUsed) == [0, 2])
        #expect(attempts.map(\.score) == [0, 1])
        #expect(attempts.allSatisfy { $0.courseVersion == "1.2.0" && $0.lessonID == Classroom.firstLesson && $0.context == .practice })
        #expect(Set(attempts.map(\.id)).count == 2)
        #expect(try JSONDecoder().decode(Answer.self, from: Data(attempts[0].answer.utf8)) == .choice("a"))
        #expect(try JSONDecoder().decode(Answer.self, from: Data(attempts[1].answer.utf8)) == .choice("b"))

        // Continue to the end: the closing text, then the lesson-complete message.
        let closing = try await room.perform(.continue, user)
        transcript += closing
        #expect(closing.map(\.message.kind) == [Kind.passage])
        #expect(closing.first?.message.plainText.contains("Some closing text.") == true)
        let done = try await room.perform(.continue, user)
        transcript += done
        #expect(done.map(\.record.step) == ["done"])
        let doneText = done.first?.message.plainText ?? ""
        #expect(doneText.contains("You've finished The first lesson."), "\(doneText)")
        #expect(doneText.contains("You passed 1 of 1 tasks."), "\(doneText)")
        #expect(doneText.contains("The second lesson"), "the next step is the second lesson: \(doneText)")

        // After the end, continuing says so and changes nothing else.
        let after = try await room.perform(.continue, user)
        transcript += after
        #expect(after.map(\.message.kind) == [Kind.note])
        #expect(after.first?.record.step == nil)
        #expect(after.first?.message.plainText.contains("You have finished this lesson") == true)

        let progress = try await room.catalog.progress(of: user, in: Classroom.sampleCourse)
        #expect(progress[Classroom.firstLesson]?.status == .completed)

        // Resumable: a fresh service over the same store reads back exactly this conversation.
        let fresh = LearningService(
            catalog: CatalogService(catalog: room.world.catalog, store: room.store, clock: room.world.clock.clock),
            store: room.store, clock: room.world.clock.clock
        )
        let reloaded = try await fresh.state(Classroom.firstLesson, in: Classroom.sampleCourse, for: user)
        #expect(reloaded.finished)
        #expect(reloaded.openTask == nil)
        #expect(reloaded.entries.map(\.record.sequence) == Array(1...transcript.count))
        #expect(reloaded.entries.map(\.record) == transcript.map(\.record))
        #expect(reloaded.entries.map(\.message) == transcript.map(\.message))
        let status = try #require(reloaded.tasks[Classroom.firstCheck])
        #expect(status.attempts == 2)
        #expect(status.passed)
        #expect(status.lastAnswer == nil, "only written answers are brought back for revision")
        #expect(reloaded.record.completed == [Classroom.firstLesson])
        #expect(reloaded.record.passed == [Classroom.firstCheck])

        // Opening again resumes: no second welcome, and the completion stands.
        let reopened = try await fresh.open(Classroom.firstLesson, in: Classroom.sampleCourse, for: user)
        #expect(reopened.entries.count == transcript.count)
        #expect(reopened.finished)
        #expect(try await room.catalog.progress(of: user, in: Classroom.sampleCourse)[Classroom.firstLesson]?.status == .completed,
                "reopening a completed lesson does not mark it started again")
        await room.shutdown()
    }

    // MARK: mastery

    @Test("a reply resumed after message N reads only the messages after N, with the same progress and task status as the whole state")
    func updateAfter() async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("ada")
        let stranger = try await room.learner("bo")
        _ = try await room.open(user)
        _ = try await room.perform(.continue, user)
        let before = try await room.lastSequence(user)
        let answered = try await room.perform(.answer(Classroom.firstCheck, .choice("b")), user)
        let update = try await room.learning.update(Classroom.firstLesson, in: room.courseID, for: user, after: before)
        #expect(update.entries.map(\.record.sequence) == answered.map(\.record.sequence) && !answered.isEmpty)
        #expect(update.entries.map(\.message) == answered.map(\.message))
        let whole = try await room.state(user)
        #expect(update.record.passed == whole.record.passed && update.record.passed.contains(Classroom.firstCheck))
        #expect(update.tasks[Classroom.firstCheck]?.passed == true && update.tasks[Classroom.firstCheck]?.attempts == 1)
        #expect(try await room.learning.update(Classroom.firstLesson, in: room.courseID, for: user, after: before + answered.count).entries.isEmpty)
        #expect(try await room.learning.update(Classroom.firstLesson, in: room.courseID, for: stranger, after: 0).entries.isEmpty,
                "a learner who never opened the lesson has nothing to resume")
        await room.shutdown()
    }

    @Test("a right first answer with no hints is one BKT update with full credit")
    func masteryAfterRightAnswer() async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("rita")
        _ = try await room.open(user)
        _ = try await room.perform(.continue, user)
        _ = try await room.perform(.answer(Classroom.firstCheck, .choice("b")), user)

        let skill = try #require(try room.course().skill(SkillID(rawValue: "basics")))
        let expected = KnowledgeTracer().update(prior: skill.tracing.initial, credit: 1, parameters: skill.tracing)
        #expect(expected > skill.tracing.initial)
        let stored = try await room.store.mastery(user: user, course: Classroom.sampleCourse)
        #expect(stored.map(\.skillID) == [skill.id], "only the check's skill is traced")
        #expect(stored.first?.probability == expected)
        #expect(stored.first?.observations == 1)
        #expect(try await room.state(user).record.mastery[skill.id] == expected)
        await room.shutdown()
    }

    @Test("answers sent at once from several tabs are all graded, stored once each, numbered in order and traced in turn")
    func concurrentAnswers() async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("tabs")
        _ = try await room.open(user)
        _ = try await room.perform(.continue, user)
        let before = try await room.lastSequence(user)
        let answers = 12
        let replies = try await withThrowingTaskGroup(of: [LearningService.Entry].self) { group in
            for index in 0 ..< answers {
                group.addTask {
                    try await room.learning.perform(.answer(Classroom.firstCheck, .choice(index.isMultiple(of: 2) ? "a" : "b")),
                                                    lesson: Classroom.firstLesson, in: Classroom.sampleCourse, for: user).entries
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // Each answer got its echo and its feedback, under numbers no other answer took.
        #expect(replies.count == answers)
        #expect(replies.allSatisfy { $0.map(\.message.kind) == [.answer, .feedback] })
        let numbers = replies.flatMap { $0.map(\.record.sequence) }.sorted()
        #expect(numbers == Array(before + 1 ... before + 2 * answers))
        let stored = try await room.store.messages(in: room.state(user).conversation.id, after: before)
        #expect(stored.map(\.sequence) == numbers)
        // Every attempt stored once and counted; each feedback names a different attempt number.
        #expect(try await room.store.attempts(user: user, course: Classroom.sampleCourse).count == answers)
        #expect(try await room.store.attemptTally(user: user, course: Classroom.sampleCourse)[Classroom.firstCheck]
            == AttemptTally(attempts: answers, passed: true))
        // Mastery saw every answer, one after the other, never two from the same prior.
        let mastery = try #require(try await room.store.mastery(user: user, course: Classroom.sampleCourse).first)
        #expect(mastery.observations == answers)
        await room.shutdown()
    }

    @Test("a wrong answer lowers mastery below the prior")
    func masteryAfterWrongAnswer() async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("walt")
        _ = try await room.open(user)
        _ = try await room.perform(.continue, user)
        _ = try await room.perform(.answer(Classroom.firstCheck, .choice("a")), user)

        let skill = try #require(try room.course().skill(SkillID(rawValue: "basics")))
        let stored = try #require(try await room.store.mastery(user: user, course: Classroom.sampleCourse).first)
        #expect(stored.skillID == skill.id)
        #expect(stored.probability < skill.tracing.initial)
        #expect(stored.probability == KnowledgeTracer().update(prior: skill.tracing.initial, credit: 0, parameters: skill.tracing))
        await room.shutdown()
    }

    @Test("hints lower the credit: right after every hint ends lower than right with none")
    func hintsLowerCredit() async throws {
        let room = try await Classroom.fixture()
        let unaided = try await room.learner("una")
        let hinted = try await room.learner("hal")
        for user in [unaided, hinted] {
            _ = try await room.open(user)
            _ = try await room.perform(.continue, user)
        }
        for _ in 1...3 { _ = try await room.perform(.hint(Classroom.firstCheck), hinted) }
        _ = try await room.perform(.answer(Classroom.firstCheck, .choice("b")), unaided)
        _ = try await room.perform(.answer(Classroom.firstCheck, .choice("b")), hinted)

        let skill = try #require(try room.course().skill(SkillID(rawValue: "basics")))
        let unaidedMastery = try #require(try await room.store.mastery(user: unaided, course: Classroom.sampleCourse).first?.probability)
        let hintedMastery = try #require(try await room.store.mastery(user: hinted, course: Classroom.sampleCourse).first?.probability)
        #expect(unaidedMastery > hintedMastery)
        #expect(hintedMastery > skill.tracing.initial, "a right answer still counts for something")
        let credit = KnowledgeTracer.credit(scoreFraction: 1, hintsUsed: 3, hintsAvailable: 3)
        #expect(hintedMastery == KnowledgeTracer().update(prior: skill.tracing.initial, credit: credit, parameters: skill.tracing))
        let attempt = try #require(try await room.store.attempts(user: hinted, course: Classroom.sampleCourse, interaction: Classroom.firstCheck).first)
        #expect(attempt.hintsUsed == 3)
        await room.shutdown()
    }

    // MARK: modes

    @Test("read-first mode delivers every passage before any task")
    func readFirstOpen() async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("reed")
        let lesson = try #require(try room.course().lessons[Classroom.firstLesson])
        let passages = LessonScript(lesson: lesson).steps.filter(\.isPassage).map(\.key)
        try #require(passages.count == 3)

        let opened = try await room.open(user, mode: .readFirst)
        #expect(opened.conversation.mode == .readFirst)
        #expect(opened.entries.map(\.message.kind) == [Kind.note] + Array(repeating: Kind.passage, count: passages.count))
        #expect(opened.entries.compactMap(\.record.step) == passages)
        #expect(opened.entries.last?.message.plainText.contains("Some closing text.") == true, "even the text after the task comes first")
        #expect(opened.openTask == nil)

        let next = try await room.perform(.continue, user)
        #expect(next.map(\.message.kind) == [Kind.task])
        #expect(next.map(\.record.step) == ["t:first-check"])
        await room.shutdown()
    }

    @Test("switching to read-first mid-lesson delivers the remaining passages, then the task")
    func readFirstSwitch() async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("sam")
        _ = try await room.open(user)
        let switched = try await room.perform(.mode(.readFirst), user)
        #expect(switched.map(\.message.kind) == [Kind.note, .passage, .passage])
        #expect(switched.first?.message.plainText.contains("Read first") == true)
        #expect(switched.compactMap(\.record.step) == ["p1", "p2"])
        #expect(try await room.state(user).conversation.mode == .readFirst)

        let next = try await room.perform(.continue, user)
        #expect(next.map(\.record.step) == ["t:first-check"])
        await room.shutdown()
    }

    @Test("practice-first mode starts with the task; the text behind it comes on request")
    func practiceFirst() async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("pat")
        let opened = try await room.open(user, mode: .practiceFirst)
        let delivered = opened.entries.filter { $0.record.step != nil }
        #expect(delivered.map(\.record.step) == ["t:first-check"])
        #expect(delivered.first?.message.kind == .task)
        #expect(!opened.entries.contains { $0.message.kind == .passage })
        #expect(opened.openTask == Classroom.firstCheck)

        let text = try await room.perform(.showText(Classroom.firstCheck), user)
        #expect(text.map(\.message.kind) == [Kind.passage, .passage])
        #expect(text.map(\.record.step) == ["p0", "p1"])
        #expect(text.first?.message.plainText.contains("Plain **Markdown** text") == true)
        #expect(text.last?.message.plainText.contains("A check") == true)
        #expect(!text.contains { $0.message.plainText.contains("Some closing text.") }, "only the text before the task")

        _ = try await room.perform(.answer(Classroom.firstCheck, .choice("b")), user)
        let done = try await room.perform(.continue, user)
        #expect(done.map(\.record.step) == ["done"], "practice-first has no further task, so the lesson is complete")
        await room.shutdown()
    }

    // MARK: free questions

    @Test("an empty question is refused and writes nothing", arguments: ["", "   \n\t "])
    func emptyQuestion(_ question: String) async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("quinn")
        _ = try await room.open(user)
        let before = try await room.lastSequence(user)
        let error = await #expect(throws: AppError.self) { try await room.perform(.ask(question), user) }
        #expect(invalidFieldName(error) == "question")
        #expect(try await room.lastSequence(user) == before)
        await room.shutdown()
    }

    @Test("a question over the length limit is refused; one at the limit is answered")
    func questionLength() async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("lena")
        _ = try await room.open(user)
        let before = try await room.lastSequence(user)
        let tooLong = String(repeating: "a", count: LearningService.maxQuestionLength + 1)
        let error = await #expect(throws: AppError.self) { try await room.perform(.ask(tooLong), user) }
        #expect(invalidFieldName(error) == "question")
        #expect(try await room.lastSequence(user) == before)

        let atLimit = String(repeating: "a", count: LearningService.maxQuestionLength)
        let answered = try await room.perform(.ask(atLimit), user)
        #expect(answered.map(\.message.kind) == [Kind.question, .reply])
        #expect(try await room.lastSequence(user) == before + 2)
        await room.shutdown()
    }

    @Test("a question the course covers is answered from the course text, with a link to the lesson")
    func onTopicQuestion() async throws {
        let room = try await Classroom.shipped()
        let user = try await room.learner("olu")
        let lesson = LessonID(rawValue: "context-windows-and-hallucination")
        _ = try await room.open(user, lesson: lesson)
        let question = "Why do AI models make things up?"
        let entries = try await room.perform(.ask(question), user, lesson: lesson)
        #expect(entries.map(\.message.kind) == [Kind.question, .reply])
        #expect(entries.map(\.record.author) == [.learner, .tutor])
        #expect(entries.first?.message.plainText.contains(question) == true)
        let reply = try #require(entries.last?.message)
        #expect(reply.plainText.contains("what the course says"), "\(reply.plainText)")
        #expect(!reply.plainText.contains("doesn't cover"))
        #expect(linkedLessons(reply).first == lesson, "\(linkedLessons(reply))")
        await room.shutdown()
    }

    @Test("a question the course does not cover gets a plain 'not covered', with no quoted passage")
    func offTopicQuestion() async throws {
        let room = try await Classroom.shipped()
        let user = try await room.learner("otto")
        let lesson = LessonID(rawValue: "what-generative-ai-is")
        _ = try await room.open(user, lesson: lesson)
        let entries = try await room.perform(.ask("How do I bake sourdough bread?"), user, lesson: lesson)
        #expect(entries.map(\.message.kind) == [Kind.question, .reply])
        let reply = try #require(entries.last?.message)
        #expect(reply.plainText.contains("doesn't cover"), "\(reply.plainText)")
        #expect(!reply.plainText.contains("what the course says"))
        #expect(linkedLessons(reply).isEmpty)
        await room.shutdown()
    }

    // MARK: bad answers

    @Test("an answer or hint for a task that is not in this lesson is refused and writes nothing", arguments: [
        LearningService.Action.answer(InteractionID(rawValue: "no-such-task"), .choice("b")),
        .answer(InteractionID(rawValue: "redact-task"), .spans([CharacterSpan(start: 0, end: 4)])),
        .hint(InteractionID(rawValue: "no-such-task")),
        .showText(InteractionID(rawValue: "write-prompt")),
    ])
    func foreignTask(_ action: LearningService.Action) async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("fay")
        _ = try await room.open(user)
        _ = try await room.perform(.continue, user)
        let before = try await room.lastSequence(user)
        let error = await #expect(throws: AppError.self) { try await room.perform(action, user) }
        #expect(invalidFieldName(error) == "interaction")
        #expect(try await room.lastSequence(user) == before)
        #expect(try await room.store.attempts(user: user, course: Classroom.sampleCourse).isEmpty)
        #expect(try await room.store.hintLevel(user: user, course: Classroom.sampleCourse, interaction: InteractionID(rawValue: "no-such-task")) == 0)
        await room.shutdown()
    }

    @Test("an answer of the wrong kind, or naming no option of the task, is refused and writes nothing", arguments: [
        Answer.text("b"),
        .choices(["b"]),
        .choice("z"),
    ])
    func ungradableAnswer(_ answer: Answer) async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("gus")
        _ = try await room.open(user)
        _ = try await room.perform(.continue, user)
        let before = try await room.lastSequence(user)
        let error = await #expect(throws: AppError.self) { try await room.perform(.answer(Classroom.firstCheck, answer), user) }
        #expect(invalidFieldName(error) == "answer")
        #expect(try await room.lastSequence(user) == before)
        #expect(try await room.store.attempts(user: user, course: Classroom.sampleCourse).isEmpty)
        #expect(try await room.store.mastery(user: user, course: Classroom.sampleCourse).isEmpty)
        #expect(try await room.state(user).openTask == Classroom.firstCheck, "the task is still waiting for an answer")
        await room.shutdown()
    }

    @Test("open(mode:) starts in the mode asked for even when the state was read first")
    func modeAfterStateRead() async throws {
        let room = try await Classroom.fixture()
        let user = try await room.learner("mo")
        // A page may read the state (e.g. to show the mode picker) before the learner opens the lesson.
        _ = try await room.state(user)
        let opened = try await room.open(user, mode: .readFirst)
        // Reading the state writes nothing, so the conversation starts in the mode asked for.
        #expect(opened.conversation.mode == .readFirst)
        #expect(opened.entries.filter { $0.message.kind == .passage }.count == 3)
        #expect(!opened.entries.isEmpty, "the welcome is still given")
        await room.shutdown()
    }
}
