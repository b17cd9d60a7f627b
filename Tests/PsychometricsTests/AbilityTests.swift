import Dispatch
import Foundation
import Psychometrics
import Testing

// Ability estimation checked against brute force: numerical integration for EAP, fine grid
// searches for MAP and MLE.

/// Twenty items: every third graded (scores 0…3), the others alternately 3PL and 2PL, with
/// difficulties spread over −2…2.
private let mixedBank: [ItemModel] = (0 ..< 20).map { k -> ItemModel in
    let difficulty = -2 + 4 * Double(k) / 19
    let discrimination = 0.7 + 0.1 * Double(k % 7)
    switch k % 3 {
    case 0:
        return .graded(GradedItem(discrimination: discrimination, thresholds: [difficulty - 1, difficulty, difficulty + 1]))
    case 1:
        return .dichotomous(DichotomousItem(discrimination: discrimination + 0.3, difficulty: difficulty, guessing: 0.2))
    default:
        return .dichotomous(DichotomousItem(discrimination: discrimination, difficulty: difficulty))
    }
}

/// A mixed answer pattern over `mixedBank`, roughly what an examinee near θ = 0 gives.
private let mixedPattern = ResponsePattern(scores: [3, 1, 1, 2, 1, 0, 2, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0])

/// Forty 2PL items, a = 1.2, difficulties evenly spaced over −2…2.
private let twoPLBank: [ItemModel] = (0 ..< 40).map { k -> ItemModel in
    .dichotomous(DichotomousItem(discrimination: 1.2, difficulty: -2 + 4 * Double(k) / 39))
}

private func within(_ x: Double, _ y: Double, _ tolerance: Double) -> Bool {
    abs(x - y) <= tolerance
}

private func patternLogLikelihood(_ pattern: ResponsePattern, _ items: [ItemModel], at theta: Double) -> Double {
    var total = 0.0
    for (index, score) in zip(pattern.items, pattern.scores) {
        total += items[index].logLikelihood(of: score, at: theta)
    }
    return total
}

/// The maximiser of `objective` over `range`: a grid with step 0.01, then a grid with step
/// 1e-5 over ±0.02 around the best coarse point.
private func gridMaximiser(_ range: ClosedRange<Double>, _ objective: (Double) -> Double) -> Double {
    var best = range.lowerBound
    var bestValue = objective(best)
    let coarseSteps = Int(((range.upperBound - range.lowerBound) / 0.01).rounded())
    for step in 0 ... coarseSteps {
        let theta = range.lowerBound + Double(step) * 0.01
        let value = objective(theta)
        if value > bestValue {
            best = theta
            bestValue = value
        }
    }
    let centre = best
    for step in -2000 ... 2000 {
        let theta = min(max(centre + Double(step) * 1e-5, range.lowerBound), range.upperBound)
        let value = objective(theta)
        if value > bestValue {
            best = theta
            bestValue = value
        }
    }
    return best
}

/// Draws scores for every item at `theta`: the score is the largest k with u < P(score ≥ k),
/// so a right/wrong item is right when u < P.
private func simulatedScores(_ items: [ItemModel], theta: Double, using generator: inout SeededGenerator) -> [Int] {
    var scores: [Int] = []
    for item in items {
        let u = generator.nextUniform()
        var score = 0
        for k in stride(from: item.maxScore, through: 1, by: -1) {
            var atLeast = 0.0
            for j in k ... item.maxScore {
                atLeast += item.probability(of: j, at: theta)
            }
            if u < atLeast {
                score = k
                break
            }
        }
        scores.append(score)
    }
    return scores
}

/// Lets the chunks of the brute-force integral write their own partial sums.
private struct PartialSums: @unchecked Sendable {
    let base: UnsafeMutablePointer<Double>
}

/// ∫ L(θ)·φ(θ)·(θ − c)^j dθ for j = 0, 1, 2, by the trapezoid rule on 200,001 points over
/// [−10, 10] (the common step left out: it cancels in the moments). Works with plain
/// products of probabilities, independent of the estimator's log-space sums.
private func bruteForceMoments(
    _ pattern: ResponsePattern, items: [ItemModel], centre: Double
) -> (mass: Double, first: Double, second: Double) {
    let points = 200_001
    let low = -10.0
    let step = 20.0 / Double(points - 1)
    let chunks = 16
    let chunkSize = (points + chunks - 1) / chunks
    var partials = [Double](repeating: 0, count: 3 * chunks)
    partials.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        let output = PartialSums(base: base)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = chunk * chunkSize
            let end = min(start + chunkSize, points)
            guard start < end else { return }
            var mass = 0.0
            var first = 0.0
            var second = 0.0
            for index in start ..< end {
                let theta = low + Double(index) * step
                var density = Foundation.exp(-0.5 * theta * theta) / (2 * Double.pi).squareRoot()
                for (item, score) in zip(pattern.items, pattern.scores) {
                    density *= items[item].probability(of: score, at: theta)
                }
                let weight: Double = index == 0 || index == points - 1 ? 0.5 : 1
                let value = weight * density
                let deviation = theta - centre
                mass += value
                first += value * deviation
                second += value * deviation * deviation
            }
            output.base[3 * chunk] = mass
            output.base[3 * chunk + 1] = first
            output.base[3 * chunk + 2] = second
        }
    }
    var totals = (mass: 0.0, first: 0.0, second: 0.0)
    for chunk in 0 ..< chunks {
        totals.mass += partials[3 * chunk]
        totals.first += partials[3 * chunk + 1]
        totals.second += partials[3 * chunk + 2]
    }
    return totals
}

@Suite("Ability estimation")
struct AbilityEstimationTests {
    @Test("the normal prior's log density includes its constant")
    func priorDensity() {
        // N(0, 1) at 0: −½·log(2π) = −0.918939.
        #expect(within(NormalPrior.standard.logDensity(0), -0.918939, 1e-6))
        // N(1, 2²) at 2: −0.918939 − log 2 − ½·(½)² = −0.918939 − 0.693147 − 0.125 = −1.737086.
        #expect(within(NormalPrior(mean: 1, standardDeviation: 2).logDensity(2), -1.737086, 1e-6))
    }

    @Test("the quadrature spans ±width SDs with weights summing to 1")
    func quadratureShape() throws {
        let standard = Quadrature.standard
        try #require(standard.nodes.count == 61)
        #expect(standard.weights.count == 61)
        #expect(within(standard.nodes[0], -6, 1e-12))
        #expect(within(standard.nodes[60], 6, 1e-12))
        #expect(within(standard.nodes[30], 0, 1e-12))
        #expect(within(standard.weights.reduce(0, +), 1, 1e-12))
        #expect(within(standard.weights[10], standard.weights[50], 1e-15))
        let shifted = Quadrature(points: 21, prior: NormalPrior(mean: 1, standardDeviation: 0.5), width: 4)
        #expect(within(shifted.nodes[0], -1, 1e-12))
        #expect(within(shifted.nodes[20], 3, 1e-12))
        let mode = shifted.weights.indices.max { shifted.weights[$0] < shifted.weights[$1] }
        #expect(mode == 10)
    }

    @Test("EAP agrees with brute-force numerical integration")
    func eapAgainstIntegration() {
        let estimate = AbilityEstimator.eap(mixedPattern, items: mixedBank, quadrature: Quadrature(points: 201, width: 8))
        let moments = bruteForceMoments(mixedPattern, items: mixedBank, centre: estimate.theta)
        let offset = moments.first / moments.mass
        let mean = estimate.theta + offset
        let sd = (moments.second / moments.mass - offset * offset).squareRoot()
        #expect(within(estimate.theta, mean, 1e-6))
        #expect(within(estimate.standardError, sd, 1e-6))
        // The default 61-point quadrature is already close.
        let coarse = AbilityEstimator.eap(mixedPattern, items: mixedBank)
        #expect(within(coarse.theta, mean, 1e-4))
        #expect(within(coarse.standardError, sd, 1e-4))
    }

    @Test("EAP of an empty pattern is the prior")
    func eapEmpty() {
        let estimate = AbilityEstimator.eap(ResponsePattern(scores: []), items: mixedBank)
        #expect(within(estimate.theta, 0, 1e-12))
        #expect(within(estimate.standardError, 1, 1e-6))
        let shifted = Quadrature(prior: NormalPrior(mean: 0.5, standardDeviation: 2))
        let prior = AbilityEstimator.eap(ResponsePattern(scores: []), items: [], quadrature: shifted)
        #expect(within(prior.theta, 0.5, 1e-9))
        #expect(within(prior.standardError, 2, 1e-5))
    }

    @Test("EAP stays finite for a long test")
    func eapLongTest() {
        // 200 right/wrong answers: the likelihood alone would underflow.
        let items = (0 ..< 5).flatMap { _ in twoPLBank }
        let pattern = ResponsePattern(scores: items.indices.map { $0 % 40 < 22 ? 1 : 0 })
        let estimate = AbilityEstimator.eap(pattern, items: items)
        #expect(estimate.theta.isFinite)
        #expect(estimate.standardError > 0 && estimate.standardError < 0.2)
    }

    @Test("batch EAP equals one-at-a-time EAP")
    func eapAllMatchesEap() {
        var generator = SeededGenerator(seed: 20_240_611)
        var patterns: [ResponsePattern] = []
        for examinee in 0 ..< 50 {
            let theta = generator.nextNormal()
            let scores = simulatedScores(mixedBank, theta: theta, using: &generator)
            if examinee % 2 == 0 {
                patterns.append(ResponsePattern(scores: scores))
            } else {
                // Adaptive-style: only some of the items, out of order.
                let taken = stride(from: 19, through: 0, by: -3).map { $0 }
                patterns.append(ResponsePattern(items: taken, scores: taken.map { scores[$0] }))
            }
        }
        patterns.append(ResponsePattern(scores: []))
        let batch = AbilityEstimator.eapAll(patterns, items: mixedBank)
        #expect(batch.count == patterns.count)
        for (pattern, estimate) in zip(patterns, batch) {
            let single = AbilityEstimator.eap(pattern, items: mixedBank)
            #expect(within(estimate.theta, single.theta, 1e-12))
            #expect(within(estimate.standardError, single.standardError, 1e-12))
        }
        #expect(AbilityEstimator.eapAll([], items: mixedBank).isEmpty)
    }

    @Test("MAP is the maximiser of the log posterior")
    func mapAgainstGrid() {
        let prior = NormalPrior(mean: 0.3, standardDeviation: 1.2)
        let estimate = AbilityEstimator.map(mixedPattern, items: mixedBank, prior: prior)
        let best = gridMaximiser(-6 ... 6) { patternLogLikelihood(mixedPattern, mixedBank, at: $0) + prior.logDensity($0) }
        #expect(within(estimate.theta, best, 1e-4))
        let information = testInformation(mixedBank, at: estimate.theta) + 1 / (1.2 * 1.2)
        #expect(within(estimate.standardError, 1 / information.squareRoot(), 1e-12))

        // Standard prior, a part of the test only.
        let part = ResponsePattern(items: [2, 5, 7, 11, 18], scores: [1, 1, 0, 1, 0])
        let partEstimate = AbilityEstimator.map(part, items: mixedBank)
        let partBest = gridMaximiser(-6 ... 6) { patternLogLikelihood(part, mixedBank, at: $0) + NormalPrior.standard.logDensity($0) }
        #expect(within(partEstimate.theta, partBest, 1e-4))
    }

    @Test("MAP of an empty pattern is the prior")
    func mapEmpty() {
        let prior = NormalPrior(mean: -0.4, standardDeviation: 0.8)
        let estimate = AbilityEstimator.map(ResponsePattern(scores: []), items: mixedBank, prior: prior)
        #expect(estimate.theta == -0.4)
        #expect(estimate.standardError == 0.8)
    }

    @Test("MLE is the maximiser of the log-likelihood")
    func mleAgainstGrid() {
        let estimate = AbilityEstimator.mle(mixedPattern, items: mixedBank)
        let best = gridMaximiser(-6 ... 6) { patternLogLikelihood(mixedPattern, mixedBank, at: $0) }
        #expect(best > -5.9 && best < 5.9)
        #expect(within(estimate.theta, best, 1e-4))
        #expect(within(estimate.standardError, 1 / testInformation(mixedBank, at: estimate.theta).squareRoot(), 1e-12))
    }

    @Test("MLE of an all-right or all-wrong pattern ends at a bound")
    func mleBounds() {
        let allRight = ResponsePattern(scores: mixedBank.map(\.maxScore))
        let top = AbilityEstimator.mle(allRight, items: mixedBank)
        #expect(top.theta == 6)
        #expect(top.standardError.isFinite && top.standardError > 0)
        let allWrong = ResponsePattern(scores: mixedBank.map { _ in 0 })
        #expect(AbilityEstimator.mle(allWrong, items: mixedBank, bounds: -4 ... 4).theta == -4)
        let empty = AbilityEstimator.mle(ResponsePattern(scores: []), items: mixedBank, bounds: -2 ... 4)
        #expect(empty.theta == 1)
        #expect(empty.standardError == .infinity)
    }

    @Test("the MLE's standard error is one over the root of the information")
    func mleStandardError() {
        // 2PL items, right up to b ≈ 0.4 with one slip and one lucky answer. For the 2PL the
        // observed and expected information agree, so the curvature checks the SE too.
        let items: [ItemModel] = (0 ..< 30).map { k -> ItemModel in
            .dichotomous(DichotomousItem(discrimination: 0.8 + 0.05 * Double(k % 9), difficulty: -2.5 + 5 * Double(k) / 29))
        }
        let scores = (0 ..< 30).map { k -> Int in
            let right = -2.5 + 5 * Double(k) / 29 < 0.4
            return k == 3 || k == 25 ? (right ? 0 : 1) : (right ? 1 : 0)
        }
        let pattern = ResponsePattern(scores: scores)
        let estimate = AbilityEstimator.mle(pattern, items: items)
        let information = testInformation(items, at: estimate.theta)
        #expect(within(estimate.standardError, 1 / information.squareRoot(), 1e-12))
        let h = 1e-4
        let theta = estimate.theta
        let here = patternLogLikelihood(pattern, items, at: theta)
        let above = patternLogLikelihood(pattern, items, at: theta + h)
        let below = patternLogLikelihood(pattern, items, at: theta - h)
        // A stationary point, with curvature −information.
        #expect(abs((above - below) / (2 * h)) < 1e-5)
        let curvature = (above - 2 * here + below) / (h * h)
        #expect(abs(estimate.standardError * (-curvature).squareRoot() - 1) < 1e-4)
    }

    @Test("the standard error falls as items are added")
    func moreItemsSmallerError() {
        // Right on every item easier than θ = 0: a Guttman pattern with its MLE near 0.
        let scores = twoPLBank.map { item -> Int in
            guard case let .dichotomous(model) = item else { return 0 }
            return model.difficulty < 0 ? 1 : 0
        }
        let long = ResponsePattern(scores: scores)
        let shortItems = Array(stride(from: 0, to: 40, by: 4))
        let short = ResponsePattern(items: shortItems, scores: shortItems.map { scores[$0] })
        let longMLE = AbilityEstimator.mle(long, items: twoPLBank)
        let shortMLE = AbilityEstimator.mle(short, items: twoPLBank)
        #expect(longMLE.standardError < shortMLE.standardError)
        #expect(AbilityEstimator.eap(long, items: twoPLBank).standardError < AbilityEstimator.eap(short, items: twoPLBank).standardError)
        #expect(AbilityEstimator.map(long, items: twoPLBank).standardError < AbilityEstimator.map(short, items: twoPLBank).standardError)
    }

    @Test("marginal reliability by hand")
    func reliabilityByHand() {
        // θ̂ = −1, 0, 1: sample variance 1; SE 0.5 each: mean SE² 0.25; 1 / 1.25 = 0.8.
        let estimates = [-1.0, 0, 1].map { AbilityEstimate(theta: $0, standardError: 0.5) }
        #expect(within(AbilityEstimator.marginalReliability(estimates), 0.8, 1e-12))
        #expect(AbilityEstimator.marginalReliability([]) == 0)
    }

    @Test("marginal reliability is higher for a longer test")
    func reliabilityGrowsWithLength() {
        var generator = SeededGenerator(seed: 7)
        var long: [ResponsePattern] = []
        var short: [ResponsePattern] = []
        // The short test is every fourth item, so it spans the same difficulties.
        let shortItems = Array(stride(from: 0, to: 40, by: 4))
        for _ in 0 ..< 400 {
            let theta = generator.nextNormal()
            let scores = simulatedScores(twoPLBank, theta: theta, using: &generator)
            long.append(ResponsePattern(scores: scores))
            short.append(ResponsePattern(items: shortItems, scores: shortItems.map { scores[$0] }))
        }
        let longReliability = AbilityEstimator.marginalReliability(AbilityEstimator.eapAll(long, items: twoPLBank))
        let shortReliability = AbilityEstimator.marginalReliability(AbilityEstimator.eapAll(short, items: twoPLBank))
        #expect(longReliability > 0 && longReliability < 1)
        #expect(shortReliability > 0 && shortReliability < 1)
        #expect(longReliability > shortReliability)
    }
}
