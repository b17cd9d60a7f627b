import Curriculum

/// Bayesian Knowledge Tracing (Corbett & Anderson, 1995): the probability that a learner
/// knows a skill, updated after each graded practice attempt.
///
/// Pure arithmetic over the skill's `TracingParameters`; the caller stores the estimate.
public struct KnowledgeTracer: Sendable {
    /// Estimates are kept strictly inside (0, 1): at exactly 0 or 1 no evidence could ever
    /// move them again, and the posterior formulas would divide 0 by 0.
    public static let lowest = 0.0001
    public static let highest = 0.9999

    /// Share of the credit removed when every hint but the worked example was used.
    public static let hintPenalty = 0.3
    /// Highest share of the credit left once the worked example (the last hint) was seen.
    public static let workedExampleCap = 0.5

    public init() {}

    /// The estimate before any practice: the skill's `initial` parameter.
    public func initial(_ parameters: TracingParameters) -> Double {
        parameters.initial
    }

    /// The estimate after one practice attempt.
    ///
    /// Standard BKT: the evidence step conditions `prior` on the observation,
    /// `P(L|correct) = p(1−s) / (p(1−s) + (1−p)g)` and `P(L|wrong) = ps / (ps + (1−p)(1−g))`,
    /// then the learning step applies the chance of learning at this opportunity,
    /// `next = posterior + (1 − posterior)·learn`.
    ///
    /// - Parameter credit: how right the attempt was, in [0, 1]: 1 fully correct, 0 wrong.
    ///   A fractional credit blends the two posteriors, `c·P(L|correct) + (1−c)·P(L|wrong)`,
    ///   a common extension of BKT for partial credit: half marks move the estimate about
    ///   half-way between what a right and a wrong answer would have done.
    /// - Returns: the new estimate, clamped to [`lowest`, `highest`].
    public func update(prior: Double, credit: Double, parameters: TracingParameters) -> Double {
        let known = Self.clamp(prior)
        let weight = Self.unit(credit)
        let slip = Self.unit(parameters.slip)
        let guess = Self.unit(parameters.guess)
        let learn = Self.unit(parameters.learn)

        let ifCorrect = Self.ratio(known * (1 - slip), known * (1 - slip) + (1 - known) * guess, otherwise: known)
        let ifWrong = Self.ratio(known * slip, known * slip + (1 - known) * (1 - guess), otherwise: known)
        let posterior = weight * ifCorrect + (1 - weight) * ifWrong
        return Self.clamp(posterior + (1 - posterior) * learn)
    }

    /// The credit an attempt earns for knowledge tracing, from its score and the hints taken.
    ///
    /// A hint does part of the thinking for the learner, so a right answer after hints is
    /// weaker evidence of the skill. The rule:
    /// - with no hints used, or none available, the credit is the score fraction;
    /// - otherwise each hint removes an equal share of `hintPenalty` (30 %):
    ///   `fraction × (1 − 0.3 × used / available)`, so 1 of 3 hints leaves 90 %, 2 of 3 80 %;
    /// - once the worked example was seen (the last hint: `hintsUsed ≥ hintsAvailable`),
    ///   the credit is capped at `workedExampleCap` (half) of the fraction, because the
    ///   learner has been shown the answer's method.
    ///
    /// Negative counts count as zero; the score fraction and the result are clamped to [0, 1].
    public static func credit(scoreFraction: Double, hintsUsed: Int, hintsAvailable: Int) -> Double {
        let fraction = unit(scoreFraction)
        let available = max(0, hintsAvailable)
        let used = min(max(0, hintsUsed), available)
        guard used > 0 else { return fraction }
        if used >= available {
            return unit(fraction * workedExampleCap)
        }
        return unit(fraction * (1 - hintPenalty * Double(used) / Double(available)))
    }

    private static func clamp(_ value: Double) -> Double {
        guard !value.isNaN else { return lowest }
        return min(max(value, lowest), highest)
    }

    /// Clamps to [0, 1]; NaN counts as 0.
    private static func unit(_ value: Double) -> Double {
        guard !value.isNaN else { return 0 }
        return min(max(value, 0), 1)
    }

    /// `numerator / denominator`, or `otherwise` when the observation was impossible under
    /// the parameters (slip or guess of exactly 0 or 1), so there is nothing to learn from it.
    private static func ratio(_ numerator: Double, _ denominator: Double, otherwise: Double) -> Double {
        denominator > 0 ? numerator / denominator : otherwise
    }
}
