import Foundation

public struct ExamSessionID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }

/// How the exam's items are chosen: a randomised linear form while the bank is
/// uncalibrated, adaptive (item response theory) once it is.
public enum ExamMode: String, Sendable, Codable {
    case linear
    case adaptive
}

public enum ExamStatus: String, Sendable, Codable {
    /// Items are being answered; the timer runs.
    case active
    /// The learner submitted, or the form ran out, or the adaptive rule stopped.
    case submitted
    /// The time limit passed before the learner submitted; what was answered is scored.
    case timedOut = "timed_out"
}

/// One sitting of a course's exam. The server keeps everything here: the page sees one
/// item at a time and never the form, the keys or the bank.
public struct ExamSession: Sendable, Equatable {
    public var id: ExamSessionID
    public var userID: UserID
    public var courseID: CourseID
    public var courseVersion: String
    public var mode: ExamMode
    public var status: ExamStatus
    /// Seeds the form, the adaptive draws and the option order: a sitting replays the same.
    public var seed: UInt64
    /// A linear session's items in order; empty for an adaptive session, whose items are
    /// chosen one at a time and stored as they are shown.
    public var form: [InteractionID]
    public var startedAt: Date
    public var deadline: Date
    public var finishedAt: Date?
    /// The outcome, once finished.
    public var result: ExamOutcome?

    public init(
        id: ExamSessionID, userID: UserID, courseID: CourseID, courseVersion: String, mode: ExamMode, status: ExamStatus,
        seed: UInt64, form: [InteractionID], startedAt: Date, deadline: Date, finishedAt: Date? = nil, result: ExamOutcome? = nil
    ) {
        self.id = id
        self.userID = userID
        self.courseID = courseID
        self.courseVersion = courseVersion
        self.mode = mode
        self.status = status
        self.seed = seed
        self.form = form
        self.startedAt = startedAt
        self.deadline = deadline
        self.finishedAt = finishedAt
        self.result = result
    }
}

/// What a finished exam decided, with a line per skill area. Stored as JSON with the
/// session; it holds no item keys.
public struct ExamOutcome: Sendable, Equatable, Codable {
    public struct Area: Sendable, Equatable, Codable {
        public var skill: SkillID
        public var items: Int
        public var score: Double
        public var maxScore: Double
        /// Mastered at exam level: at least the pass mark in this area.
        public var strong: Bool

        public init(skill: SkillID, items: Int, score: Double, maxScore: Double, strong: Bool) {
            self.skill = skill
            self.items = items
            self.score = score
            self.maxScore = maxScore
            self.strong = strong
        }

        public var percent: Int { maxScore > 0 ? Int((100 * score / maxScore).rounded()) : 0 }
    }

    public var passed: Bool
    public var answered: Int
    public var itemCount: Int
    public var score: Double
    public var maxScore: Double
    /// The ability estimate and its standard error (adaptive exams).
    public var theta: Double?
    public var standardError: Double?
    /// Why the exam ended: "submitted", "completed", "timed_out", or the adaptive stop rule.
    public var reason: String
    public var areas: [Area]

    public init(passed: Bool, answered: Int, itemCount: Int, score: Double, maxScore: Double, theta: Double?, standardError: Double?, reason: String, areas: [Area]) {
        self.passed = passed
        self.answered = answered
        self.itemCount = itemCount
        self.score = score
        self.maxScore = maxScore
        self.theta = theta
        self.standardError = standardError
        self.reason = reason
        self.areas = areas
    }

    public var percent: Int { maxScore > 0 ? Int((100 * score / maxScore).rounded()) : 0 }
}

/// One item of a sitting: stored when it is shown (so a reload shows the same item) and
/// completed once when it is answered.
public struct ExamResponse: Sendable, Equatable {
    public var sessionID: ExamSessionID
    /// 1 for the first item shown.
    public var position: Int
    public var interactionID: InteractionID
    public var presentedAt: Date
    /// The answer as submitted (JSON), nil until answered.
    public var answer: String?
    public var score: Double?
    public var maxScore: Double?
    /// The grading result (JSON), for review and calibration.
    public var result: String?
    public var answeredAt: Date?

    public init(
        sessionID: ExamSessionID, position: Int, interactionID: InteractionID, presentedAt: Date,
        answer: String? = nil, score: Double? = nil, maxScore: Double? = nil, result: String? = nil, answeredAt: Date? = nil
    ) {
        self.sessionID = sessionID
        self.position = position
        self.interactionID = interactionID
        self.presentedAt = presentedAt
        self.answer = answer
        self.score = score
        self.maxScore = maxScore
        self.result = result
        self.answeredAt = answeredAt
    }
}

/// What happened during a sitting, kept for review.
public enum ExamEventKind: String, Sendable, Codable, CaseIterable {
    case start
    case answer
    case resume
    case focusLost = "focus_lost"
    case timeOut = "time_out"
    case submit
    /// A request the exam refused (late, repeated, or for an item not shown); the detail says which.
    case refused
}

public struct ExamEvent: Sendable, Equatable {
    public var sessionID: ExamSessionID
    public var kind: ExamEventKind
    public var detail: String
    public var at: Date

    public init(sessionID: ExamSessionID, kind: ExamEventKind, detail: String = "", at: Date) {
        self.sessionID = sessionID
        self.kind = kind
        self.detail = detail
        self.at = at
    }
}
