import Foundation

/// Simulated examinees, item banks and answers, for recovery tests and for planning a
/// calibration (how many examinees does a bank of this shape need?). Every draw comes from
/// the `SeededGenerator` passed in, in a fixed order, so the same seed gives the same data.
public enum Simulation {
    /// `count` abilities drawn from the prior, one normal draw each.
    public static func abilities(count: Int, prior: NormalPrior = .standard, generator: inout SeededGenerator) -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(max(count, 0))
        for _ in 0 ..< max(count, 0) {
            values.append(generator.nextNormal(mean: prior.mean, standardDeviation: prior.standardDeviation))
        }
        return values
    }

    /// Every item for every examinee; score drawn from the model's category probabilities.
    /// One uniform draw per answer, examinee by examinee and item by item: a graded score is
    /// the number of cumulative probabilities P*(score ≥ k | θ) above the draw.
    public static func responses(items: [ItemModel], abilities: [Double], generator: inout SeededGenerator) -> [ResponsePattern] {
        var patterns: [ResponsePattern] = []
        patterns.reserveCapacity(abilities.count)
        for theta in abilities {
            var scores: [Int] = []
            scores.reserveCapacity(items.count)
            for item in items {
                let u = generator.nextUniform()
                switch item {
                case let .dichotomous(model):
                    scores.append(u < model.probability(at: theta) ? 1 : 0)
                case let .graded(model):
                    var score = 0
                    for threshold in model.thresholds where u < logistic(model.discrimination * (theta - threshold)) {
                        score += 1
                    }
                    scores.append(score)
                }
            }
            patterns.append(ResponsePattern(scores: scores))
        }
        return patterns
    }

    /// A 2PL bank: a ~ lognormal(0, 0.25) clamped to [0.5, 2.5], b ~ N(0, 1) clamped to [−2.5, 2.5].
    public static func twoPLItems(count: Int, generator: inout SeededGenerator) -> [ItemModel] {
        var items: [ItemModel] = []
        items.reserveCapacity(max(count, 0))
        for _ in 0 ..< max(count, 0) {
            let a = drawDiscrimination(&generator)
            let b = drawDifficulty(&generator)
            items.append(.dichotomous(DichotomousItem(discrimination: a, difficulty: b)))
        }
        return items
    }

    /// As `twoPLItems`, plus c ~ uniform [0.1, 0.25] (drawn after a and b, item by item).
    public static func threePLItems(count: Int, generator: inout SeededGenerator) -> [ItemModel] {
        var items: [ItemModel] = []
        items.reserveCapacity(max(count, 0))
        for _ in 0 ..< max(count, 0) {
            let a = drawDiscrimination(&generator)
            let b = drawDifficulty(&generator)
            let c = 0.1 + 0.15 * generator.nextUniform()
            items.append(.dichotomous(DichotomousItem(discrimination: a, difficulty: b, guessing: c)))
        }
        return items
    }

    /// A graded-response bank with `categories` score categories (so `categories − 1`
    /// thresholds): a as for the 2PL; thresholds N(0, 1) draws clamped to [−2.5, 2.5],
    /// sorted, then spread so neighbours are at least 0.3 apart (no near-empty middle category).
    public static func gradedItems(count: Int, categories: Int, generator: inout SeededGenerator) -> [ItemModel] {
        precondition(categories >= 2, "a graded item has at least two score categories")
        var items: [ItemModel] = []
        items.reserveCapacity(max(count, 0))
        for _ in 0 ..< max(count, 0) {
            let a = drawDiscrimination(&generator)
            var thresholds: [Double] = []
            thresholds.reserveCapacity(categories - 1)
            for _ in 0 ..< categories - 1 {
                thresholds.append(drawDifficulty(&generator))
            }
            thresholds.sort()
            for k in thresholds.indices.dropFirst() {
                thresholds[k] = max(thresholds[k], thresholds[k - 1] + minimumThresholdGap)
            }
            items.append(.graded(GradedItem(discrimination: a, thresholds: thresholds)))
        }
        return items
    }

    private static let minimumThresholdGap = 0.3

    private static func drawDiscrimination(_ generator: inout SeededGenerator) -> Double {
        min(max(Foundation.exp(generator.nextNormal(mean: 0, standardDeviation: 0.25)), 0.5), 2.5)
    }

    private static func drawDifficulty(_ generator: inout SeededGenerator) -> Double {
        min(max(generator.nextNormal(), -2.5), 2.5)
    }
}
