import AppServices
import CairnCore
import Curriculum
import Foundation

// Page models: what each template shows, built by the handlers. Templates escape every
// {{value}}; only `...HTML` fields (rendered course Markdown) use triple braces.

struct NavUser {
    let name: String
    let isAdmin: Bool

    init(_ user: User) {
        name = user.displayName
        isAdmin = user.role == .platformAdmin
    }
}

struct ErrorPage {
    let status: Int
    let title: String
    let message: String
    let requestID: String
    let user: NavUser?
}

struct CourseCard {
    let id: String
    let href: String
    let title: String
    let summary: String
    let level: String
    let lessonCount: Int
    let minutes: Int
    /// "45 minutes", or "7 hours" once it is long enough that minutes stop meaning much.
    let duration: String
    let moduleCount: Int
    let credential: String

    init(_ course: Course) {
        id = course.id.rawValue
        href = Paths.course(course.id)
        title = course.title
        summary = course.summary
        level = course.level.rawValue.capitalized
        lessonCount = course.orderedLessons.count
        minutes = course.orderedLessons.reduce(0) { $0 + $1.minutes }
        duration = minutes < 90 ? "\(minutes) minutes" : "\(Int((Double(minutes) / 60).rounded())) hours"
        moduleCount = course.modules.count
        credential = course.credential.title
    }
}

struct HomePage {
    let title = "Learn and prove job-ready AI skills"
    let user: NavUser?
    let courses: [CourseCard]
}

struct FormPage {
    let title: String
    let user: NavUser? = nil
    let error: String?
    let email: String
    let name: String
    let next: String
}

struct CataloguePage {
    let title = "Courses"
    let user: NavUser?
    let courses: [CourseCard]
    let pathways: [PathwayCard]
    let hasPathways: Bool

    init(user: NavUser?, courses: [CourseCard], pathways: [PathwayCard]) {
        self.user = user
        self.courses = courses
        self.pathways = pathways
        hasPathways = !pathways.isEmpty
    }
}

/// A full certification on the catalogue page.
struct PathwayCard {
    let title: String
    let summary: String
    let href: String
    let steps: String

    init(_ pathway: Pathway) {
        title = pathway.title
        summary = pathway.summary
        href = Paths.pathway(pathway.id)
        let badges = pathway.badgeCourses.count
        let capstones = pathway.capstones.count
        steps = [badges > 0 ? "\(badges) badge\(badges == 1 ? "" : "s")" : nil, capstones > 0 ? "\(capstones) scored capstone\(capstones == 1 ? "" : "s")" : nil]
            .compactMap { $0 }.joined(separator: " and ")
    }
}

struct LessonLink {
    let id: String
    let title: String
    let minutes: Int
    let href: String
    let completed: Bool
    let started: Bool
}

struct ModuleView {
    let number: Int
    let title: String
    let summary: String
    let planned: Bool
    let lessons: [LessonLink]
    let plannedCount: Int
    let hasLessons: Bool
    /// Its skills are mastered or all its tasks passed.
    let complete: Bool
}

struct SkillView {
    let title: String
    let description: String
    /// The learner's mastery, when signed in and enrolled.
    let mastery: MasteryView?
}

/// A learner's mastery of one skill, as a bar and words.
struct MasteryView {
    let title: String
    let percent: Int
    let mastered: Bool
    let practised: Bool
    let level: String

    init(title: String, probability: Double, threshold: Double, practised: Bool) {
        self.title = title
        percent = Int((probability * 100).rounded())
        mastered = probability >= threshold
        self.practised = practised
        level = !practised ? "not practised yet" : mastered ? "mastered" : probability >= 0.6 ? "developing" : "getting started"
    }
}

struct ChatMessageView {
    let html: String
}

struct ModeOption {
    let value: String
    let label: String
    let selected: Bool
}

struct ChatPage {
    let title: String
    let user: NavUser?
    let courseTitle: String
    let courseHref: String
    let moduleTitle: String
    let minutes: Int
    let messages: [ChatMessageView]
    let chatAction: String
    let textHref: String
    let modes: [ModeOption]
    let skills: [MasteryView]
    let tasksPassed: Int
    let taskCount: Int
    let error: String?
    let finished: Bool
    let completed: Bool
    let nextHref: String?
    let nextTitle: String?
    let script: String
}

struct CoursePage {
    let hasMastery: Bool
    let title: String
    let user: NavUser?
    let course: CourseCard
    let audience: String?
    let version: String
    let skills: [SkillView]
    let modules: [ModuleView]
    let credentialTitle: String
    let credentialDescription: String
    let examMinutes: Int
    let examPassPercent: Int
    let enrolled: Bool
    let enrolAction: String
    let signUpHref: String
    let logInHref: String
    let continueHref: String?
    let completedCount: Int
    let lessonCount: Int
    let examHref: String
    let examLinkText: String
}

struct ChoiceView {
    let text: String
}

struct InteractionView {
    let id: String
    let kindLabel: String
    let typeLabel: String
    let promptHTML: String
    let scenario: String?
    let material: String?
    let options: [ChoiceView]
    let leftOptions: [ChoiceView]
    let rightOptions: [ChoiceView]
    let isOrdering: Bool
    let isMatching: Bool
    let needsText: Bool
    let unit: String?
    let hasOptions: Bool
}

struct LessonBlockView {
    let html: String?
    let interaction: InteractionView?
}

struct LessonPage {
    let title: String
    let user: NavUser?
    let courseID: String
    let courseTitle: String
    let moduleTitle: String
    let minutes: Int
    let objectives: [String]
    let hasObjectives: Bool
    let blocks: [LessonBlockView]
    let chatHref: String
    let courseHref: String
}

extension InteractionView {
    init(_ interaction: Interaction, renderer: LessonRenderer) {
        id = interaction.id.rawValue
        kindLabel = interaction.kind == .check ? "Check" : "Task"
        typeLabel = interaction.type.displayName
        promptHTML = renderer.html(interaction.prompt)
        var scenario: String?
        var material: String?
        var options: [ChoiceView] = []
        var left: [ChoiceView] = []
        var right: [ChoiceView] = []
        var unit: String?
        switch interaction.content {
        case let .singleChoice(choices, _), let .multipleChoice(choices, _), let .ordering(choices, _):
            options = choices.map { ChoiceView(text: $0.text) }
        case let .matching(l, r, _):
            left = l.map { ChoiceView(text: $0.text) }
            right = r.map { ChoiceView(text: $0.text) }
        case let .numeric(_, _, u):
            unit = u
        case .shortText:
            break
        case let .promptWriting(s, _, _):
            scenario = s
        case let .critique(m, _), let .redaction(m, _):
            material = m
        }
        self.scenario = scenario
        self.material = material
        self.options = options
        self.hasOptions = !options.isEmpty
        self.leftOptions = left
        self.rightOptions = right
        self.unit = unit
        isOrdering = interaction.type == .ordering
        isMatching = interaction.type == .matching
        needsText = [.shortText, .promptWriting].contains(interaction.type)
    }
}
