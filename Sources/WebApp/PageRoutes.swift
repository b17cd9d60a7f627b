import AppServices
import CairnCore
import Curriculum
import Foundation
import Hummingbird

/// The HTML pages: decode, call a use case, build a page model, render.
struct PageRoutes {
    let environment: CairnEnvironment
    let templates: Templates
    let cookies: SessionCookies
    let renderer = LessonRenderer()

    var courses: CatalogService { environment.courses }
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
                CataloguePage(user: context.identity.map(NavUser.init), courses: courses.courses.map(CourseCard.init)), template: "catalogue"
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
        router.get("/courses/:course/lessons/:lesson") { _, context in
            let user = try context.requireUser()
            let (course, lesson) = try await courses.openLesson(
                try context.parameters.lessonID(), in: try context.parameters.courseID(), for: user.id
            )
            let progress = try await courses.progress(of: user.id, in: course.id)
            return templates.response(lessonPage(course, lesson, user: user, completed: progress[lesson.id]?.status == .completed), template: "lesson")
        }
        router.post("/courses/:course/lessons/:lesson/complete") { _, context in
            let user = try context.requireUser()
            let courseID = try context.parameters.courseID()
            let lessonID = try context.parameters.lessonID()
            try await courses.completeLesson(lessonID, in: courseID, for: user.id)
            let course = try courses.course(courseID)
            let next = course.lesson(after: lessonID).map { Paths.lesson(courseID, $0.id) } ?? Paths.course(courseID)
            return Response.redirect(to: next, type: .normal)
        }
    }

    func coursePage(_ course: Course, user: User?) async throws -> CoursePage {
        var progress: [LessonID: LessonProgress] = [:]
        var enrolled = false
        if let user {
            progress = try await courses.progress(of: user.id, in: course.id)
            enrolled = try await courses.enrolments(of: user.id).contains { $0.courseID == course.id }
        }
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
                plannedCount: module.lessonIDs.count - written.count, hasLessons: !written.isEmpty
            )
        }
        let next = course.orderedLessons.first { progress[$0.id]?.status != .completed }
        let completed = course.orderedLessons.filter { progress[$0.id]?.status == .completed }.count
        return CoursePage(
            title: course.title, user: user.map(NavUser.init), course: CourseCard(course), audience: course.audience, version: course.version,
            skills: course.skills.map { SkillView(title: $0.title, description: $0.description) }, modules: modules,
            credentialTitle: course.credential.title, credentialDescription: course.credential.description,
            examMinutes: course.exam.timeLimitMinutes, examPassPercent: course.exam.passPercent, enrolled: enrolled,
            enrolAction: Paths.enrol(course.id), signUpHref: Paths.signUp + "?next=" + Paths.course(course.id),
            logInHref: Paths.logIn + "?next=" + Paths.course(course.id),
            continueHref: next.map { Paths.lesson(course.id, $0.id) }, completedCount: completed, lessonCount: course.orderedLessons.count
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

    func lessonPage(_ course: Course, _ lesson: Lesson, user: User, completed: Bool) -> LessonPage {
        let blocks = lesson.blocks.enumerated().map { index, block -> LessonBlockView in
            switch block {
            case let .markdown(text):
                // The page shows the title itself; drop a leading "# Title" line from the text.
                LessonBlockView(html: renderer.html(index == 0 ? Self.droppingLeadingTitle(text) : text), interaction: nil)
            case let .interaction(interaction): LessonBlockView(html: nil, interaction: InteractionView(interaction, renderer: renderer))
            }
        }
        let next = course.lesson(after: lesson.id)
        return LessonPage(
            title: lesson.title, user: NavUser(user), courseID: course.id.rawValue, courseTitle: course.title,
            moduleTitle: course.module(containing: lesson.id)?.title ?? "", minutes: lesson.minutes, objectives: lesson.objectives,
            hasObjectives: !lesson.objectives.isEmpty, blocks: blocks, completed: completed, completeAction: Paths.completeLesson(course.id, lesson.id),
            nextHref: next.map { Paths.lesson(course.id, $0.id) }, nextTitle: next?.title, courseHref: Paths.course(course.id)
        )
    }
}
