import CairnCore
@testable import Curriculum
import Foundation
import Testing
import Tutoring

// The step planner and the lesson script over the fixture course: one available module
// (first-lesson with `first-check` on skill `basics`; second-lesson with `redact-task` and
// `write-prompt` on skill `practice`) and a planned module whose lesson is not written.

enum PlannerFixture {
    static let course: Course? = CourseLoader
        .loadCatalog(at: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/courses").path)
        .course(CourseID(rawValue: "sample-course"))

    static let first = LessonID(rawValue: "first-lesson")
    static let second = LessonID(rawValue: "second-lesson")
    static let firstCheck = InteractionID(rawValue: "first-check")
    static let redactTask = InteractionID(rawValue: "redact-task")
    static let writePrompt = InteractionID(rawValue: "write-prompt")
    static let basics = SkillID(rawValue: "basics")
    static let practice = SkillID(rawValue: "practice")

    static func loaded() throws -> Course {
        try #require(course, "the fixture course under Tests/Fixtures/courses must load")
    }

    static func record(
        started: Set<LessonID> = [], completed: Set<LessonID> = [], passed: Set<InteractionID> = [], mastery: [SkillID: Double] = [:]
    ) -> LearnerRecord {
        LearnerRecord(started: started, completed: completed, passed: passed, mastery: mastery)
    }
}

@Suite("Step planner")
struct StepPlannerTests {
    typealias F = PlannerFixture

    struct UnlockCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let started: Set<LessonID>
        let completed: Set<LessonID>
        let unlocked: [LessonID]
    }

    static let unlockCases: [UnlockCase] = [
        .init(testDescription: "nothing done: the first lesson only", started: [], completed: [], unlocked: [F.first]),
        .init(testDescription: "first started: still the first only", started: [F.first], completed: [], unlocked: [F.first]),
        .init(testDescription: "first completed: the second opens", started: [F.first], completed: [F.first], unlocked: [F.first, F.second]),
        .init(testDescription: "second started out of order: both", started: [F.second], completed: [], unlocked: [F.first, F.second]),
        .init(testDescription: "both completed: both, and nothing unwritten", started: [F.first, F.second], completed: [F.first, F.second], unlocked: [F.first, F.second]),
    ]

    @Test("unlocked lessons: started or completed ones and the first not completed", arguments: unlockCases)
    func unlocked(_ example: UnlockCase) throws {
        let planner = StepPlanner(course: try F.loaded())
        let record = F.record(started: example.started, completed: example.completed)
        #expect(planner.unlockedLessons(record).map(\.id) == example.unlocked)
    }

    @Test("next picks the unpassed task of the weakest skill among unlocked lessons")
    func weakestSkill() throws {
        let course = try F.loaded()
        let planner = StepPlanner(course: course)
        let both: Set<LessonID> = [F.first, F.second]

        let practiceWeaker = planner.next(after: F.first, record: F.record(started: both, completed: [F.first], mastery: [F.basics: 0.5, F.practice: 0.3]))
        #expect(practiceWeaker == .practise(lesson: F.second, lessonTitle: "The second lesson", interaction: F.redactTask,
                                            skillTitle: "Practice", mastery: 0.3))

        let basicsWeaker = planner.next(after: F.second, record: F.record(started: both, completed: [F.first], mastery: [F.basics: 0.1, F.practice: 0.6]))
        #expect(basicsWeaker == .practise(lesson: F.first, lessonTitle: "The first lesson", interaction: F.firstCheck,
                                          skillTitle: "Basics", mastery: 0.1))

        // A passed task is not suggested, however weak its skill.
        let basicsPassed = planner.next(after: F.second, record: F.record(started: both, completed: [F.first], passed: [F.firstCheck],
                                                                          mastery: [F.basics: 0.1, F.practice: 0.6]))
        #expect(basicsPassed == .practise(lesson: F.second, lessonTitle: "The second lesson", interaction: F.redactTask,
                                          skillTitle: "Practice", mastery: 0.6))

        // A skill never practised counts at its prior.
        let prior = try #require(course.skill(F.practice)).tracing.initial
        let unpractised = planner.next(after: F.second, record: F.record(started: both, completed: [F.first], passed: [F.firstCheck],
                                                                         mastery: [F.basics: 0.9]))
        #expect(unpractised == .practise(lesson: F.second, lessonTitle: "The second lesson", interaction: F.redactTask,
                                         skillTitle: "Practice", mastery: prior))
    }

    @Test("a weakest task in a lesson not started yet means starting that lesson")
    func unstartedLesson() throws {
        let planner = StepPlanner(course: try F.loaded())
        let record = F.record(started: [F.first], completed: [F.first], passed: [F.firstCheck], mastery: [F.basics: 0.6, F.practice: 0.2])
        #expect(planner.next(after: F.first, record: record) == .lesson(F.second, title: "The second lesson"))
        // From inside that lesson, it is practice in it.
        #expect(planner.next(after: F.second, record: record) == .practise(
            lesson: F.second, lessonTitle: "The second lesson", interaction: F.redactTask, skillTitle: "Practice", mastery: 0.2))
    }

    @Test("with every reachable skill mastered, the next lesson")
    func allMasteredNextLesson() throws {
        let course = try F.loaded()
        let planner = StepPlanner(course: course)
        let mastered = course.masteryThreshold
        let record = F.record(started: [F.first], completed: [F.first], mastery: [F.basics: mastered, F.practice: mastered])
        #expect(planner.next(after: F.first, record: record) == .lesson(F.second, title: "The second lesson"))
    }

    @Test("after the last lesson, the first one still open; then the course is complete")
    func courseComplete() throws {
        let course = try F.loaded()
        let planner = StepPlanner(course: course)
        let high: [SkillID: Double] = [F.basics: 0.99, F.practice: 0.99]
        let firstOpen = F.record(started: [F.first, F.second], completed: [F.second], mastery: high)
        #expect(planner.next(after: F.second, record: firstOpen) == .lesson(F.first, title: "The first lesson"))

        let allDone = F.record(started: [F.first, F.second], completed: [F.first, F.second], mastery: high)
        #expect(planner.next(after: F.second, record: allDone) == .courseComplete)

        // Every task passed counts as done too, even with mastery still low.
        let allPassed = F.record(started: [F.first, F.second], completed: [F.first, F.second],
                                 passed: [F.firstCheck, F.redactTask, F.writePrompt], mastery: [F.basics: 0.3, F.practice: 0.3])
        #expect(planner.next(after: F.second, record: allPassed) == .courseComplete)
    }

    struct ModuleCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let passed: Set<InteractionID>
        let mastery: [SkillID: Double]
        let complete: Bool
    }

    static let moduleCases: [ModuleCase] = [
        .init(testDescription: "every task passed, mastery low", passed: [F.firstCheck, F.redactTask, F.writePrompt],
              mastery: [F.basics: 0.3, F.practice: 0.3], complete: true),
        .init(testDescription: "every skill well above the threshold, nothing passed", passed: [],
              mastery: [F.basics: 0.99, F.practice: 0.99], complete: true),
        .init(testDescription: "one skill mastered, the other not, one task passed", passed: [F.firstCheck],
              mastery: [F.basics: 0.99, F.practice: 0.5], complete: false),
        .init(testDescription: "two of three tasks passed, mastery low", passed: [F.firstCheck, F.redactTask],
              mastery: [F.basics: 0.5, F.practice: 0.5], complete: false),
        .init(testDescription: "nothing done", passed: [], mastery: [:], complete: false),
    ]

    @Test("a module is complete when all its tasks are passed or all its skills mastered", arguments: moduleCases)
    func moduleComplete(_ example: ModuleCase) throws {
        let course = try F.loaded()
        let module = try #require(course.modules.first { $0.id == ModuleID(rawValue: "first-module") })
        let record = F.record(started: [F.first, F.second], passed: example.passed, mastery: example.mastery)
        #expect(StepPlanner(course: course).isComplete(module, record: record) == example.complete)
    }

    @Test("mastery exactly at the threshold counts; just below does not")
    func thresholdBoundary() throws {
        let course = try F.loaded()
        let module = try #require(course.modules.first { $0.id == ModuleID(rawValue: "first-module") })
        let threshold = course.masteryThreshold
        let planner = StepPlanner(course: course)
        #expect(planner.isComplete(module, record: F.record(mastery: [F.basics: threshold, F.practice: threshold])))
        #expect(!planner.isComplete(module, record: F.record(mastery: [F.basics: threshold, F.practice: threshold.nextDown])))
    }

    @Test("a planned module with no written lessons is never complete")
    func plannedModule() throws {
        let course = try F.loaded()
        let module = try #require(course.modules.first { $0.id == ModuleID(rawValue: "later-module") })
        let record = F.record(completed: [F.first, F.second], passed: [F.firstCheck, F.redactTask, F.writePrompt],
                              mastery: [F.basics: 0.99, F.practice: 0.99])
        #expect(!StepPlanner(course: course).isComplete(module, record: record))
    }
}

@Suite("Lesson script")
struct LessonScriptTests {
    typealias F = PlannerFixture

    func loadScript(_ lesson: LessonID) throws -> LessonScript {
        LessonScript(lesson: try #require(try F.loaded().lessons[lesson]))
    }

    @Test("the first lesson is cut at its ## heading, around its check")
    func steps() throws {
        let script = try loadScript(F.first)
        #expect(script.steps.map(\.key) == ["p0", "p1", "t:first-check", "p2"])
        #expect(script.taskIDs == [F.firstCheck])
        try #require(script.steps.count == 4)
        guard case let .passage(_, heading, markdown) = script.steps[0] else { Issue.record("not a passage"); return }
        #expect(heading == "The first lesson", "text before the first ## takes the lesson title")
        #expect(markdown.hasPrefix("Plain **Markdown** text"), "the repeated # title is dropped: \(markdown)")
        guard case let .passage(_, secondHeading, _) = script.steps[1] else { Issue.record("not a passage"); return }
        #expect(secondHeading == "A check")
    }

    @Test("each mode orders the steps its own way", arguments: [
        (LearningMode.conversational, ["p0", "p1", "t:first-check", "p2"]),
        (.readFirst, ["p0", "p1", "p2", "t:first-check"]),
        (.practiceFirst, ["t:first-check"]),
    ])
    func order(_ mode: LearningMode, _ keys: [String]) throws {
        #expect(try loadScript(F.first).order(for: mode).map(\.key) == keys)
    }

    struct NextCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let lesson: LessonID
        let mode: LearningMode
        let delivered: Set<String>
        let next: [String]
    }

    static let nextCases: [NextCase] = [
        .init(testDescription: "conversational start: a passage followed by a passage comes alone",
              lesson: F.first, mode: .conversational, delivered: [], next: ["p0"]),
        .init(testDescription: "conversational: a passage and the task after it",
              lesson: F.first, mode: .conversational, delivered: ["p0"], next: ["p1", "t:first-check"]),
        .init(testDescription: "conversational: the closing passage",
              lesson: F.first, mode: .conversational, delivered: ["p0", "p1", "t:first-check"], next: ["p2"]),
        .init(testDescription: "conversational: finished",
              lesson: F.first, mode: .conversational, delivered: ["p0", "p1", "t:first-check", "p2"], next: []),
        .init(testDescription: "conversational, second lesson: text then its task",
              lesson: F.second, mode: .conversational, delivered: [], next: ["p0", "t:redact-task"]),
        .init(testDescription: "conversational, second lesson: a task straight after a task comes alone",
              lesson: F.second, mode: .conversational, delivered: ["p0", "t:redact-task"], next: ["t:write-prompt"]),
        .init(testDescription: "read first: all the text at once",
              lesson: F.first, mode: .readFirst, delivered: [], next: ["p0", "p1", "p2"]),
        .init(testDescription: "read first: the rest of the text after a switch",
              lesson: F.first, mode: .readFirst, delivered: ["p0"], next: ["p1", "p2"]),
        .init(testDescription: "read first: then the task",
              lesson: F.first, mode: .readFirst, delivered: ["p0", "p1", "p2"], next: ["t:first-check"]),
        .init(testDescription: "practice first: the task",
              lesson: F.first, mode: .practiceFirst, delivered: [], next: ["t:first-check"]),
        .init(testDescription: "practice first: finished without the text",
              lesson: F.first, mode: .practiceFirst, delivered: ["t:first-check"], next: []),
        .init(testDescription: "practice first, second lesson: one task at a time",
              lesson: F.second, mode: .practiceFirst, delivered: [], next: ["t:redact-task"]),
    ]

    @Test("next delivers what the mode presents next", arguments: nextCases)
    func next(_ example: NextCase) throws {
        #expect(try loadScript(example.lesson).next(for: example.mode, delivered: example.delivered).map(\.key) == example.next)
    }

    @Test("the text behind a task is the run of sections just before it")
    func passagesBefore() throws {
        let first = try loadScript(F.first)
        #expect(first.passages(before: F.firstCheck).map(\.key) == ["p0", "p1"])
        #expect(first.passages(before: InteractionID(rawValue: "no-such-task")).isEmpty)

        let second = try loadScript(F.second)
        #expect(second.passages(before: F.redactTask).map(\.key) == ["p0"])
        #expect(second.passages(before: F.writePrompt).isEmpty, "a task straight after another has no text of its own")
    }

    @Test("a ## or # line inside a code fence neither splits the text nor is dropped")
    func fencedHeadings() {
        let markdown = """
        # Title

        Intro.

        ```
        ## not a heading
        # not a title
        ```

        ## Real heading

        Body.
        """
        let lesson = Lesson(id: LessonID(rawValue: "fenced"), title: "Fenced", skills: [], minutes: 1, objectives: [], summary: nil,
                            blocks: [.markdown(markdown)], sourcePath: "lessons/fenced.md")
        let steps = LessonScript(lesson: lesson).steps
        #expect(steps.map(\.key) == ["p0", "p1"])
        guard steps.count == 2, case let .passage(_, heading, text) = steps[0], case let .passage(_, realHeading, _) = steps[1] else {
            Issue.record("expected two passages, got \(steps)")
            return
        }
        #expect(heading == "Fenced")
        #expect(text.contains("## not a heading"))
        #expect(text.contains("# not a title"))
        #expect(!text.contains("# Title"))
        #expect(realHeading == "Real heading")
    }
}
