import CairnCore
import Foundation

/// What `cairn calibrate` found: the fitted parameters of every item with their standard
/// errors, the classical statistics, DIF between the groups the data names, the flags an
/// author should look at, and the test information curve. Plain values, rendered to HTML,
/// CSV and a bank file by `CalibrationReportWriter`.
public struct CalibrationReport: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var id: String
        public var skill: String
        /// "2pl", "3pl" or "grm".
        public var model: String
        public var discrimination: Double
        /// b for right/wrong items; the thresholds b_1…b_m for graded items.
        public var difficulties: [Double]
        public var guessing: Double?
        /// In the order a, b (or b_1…b_m), c.
        public var standardErrors: [Double]
        public var maxScore: Int
        public var responses: Int
        /// Mean score over maximum (classical difficulty).
        public var proportion: Double
        public var correctedPointBiserial: Double?
        public var alphaIfDeleted: Double?
        /// Item fit: RMSD between the observed and the model's score curve (0 is perfect;
        /// above 0.12 the curve does not describe the data). nil when not computed.
        public var fitRMSD: Double?
        /// ETS category per comparison, e.g. ["language: en vs fr": "A"].
        public var dif: [String: String]
        /// Plain-words flags for the author.
        public var flags: [String]
        /// How each option of a single-choice item was used, when the responses say.
        public var options: [Option]

        public init(id: String, skill: String, model: String, discrimination: Double, difficulties: [Double], guessing: Double?,
                    standardErrors: [Double], maxScore: Int, responses: Int, proportion: Double, correctedPointBiserial: Double?,
                    alphaIfDeleted: Double?, fitRMSD: Double? = nil, dif: [String: String], flags: [String], options: [Option] = []) {
            self.id = id
            self.skill = skill
            self.model = model
            self.discrimination = discrimination
            self.difficulties = difficulties
            self.guessing = guessing
            self.standardErrors = standardErrors
            self.maxScore = maxScore
            self.responses = responses
            self.proportion = proportion
            self.correctedPointBiserial = correctedPointBiserial
            self.alphaIfDeleted = alphaIfDeleted
            self.fitRMSD = fitRMSD
            self.dif = dif
            self.flags = flags
            self.options = options
        }
    }

    /// One option of a single-choice item: who chose it.
    public struct Option: Sendable, Equatable {
        public var id: String
        public var isKey: Bool
        /// Share of those who answered the item.
        public var proportion: Double
        /// Share of the top 27% by total score, and of the bottom 27%.
        public var upper: Double
        public var lower: Double

        public init(id: String, isKey: Bool, proportion: Double, upper: Double, lower: Double) {
            self.id = id
            self.isKey = isKey
            self.proportion = proportion
            self.upper = upper
            self.lower = lower
        }
    }

    /// One point of the test information curve.
    public struct InformationPoint: Sendable, Equatable {
        public var theta: Double
        public var information: Double
        /// 1/√information: the standard error of ability there.
        public var standardError: Double

        public init(theta: Double, information: Double, standardError: Double) {
            self.theta = theta
            self.information = information
            self.standardError = standardError
        }
    }

    public var courseID: String
    public var courseTitle: String
    public var courseVersion: String
    /// The new bank version these parameters make.
    public var bankVersion: String
    public var generatedAt: Date
    public var examinees: Int
    public var responses: Int
    public var items: [Item]
    public var information: [InformationPoint]
    public var logLikelihood: Double
    public var iterations: Int
    public var converged: Bool
    public var marginalReliability: Double
    /// Cronbach's alpha over examinees who answered every item; nil when too few did.
    public var alpha: Double?
    /// The group comparisons DIF was run for, e.g. "language: en vs fr".
    public var comparisons: [String]

    public init(courseID: String, courseTitle: String, courseVersion: String, bankVersion: String, generatedAt: Date, examinees: Int,
                responses: Int, items: [Item], information: [InformationPoint], logLikelihood: Double, iterations: Int,
                converged: Bool, marginalReliability: Double, alpha: Double?, comparisons: [String]) {
        self.courseID = courseID
        self.courseTitle = courseTitle
        self.courseVersion = courseVersion
        self.bankVersion = bankVersion
        self.generatedAt = generatedAt
        self.examinees = examinees
        self.responses = responses
        self.items = items
        self.information = information
        self.logLikelihood = logLikelihood
        self.iterations = iterations
        self.converged = converged
        self.marginalReliability = marginalReliability
        self.alpha = alpha
        self.comparisons = comparisons
    }
}
