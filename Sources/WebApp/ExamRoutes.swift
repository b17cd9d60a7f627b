import AppServices
import CairnCore
import Curriculum
import Foundation
import Hummingbird

/// The exam pages: the overview (unlock, attempts, history), one item at a time, and the
/// result. Every answer is a plain form post answered with a redirect, so a reload never
/// posts twice and the page works without JavaScript; the script only shows the clock and
/// reports when the page loses focus.
struct ExamRoutes {
    let environment: CairnEnvironment
    let templates: Templates
    let renderer = LessonRenderer()

    var exams: ExamService { environment.exams }
    var courses: CatalogService { environment.courses }

    func add(to router: Router<CairnRequestContext>) {
        let script = templates.examScript
        router.get(RouterPath(Paths.examScript)) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: script)
            )
        }
        router.get("/courses/:course/exam") { request, context in
            let user = try context.requireUser()
            let courseID = try context.parameters.courseID()
            let overview = try await exams.overview(course: courseID, user: user.id)
            let notice = request.uri.queryParameters["notice"].map(String.init).flatMap(ExamNotice.init(rawValue:))
            if case .inProgress = overview.availability {
                return try await itemResponse(course: courseID, user: user, error: nil, notice: notice)
            }
            return templates.response(overviewPage(overview, user: user, notice: notice), template: "exam")
        }
        router.post("/courses/:course/exam/start") { _, context in
            let user = try context.requireUser()
            let courseID = try context.parameters.courseID()
            do {
                _ = try await exams.start(course: courseID, user: user.id)
            } catch let error as AppError {
                let overview = try await exams.overview(course: courseID, user: user.id)
                return templates.response(overviewPage(overview, user: user, error: error.description), template: "exam", status: Problem(error).status)
            }
            return Response.redirect(to: Paths.exam(courseID), type: .normal)
        }
        router.post("/courses/:course/exam/answer") { request, context in
            let user = try context.requireUser()
            let courseID = try context.parameters.courseID()
            let form = FormFields(String(buffer: try await request.body.collect(upTo: context.maxUploadSize)))
            do {
                guard let positionText = form.first("position"), let position = Int(positionText) else {
                    throw AppError.invalidField(field: "position", message: "Say which item the answer is for; reload the exam page.")
                }
                // The answer is read against the item shown at that position; the service
                // refuses a position not shown and records an answered one only once.
                let receipt = try await exams.answer(course: courseID, user: user.id, position: position) { item in
                    try ChatRequests.answer(from: form, for: item)
                }
                switch receipt {
                case .recorded: return Response.redirect(to: Paths.exam(courseID), type: .normal)
                case let .finished(session): return Response.redirect(to: Paths.examResult(courseID, session), type: .normal)
                case .alreadyAnswered: return Response.redirect(to: Paths.exam(courseID) + "?notice=\(ExamNotice.alreadyAnswered.rawValue)", type: .normal)
                }
            } catch let error as AppError {
                if case .invalidField = error {
                    var response = try await itemResponse(course: courseID, user: user, error: error.description)
                    response.status = Problem(error).status
                    return response
                }
                // The exam has ended (time limit, or finished elsewhere): show where it stands.
                return Response.redirect(to: Paths.exam(courseID) + "?notice=\(ExamNotice.ended.rawValue)", type: .normal)
            }
        }
        router.post("/courses/:course/exam/submit") { _, context in
            let user = try context.requireUser()
            let courseID = try context.parameters.courseID()
            do {
                let session = try await exams.submit(course: courseID, user: user.id)
                return Response.redirect(to: Paths.examResult(courseID, session.id), type: .normal)
            } catch AppError.conflict {
                return Response.redirect(to: Paths.exam(courseID) + "?notice=\(ExamNotice.ended.rawValue)", type: .normal)
            }
        }
        router.post("/courses/:course/exam/events") { request, context in
            let user = try context.requireUser()
            let courseID = try context.parameters.courseID()
            let form = FormFields(String(buffer: try await request.body.collect(upTo: 4096)))
            guard form.first("kind") == ExamEventKind.focusLost.rawValue else {
                throw AppError.invalidField(field: "kind", message: "Only focus_lost can be reported.")
            }
            try await exams.focusLost(course: courseID, user: user.id, detail: form.first("detail") ?? "")
            return Response(status: .noContent)
        }
        router.get("/courses/:course/exam/results/:session") { _, context in
            let user = try context.requireUser()
            let courseID = try context.parameters.courseID()
            let (session, _) = try await exams.sitting(ExamSessionID(rawValue: try context.parameters.require("session")), user: user.id)
            guard session.courseID == courseID, session.status != .active else { throw AppError.notFound("That exam result") }
            let overview = try await exams.overview(course: courseID, user: user.id)
            var page = resultPage(session, overview: overview, user: user)
            page.badgeHref = try await exams.badge(for: session).map { "/badges/\($0.id)" }
            return templates.response(page, template: "exam-result")
        }
    }

    func addReview(to router: Router<CairnRequestContext>) {
        router.get("/admin/exams") { _, context in
            let admin = try context.requireAdmin("the exam review")
            let rows = try await exams.recentSittings().map { session, learner, counts in
                SittingReviewRow(
                    href: "/admin/exams/\(session.id.rawValue)", learner: learner,
                    course: courses.courses.first { $0.id == session.courseID }?.title ?? session.courseID.rawValue,
                    started: Self.date(session.startedAt), mode: session.mode.rawValue, status: session.status.rawValue.replacingOccurrences(of: "_", with: " "),
                    result: session.result.map { "\($0.passed ? "passed" : "not passed"), \($0.percent)%" } ?? "in progress",
                    focusLost: counts[.focusLost] ?? 0, refused: counts[.refused] ?? 0, resumed: counts[.resume] ?? 0,
                    flagged: (counts[.focusLost] ?? 0) + (counts[.refused] ?? 0) > 0
                )
            }
            return templates.response(SittingsReviewPage(title: "Exam sittings", user: NavUser(admin), rows: rows, hasRows: !rows.isEmpty), template: "admin-exams")
        }
        router.get("/admin/exams/:session") { _, context in
            let admin = try context.requireAdmin("the exam review")
            let (session, responses, events) = try await exams.review(ExamSessionID(rawValue: try context.parameters.require("session")))
            let page = SittingReviewPage(
                title: "Exam sitting", user: NavUser(admin),
                summary: "\(courses.courses.first { $0.id == session.courseID }?.title ?? session.courseID.rawValue), \(session.mode.rawValue), "
                    + "started \(Self.date(session.startedAt)), \(session.status.rawValue.replacingOccurrences(of: "_", with: " "))"
                    + (session.result.map { ": \($0.passed ? "passed" : "not passed") with \($0.percent)%" } ?? ""),
                items: responses.map { response in
                    ReviewItemRow(
                        position: response.position, item: response.interactionID.rawValue, shown: Self.time(response.presentedAt),
                        answered: response.answeredAt.map(Self.time) ?? "not answered",
                        score: response.score.map { score in String(format: "%.2g of %.2g", score, response.maxScore ?? 1) } ?? "—"
                    )
                },
                events: events.map { ReviewEventRow(at: Self.time($0.at), kind: $0.kind.rawValue.replacingOccurrences(of: "_", with: " "), detail: $0.detail) }
            )
            return templates.response(page, template: "admin-exam")
        }
    }

    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }

    enum ExamNotice: String {
        case alreadyAnswered = "already-answered"
        case ended
    }

    // MARK: pages

    func itemResponse(course: CourseID, user: User, error: String?, notice: ExamNotice? = nil) async throws -> Response {
        switch try await exams.current(course: course, user: user.id) {
        case let .finished(session):
            return Response.redirect(to: Paths.examResult(course, session.id), type: .found)
        case let .item(presented):
            let plan = try exams.plan(course)
            var page = itemPage(presented, plan: plan, user: user, error: error)
            if notice == .alreadyAnswered { page.notice = "Your answer to the previous item had already been recorded; it was not sent twice." }
            return templates.response(page, template: "exam-item")
        }
    }

    func itemPage(_ presented: ExamService.Presented, plan: ExamPlan, user: User, error: String?) -> ExamItemPage {
        let course = plan.course
        let item = presented.item
        let fields = AnswerFields(markdown: renderer).html(item, prefix: "item\(presented.position)", previousText: nil, choicesSubmit: false)
        let length = presented.length
        let progress = length.lowerBound == length.upperBound
            ? "Item \(presented.position) of \(length.upperBound)"
            : "Item \(presented.position) · the exam ends after \(length.lowerBound) to \(length.upperBound) items, once your result is clear"
        let seconds = Int(presented.timeLeft.rounded(.down))
        return ExamItemPage(
            title: "Exam: \(course.title)", user: NavUser(user), courseTitle: course.title, progress: progress,
            answered: presented.answered, percentDone: length.upperBound > 0 ? min(100, 100 * presented.answered / length.upperBound) : 0,
            secondsLeft: seconds, timeLeft: Self.duration(seconds), typeLabel: item.type.displayName,
            skill: course.skill(item.skills.first ?? SkillID(rawValue: ""))?.title ?? "",
            promptHTML: renderer.html(item.prompt), fieldsHTML: fields.html, position: presented.position,
            answerAction: Paths.exam(course.id) + "/answer", submitAction: Paths.exam(course.id) + "/submit",
            eventsAction: Paths.exam(course.id) + "/events", error: error, script: Paths.examScript
        )
    }

    func overviewPage(_ overview: ExamService.Overview, user: User, notice: ExamNotice? = nil, error: String? = nil) -> ExamOverviewPage {
        let plan = overview.plan
        let course = plan.course
        let exam = course.exam
        let length = plan.length
        var status: String
        var canStart = false
        var locked: [String] = []
        switch overview.availability {
        case .available:
            canStart = true
            status = overview.sittings.isEmpty ? "You can take the exam now." : "You can take the exam again now."
        case let .locked(missing):
            locked = missing
            status = "The exam unlocks when you have completed these modules:"
        case .inProgress:
            status = "Your exam is in progress."
        case let .busyElsewhere(other):
            status = "You have another exam in progress (\(courses.courses.first { $0.id == other }?.title ?? other.rawValue)); finish it first."
        case .passed:
            status = "You have passed this exam."
        case .noAttemptsLeft:
            status = "You have used all \(overview.attemptsAllowed) attempts at this exam."
        case let .coolingDown(until):
            status = "You can take the exam again from \(Self.date(until))."
        case let .unavailable(problem):
            status = "The exam cannot be taken yet. \(problem)"
        }
        switch notice {
        case .ended?: status = "The exam had ended, so that answer was not recorded. " + status
        case .alreadyAnswered?, nil: break
        }
        let sittings = overview.sittings.reversed().map { session in
            SittingView(
                date: Self.date(session.finishedAt ?? session.startedAt), passed: session.result?.passed == true,
                percent: session.result?.percent ?? 0, href: Paths.examResult(course.id, session.id),
                timedOut: session.status == .timedOut
            )
        }
        return ExamOverviewPage(
            title: "Exam: \(course.title)", user: NavUser(user), courseTitle: course.title, courseHref: Paths.course(course.id),
            credentialTitle: course.credential.title, minutes: exam.timeLimitMinutes,
            lengthText: length.lowerBound == length.upperBound ? "\(length.upperBound) items" : "\(length.lowerBound) to \(length.upperBound) items",
            adaptive: plan.mode == .adaptive, passPercent: exam.passPercent,
            attemptsAllowed: overview.attemptsAllowed, attemptsLeft: overview.attemptsLeft, cooldownHours: exam.cooldownHours,
            status: status, canStart: canStart, startAction: Paths.exam(course.id) + "/start",
            locked: locked, hasLocked: !locked.isEmpty, sittings: Array(sittings), hasSittings: !sittings.isEmpty, error: error
        )
    }

    func resultPage(_ session: ExamSession, overview: ExamService.Overview, user: User) -> ExamResultPage {
        let course = overview.plan.course
        let outcome = session.result ?? ExamOutcome(passed: false, answered: 0, itemCount: 0, score: 0, maxScore: 0, theta: nil, standardError: nil, reason: "", areas: [])
        let areas = outcome.areas.map { area -> AreaView in
            let skill = course.skill(area.skill)
            let lessons = area.strong ? [] : course.orderedLessons.filter { $0.skills.contains(area.skill) }
                .map { LinkView(title: $0.title, href: Paths.lesson(course.id, $0.id)) }
            return AreaView(
                title: skill?.title ?? area.skill.rawValue, strong: area.strong, percent: area.percent, items: area.items,
                advice: area.strong
                    ? "Strong: your answers in this area met the standard."
                    : "Developing: practise this area with " + (lessons.count == 1 ? "this lesson:" : "these lessons:"),
                lessons: lessons, hasLessons: !lessons.isEmpty
            )
        }
        let reason: String = switch outcome.reason {
        case "timed_out": "The time limit ended the exam; the items you had answered were scored."
        case "submitted": "You finished the exam before the last item; unanswered items scored nothing."
        default: session.mode == .adaptive ? "The exam stopped once your result was clear." : "You answered every item."
        }
        var next: String
        switch overview.availability {
        case .available: next = "You can take the exam again now."
        case let .coolingDown(until): next = "You can take the exam again from \(Self.date(until)) (\(overview.attemptsLeft) of \(overview.attemptsAllowed) attempts left)."
        case .noAttemptsLeft: next = "You have used all \(overview.attemptsAllowed) attempts."
        case .passed: next = "You have earned the badge: \(course.credential.title)."
        default: next = ""
        }
        return ExamResultPage(
            title: "Exam result: \(course.title)", user: NavUser(user), courseTitle: course.title, courseHref: Paths.course(course.id),
            examHref: Paths.exam(course.id), passed: outcome.passed, percent: outcome.percent, passPercent: course.exam.passPercent,
            adaptive: session.mode == .adaptive, answered: outcome.answered, itemCount: outcome.itemCount,
            date: Self.date(session.finishedAt ?? session.startedAt), reason: reason, areas: areas, next: next
        )
    }

    static func duration(_ seconds: Int) -> String {
        let minutes = seconds / 60
        return minutes >= 1 ? "\(minutes) min \(String(format: "%02d", seconds % 60)) s" : "\(seconds) s"
    }

    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "d MMM yyyy, HH:mm 'UTC'"
        return formatter.string(from: date)
    }
}

struct SittingsReviewPage {
    let title: String
    let user: NavUser?
    let rows: [SittingReviewRow]
    let hasRows: Bool
}

struct SittingReviewRow {
    let href: String
    let learner: String
    let course: String
    let started: String
    let mode: String
    let status: String
    let result: String
    let focusLost: Int
    let refused: Int
    let resumed: Int
    let flagged: Bool
}

struct SittingReviewPage {
    let title: String
    let user: NavUser?
    let summary: String
    let items: [ReviewItemRow]
    let events: [ReviewEventRow]
}

struct ReviewItemRow {
    let position: Int
    let item: String
    let shown: String
    let answered: String
    let score: String
}

struct ReviewEventRow {
    let at: String
    let kind: String
    let detail: String
}

struct ExamOverviewPage {
    let title: String
    let user: NavUser?
    let courseTitle: String
    let courseHref: String
    let credentialTitle: String
    let minutes: Int
    let lengthText: String
    let adaptive: Bool
    let passPercent: Int
    let attemptsAllowed: Int
    let attemptsLeft: Int
    let cooldownHours: Int
    let status: String
    let canStart: Bool
    let startAction: String
    let locked: [String]
    let hasLocked: Bool
    let sittings: [SittingView]
    let hasSittings: Bool
    let error: String?
}

struct SittingView {
    let date: String
    let passed: Bool
    let percent: Int
    let href: String
    let timedOut: Bool
}

struct ExamItemPage {
    let title: String
    let user: NavUser?
    let courseTitle: String
    let progress: String
    let answered: Int
    let percentDone: Int
    let secondsLeft: Int
    let timeLeft: String
    let typeLabel: String
    let skill: String
    let promptHTML: String
    let fieldsHTML: String
    let position: Int
    let answerAction: String
    let submitAction: String
    let eventsAction: String
    let error: String?
    var notice: String? = nil
    let script: String
}

struct ExamResultPage {
    let title: String
    let user: NavUser?
    let courseTitle: String
    let courseHref: String
    let examHref: String
    let passed: Bool
    let percent: Int
    let passPercent: Int
    let adaptive: Bool
    let answered: Int
    let itemCount: Int
    let date: String
    let reason: String
    let areas: [AreaView]
    let next: String
    var badgeHref: String? = nil
}

struct AreaView {
    let title: String
    let strong: Bool
    let percent: Int
    let items: Int
    let advice: String
    let lessons: [LinkView]
    let hasLessons: Bool
}

struct LinkView {
    let title: String
    let href: String
}
