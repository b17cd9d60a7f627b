import CairnCore
import Curriculum
import Foundation
import Grading
import Tutoring

/// The learning loop: a conversation per learner and lesson in which the tutor presents the
/// lesson, grades every answer, gives hints and answers questions, and mastery is traced.
public struct LearningService: Sendable {
    /// A message of the conversation with its decoded content.
    public struct Entry: Sendable {
        public var record: ChatMessageRecord
        public var message: TutorMessage
    }

    /// Everything a page or API response needs to show a lesson's conversation.
    public struct ChatState: Sendable {
        public var course: Course
        public var lesson: Lesson
        public var conversation: Conversation
        public var entries: [Entry]
        public var record: LearnerRecord
        /// The task the learner is expected to answer before moving on, if any.
        public var openTask: InteractionID?
        /// Every step has been delivered and the tutor has closed the lesson.
        public var finished: Bool
        /// The learner's attempts so far at each task of the lesson.
        public var tasks: [InteractionID: TaskStatus]
    }

    public struct TaskStatus: Sendable {
        public var attempts: Int
        public var passed: Bool
        /// The latest answer, so a written answer can be revised rather than retyped.
        public var lastAnswer: Answer?

        public init(attempts: Int, passed: Bool, lastAnswer: Answer?) {
            self.attempts = attempts
            self.passed = passed
            self.lastAnswer = lastAnswer
        }
    }

    /// What one action added, with the progress figures a page shows beside the chat.
    public struct Outcome: Sendable {
        public var entries: [Entry]
        /// Attempts per task of the course.
        public var tally: [InteractionID: AttemptTally]
        /// Mastery per practised skill of the course.
        public var mastery: [SkillID: Double]
        /// The graded answer, when the action was one.
        public var graded: GradedAnswer?
        /// The free question asked, when the action was one, with what retrieval found.
        public var question: AskedQuestion?

        /// What the outcome tells of the learner's record (passed tasks and mastery; lesson
        /// progress is not part of it).
        public var record: LearnerRecord {
            LearnerRecord(started: [], completed: [], passed: Set(tally.filter(\.value.passed).keys), mastery: mastery)
        }
    }

    /// A free question with the course passages found for it.
    public struct AskedQuestion: Sendable {
        public var text: String
        public var hits: [Hit]
        public var covered: Bool
    }

    /// An answer as graded.
    public struct GradedAnswer: Sendable {
        public var interaction: InteractionID
        public var answer: Answer
        public var result: GradeResult
    }

    /// What the learner asks for.
    public enum Action: Sendable, Equatable {
        case `continue`
        case answer(InteractionID, Answer)
        case hint(InteractionID)
        case ask(String)
        case mode(LearningMode)
        /// Practice-first mode: show the lesson text behind a task.
        case showText(InteractionID)
        /// Set a task of this lesson again.
        case practise(InteractionID)
    }

    public static let maxQuestionLength = 1_000

    let catalog: CatalogService
    let store: any CairnStore
    let clock: Clock
    let grader: Grader
    let tutor = BuiltInTutor()
    let tracer = KnowledgeTracer()
    /// The model-backed tutor, when a language model is configured.
    public let modelTutor: ModelTutor?
    let indexes: [CourseID: CourseIndex]
    /// Each lesson split into its steps once, at start-up: the catalogue does not change while serving.
    let scripts: [CourseID: [LessonID: LessonScript]]

    public init(catalog: CatalogService, store: any CairnStore, grader: Grader = Grader(), clock: Clock = .system, modelTutor: ModelTutor? = nil) {
        self.catalog = catalog
        self.store = store
        self.modelTutor = modelTutor
        self.grader = grader
        self.clock = clock
        var indexes: [CourseID: CourseIndex] = [:]
        var scripts: [CourseID: [LessonID: LessonScript]] = [:]
        for course in catalog.courses {
            indexes[course.id] = CourseIndex(course: course)
            for lesson in course.lessons.values { scripts[course.id, default: [:]][lesson.id] = LessonScript(lesson: lesson) }
        }
        self.indexes = indexes
        self.scripts = scripts
    }

    // MARK: opening

    /// Opens (or resumes) the learner's conversation for a lesson. A new conversation starts
    /// with a welcome and the first step.
    public func open(_ lessonID: LessonID, in courseID: CourseID, for user: UserID, mode: LearningMode? = nil) async throws -> ChatState {
        let (course, lesson) = try catalog.lesson(lessonID, in: courseID)
        let now = clock.now()
        try await store.transaction { store in
            if let existing = try await store.conversation(user: user, course: course.id, lesson: lesson.id) {
                if let mode, mode != existing.mode { try await store.setMode(mode, of: existing.id, at: now) }
                return
            }
            var outbox = try await start(course: course, lesson: lesson, user: user, mode: mode ?? .conversational, store: store, at: now)
            try await deliverNext(script: script(for: lesson, in: course), mode: mode ?? .conversational, delivered: [], course: course,
                                  lesson: lesson, user: user, store: store, outbox: &outbox)
            try await store.appendMessages(outbox.records)
        }
        return try await state(lesson: lesson, course: course, user: user)
    }

    /// Enrols the learner if needed, records the lesson as started and creates its conversation
    /// with the tutor's welcome (to be followed by the first step).
    func start(course: Course, lesson: Lesson, user: UserID, mode: LearningMode, store: any CairnStore, at now: Date) async throws -> Outbox {
        try await CatalogService.recordStart(of: lesson, in: course, for: user, at: now, store: store)
        let conversation = try await store.openConversation(Conversation(
            id: .random(), userID: user, courseID: course.id, lessonID: lesson.id, courseVersion: course.version,
            mode: mode, createdAt: now, updatedAt: now
        ))
        let last = try await store.lastSequence(in: conversation.id)
        var outbox = Outbox(conversation: conversation, next: last + 1, at: now)
        if last == 0 { outbox.tutor(tutor.welcome(lesson: lesson, mode: conversation.mode, resumed: false)) }
        return outbox
    }

    /// The conversation as stored, with the learner's record.
    public func state(_ lessonID: LessonID, in courseID: CourseID, for user: UserID) async throws -> ChatState {
        let (course, lesson) = try catalog.lesson(lessonID, in: courseID)
        return try await state(lesson: lesson, course: course, user: user)
    }

    func state(lesson: Lesson, course: Course, user: UserID) async throws -> ChatState {
        let now = clock.now()
        // Reading never writes: a lesson never opened shows an empty conversation.
        let conversation = try await store.conversation(user: user, course: course.id, lesson: lesson.id) ?? Conversation(
            id: .random(), userID: user, courseID: course.id, lessonID: lesson.id, courseVersion: course.version,
            mode: .conversational, createdAt: now, updatedAt: now
        )
        let records = try await store.messages(in: conversation.id, after: 0)
        let entries = try records.map(Self.entry)
        let tally = try await store.attemptTally(user: user, course: course.id)
        let record = try await learnerRecord(user: user, course: course, tally: tally, store: store)
        let delivered = Set(records.compactMap(\.step))
        let openTask = script(for: lesson, in: course).openTask(delivered: delivered, attempted: tally)
        return ChatState(course: course, lesson: lesson, conversation: conversation, entries: entries, record: record,
                         openTask: openTask, finished: delivered.contains("done"),
                         tasks: try await taskStatuses(lesson: lesson, course: course, user: user, tally: tally))
    }

    /// What a page that lost part of a reply needs to show the rest: the messages after
    /// `sequence` (not the whole conversation), the learner's progress and their tasks'
    /// status, read from the database, so any node can answer.
    public struct ChatUpdate: Sendable {
        public var course: Course
        public var lesson: Lesson
        public var entries: [Entry]
        public var record: LearnerRecord
        public var tasks: [InteractionID: TaskStatus]
    }

    public func update(_ lessonID: LessonID, in courseID: CourseID, for user: UserID, after sequence: Int) async throws -> ChatUpdate {
        let (course, lesson) = try catalog.lesson(lessonID, in: courseID)
        var records: [ChatMessageRecord] = []
        if let conversation = try await store.conversation(user: user, course: course.id, lesson: lesson.id) {
            records = try await store.messages(in: conversation.id, after: sequence)
        }
        let tally = try await store.attemptTally(user: user, course: course.id)
        return ChatUpdate(
            course: course, lesson: lesson, entries: try records.map(Self.entry),
            record: try await learnerRecord(user: user, course: course, tally: tally, store: store),
            tasks: try await taskStatuses(lesson: lesson, course: course, user: user, tally: tally)
        )
    }

    /// The learner's attempts at each task of the lesson; written answers come back into
    /// their box, ready to revise.
    func taskStatuses(lesson: Lesson, course: Course, user: UserID, tally: [InteractionID: AttemptTally]) async throws -> [InteractionID: TaskStatus] {
        var tasks: [InteractionID: TaskStatus] = [:]
        for interaction in lesson.interactions {
            guard let counts = tally[interaction.id] else { continue }
            tasks[interaction.id] = TaskStatus(attempts: counts.attempts, passed: counts.passed, lastAnswer: nil)
        }
        for interaction in lesson.interactions where interaction.content.rubric != nil && tally[interaction.id] != nil {
            let latest = try await store.attempts(user: user, course: course.id, interaction: interaction.id).last
            tasks[interaction.id]?.lastAnswer = latest.flatMap { try? JSONDecoder().decode(Answer.self, from: Data($0.answer.utf8)) }
        }
        return tasks
    }

    // MARK: acting

    /// Carries out one action and returns the messages it added, in order, with the
    /// learner's progress after it.
    public func perform(_ action: Action, lesson lessonID: LessonID, in courseID: CourseID, for user: UserID) async throws -> Outcome {
        let (course, lesson) = try catalog.lesson(lessonID, in: courseID)
        let question = if case let .ask(text) = action { text.trimmingCharacters(in: .whitespacesAndNewlines) } else { "" }
        if case .ask = action {
            guard !question.isEmpty else { throw AppError.invalidField(field: "question", message: "Type a question first.") }
            guard question.count <= Self.maxQuestionLength else {
                throw AppError.invalidField(field: "question", message: "Keep questions under \(Self.maxQuestionLength) characters.")
            }
        }
        let interaction: Interaction? = switch action {
        case let .answer(id, _), let .hint(id), let .showText(id), let .practise(id): try Self.task(id.rawValue, in: lesson)
        default: nil
        }
        if case let .answer(_, answer) = action, let interaction {
            // Grading is pure: a bad answer is refused before anything is read or written.
            let result: GradeResult
            do {
                result = try grader.grade(interaction, answer: answer)
            } catch {
                throw AppError.invalidField(field: "answer", message: error.description.prefix(1).uppercased() + error.description.dropFirst() + ".")
            }
            return try await self.answer(answer, result: result, to: interaction, lesson: lesson, course: course, user: user)
        }

        let now = clock.now()
        return try await store.transaction { store in
            var outbox: Outbox
            var fresh = false
            if let (existing, last) = try await store.conversationWithLastSequence(user: user, course: course.id, lesson: lesson.id) {
                outbox = Outbox(conversation: existing, next: last + 1, at: now)
            } else {
                // Acting on a lesson never opened: start it as opening would.
                outbox = try await start(course: course, lesson: lesson, user: user, mode: .conversational, store: store, at: now)
                fresh = true
            }
            let script = self.script(for: lesson, in: course)
            var tally: [InteractionID: AttemptTally]?
            var asked: AskedQuestion?

            /// The lesson steps the conversation has delivered so far.
            func deliveredSteps() async throws -> Set<String> {
                fresh ? [] : Set(try await store.messages(in: outbox.conversation.id, after: 0).compactMap(\.step))
            }

            switch action {
            case .continue:
                let delivered = try await deliveredSteps()
                let counts = try await store.attemptTally(user: user, course: course.id)
                tally = counts
                if let open = script.openTask(delivered: delivered, attempted: counts),
                   let task = lesson.interactions.first(where: { $0.id == open }) {
                    outbox.tutor(tutor.waitingForAnswer(task))
                } else {
                    try await deliverNext(script: script, mode: outbox.conversation.mode, delivered: delivered, course: course, lesson: lesson,
                                          user: user, store: store, outbox: &outbox)
                }
            case .answer:
                break // answered above, outside any transaction
            case .hint:
                guard let interaction else { break }
                let level = try await store.hintLevel(user: user, course: course.id, interaction: interaction.id) + 1
                if level <= interaction.hints.count {
                    try await store.recordHint(user: user, course: course.id, interaction: interaction.id, level: level, at: now)
                }
                outbox.tutor(tutor.hint(for: interaction, level: level))
            case .ask:
                outbox.learner(tutor.question(question), interaction: nil)
                let index = indexes[course.id] ?? CourseIndex(course: course)
                let hits = index.search(question, limit: 3)
                let covered = index.isCovered(hits)
                outbox.tutor(tutor.reply(to: question, hits: hits, covered: covered))
                asked = AskedQuestion(text: question, hits: hits, covered: covered)
            case let .mode(mode):
                try await store.setMode(mode, of: outbox.conversation.id, at: now)
                outbox.tutor(tutor.modeChanged(to: mode))
                let delivered = try await deliveredSteps()
                let counts = try await store.attemptTally(user: user, course: course.id)
                tally = counts
                if script.openTask(delivered: delivered, attempted: counts) == nil {
                    try await deliverNext(script: script, mode: mode, delivered: delivered, course: course, lesson: lesson,
                                          user: user, store: store, outbox: &outbox)
                }
            case .showText:
                guard let interaction else { break }
                for step in script.passages(before: interaction.id) {
                    guard case let .passage(_, heading, markdown) = step else { continue }
                    outbox.tutor(tutor.passage(heading: heading, markdown: markdown), step: step.key)
                }
            case .practise:
                guard let interaction else { break }
                outbox.tutor(tutor.task(interaction, again: true))
            }
            if fresh, action != .continue {
                // A new conversation also shows the first step, so the chat never looks empty.
                try await deliverNext(script: script, mode: outbox.conversation.mode, delivered: Set(outbox.records.compactMap(\.step)),
                                      course: course, lesson: lesson, user: user, store: store, outbox: &outbox)
            }
            try await store.appendMessages(outbox.records)
            let finalTally: [InteractionID: AttemptTally]
            if let tally { finalTally = tally } else { finalTally = try await store.attemptTally(user: user, course: course.id) }
            let mastery = Dictionary(try await store.mastery(user: user, course: course.id).map { ($0.skillID, $0.probability) },
                                     uniquingKeysWith: { a, _ in a })
            return Outcome(entries: outbox.entries, tally: finalTally, mastery: mastery, graded: nil, question: asked)
        }
    }

    /// The check or task of a lesson with that id; an id from elsewhere names the field at fault.
    public static func task(_ id: String, in lesson: Lesson) throws -> Interaction {
        guard let found = lesson.interactions.first(where: { $0.id.rawValue == id }) else {
            throw AppError.invalidField(field: "interaction", message: "'\(id)' is not a task of this lesson; answer a task shown in the conversation.")
        }
        return found
    }

    // MARK: answering

    /// How many times a graded answer is worked out again when what it was worked out from
    /// changed before it could be stored (the learner acted in another tab meanwhile),
    /// before it is worked out holding the write lock instead.
    static let answerRetries = 3

    /// Stores a graded answer and returns the tutor's feedback. No transaction is held
    /// while the feedback is written: the learner's record is read, the attempt, messages
    /// and mastery are worked out, and the store writes them in one go, perhaps in one
    /// commit with other learners' answers. If the learner acted meanwhile, the store
    /// refuses the write and the answer is worked out again on what is stored now; after a
    /// few refusals (answers racing from several tabs) it is worked out inside a
    /// transaction, where nothing can change underneath it.
    func answer(_ answer: Answer, result: GradeResult, to interaction: Interaction, lesson: Lesson, course: Course, user: UserID) async throws -> Outcome {
        var retries = 0
        while retries <= Self.answerRetries + 2 {
            let exclusive = retries >= Self.answerRetries
            do {
                let outcome = if exclusive {
                    try await store.transaction { store in
                        try await self.answerOnce(answer, result: result, to: interaction, lesson: lesson, course: course, user: user, store: store)
                    }
                } else {
                    try await answerOnce(answer, result: result, to: interaction, lesson: lesson, course: course, user: user, store: store)
                }
                if let outcome { return outcome }
                // A lesson never opened: open it as the page does (welcome and first step), then answer.
                _ = try await open(lesson.id, in: course.id, for: user)
            } catch StoreError.conflict where !exclusive {}
            retries += 1
        }
        throw StoreError.unavailable("the answer could not be stored; try again")
    }

    /// Reads the learner's record, works out the answer's writes and stores them; nil when
    /// the learner has no conversation for the lesson yet.
    func answerOnce(_ answer: Answer, result: GradeResult, to interaction: Interaction, lesson: Lesson, course: Course, user: UserID,
                    store: any CairnStore) async throws -> Outcome? {
        guard let snapshot = try await store.chatSnapshot(user: user, course: course.id, lesson: lesson.id) else { return nil }
        let (write, outcome) = answered(answer, result: result, to: interaction, lesson: lesson, course: course, user: user,
                                        snapshot: snapshot, at: clock.now())
        try await store.recordAnswer(write)
        return outcome
    }

    /// What a graded answer adds to the learner's record as read: the attempt, the echo of
    /// the answer and the tutor's feedback, and the new mastery.
    func answered(_ answer: Answer, result: GradeResult, to interaction: Interaction, lesson: Lesson, course: Course, user: UserID,
                  snapshot: ChatSnapshot, at now: Date) -> (AnswerWrite, Outcome) {
        var outbox = Outbox(conversation: snapshot.conversation, next: snapshot.lastSequence + 1, at: now)
        outbox.learner(tutor.echo(answer, to: interaction), interaction: interaction.id)
        let previous = snapshot.tally[interaction.id]?.attempts ?? 0
        let hints = snapshot.hintLevels[interaction.id] ?? 0
        let attempt = AttemptRecord(
            id: AttemptID(rawValue: RandomUUID.timeOrdered(at: now)), userID: user, courseID: course.id, courseVersion: course.version, lessonID: lesson.id,
            interactionID: interaction.id, context: .practice, answer: answer.jsonString, score: result.score,
            maxScore: result.maxScore, passed: result.passed, result: result.jsonString, hintsUsed: hints, createdAt: now
        )
        var tally = snapshot.tally
        tally[interaction.id] = AttemptTally(attempts: previous + 1, passed: (tally[interaction.id]?.passed ?? false) || result.passed)
        let updated = masteryUpdate(course: course, interaction: interaction, result: result, hints: hints, user: user,
                                    current: snapshot.mastery, at: now)
        var mastery = snapshot.mastery.mapValues(\.probability)
        for skill in updated { mastery[skill.skillID] = skill.probability }
        outbox.tutor(tutor.feedback(for: interaction, result: result, attemptNumber: previous + 1, hintsUsed: hints,
                                    warnings: personalDataWarnings(interaction: interaction, answer: answer, result: result)))
        return (AnswerWrite(attempt: attempt, messages: outbox.records, mastery: updated),
                Outcome(entries: outbox.entries, tally: tally, mastery: mastery,
                        graded: GradedAnswer(interaction: interaction.id, answer: answer, result: result), question: nil))
    }

    // MARK: the model-backed tutor

    /// Every model turn after an action, in the order they are shown: after a graded answer,
    /// for a written prompt the prompt run against the model (the practice space), then the
    /// coaching; after a free question, the model's reply from the passages found. Empty
    /// without a model, for other actions, or over the rate limits.
    public func modelTurns(after outcome: Outcome, lesson lessonID: LessonID, in courseID: CourseID, for user: UserID) async throws -> [ModelTutor.Turn] {
        guard let modelTutor, outcome.graded != nil || outcome.question != nil else { return [] }
        let (course, lesson) = try catalog.lesson(lessonID, in: courseID)
        let mode = try await store.conversation(user: user, course: course.id, lesson: lesson.id)?.mode ?? .conversational
        if let asked = outcome.question {
            // A free question: the built-in reply (the passages, with links) is stored; the
            // model then answers in its own words from the same passages.
            let context = ModelTutor.QuestionContext(course: course, lesson: lesson, question: asked.text, hits: asked.hits, covered: asked.covered, mode: mode)
            return modelTutor.turn(context, user: user, at: clock.now()).map { [$0] } ?? []
        }
        guard let graded = outcome.graded else { return [] }
        let interaction = try Self.task(graded.interaction.rawValue, in: lesson)
        let attempts = try await store.attempts(user: user, course: course.id, interaction: interaction.id)
        let context = ModelTutor.AnswerContext(
            course: course, lesson: lesson, interaction: interaction, answer: graded.answer, result: graded.result,
            earlier: Array(attempts.dropLast()), mastery: outcome.mastery, mode: mode
        )
        return modelTutor.turns(context, user: user, at: clock.now())
    }

    /// Stores the model's finished reply as the tutor's next message in the conversation, as
    /// the turn's kind of message (its words are plain text: shown escaped, never as markup).
    public func storeModelReply(_ reply: ModelReply, of turn: ModelTutor.Turn, for user: UserID) async throws -> Entry {
        // The markers that frame the learner's words in the prompt are not for the learner (a
        // small model sometimes echoes them).
        var text = reply.text
        for marker in ["<<<ATTEMPT", "ATTEMPT>>>", "<<<QUESTION", "QUESTION>>>"] { text = text.replacingOccurrences(of: marker, with: "") }
        let paragraphs = text.components(separatedBy: "\n\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
        let blocks: [Block] = (turn.title.map { [Block.heading($0)] } ?? []) + paragraphs.map { .paragraph([.text($0)]) }
        let message = TutorMessage(kind: turn.kind, blocks: blocks, interaction: turn.interaction)
        var retries = 0
        while true {
            do {
                return try await store.transaction { store in
                    guard let (conversation, last) = try await store.conversationWithLastSequence(user: user, course: turn.course.id, lesson: turn.lesson.id) else {
                        throw AppError.notFound("the conversation for this lesson")
                    }
                    var outbox = Outbox(conversation: conversation, next: last + 1, at: clock.now())
                    outbox.tutor(message)
                    try await store.appendMessages(outbox.records)
                    return outbox.entries[0]
                }
            } catch StoreError.conflict where retries < Self.answerRetries {
                // Another message took the number (the learner acted in another tab): take the next.
                retries += 1
            }
        }
    }

    // MARK: steps

    func script(for lesson: Lesson, in course: Course) -> LessonScript {
        scripts[course.id]?[lesson.id] ?? LessonScript(lesson: lesson)
    }

    func deliverNext(script: LessonScript, mode: LearningMode, delivered: Set<String>, course: Course, lesson: Lesson,
                     user: UserID, store: any CairnStore, outbox: inout Outbox) async throws {
        let steps = script.next(for: mode, delivered: delivered)
        for step in steps {
            switch step {
            case let .passage(_, heading, markdown):
                outbox.tutor(tutor.passage(heading: heading, markdown: markdown), step: step.key)
            case let .task(id):
                guard let interaction = lesson.interactions.first(where: { $0.id == id }) else { continue }
                outbox.tutor(tutor.task(interaction), step: step.key)
            }
        }
        guard steps.isEmpty else { return }
        // Nothing left: the lesson is complete.
        guard !delivered.contains("done") else {
            outbox.tutor(TutorMessage(kind: .note, blocks: [.paragraph([.text("You have finished this lesson. Go back to any task above to try it again, or ask me a question.")])]))
            return
        }
        try await store.recordLessonCompleted(user: user, course: course.id, lesson: lesson.id, at: outbox.at)
        let record = try await learnerRecord(user: user, course: course, store: store)
        let tasks = lesson.interactions.map(\.id)
        let next = StepPlanner(course: course).next(after: lesson.id, record: record)
        outbox.tutor(tutor.lessonComplete(lesson: lesson, passed: tasks.filter(record.passed.contains).count, total: tasks.count, next: next),
                     step: "done")
    }

    // MARK: mastery

    /// The learner's new mastery of the interaction's skills after a graded attempt.
    func masteryUpdate(course: Course, interaction: Interaction, result: GradeResult, hints: Int, user: UserID,
                       current: [SkillID: SkillMastery], at now: Date) -> [SkillMastery] {
        let credit = KnowledgeTracer.credit(scoreFraction: result.fraction, hintsUsed: hints, hintsAvailable: interaction.hints.count)
        return interaction.skills.compactMap { skillID in
            guard let skill = course.skill(skillID) else { return nil }
            let prior = current[skillID]?.probability ?? tracer.initial(skill.tracing)
            let posterior = tracer.update(prior: prior, credit: credit, parameters: skill.tracing)
            return SkillMastery(userID: user, courseID: course.id, skillID: skillID, probability: posterior,
                                observations: (current[skillID]?.observations ?? 0) + 1, updatedAt: now)
        }
    }

    public func learnerRecord(user: UserID, course: Course) async throws -> LearnerRecord {
        try await learnerRecord(user: user, course: course, store: store)
    }

    func learnerRecord(user: UserID, course: Course, tally known: [InteractionID: AttemptTally]? = nil, store: any CairnStore) async throws -> LearnerRecord {
        let progress = try await store.lessonProgress(user: user, course: course.id)
        let tally = if let known { known } else { try await store.attemptTally(user: user, course: course.id) }
        let mastery = try await store.mastery(user: user, course: course.id)
        return LearnerRecord(
            started: Set(progress.map(\.lessonID)),
            completed: Set(progress.filter { $0.status == .completed }.map(\.lessonID)),
            passed: Set(tally.filter(\.value.passed).map(\.key)),
            mastery: Dictionary(mastery.map { ($0.skillID, $0.probability) }, uniquingKeysWith: { a, _ in a })
        )
    }

    /// Personal data in a written answer: worth a warning on any prompt, whatever the rubric says.
    func personalDataWarnings(interaction: Interaction, answer: Answer, result: GradeResult) -> [PersonalDataDetector.Finding] {
        guard case .promptWriting = interaction.content, case let .text(text) = answer else { return [] }
        // Already reported by a no_personal_data criterion.
        if result.criteria.contains(where: { $0.evidence.contains { $0.kind == .personalData } }) { return [] }
        return PersonalDataDetector(contextOf: interaction).findings(in: text)
    }

    // MARK: encoding

    static func entry(_ record: ChatMessageRecord) throws -> Entry {
        do {
            return Entry(record: record, message: try JSONDecoder().decode(TutorMessage.self, from: Data(record.payload.utf8)))
        } catch {
            throw StoreError.unavailable("chat message \(record.conversationID)/\(record.sequence) cannot be read: \(error)")
        }
    }
}

/// Messages being added in one action, numbered in order.
struct Outbox {
    let conversation: Conversation
    var next: Int
    let at: Date
    /// The messages with their stored form: kept together so the reply is not decoded again.
    var entries: [LearningService.Entry] = []
    var records: [ChatMessageRecord] { entries.map(\.record) }

    init(conversation: Conversation, next: Int, at: Date) {
        self.conversation = conversation
        self.next = next
        self.at = at
    }

    mutating func tutor(_ message: TutorMessage, step: String? = nil) {
        append(message, author: .tutor, step: step, interaction: message.interaction)
    }

    mutating func learner(_ message: TutorMessage, interaction: InteractionID?) {
        append(message, author: .learner, step: nil, interaction: interaction)
    }

    private mutating func append(_ message: TutorMessage, author: ChatMessageRecord.Author, step: String?, interaction: InteractionID?) {
        let payload = message.jsonString
        let record = ChatMessageRecord(conversationID: conversation.id, sequence: next, author: author, kind: message.kind.rawValue,
                                       step: step, interactionID: interaction, payload: payload, createdAt: at)
        entries.append(LearningService.Entry(record: record, message: message))
        next += 1
    }
}
