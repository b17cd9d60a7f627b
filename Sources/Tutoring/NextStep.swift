import CairnCore
import Curriculum
import Foundation

/// What the tutor suggests after a lesson: practise the weakest skill among the tasks the
/// learner can reach, or else go on to the next lesson.
public enum NextStep: Sendable, Equatable {
    case practise(lesson: LessonID, lessonTitle: String, interaction: InteractionID, skillTitle: String, mastery: Double)
    case lesson(LessonID, title: String)
    case courseComplete

    public func describe() -> [Inline] {
        switch self {
        case let .practise(lesson, lessonTitle, interaction, skill, mastery):
            [.text("Next: your weakest skill is "), .strong(skill), .text(" (\(Int((mastery * 100).rounded()))% mastery). Practise it with "),
             .practiceLink(title: "a task in \(lessonTitle)", lesson: lesson, interaction: interaction), .text(".")]
        case let .lesson(lesson, title):
            [.text("Next: "), .lessonLink(title: title, lesson: lesson, anchor: nil), .text(".")]
        case .courseComplete:
            [.text("That was the last lesson of the course. When every module is complete, the exam is the next step.")]
        }
    }
}

/// What the learner has done in a course, as the planner and the progress views need it.
public struct LearnerRecord: Sendable {
    public var started: Set<LessonID>
    public var completed: Set<LessonID>
    public var passed: Set<InteractionID>
    public var mastery: [SkillID: Double]

    public init(started: Set<LessonID>, completed: Set<LessonID>, passed: Set<InteractionID>, mastery: [SkillID: Double]) {
        self.started = started
        self.completed = completed
        self.passed = passed
        self.mastery = mastery
    }

    /// Mastery of a skill, or its prior when the learner has not practised it.
    public func mastery(of skill: Skill) -> Double { mastery[skill.id] ?? skill.tracing.initial }
}

public struct StepPlanner: Sendable {
    public let course: Course

    public init(course: Course) {
        self.course = course
    }

    /// Lessons the learner can reach: those started or completed, and the first not completed.
    public func unlockedLessons(_ record: LearnerRecord) -> [Lesson] {
        let ordered = course.orderedLessons
        let firstOpen = ordered.first { !record.completed.contains($0.id) }?.id
        return ordered.filter { record.started.contains($0.id) || record.completed.contains($0.id) || $0.id == firstOpen }
    }

    /// Prefers the task with the weakest skill (below the mastery threshold) among unpassed tasks of
    /// unlocked lessons; a task in a lesson not started yet means starting that lesson.
    public func next(after lesson: LessonID, record: LearnerRecord) -> NextStep {
        var best: (lesson: Lesson, interaction: Interaction, skill: Skill, mastery: Double, order: Int)?
        var order = 0
        for candidate in unlockedLessons(record) {
            for interaction in candidate.interactions {
                order += 1
                guard !record.passed.contains(interaction.id) else { continue }
                let skills = interaction.skills.compactMap(course.skill)
                guard let weakest = skills.min(by: { record.mastery(of: $0) < record.mastery(of: $1) }) else { continue }
                let mastery = record.mastery(of: weakest)
                guard mastery < course.masteryThreshold else { continue }
                if best == nil || mastery < best!.mastery {
                    best = (candidate, interaction, weakest, mastery, order)
                }
            }
        }
        if let best {
            if !record.started.contains(best.lesson.id), best.lesson.id != lesson {
                return .lesson(best.lesson.id, title: best.lesson.title)
            }
            return .practise(lesson: best.lesson.id, lessonTitle: best.lesson.title, interaction: best.interaction.id,
                             skillTitle: best.skill.title, mastery: best.mastery)
        }
        if let following = course.lesson(after: lesson), !record.completed.contains(following.id) {
            return .lesson(following.id, title: following.title)
        }
        if let open = course.orderedLessons.first(where: { !record.completed.contains($0.id) && $0.id != lesson }) {
            return .lesson(open.id, title: open.title)
        }
        return .courseComplete
    }

    /// A module is complete when every skill its lessons teach reaches the mastery threshold,
    /// or when every one of its tasks is passed.
    public func isComplete(_ module: Module, record: LearnerRecord) -> Bool {
        let lessons = module.lessonIDs.compactMap { course.lessons[$0] }
        guard !lessons.isEmpty else { return false }
        let tasks = lessons.flatMap(\.interactions).map(\.id)
        if !tasks.isEmpty, tasks.allSatisfy(record.passed.contains) { return true }
        let skills = Set(lessons.flatMap(\.skills)).compactMap(course.skill)
        return !skills.isEmpty && skills.allSatisfy { record.mastery(of: $0) >= course.masteryThreshold }
    }
}
