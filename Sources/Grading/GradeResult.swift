/// The one result shape every grader returns, for practice and exams alike.
public struct GradeResult: Sendable, Equatable, Codable {
    public var score: Double
    public var maxScore: Double
    /// Whether the attempt counts as a success (all right for keyed tasks; the rubric's pass
    /// mark of the automatically scored criteria for open answers).
    public var passed: Bool
    /// One outcome per criterion, option, pair, position or span, with its evidence.
    public var criteria: [CriterionOutcome]
    /// Span scores for critique and redaction tasks.
    public var overlap: SpanOverlap?

    public init(score: Double, maxScore: Double, passed: Bool, criteria: [CriterionOutcome], overlap: SpanOverlap? = nil) {
        self.score = score
        self.maxScore = maxScore
        self.passed = passed
        self.criteria = criteria
        self.overlap = overlap
    }

    /// Score as a fraction of the maximum, 0...1.
    public var fraction: Double { maxScore > 0 ? min(1, max(0, score / maxScore)) : 0 }

    /// Criteria that no deterministic check could decide (left to a person or a model judge).
    public var unjudged: [CriterionOutcome] { criteria.filter { $0.status == .unjudged } }
}

/// How one part of an answer was judged.
public struct CriterionOutcome: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        case met, partial, unmet
        /// No deterministic check exists for it; not counted in the score.
        case unjudged
    }

    /// The rubric criterion id, option id, left id of a pair, or span number.
    public var id: String
    /// What the criterion asks for, in the author's words.
    public var description: String
    public var points: Double
    public var awarded: Double
    public var status: Status
    /// What decided it: the learner's words, values or spans.
    public var evidence: [Evidence]
    /// The author's feedback for this outcome (criterion met/unmet text, option feedback).
    public var feedback: String?

    public init(id: String, description: String, points: Double, awarded: Double, status: Status, evidence: [Evidence] = [], feedback: String? = nil) {
        self.id = id
        self.description = description
        self.points = points
        self.awarded = awarded
        self.status = status
        self.evidence = evidence
        self.feedback = feedback
    }
}

/// One piece of evidence behind an outcome.
public struct Evidence: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// Words of the learner's answer that satisfied the check.
        case matched
        /// A term or value the check looked for and did not find.
        case missing
        /// Words the check forbids, found in the answer.
        case forbidden
        /// The learner's value (a number, a word count, a chosen option).
        case value
        /// What was expected, where showing it is allowed (never for exams).
        case expected
        /// A passage of the material the learner marked or missed.
        case span
        /// Personal data found in the learner's text.
        case personalData = "personal_data"
    }

    public var kind: Kind
    public var text: String
    /// The sentence of the learner's answer the evidence comes from.
    public var context: String?
    public var span: CharacterSpan?

    public init(kind: Kind, text: String, context: String? = nil, span: CharacterSpan? = nil) {
        self.kind = kind
        self.text = text
        self.context = context
        self.span = span
    }
}

/// Character-level overlap between the learner's marks and the answer key.
public struct SpanOverlap: Sendable, Equatable, Codable {
    public var precision: Double
    public var recall: Double
    public var f1: Double
}
