import CairnCore

/// A course as loaded from `courses/<id>/`: the value every other module reads.
public struct Course: Sendable {
    public enum Level: String, Sendable, CaseIterable { case introductory, intermediate, advanced }

    public var id: CourseID
    public var title: String
    public var version: String
    public var summary: String
    public var level: Level
    public var audience: String?
    public var skills: [Skill]
    public var modules: [Module]
    public var credential: CredentialDefinition
    public var exam: ExamBlueprint
    /// Lessons by id; order comes from `modules`.
    public var lessons: [LessonID: Lesson]
    /// The exam item bank.
    public var items: [Interaction]
    /// Human-scored example answers per open-answer rubric, by interaction.
    public var anchors: [InteractionID: AnchorSet]
    /// The mastery probability at which a skill counts as mastered (default 0.95).
    public var masteryThreshold: Double = 0.95

    public func skill(_ id: SkillID) -> Skill? { skills.first { $0.id == id } }

    /// The module that lists `lesson`, with the lesson's position in it.
    public func module(containing lesson: LessonID) -> Module? {
        modules.first { $0.lessonIDs.contains(lesson) }
    }

    /// Lessons in teaching order, skipping those of planned modules that are not written yet.
    public var orderedLessons: [Lesson] {
        modules.flatMap { $0.lessonIDs.compactMap { lessons[$0] } }
    }

    /// The lesson after `lesson` in teaching order, if any.
    public func lesson(after lesson: LessonID) -> Lesson? {
        let ordered = orderedLessons
        guard let index = ordered.firstIndex(where: { $0.id == lesson }), index + 1 < ordered.count else { return nil }
        return ordered[index + 1]
    }

    /// Checks and tasks across all lessons.
    public var practice: [Interaction] {
        orderedLessons.flatMap { $0.interactions }
    }
}

public struct Skill: Sendable, Equatable {
    public var id: SkillID
    public var title: String
    public var description: String
    /// Knowledge-tracing parameters for this skill; the course-wide defaults when not given.
    public var tracing: TracingParameters

    public init(id: SkillID, title: String, description: String, tracing: TracingParameters = .standard) {
        self.id = id
        self.title = title
        self.description = description
        self.tracing = tracing
    }
}

/// Bayesian Knowledge Tracing parameters of one skill (Corbett & Anderson, 1995).
public struct TracingParameters: Sendable, Equatable {
    /// Probability the learner knows the skill before any practice.
    public var initial: Double
    /// Probability of learning the skill at each practice opportunity.
    public var learn: Double
    /// Probability of a wrong answer although the skill is known.
    public var slip: Double
    /// Probability of a right answer although the skill is not known.
    public var guess: Double

    public init(initial: Double, learn: Double, slip: Double, guess: Double) {
        self.initial = initial
        self.learn = learn
        self.slip = slip
        self.guess = guess
    }

    /// Defaults used when a skill names none: values typical of fitted BKT models for
    /// adult learners on short practice tasks.
    public static let standard = TracingParameters(initial: 0.2, learn: 0.15, slip: 0.1, guess: 0.2)
}

public struct Module: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable { case available, planned }

    public var id: ModuleID
    public var title: String
    public var summary: String
    public var lessonIDs: [LessonID]
    public var status: Status
}

public struct CredentialDefinition: Sendable, Equatable {
    public var id: CredentialID
    public var title: String
    public var description: String
    public var criteria: String
    public var validForDays: Int?
    public var skills: [SkillID]
}

public struct ExamBlueprint: Sendable, Equatable {
    public enum Share: Sendable, Equatable {
        case items(Int)
        case proportion(Double)
    }

    public struct Area: Sendable, Equatable {
        public var skill: SkillID
        public var share: Share
    }

    public enum Requirement: Sendable, Equatable {
        case allModules
        case modules([ModuleID])
    }

    public var timeLimitMinutes: Int
    public var minItems: Int
    public var maxItems: Int
    public var passPercent: Int
    public var cutTheta: Double?
    public var attemptsAllowed: Int
    public var cooldownHours: Int
    public var areas: [Area]
    public var requires: Requirement
}

public struct Lesson: Sendable {
    public var id: LessonID
    public var title: String
    public var skills: [SkillID]
    public var minutes: Int
    public var objectives: [String]
    public var summary: String?
    public var blocks: [LessonBlock]
    /// The lesson file, relative to the course folder, for diagnostics and links to the source.
    public var sourcePath: String

    public var interactions: [Interaction] {
        blocks.compactMap { if case let .interaction(interaction) = $0 { interaction } else { nil } }
    }
}

/// A lesson body is prose interleaved with interactive blocks, in file order.
public enum LessonBlock: Sendable {
    case markdown(String)
    case interaction(Interaction)
}

/// A check, task or exam item. They share one schema (docs/authoring.md).
public struct Interaction: Sendable {
    public enum Kind: String, Sendable { case check, task, item }

    public enum Status: String, Sendable, CaseIterable { case draft, pilot, operational }
    public enum Difficulty: String, Sendable, CaseIterable { case easy, medium, hard }

    public var id: InteractionID
    public var kind: Kind
    public var skills: [SkillID]
    public var prompt: String
    public var explanation: String?
    public var hints: [String]
    public var content: InteractionContent
    /// Exam items only.
    public var status: Status?
    public var difficulty: Difficulty?
    public var irt: IRTParameters?
    /// Where it is written, for diagnostics.
    public var file: String
    public var line: Int

    public var type: InteractionType { content.type }
}

/// Answers to one open-answer rubric scored by people, for measuring how well automated
/// scoring agrees with them.
public struct AnchorSet: Sendable, Equatable {
    public struct Response: Sendable, Equatable {
        public var id: String
        public var response: String
        public var score: Int
        /// Points per rubric criterion, when the scorer recorded them.
        public var criteria: [String: Int]?
        public var rationale: String
    }

    public var interaction: InteractionID
    public var scorer: String?
    public var responses: [Response]
}

extension InteractionContent {
    /// The rubric of an open-answer interaction.
    public var rubric: [RubricCriterion]? {
        switch self {
        case let .shortText(rubric, _), let .promptWriting(_, rubric, _): rubric
        default: nil
        }
    }
}

public struct IRTParameters: Sendable, Equatable {
    public enum Model: String, Sendable, CaseIterable { case twoPL = "2pl", threePL = "3pl", graded = "grm" }
    public var model: Model
    public var a: Double
    /// One difficulty for 2pl and 3pl; the increasing thresholds b_1…b_m (one per score step
    /// of the rubric) for grm.
    public var b: [Double]
    public var c: Double?

    public init(model: Model, a: Double, b: [Double], c: Double?) {
        self.model = model
        self.a = a
        self.b = b
        self.c = c
    }
}

public enum InteractionType: String, Sendable, CaseIterable {
    case singleChoice = "single_choice"
    case multipleChoice = "multiple_choice"
    case numeric
    case ordering
    case matching
    case shortText = "short_text"
    case promptWriting = "prompt_writing"
    case critique
    case redaction

    public var displayName: String {
        switch self {
        case .singleChoice: "Choose one"
        case .multipleChoice: "Choose all that apply"
        case .numeric: "Number"
        case .ordering: "Put in order"
        case .matching: "Match"
        case .shortText: "Short answer"
        case .promptWriting: "Write a prompt"
        case .critique: "Find the errors"
        case .redaction: "Redact personal data"
        }
    }
}

public struct Choice: Sendable, Equatable {
    public var id: String
    public var text: String
    public var feedback: String?
}

public struct RubricCriterion: Sendable, Equatable {
    public var id: String
    public var description: String
    public var points: Int
    public var check: RubricCheck?
    public var feedbackMet: String?
    public var feedbackUnmet: String?
}

/// A deterministic rubric check (docs/authoring.md lists them).
public enum RubricCheck: Sendable, Equatable {
    case containsAny([String])
    case containsAll([String])
    case mustNotContain([String])
    case regex(String)
    case minWords(Int)
    case maxWords(Int)
    case wordsBetween(Int, Int)
    /// The answer carries no personal data (e-mail addresses, phone numbers, addresses,
    /// ID numbers, or names of people in the task).
    case noPersonalData
}

public struct QuotedSpan: Sendable, Hashable {
    /// Verbatim text from the material.
    public var quote: String
    /// Why it is an error (critique) or what kind of personal data it is (redaction).
    public var label: String
}

public enum InteractionContent: Sendable {
    case singleChoice(options: [Choice], answer: String)
    case multipleChoice(options: [Choice], answers: [String])
    case numeric(answer: Double, tolerance: Double, unit: String?)
    case ordering(options: [Choice], answer: [String])
    case matching(left: [Choice], right: [Choice], answer: [String: String])
    case shortText(rubric: [RubricCriterion], reference: String)
    case promptWriting(scenario: String, rubric: [RubricCriterion], reference: String)
    case critique(material: String, errors: [QuotedSpan])
    case redaction(material: String, spans: [QuotedSpan])

    public var type: InteractionType {
        switch self {
        case .singleChoice: .singleChoice
        case .multipleChoice: .multipleChoice
        case .numeric: .numeric
        case .ordering: .ordering
        case .matching: .matching
        case .shortText: .shortText
        case .promptWriting: .promptWriting
        case .critique: .critique
        case .redaction: .redaction
        }
    }
}

/// Every course found under a folder, with what the validator found.
public struct Catalog: Sendable {
    public var courses: [Course]
    public var pathways: [Pathway]
    public var diagnostics: [Diagnostic]

    public init(courses: [Course], pathways: [Pathway] = [], diagnostics: [Diagnostic]) {
        self.courses = courses
        self.pathways = pathways
        self.diagnostics = diagnostics
    }

    public func course(_ id: CourseID) -> Course? { courses.first { $0.id == id } }
    public func pathway(_ id: PathwayID) -> Pathway? { pathways.first { $0.id == id } }
    /// The pathways a course's badge counts toward.
    public func pathways(including course: CourseID) -> [Pathway] { pathways.filter { $0.badgeCourses.contains(course) } }
}

/// A full certification earned step by step (`courses/pathways/<id>.yaml`): course badges
/// and a capstone scored by people. When every step is done Cairn issues the
/// certification's own credential.
public struct Pathway: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// Hold this course's badge (in force: not expired, revoked or suspended).
        case badge(CourseID)
        case capstone(Capstone)
    }

    public var id: PathwayID
    public var title: String
    public var summary: String
    public var credential: CredentialDefinition
    public var steps: [Step]

    public init(id: PathwayID, title: String, summary: String, credential: CredentialDefinition, steps: [Step]) {
        self.id = id
        self.title = title
        self.summary = summary
        self.credential = credential
        self.steps = steps
    }

    public var badgeCourses: [CourseID] {
        steps.compactMap { if case let .badge(course) = $0 { course } else { nil } }
    }

    public var capstones: [Capstone] {
        steps.compactMap { if case let .capstone(capstone) = $0 { capstone } else { nil } }
    }

    public func capstone(_ id: String) -> Capstone? { capstones.first { $0.id == id } }
}

/// A piece of real work the learner hands in and people score against a rubric.
public struct Capstone: Sendable, Equatable {
    public var id: String
    public var title: String
    /// What the learner is asked to do and hand in.
    public var brief: String
    /// What the scorers look for; each criterion is one line.
    public var rubric: [String]
    /// The score out of 100 that passes.
    public var passScore: Int

    public init(id: String, title: String, brief: String, rubric: [String], passScore: Int) {
        self.id = id
        self.title = title
        self.brief = brief
        self.rubric = rubric
        self.passScore = passScore
    }
}
