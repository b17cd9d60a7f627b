import CairnCore
import Curriculum
import Foundation
import Grading
import Psychometrics
import Tutoring

/// Exam sittings: unlocking, starting, one item at a time, answers recorded once, the timer
/// kept by the server, and the result. The page only ever receives the item in front of the
/// learner, with its options in the learner's own order; keys and the bank stay here.
public struct ExamService: Sendable {
    /// Whether the learner may start a sitting now, and if not, why.
    public enum Availability: Sendable, Equatable {
        case available
        /// Modules (by title) still to complete before the exam unlocks.
        case locked(missing: [String])
        case inProgress(ExamSessionID)
        /// An exam of another course is in progress; one sitting at a time.
        case busyElsewhere(CourseID)
        case passed
        case noAttemptsLeft
        case coolingDown(until: Date)
        /// The bank cannot make a form that meets the blueprint.
        case unavailable(String)
    }

    public struct Overview: Sendable {
        public var plan: ExamPlan
        public var availability: Availability
        /// Finished sittings, oldest first.
        public var sittings: [ExamSession]
        public var attemptsAllowed: Int
        public var attemptsLeft: Int { max(0, attemptsAllowed - sittings.count) }
    }

    /// The item in front of the learner.
    public struct Presented: Sendable {
        public var session: ExamSession
        /// 1 for the first item.
        public var position: Int
        /// The item as this sitting shows it: options in the sitting's own order, with ids of
        /// the sitting's own (see `presentation`). It carries the key, for the server only.
        public var item: Interaction
        /// Items answered so far.
        public var answered: Int
        public var length: ClosedRange<Int>
        public var timeLeft: TimeInterval
        /// The item had been shown before: a reload or a return.
        public var resumed: Bool
    }

    public enum Step: Sendable {
        case item(Presented)
        case finished(ExamSession)
    }

    public enum Receipt: Sendable, Equatable {
        case recorded
        /// Recorded, and it was the last: the sitting is finished and its result ready.
        case finished(ExamSessionID)
        /// That item had been answered already; nothing changed.
        case alreadyAnswered
    }

    let catalog: CatalogService
    let learning: LearningService
    let store: any CairnStore
    let clock: Clock
    let grader: Grader
    let plans: [CourseID: ExamPlan]
    /// Issues the badge when a sitting is passed; nil issues none (tests of exams alone).
    let badges: BadgeService?

    public init(
        catalog: CatalogService, learning: LearningService, store: any CairnStore, badges: BadgeService? = nil, grader: Grader = Grader(),
        clock: Clock = .system
    ) {
        self.catalog = catalog
        self.learning = learning
        self.store = store
        self.badges = badges
        self.grader = grader
        self.clock = clock
        plans = Dictionary(uniqueKeysWithValues: catalog.courses.map { ($0.id, ExamPlan(course: $0)) })
    }

    public func plan(_ course: CourseID) throws -> ExamPlan {
        guard let plan = plans[course] else { throw AppError.notFound("Course '\(course)'") }
        return plan
    }

    // MARK: before the exam

    public func overview(course: CourseID, user: UserID) async throws -> Overview {
        let plan = try plan(course)
        if let active = try await store.activeExamSession(user: user) {
            try await expireIfLate(active, plan: plans[active.courseID])
        }
        let sittings = try await store.examSessions(user: user, course: course)
        let finished = sittings.filter { $0.status != .active }
        let availability = try await availability(plan: plan, user: user, sittings: sittings)
        return Overview(plan: plan, availability: availability, sittings: finished, attemptsAllowed: plan.course.exam.attemptsAllowed)
    }

    /// How long before a badge expires its holder may sit the exam again to renew it.
    public static let recertificationWindow: TimeInterval = 30 * 86_400

    func availability(plan: ExamPlan, user: UserID, sittings: [ExamSession]) async throws -> Availability {
        if let active = sittings.first(where: { $0.status == .active }) { return .inProgress(active.id) }
        if let active = try await store.activeExamSession(user: user) { return .busyElsewhere(active.courseID) }
        var finished = sittings.filter { $0.status != .active }
        let course = plan.course
        if let lastPass = finished.last(where: { $0.result?.passed == true }) {
            // A pass stands until its badge nears expiry; then the exam opens again for
            // re-certification, and only the sittings since that pass count as attempts.
            guard let badge = try await store.badge(examSession: lastPass.id), let until = badge.validUntil,
                  until.timeIntervalSince(clock.now()) <= Self.recertificationWindow
            else { return .passed }
            finished = finished.filter { $0.startedAt > lastPass.startedAt }
        }
        let record = try await learning.learnerRecord(user: user, course: course)
        let planner = StepPlanner(course: course)
        let required: [Module] = switch course.exam.requires {
        case .allModules: course.modules.filter { $0.status == .available && $0.lessonIDs.contains { course.lessons[$0] != nil } }
        case let .modules(ids): course.modules.filter { ids.contains($0.id) }
        }
        let missing = required.filter { !planner.isComplete($0, record: record) }.map(\.title)
        if !missing.isEmpty { return .locked(missing: missing) }
        if finished.count >= course.exam.attemptsAllowed { return .noAttemptsLeft }
        if let last = finished.last?.finishedAt {
            let until = last.addingTimeInterval(TimeInterval(course.exam.cooldownHours) * 3600)
            if until > clock.now() { return .coolingDown(until: until) }
        }
        if let problem = plan.problem { return .unavailable(problem) }
        return .available
    }

    /// Starts a sitting, or returns the one in progress for this course (a second click on
    /// Start changes nothing).
    public func start(course: CourseID, user: UserID) async throws -> ExamSession {
        let overview = try await overview(course: course, user: user)
        let plan = overview.plan
        switch overview.availability {
        case let .inProgress(id):
            if let session = try await store.examSession(id: id) { return session }
        case .available:
            break
        case let .locked(missing):
            throw AppError.forbidden("the exam yet: complete " + missing.map { "“\($0)”" }.joined(separator: ", ") + " first")
        case let .busyElsewhere(other):
            throw AppError.conflict("You have an exam of \(catalog.courses.first { $0.id == other }?.title ?? other.rawValue) in progress; finish it first.")
        case .passed:
            throw AppError.conflict("You have passed this exam already.")
        case .noAttemptsLeft:
            throw AppError.conflict("You have used all \(overview.attemptsAllowed) attempts at this exam.")
        case let .coolingDown(until):
            throw AppError.conflict("You can sit the exam again from \(Self.format(until)).")
        case let .unavailable(problem):
            throw AppError.conflict("The exam cannot be taken yet: \(problem)")
        }
        let now = clock.now()
        let seed = UInt64.random(in: 1 ... UInt64.max)
        let form = plan.mode == .linear ? try plan.linearForm(seed: seed) : []
        let session = ExamSession(
            id: .random(), userID: user, courseID: course, courseVersion: plan.course.version, mode: plan.mode, status: .active,
            seed: seed, form: form, startedAt: now,
            deadline: now.addingTimeInterval(TimeInterval(plan.course.exam.timeLimitMinutes) * 60)
        )
        do {
            try await store.insertExamSession(session)
        } catch StoreError.conflict {
            // Another request started one at the same moment: that one stands.
            if let active = try await store.activeExamSession(user: user), active.courseID == course { return active }
            throw AppError.conflict("You have another exam in progress; finish it first.")
        }
        try await store.appendExamEvent(ExamEvent(
            sessionID: session.id, kind: .start,
            detail: plan.mode == .linear ? "linear form of \(form.count) items" : "adaptive, \(plan.length.lowerBound)–\(plan.length.upperBound) items",
            at: now
        ))
        return session
    }

    // MARK: during the exam

    /// What the learner sees now: the current item (choosing the next one if the last was
    /// answered), or the finished sitting.
    public func current(course: CourseID, user: UserID) async throws -> Step {
        let plan = try plan(course)
        guard let session = try await store.activeExamSession(user: user), session.courseID == course else {
            if let last = try await store.examSessions(user: user, course: course).last { return .finished(last) }
            throw AppError.notFound("An exam in progress")
        }
        if let finished = try await expireIfLate(session, plan: plan) { return .finished(finished) }
        var responses = try await store.examResponses(session: session.id)
        let now = clock.now()
        var resumed = false
        if let last = responses.last, last.answeredAt == nil {
            resumed = true
        } else {
            guard let next = try await nextItem(session: session, plan: plan, responses: responses) else {
                return .finished(try await finish(session, plan: plan, status: .submitted, reason: "completed", at: now))
            }
            let shown = ExamResponse(sessionID: session.id, position: responses.count + 1, interactionID: next, presentedAt: now)
            do {
                try await store.insertExamResponse(shown)
                responses.append(shown)
            } catch StoreError.conflict {
                // A parallel request showed an item at this position first: show that one.
                responses = try await store.examResponses(session: session.id)
                resumed = true
            }
        }
        guard let current = responses.last, let item = plan.item(current.interactionID) else {
            throw AppError.conflict("This exam's items changed since it started; ask an administrator to review the sitting.")
        }
        if resumed {
            try await store.appendExamEvent(ExamEvent(sessionID: session.id, kind: .resume, detail: "item \(current.position)", at: now))
        }
        return .item(Presented(
            session: session, position: current.position, item: Self.presentation(of: item, seed: session.seed, position: current.position).item,
            answered: responses.count - 1, length: session.mode == .linear ? session.form.count ... session.form.count : plan.length,
            timeLeft: max(0, session.deadline.timeIntervalSince(now)), resumed: resumed
        ))
    }

    /// Records the answer to the item at `position`, once. Answers after the time limit, to
    /// an item not in front of the learner, or to a finished exam are refused and logged.
    @discardableResult
    public func answer(course: CourseID, user: UserID, position: Int, answer: Answer) async throws -> Receipt {
        try await self.answer(course: course, user: user, position: position) { _ in answer }
    }

    /// As `answer(course:user:position:answer:)`, reading the answer with `parse` from the
    /// item at that position as the learner saw it (called only when that item is still
    /// unanswered). Option ids in the answer are the ones shown.
    @discardableResult
    public func answer(course: CourseID, user: UserID, position: Int, parse: (Interaction) throws -> Answer) async throws -> Receipt {
        let plan = try plan(course)
        let session = try await activeSession(course: course, user: user)
        let now = clock.now()
        if try await expireIfLate(session, plan: plan) != nil {
            try await store.appendExamEvent(ExamEvent(sessionID: session.id, kind: .refused, detail: "answer to item \(position) after the time limit", at: now))
            throw AppError.conflict("The time limit has passed, so this answer was not recorded. Your answers up to then were scored.")
        }
        let responses = try await store.examResponses(session: session.id)
        guard let shown = responses.first(where: { $0.position == position }), let item = plan.item(shown.interactionID) else {
            try await store.appendExamEvent(ExamEvent(sessionID: session.id, kind: .refused, detail: "answer to item \(position), which was not shown", at: now))
            throw AppError.invalidField(field: "position", message: "Item \(position) is not the one in front of you; reload the exam to see your current item.")
        }
        if shown.answeredAt != nil {
            try await store.appendExamEvent(ExamEvent(sessionID: session.id, kind: .refused, detail: "repeated answer to item \(position)", at: now))
            return .alreadyAnswered
        }
        let presentation = Self.presentation(of: item, seed: session.seed, position: position)
        let answer = presentation.unmasked(try parse(presentation.item))
        let result: GradeResult
        do {
            result = try grader.grade(item, answer: answer)
        } catch {
            throw AppError.invalidField(field: "answer", message: error.description)
        }
        var answered = shown
        answered.answer = answer.jsonString
        answered.score = result.score
        answered.maxScore = result.maxScore
        answered.result = result.jsonString
        answered.answeredAt = now
        guard try await store.recordExamAnswer(answered) else { return .alreadyAnswered }
        try await store.appendExamEvent(ExamEvent(sessionID: session.id, kind: .answer, detail: "item \(position)", at: now))
        // The last item of the form, or the adaptive rule's stop: the result is ready now.
        // The responses as they now stand: the ones read above, with this one answered.
        let current = responses.map { $0.position == position ? answered : $0 }
        if try Self.isComplete(session: session, plan: plan, responses: current) {
            _ = try await finish(session, plan: plan, status: .submitted, reason: "completed", at: now)
            return .finished(session.id)
        }
        return .recorded
    }

    /// Ends the sitting now; unanswered items score nothing.
    public func submit(course: CourseID, user: UserID) async throws -> ExamSession {
        let plan = try plan(course)
        let session = try await activeSession(course: course, user: user)
        if let finished = try await expireIfLate(session, plan: plan) { return finished }
        return try await finish(session, plan: plan, status: .submitted, reason: "submitted", at: clock.now())
    }

    /// Logs that the exam page lost focus (another tab or window), for review.
    public func focusLost(course: CourseID, user: UserID, detail: String) async throws {
        guard let session = try await store.activeExamSession(user: user), session.courseID == course else { return }
        try await store.appendExamEvent(ExamEvent(sessionID: session.id, kind: .focusLost, detail: String(detail.prefix(200)), at: clock.now()))
    }

    /// For administrators: the latest sittings with their learners and event counts.
    public func recentSittings(limit: Int = 100) async throws -> [(ExamSession, String, [ExamEventKind: Int])] {
        try await store.recentExamSessions(limit: limit)
    }

    /// For administrators: one sitting with its items shown and its whole event log.
    public func review(_ id: ExamSessionID) async throws -> (ExamSession, [ExamResponse], [ExamEvent]) {
        guard let session = try await store.examSession(id: id) else { throw AppError.notFound("That exam sitting") }
        return (session, try await store.examResponses(session: id), try await store.examEvents(session: id))
    }

    /// A finished sitting of the learner's, with what they answered.
    public func sitting(_ id: ExamSessionID, user: UserID) async throws -> (ExamSession, [ExamResponse]) {
        guard let session = try await store.examSession(id: id), session.userID == user else { throw AppError.notFound("That exam result") }
        return (session, try await store.examResponses(session: id))
    }

    func activeSession(course: CourseID, user: UserID) async throws -> ExamSession {
        guard let session = try await store.activeExamSession(user: user), session.courseID == course else {
            if let last = try await store.examSessions(user: user, course: course).last {
                try await store.appendExamEvent(ExamEvent(sessionID: last.id, kind: .refused, detail: "request after the exam ended", at: clock.now()))
                throw AppError.conflict("This exam has ended, so nothing more can be recorded. Your result is on the exam page.")
            }
            throw AppError.notFound("An exam in progress")
        }
        return session
    }

    /// Finishes the sitting as timed out if its time is up; returns it finished, or nil.
    @discardableResult
    func expireIfLate(_ session: ExamSession, plan: ExamPlan?) async throws -> ExamSession? {
        guard session.status == .active, clock.now() >= session.deadline, let plan else { return nil }
        try await store.appendExamEvent(ExamEvent(sessionID: session.id, kind: .timeOut, detail: "time limit reached", at: clock.now()))
        return try await finish(session, plan: plan, status: .timedOut, reason: "timed_out", at: session.deadline)
    }

    // MARK: choosing items

    /// Every item of the form is answered, or the adaptive rule says stop.
    static func isComplete(session: ExamSession, plan: ExamPlan, responses: [ExamResponse]) throws -> Bool {
        guard responses.allSatisfy({ $0.answeredAt != nil }) else { return false }
        switch session.mode {
        case .linear:
            return responses.count >= session.form.count
        case .adaptive:
            guard let rules = plan.rules else { return true }
            return AdaptiveEngine.stopReason(state: try adaptiveState(plan: plan, responses: responses), bank: plan.bank, rules: rules) != nil
        }
    }

    func nextItem(session: ExamSession, plan: ExamPlan, responses: [ExamResponse]) async throws -> InteractionID? {
        if try Self.isComplete(session: session, plan: plan, responses: responses) { return nil }
        switch session.mode {
        case .linear:
            return session.form[responses.count]
        case .adaptive:
            guard let rules = plan.rules else { return nil }
            let state = try Self.adaptiveState(plan: plan, responses: responses)
            let (sessions, shown) = try await store.adaptiveExposure(course: session.courseID)
            let exposure = ExposureRecord(exams: sessions, counts: plan.pool.map { shown[$0.id] ?? 0 })
            var generator = SeededGenerator(seed: session.seed &+ UInt64(responses.count + 1) &* 0x9E37_79B9_7F4A_7C15)
            return AdaptiveEngine.nextItem(bank: plan.bank, state: state, rules: rules, exposure: exposure, generator: &generator)
                .map { plan.pool[$0].id }
        }
    }

    static func adaptiveState(plan: ExamPlan, responses: [ExamResponse]) throws -> AdaptiveState {
        var state = AdaptiveState()
        guard let rules = plan.rules else { return state }
        for response in responses where response.answeredAt != nil {
            guard let index = plan.bankIndex(of: response.interactionID), !state.administered.contains(index) else { continue }
            let passed = try response.result.map { try JSONDecoder().decode(GradeResult.self, from: Data($0.utf8)).passed } ?? false
            let score = plan.modelScore(passed: passed, points: response.score ?? 0, item: index)
            AdaptiveEngine.record(score: score, for: index, in: &state, bank: plan.bank, rules: rules)
        }
        return state
    }

    /// An item as one sitting shows it: options in an order of the sitting's own (the same on
    /// every reload, different between sittings) and renamed `o1`, `o2`… in that order (`l1`…
    /// and `r1`… for a matching item's two sides), so the page does not even carry the
    /// author's option ids. `original` maps a shown id back.
    struct Presentation {
        var item: Interaction
        var original: [String: String]

        /// The answer in the item's own option ids. Unknown ids are kept, so the grader names them.
        func unmasked(_ answer: Answer) -> Answer {
            func real(_ id: String) -> String { original[id] ?? id }
            switch answer {
            case let .choice(id): return .choice(real(id))
            case let .choices(ids): return .choices(ids.map(real))
            case let .order(ids): return .order(ids.map(real))
            case let .matches(pairs): return .matches(Dictionary(pairs.map { (real($0.key), real($0.value)) }, uniquingKeysWith: { first, _ in first }))
            case .number, .text, .spans: return answer
            }
        }
    }

    static func presentation(of item: Interaction, seed: UInt64, position: Int) -> Presentation {
        var generator = SeededGenerator(seed: seed ^ (UInt64(position) &* 0xBF58_476D_1CE4_E5B9))
        var original: [String: String] = [:]
        var shownID: [String: String] = [:]
        func present(_ choices: [Choice], prefix: String) -> [Choice] {
            var choices = choices
            var index = choices.count - 1
            while index > 0 {
                let pick = min(Int(generator.nextUniform() * Double(index + 1)), index)
                choices.swapAt(index, pick)
                index -= 1
            }
            return choices.enumerated().map { offset, choice in
                var shown = choice
                shown.id = "\(prefix)\(offset + 1)"
                original[shown.id] = choice.id
                shownID[prefix + choice.id] = shown.id
                return shown
            }
        }
        func shown(_ id: String, _ prefix: String) -> String { shownID[prefix + id] ?? id }
        var copy = item
        switch item.content {
        case let .singleChoice(options, answer):
            let options = present(options, prefix: "o")
            copy.content = .singleChoice(options: options, answer: shown(answer, "o"))
        case let .multipleChoice(options, answers):
            let options = present(options, prefix: "o")
            copy.content = .multipleChoice(options: options, answers: answers.map { shown($0, "o") })
        case let .ordering(options, answer):
            let options = present(options, prefix: "o")
            copy.content = .ordering(options: options, answer: answer.map { shown($0, "o") })
        case let .matching(left, right, answer):
            let left = present(left, prefix: "l")
            let right = present(right, prefix: "r")
            copy.content = .matching(left: left, right: right, answer: Dictionary(answer.map { (shown($0.key, "l"), shown($0.value, "r")) }, uniquingKeysWith: { first, _ in first }))
        default:
            break
        }
        return Presentation(item: copy, original: original)
    }

    // MARK: scoring

    func finish(_ session: ExamSession, plan: ExamPlan, status: ExamStatus, reason: String, at date: Date) async throws -> ExamSession {
        let responses = try await store.examResponses(session: session.id)
        let outcome = try Self.outcome(session: session, plan: plan, responses: responses, reason: reason)
        if try await store.finishExamSession(id: session.id, status: status, result: outcome, at: date) {
            if status == .submitted {
                try await store.appendExamEvent(ExamEvent(sessionID: session.id, kind: .submit, detail: reason, at: clock.now()))
            }
        }
        // Whoever finished it first, the stored sitting is the one to show.
        let finished = try await store.examSession(id: session.id) ?? session
        // A pass earns the badge now. The job comes first: should issuing fail here (the
        // database busy, the node stopping), a node's job runner issues it in a minute; it
        // is idempotent per sitting, so when issuing here succeeds the job finds it done.
        if finished.result?.passed == true, let badges {
            let now = clock.now()
            // Best effort, like issuing below: the sitting is finished already, and the
            // result page issues a missing badge when it is shown.
            _ = try? await store.enqueueJob(NewJob(
                kind: JobRunner.Kind.issueBadge, payload: finished.id.rawValue, key: "\(JobRunner.Kind.issueBadge):\(finished.id.rawValue)",
                runAt: now.addingTimeInterval(60), createdAt: now
            ))
            _ = try? await badges.issue(for: finished)
        }
        return finished
    }

    /// The badge a sitting earned, issuing it if that has not happened yet.
    public func badge(for session: ExamSession) async throws -> IssuedBadge? {
        try await badges?.issue(for: session)
    }

    /// The result: each item counts equally (a partly right answer counts its fraction),
    /// unanswered items count zero. A linear exam passes at the blueprint's percentage; an
    /// adaptive one when the ability estimate clears the cut score.
    static func outcome(session: ExamSession, plan: ExamPlan, responses: [ExamResponse], reason: String) throws -> ExamOutcome {
        let blueprint = plan.course.exam
        let items: [InteractionID] = session.mode == .linear ? session.form : responses.map(\.interactionID)
        let byItem = Dictionary(responses.map { ($0.interactionID, $0) }, uniquingKeysWith: { first, _ in first })
        func fraction(_ id: InteractionID) -> Double {
            guard let response = byItem[id], let score = response.score, let maximum = response.maxScore, maximum > 0 else { return 0 }
            return min(1, max(0, score / maximum))
        }
        var areaOrder = blueprint.areas.map(\.skill)
        for id in items {
            if let item = plan.item(id), let skill = item.skills.first, !areaOrder.contains(skill) { areaOrder.append(skill) }
        }
        var theta: Double?
        var standardError: Double?
        var passed: Bool
        var strongByArea: [SkillID: Bool] = [:]
        let total = items.reduce(0) { $0 + fraction($1) }
        let passMark = Double(blueprint.passPercent) / 100
        if session.mode == .adaptive, let rules = plan.rules {
            let state = try adaptiveState(plan: plan, responses: responses)
            theta = state.estimate?.theta
            standardError = state.estimate?.standardError
            passed = AdaptiveEngine.decision(state: state, rules: rules) == .pass
            // An area is strong when the answers in it alone put the learner above the cut.
            for skill in areaOrder {
                let answered: [(item: Int, score: Int)] = zip(state.administered, state.scores)
                    .map { (item: $0, score: $1) }.filter { plan.bank[$0.item].area == skill.rawValue }
                guard !answered.isEmpty, let cut = rules.cutScore else { continue }
                let estimate = AbilityEstimator.eap(
                    ResponsePattern(items: Array(answered.indices), scores: answered.map(\.score)), items: answered.map { plan.bank[$0.item].model },
                    quadrature: Quadrature(points: 61, prior: rules.prior)
                )
                strongByArea[skill] = estimate.theta >= cut
            }
        } else {
            passed = !items.isEmpty && total / Double(items.count) >= passMark - 1e-9
        }
        let areas: [ExamOutcome.Area] = areaOrder.compactMap { skill in
            let inArea = items.filter { plan.item($0)?.skills.first == skill }
            guard !inArea.isEmpty else { return nil }
            let score = inArea.reduce(0) { $0 + fraction($1) }
            let strong = strongByArea[skill] ?? (score / Double(inArea.count) >= passMark - 1e-9)
            return ExamOutcome.Area(skill: skill, items: inArea.count, score: score, maxScore: Double(inArea.count), strong: strong)
        }
        return ExamOutcome(
            passed: passed, answered: responses.filter { $0.answeredAt != nil }.count, itemCount: items.count,
            score: total, maxScore: Double(items.count), theta: theta, standardError: standardError, reason: reason, areas: areas
        )
    }

    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "d MMMM yyyy 'at' HH:mm 'UTC'"
        return formatter.string(from: date)
    }
}
