import Foundation

// Item response models. Logistic metric throughout (no 1.7 scaling constant), as in
// mirt and girth, so parameters compare directly with theirs.

/// A right/wrong item under the three-parameter logistic model. With `guessing` 0 it is
/// the 2PL; with a discrimination shared by every item, the 1PL (Rasch when that is 1).
public struct DichotomousItem: Sendable, Hashable, Codable {
    /// a: how sharply the item separates lower from higher ability.
    public var discrimination: Double
    /// b: the ability at which the item is half-way between guessing and certain.
    public var difficulty: Double
    /// c: the lower asymptote, the chance a very weak examinee answers right.
    public var guessing: Double

    public init(discrimination: Double = 1, difficulty: Double, guessing: Double = 0) {
        self.discrimination = discrimination
        self.difficulty = difficulty
        self.guessing = guessing
    }

    /// P(correct | θ) = c + (1 − c) / (1 + e^(−a(θ − b))).
    public func probability(at theta: Double) -> Double {
        guessing + (1 - guessing) * logistic(discrimination * (theta - difficulty))
    }

    /// Fisher information at θ: a² · (Q/P) · ((P − c)/(1 − c))².
    public func information(at theta: Double) -> Double {
        let p = probability(at: theta)
        guard p > 0, p < 1 else { return 0 }
        let ratio = (p - guessing) / (1 - guessing)
        return discrimination * discrimination * ((1 - p) / p) * ratio * ratio
    }

    /// log P(response | θ).
    public func logLikelihood(correct: Bool, at theta: Double) -> Double {
        let p = clamp(probability(at: theta))
        return correct ? Foundation.log(p) : Foundation.log(1 - p)
    }
}

/// Samejima's graded response model for an answer scored 0…m (a rubric): one
/// discrimination and m increasing thresholds, b_k being the ability at which a score of
/// k or more becomes more likely than not.
public struct GradedItem: Sendable, Hashable, Codable {
    public var discrimination: Double
    /// b_1 < b_2 < … < b_m.
    public var thresholds: [Double]

    public init(discrimination: Double, thresholds: [Double]) {
        self.discrimination = discrimination
        self.thresholds = thresholds
    }

    /// The highest score, m.
    public var maxScore: Int { thresholds.count }

    /// P*(score ≥ k | θ) for k = 0…m+1 (1 for k = 0, 0 for k = m+1).
    func cumulative(at theta: Double) -> [Double] {
        var values = [1.0]
        values.reserveCapacity(thresholds.count + 2)
        for threshold in thresholds { values.append(logistic(discrimination * (theta - threshold))) }
        values.append(0)
        return values
    }

    /// P(score = k | θ) for k = 0…m; they sum to 1.
    public func categoryProbabilities(at theta: Double) -> [Double] {
        let star = cumulative(at: theta)
        return (0 ... maxScore).map { star[$0] - star[$0 + 1] }
    }

    public func probability(of score: Int, at theta: Double) -> Double {
        guard score >= 0, score <= maxScore else { return 0 }
        let lower = score == 0 ? 1 : logistic(discrimination * (theta - thresholds[score - 1]))
        let upper = score == maxScore ? 0 : logistic(discrimination * (theta - thresholds[score]))
        return lower - upper
    }

    /// Fisher information at θ: Σ_k (P*'_k − P*'_{k+1})² / P_k, with P*' = a·P*·(1 − P*).
    public func information(at theta: Double) -> Double {
        let star = cumulative(at: theta)
        var total = 0.0
        for score in 0 ... maxScore {
            let p = star[score] - star[score + 1]
            guard p > 1e-300 else { continue }
            let lower = discrimination * star[score] * (1 - star[score])
            let upper = discrimination * star[score + 1] * (1 - star[score + 1])
            total += (lower - upper) * (lower - upper) / p
        }
        return total
    }

    /// E[score | θ].
    public func expectedScore(at theta: Double) -> Double {
        // Σ_k k·P_k = Σ_{k≥1} P*(score ≥ k).
        thresholds.reduce(0) { $0 + logistic(discrimination * (theta - $1)) }
    }
}

/// An item of either kind, as the bank, the estimators and the adaptive engine see it.
public enum ItemModel: Sendable, Hashable, Codable {
    case dichotomous(DichotomousItem)
    case graded(GradedItem)

    public var maxScore: Int {
        switch self {
        case .dichotomous: 1
        case let .graded(item): item.maxScore
        }
    }

    public func probability(of score: Int, at theta: Double) -> Double {
        switch self {
        case let .dichotomous(item):
            let p = item.probability(at: theta)
            return score == 1 ? p : score == 0 ? 1 - p : 0
        case let .graded(item):
            return item.probability(of: score, at: theta)
        }
    }

    public func logLikelihood(of score: Int, at theta: Double) -> Double {
        Foundation.log(clamp(probability(of: score, at: theta)))
    }

    public func information(at theta: Double) -> Double {
        switch self {
        case let .dichotomous(item): item.information(at: theta)
        case let .graded(item): item.information(at: theta)
        }
    }
}

/// One examinee's scored answers. Items not taken are absent, which is how adaptive data
/// (each examinee sees a few items of a large bank) is held.
public struct ResponsePattern: Sendable, Hashable {
    /// Indexes into the item list the pattern is read against.
    public var items: [Int]
    /// The score on each of those items (0/1, or 0…m for graded items).
    public var scores: [Int]

    public init(items: [Int], scores: [Int]) {
        precondition(items.count == scores.count, "one score per item")
        self.items = items
        self.scores = scores
    }

    /// A complete pattern over items 0..<scores.count.
    public init(scores: [Int]) {
        self.init(items: Array(scores.indices), scores: scores)
    }

    public var count: Int { items.count }
}

/// The test information function: the sum of the items' information at θ.
public func testInformation(_ items: [ItemModel], at theta: Double) -> Double {
    items.reduce(0) { $0 + $1.information(at: theta) }
}

@inline(__always)
func logistic(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
}

/// Keeps a probability away from 0 and 1 so its logarithm stays finite.
@inline(__always)
func clamp(_ p: Double) -> Double {
    min(max(p, 1e-12), 1 - 1e-12)
}
