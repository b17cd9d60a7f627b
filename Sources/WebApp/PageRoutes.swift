import AppServices
import CairnCore
import Curriculum
import Foundation
import Hummingbird
import Tutoring

/// The HTML pages: decode, call a use case, build a page model, render.
struct PageRoutes {
    let environment: CairnEnvironment
    let templates: Templates
    let cookies: SessionCookies
    let renderer = LessonRenderer()

    var courses: CatalogService { environment.courses }
    var learning: LearningService { environment.learning }
    var accounts: AccountService { environment.accounts }

    struct SignUpForm: Decodable {
        var email: String?
        var name: String?
        var password: String?
        var next: String?
    }

    struct LogInForm: Decodable {
        var email: String?
        var password: String?
        var next: String?
    }

    func add(to router: Router<CairnRequestContext>) {
        let stylesheet = templates.stylesheet
        let chatScript = templates.chatScript
        router.get(RouterPath(Paths.chatScript)) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: chatScript)
            )
        }
        router.get(RouterPath(Paths.stylesheet)) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: stylesheet)
            )
        }
        router.get("/") { _, context in
            templates.response(
                HomePage(user: context.identity.map(NavUser.init), courses: courses.courses.map(CourseCard.init)), template: "home"
            )
        }
        router.get(RouterPath(Paths.signUp)) { request, context in
            if context.identity != nil { return Response.redirect(to: Paths.catalogue, type: .found) }
            return templates.response(
                FormPage(title: "Create your account", error: nil, email: "", name: "", next: Paths.safeNext(request.uri.queryParameters["next"].map(String.init))),
                template: "signup"
            )
        }
        router.post(RouterPath(Paths.signUp)) { request, context in
            let form = try await request.decode(as: SignUpForm.self, context: context)
            let next = Paths.safeNext(form.next)
            do {
                let (_, session) = try await accounts.signUpAndStartSession(
                    email: form.email ?? "", password: form.password ?? "", displayName: form.name ?? ""
                )
                var response = Response.redirect(to: next, type: .normal)
                response.setCookie(cookies.set(session))
                return response
            } catch let error as AppError {
                let problem = Problem(error)
                return templates.response(
                    FormPage(title: "Create your account", error: error.description, email: form.email ?? "", name: form.name ?? "", next: next),
                    template: "signup", status: problem.status
                )
            }
        }
        router.get(RouterPath(Paths.logIn)) { request, context in
            let next = Paths.safeNext(request.uri.queryParameters["next"].map(String.init))
            if context.identity != nil { return Response.redirect(to: next, type: .found) }
            return templates.response(FormPage(title: "Log in", error: nil, email: "", name: "", next: next), template: "login")
        }
        router.post(RouterPath(Paths.logIn)) { request, context in
            let form = try await request.decode(as: LogInForm.self, context: context)
            let next = Paths.safeNext(form.next)
            do {
                let (_, session) = try await accounts.logIn(email: form.email ?? "", password: form.password ?? "")
                var response = Response.redirect(to: next, type: .normal)
                response.setCookie(cookies.set(session))
                return response
            } catch let error as AppError {
                return templates.response(
                    FormPage(title: "Log in", error: error.description, email: form.email ?? "", name: "", next: next),
                    template: "login", status: Problem(error).status
                )
            }
        }
        router.post(RouterPath(Paths.logOut)) { _, context in
            if let session = context.sessionID { try await accounts.logOut(session: session) }
            var response = Response.redirect(to: Paths.home, type: .normal)
            response.setCookie(cookies.clear())
            return response
        }
        router.get(RouterPath(Paths.catalogue)) { _, context in
            templates.response(
                CataloguePage(
                    user: context.identity.map(NavUser.init), courses: courses.courses.map(CourseCard.init),
                    pathways: courses.pathways.map(PathwayCard.init)
                ), template: "catalogue"
            )
        }
        router.get("/courses/:course") { _, context in
            let course = try courses.course(try context.parameters.courseID())
            return templates.response(try await coursePage(course, user: context.identity), template: "course")
        }
        router.post("/courses/:course/enrol") { _, context in
            let user = try context.requireUser()
            let courseID = try context.parameters.courseID()
            let course = try courses.course(courseID)
            _ = try await courses.enrol(user.id, in: courseID)
            let first = course.orderedLessons.first.map { Paths.lesson(courseID, $0.id) } ?? Paths.course(courseID)
            return Response.redirect(to: first, type: .normal)
        }
        router.get("/courses/:course/lessons/:lesson") { request, context in
            let user = try context.requireUser()
            let courseID = try context.parameters.courseID()
            let lessonID = try context.parameters.lessonID()
            var state = try await learning.open(lessonID, in: courseID, for: user.id)
            // A "practise this" link sets the task again, unless it is already the latest message.
            if let practise = request.uri.queryParameters["practise"].map(String.init),
               let task = state.lesson.interactions.first(where: { $0.id.rawValue == practise }),
               state.entries.last?.record.interactionID != task.id || state.entries.last?.message.kind != .task {
                _ = try await learning.perform(.practise(task.id), lesson: lessonID, in: courseID, for: user.id)
                state = try await learning.state(lessonID, in: courseID, for: user.id)
            }
            return templates.response(chatPage(state, user: user, error: nil), template: "chat")
        }
        router.post("/courses/:course/lessons/:lesson/chat") { request, context in
            let user = try context.requireUser()
            let courseID = try context.parameters.courseID()
            let lessonID = try context.parameters.lessonID()
            let (_, lesson) = try courses.lesson(lessonID, in: courseID)
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let form = FormFields(String(buffer: body))
            let wantsStream = request.headers[.accept]?.contains("text/event-stream") == true
            do {
                let action = try ChatRequests.action(from: form, lesson: lesson)
                let outcome = try await learning.perform(action, lesson: lessonID, in: courseID, for: user.id)
                // With a model configured, a graded answer also gets the model's replies.
                let turns = try await learning.modelTurns(after: outcome, lesson: lessonID, in: courseID, for: user.id)
                if wantsStream {
                    let course = try courses.course(courseID)
                    let tasks = outcome.tally.mapValues { LearningService.TaskStatus(attempts: $0.attempts, passed: $0.passed, lastAnswer: nil) }
                    let record = outcome.record
                    let renderer = ChatRenderer(course: course, lesson: lesson, tasks: tasks)
                    let summary = chatSummary(course: course, lesson: lesson, record: record)
                    guard !turns.isEmpty else { return ChatStream.response(outcome.entries, renderer: renderer, summary: summary) }
                    let logger = context.logger
                    return ChatStream.coachedResponse(outcome.entries, renderer: renderer, summary: summary, turns: turns) { turn, write in
                        await ChatCoaching.run(turn, learning: learning, user: user.id, logger: logger, onText: write)
                    }
                }
                // Without JavaScript: the whole replies are stored before the page reloads.
                _ = await ChatCoaching.runAll(turns, learning: learning, user: user.id, logger: context.logger)
                let anchor = outcome.entries.first.map { "#m\($0.record.sequence)" } ?? ""
                return Response.redirect(to: Paths.lesson(courseID, lessonID) + anchor, type: .normal)
            } catch let error as AppError {
                if wantsStream { throw error }
                let state = try await learning.state(lessonID, in: courseID, for: user.id)
                return templates.response(chatPage(state, user: user, error: error.description), template: "chat", status: Problem(error).status)
            }
        }
        // Resuming a reply: the messages after the last one the page received (the
        // `Last-Event-ID` header, or `?after=N`), read from the database, so any node can
        // answer after a dropped connection or a request served by another node.
        router.get("/courses/:course/lessons/:lesson/chat/events") { request, context in
            let user = try context.requireUser()
            let courseID = try context.parameters.courseID()
            let lessonID = try context.parameters.lessonID()
            let given = request.headers[.lastEventID] ?? request.uri.queryParameters["after"].map(String.init) ?? "0"
            guard let after = Int(given), after >= 0 else {
                throw AppError.invalidField(field: "Last-Event-ID", message: "give the number of the last message received, 0 or more ('\(given)' is not one)")
            }
            let update = try await learning.update(lessonID, in: courseID, for: user.id, after: after)
            return ChatStream.response(
                update.entries,
                renderer: ChatRenderer(course: update.course, lesson: update.lesson, tasks: update.tasks),
                summary: chatSummary(course: update.course, lesson: update.lesson, record: update.record)
            )
        }
        router.get("/courses/:course/lessons/:lesson/text") { _, context in
            let (course, lesson) = try courses.lesson(try context.parameters.lessonID(), in: try context.parameters.courseID())
            return templates.response(lessonPage(course, lesson, user: context.identity), template: "lesson-text")
        }
    }

    func chatSummary(course: Course, lesson: Lesson, record: LearnerRecord) -> ChatStream.Summary {
        let tasks = lesson.interactions
        return ChatStream.Summary(
            tasksPassed: tasks.filter { record.passed.contains($0.id) }.count, taskCount: tasks.count,
            skills: masteryViews(course, skills: lesson.skills, record: record)
        )
    }

    func masteryViews(_ course: Course, skills: [SkillID], record: LearnerRecord) -> [MasteryView] {
        skills.compactMap(course.skill).map { masteryView($0, course: course, record: record) }
    }

    func masteryView(_ skill: Skill, course: Course, record: LearnerRecord) -> MasteryView {
        MasteryView(title: skill.title, probability: record.mastery(of: skill), threshold: course.masteryThreshold,
                    practised: record.mastery[skill.id] != nil)
    }

    func chatPage(_ state: LearningService.ChatState, user: User, error: String?) -> ChatPage {
        let renderer = ChatRenderer(course: state.course, lesson: state.lesson, tasks: state.tasks)
        // The model's replies carry no actions: the buttons stay on the message before them.
        let lastWithActions = state.entries.last { !ChatRenderer.modelKinds.contains($0.message.kind) }?.record.sequence
        let messages = state.entries.map { entry in
            ChatMessageView(html: renderer.html(entry, showActions: entry.record.sequence == lastWithActions))
        }
        let course = state.course, lesson = state.lesson
        let summary = chatSummary(course: state.course, lesson: state.lesson, record: state.record)
        let next = course.lesson(after: lesson.id)
        return ChatPage(
            title: lesson.title, user: NavUser(user), courseTitle: course.title, courseHref: Paths.course(course.id),
            moduleTitle: course.module(containing: lesson.id)?.title ?? "", minutes: lesson.minutes, messages: messages,
            chatAction: Paths.chat(course.id, lesson.id), textHref: Paths.lessonText(course.id, lesson.id),
            modes: LearningMode.allCases.map { ModeOption(value: $0.rawValue, label: $0.displayName, selected: $0 == state.conversation.mode) },
            skills: masteryViews(state.course, skills: state.lesson.skills, record: state.record), tasksPassed: summary.tasksPassed, taskCount: summary.taskCount, error: error,
            finished: state.finished, completed: state.record.completed.contains(lesson.id),
            nextHref: state.record.completed.contains(lesson.id) ? next.map { Paths.lesson(course.id, $0.id) } : nil,
            nextTitle: next?.title, script: Paths.chatScript
        )
    }

    func coursePage(_ course: Course, user: User?) async throws -> CoursePage {
        var progress: [LessonID: LessonProgress] = [:]
        var enrolled = false
        var record: LearnerRecord?
        var examLinkText = "About the exam"
        if let user {
            progress = try await courses.progress(of: user.id, in: course.id)
            enrolled = try await courses.enrolments(of: user.id).contains { $0.courseID == course.id }
            if enrolled {
                record = try await learning.learnerRecord(user: user.id, course: course)
                examLinkText = switch try await environment.exams.overview(course: course.id, user: user.id).availability {
                case .available: "Take the exam"
                case .inProgress: "Continue your exam"
                case .passed: "See your exam result"
                case .locked: "The exam: what unlocks it"
                default: "The exam"
                }
            }
        }
        let planner = StepPlanner(course: course)
        let modules = course.modules.enumerated().map { index, module in
            let written = module.lessonIDs.compactMap { course.lessons[$0] }
            return ModuleView(
                number: index + 1, title: module.title, summary: module.summary, planned: module.status == .planned,
                lessons: written.map { lesson in
                    LessonLink(
                        id: lesson.id.rawValue, title: lesson.title, minutes: lesson.minutes, href: Paths.lesson(course.id, lesson.id),
                        completed: progress[lesson.id]?.status == .completed, started: progress[lesson.id] != nil
                    )
                },
                plannedCount: module.lessonIDs.count - written.count, hasLessons: !written.isEmpty,
                complete: record.map { planner.isComplete(module, record: $0) } ?? false
            )
        }
        let next = course.orderedLessons.first { progress[$0.id]?.status != .completed }
        let completed = course.orderedLessons.filter { progress[$0.id]?.status == .completed }.count
        return CoursePage(
            hasMastery: record != nil, title: course.title, user: user.map(NavUser.init), course: CourseCard(course), audience: course.audience, version: course.version,
            skills: course.skills.map { skill in
                SkillView(title: skill.title, description: skill.description, mastery: record.map { masteryView(skill, course: course, record: $0) })
            }, modules: modules,
            credentialTitle: course.credential.title, credentialDescription: course.credential.description,
            examMinutes: course.exam.timeLimitMinutes, examPassPercent: course.exam.passPercent, enrolled: enrolled,
            enrolAction: Paths.enrol(course.id), signUpHref: Paths.signUp + "?next=" + Paths.course(course.id),
            logInHref: Paths.logIn + "?next=" + Paths.course(course.id),
            continueHref: next.map { Paths.lesson(course.id, $0.id) }, completedCount: completed, lessonCount: course.orderedLessons.count,
            examHref: Paths.exam(course.id), examLinkText: examLinkText
        )
    }

    static func droppingLeadingTitle(_ markdown: String) -> String {
        var lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.firstIndex(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }),
              lines[first].hasPrefix("# ")
        else { return markdown }
        lines.remove(at: first)
        return lines.joined(separator: "\n")
    }

    func lessonPage(_ course: Course, _ lesson: Lesson, user: User?) -> LessonPage {
        let blocks = lesson.blocks.enumerated().map { index, block -> LessonBlockView in
            switch block {
            case let .markdown(text):
                // The page shows the title itself; drop a leading "# Title" line from the text.
                LessonBlockView(html: ChatRenderer.anchoredHeadings(renderer.html(index == 0 ? Self.droppingLeadingTitle(text) : text)), interaction: nil)
            case let .interaction(interaction): LessonBlockView(html: nil, interaction: InteractionView(interaction, renderer: renderer))
            }
        }
        return LessonPage(
            title: lesson.title, user: user.map(NavUser.init), courseID: course.id.rawValue, courseTitle: course.title,
            moduleTitle: course.module(containing: lesson.id)?.title ?? "", minutes: lesson.minutes, objectives: lesson.objectives,
            hasObjectives: !lesson.objectives.isEmpty, blocks: blocks, chatHref: Paths.lesson(course.id, lesson.id),
            courseHref: Paths.course(course.id)
        )
    }
}
