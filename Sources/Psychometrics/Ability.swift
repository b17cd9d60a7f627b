import Dispatch
import Foundation

// Ability estimation: expected a posteriori (EAP) over a fixed quadrature, maximum a
// posteriori (MAP) and maximum likelihood (MLE) by Newton–Raphson. Log-likelihoods are summed
// in log space and shifted by their maximum before exponentiating, so long tests do not
// underflow. Formulas as in Baker & Kim, "Item Response Theory" (2004), and Bock & Mislevy
// (1982) for EAP.

/// A normal prior on ability.
public struct NormalPrior: Sendable, Hashable, Codable {
    public var mean: Double
    public var standardDeviation: Double

    public init(mean: Double = 0, standardDeviation: Double = 1) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// N(0, 1).
    public static let standard = NormalPrior()

    /// The full normal log density, constant included: −½·log(2π) − log σ − ½((θ − μ)/σ)².
    public func logDensity(_ theta: Double) -> Double {
        let z = (theta - mean) / standardDeviation
        return -0.5 * Foundation.log(2 * Double.pi) - Foundation.log(standardDeviation) - 0.5 * z * z
    }
}

/// A discrete stand-in for a normal prior: equally spaced nodes with weights proportional to
/// the prior's density, normalised to sum to 1.
public struct Quadrature: Sendable, Hashable {
    public let nodes: [Double]
    /// Sum to 1.
    public let weights: [Double]

    /// Equally spaced nodes from mean − width·sd to mean + width·sd, weights ∝ the prior's
    /// density, normalised. One point gives the prior mean with weight 1.
    public init(points: Int = 61, prior: NormalPrior = .standard, width: Double = 6) {
        precondition(points >= 1, "a quadrature needs at least one point")
        precondition(prior.standardDeviation > 0, "the prior's standard deviation must be positive")
        precondition(width > 0, "the quadrature's width must be positive")
        guard points > 1 else {
            self.nodes = [prior.mean]
            self.weights = [1]
            return
        }
        let low = prior.mean - width * prior.standardDeviation
        let step = 2 * width * prior.standardDeviation / Double(points - 1)
        let grid = (0 ..< points).map { low + Double($0) * step }
        // The density up to its constant, which cancels on normalising.
        let densities = grid.map { node -> Double in
            let z = (node - prior.mean) / prior.standardDeviation
            return Foundation.exp(-0.5 * z * z)
        }
        let total = densities.reduce(0.0, +)
        self.nodes = grid
        self.weights = densities.map { $0 / total }
    }

    /// 61 points over N(0, 1), ±6 standard deviations.
    public static let standard = Quadrature()
}

/// An ability estimate on the θ scale with its standard error (the posterior SD for EAP).
public struct AbilityEstimate: Sendable, Hashable {
    public var theta: Double
    public var standardError: Double

    public init(theta: Double, standardError: Double) {
        self.theta = theta
        self.standardError = standardError
    }
}

/// Scores response patterns against calibrated items.
public enum AbilityEstimator {
    /// Expected a posteriori: posterior mean and posterior SD over the quadrature (prior = the
    /// quadrature's weights). An empty pattern gives the quadrature's own mean and SD, which
    /// match the prior's to about 1e-7 for the default width.
    public static func eap(
        _ pattern: ResponsePattern, items: [ItemModel], quadrature: Quadrature = .standard
    ) -> AbilityEstimate {
        let nodes = quadrature.nodes
        var logPosterior = logWeights(quadrature)
        // Same order of additions as `eapAll`, so the two agree to the last bit.
        for (index, score) in zip(pattern.items, pattern.scores) {
            let item = items[index]
            for node in nodes.indices {
                logPosterior[node] += item.logLikelihood(of: score, at: nodes[node])
            }
        }
        return posteriorSummary(&logPosterior, nodes: nodes)
    }

    /// Maximum a posteriori with a normal prior (Newton–Raphson with step halving, fallback to
    /// a golden-section search if Newton fails); SE = 1/sqrt(test information at θ̂ + 1/σ²).
    /// The search is confined to the prior mean ± 10 SD. An empty pattern gives the prior's
    /// mean and SD.
    public static func map(
        _ pattern: ResponsePattern, items: [ItemModel], prior: NormalPrior = .standard
    ) -> AbilityEstimate {
        guard pattern.count > 0 else {
            return AbilityEstimate(theta: prior.mean, standardError: prior.standardDeviation)
        }
        let precision = 1 / (prior.standardDeviation * prior.standardDeviation)
        let answered = pattern.items.map { items[$0] }
        let scores = pattern.scores
        let span = 10 * prior.standardDeviation
        let theta = maximise(
            over: (prior.mean - span) ... (prior.mean + span),
            objective: { patternLogLikelihood(answered, scores, at: $0) + prior.logDensity($0) },
            slope: { point in
                let likelihood = patternDerivatives(answered, scores, at: point)
                return (likelihood.first - (point - prior.mean) * precision, likelihood.second - precision)
            },
            information: { testInformation(answered, at: $0) + precision }
        )
        let information = testInformation(answered, at: theta) + precision
        return AbilityEstimate(theta: theta, standardError: 1 / information.squareRoot())
    }

    /// Maximum likelihood, clamped to `bounds` (all-right or all-wrong patterns end at a bound);
    /// SE = 1/sqrt(test information at θ̂) (infinity if 0). An empty pattern gives the
    /// midpoint of the bounds with an infinite SE.
    public static func mle(
        _ pattern: ResponsePattern, items: [ItemModel], bounds: ClosedRange<Double> = -6 ... 6
    ) -> AbilityEstimate {
        guard pattern.count > 0 else {
            return AbilityEstimate(theta: (bounds.lowerBound + bounds.upperBound) / 2, standardError: .infinity)
        }
        let answered = pattern.items.map { items[$0] }
        let scores = pattern.scores
        let theta: Double
        if zip(answered, scores).allSatisfy({ $1 >= $0.maxScore }) {
            // Every answer at the top score: the likelihood rises without limit.
            theta = bounds.upperBound
        } else if scores.allSatisfy({ $0 <= 0 }) {
            theta = bounds.lowerBound
        } else {
            theta = maximise(
                over: bounds,
                objective: { patternLogLikelihood(answered, scores, at: $0) },
                slope: { patternDerivatives(answered, scores, at: $0) },
                information: { testInformation(answered, at: $0) }
            )
        }
        let information = testInformation(answered, at: theta)
        return AbilityEstimate(
            theta: theta,
            standardError: information > 0 ? 1 / information.squareRoot() : .infinity
        )
    }

    /// EAP for many examinees at once. The log-probability of every score of every item at
    /// every node is computed once; each examinee then adds table rows, and examinees are
    /// spread over cores in chunks. Gives the same numbers as `eap`.
    public static func eapAll(
        _ patterns: [ResponsePattern], items: [ItemModel], quadrature: Quadrature = .standard
    ) -> [AbilityEstimate] {
        guard !patterns.isEmpty else { return [] }
        let nodes = quadrature.nodes
        let nodeCount = nodes.count
        let prior = logWeights(quadrature)

        // Item i's rows start at rowStarts[i]: one row of nodeCount values per score 0…m.
        var starts: [Int] = []
        starts.reserveCapacity(items.count)
        var tableSize = 0
        for item in items {
            starts.append(tableSize)
            tableSize += (item.maxScore + 1) * nodeCount
        }
        var building = [Double](repeating: 0, count: tableSize)
        for (index, item) in items.enumerated() {
            for score in 0 ... item.maxScore {
                let base = starts[index] + score * nodeCount
                for node in 0 ..< nodeCount {
                    building[base + node] = item.logLikelihood(of: score, at: nodes[node])
                }
            }
        }
        let rowStarts = starts
        let table = building

        let count = patterns.count
        let chunkCount = min(count, max(1, ProcessInfo.processInfo.activeProcessorCount * 4))
        let chunkSize = (count + chunkCount - 1) / chunkCount
        var results = [AbilityEstimate](repeating: AbilityEstimate(theta: 0, standardError: 0), count: count)
        results.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let output = SharedOutput(base: base)
            DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                let start = chunk * chunkSize
                let end = min(start + chunkSize, count)
                guard start < end else { return }
                var logPosterior = prior
                for examinee in start ..< end {
                    for node in 0 ..< nodeCount { logPosterior[node] = prior[node] }
                    let pattern = patterns[examinee]
                    for (index, score) in zip(pattern.items, pattern.scores) {
                        let item = items[index]
                        if score >= 0, score <= item.maxScore {
                            let row = rowStarts[index] + score * nodeCount
                            for node in 0 ..< nodeCount { logPosterior[node] += table[row + node] }
                        } else {
                            // A score the item cannot give: no table row, so compute as `eap` does.
                            for node in 0 ..< nodeCount {
                                logPosterior[node] += item.logLikelihood(of: score, at: nodes[node])
                            }
                        }
                    }
                    output.base[examinee] = posteriorSummary(&logPosterior, nodes: nodes)
                }
            }
        }
        return results
    }

    /// Marginal reliability of EAP scores: var(θ̂) / (var(θ̂) + mean(SE²)), with the sample
    /// variance (n − 1), as mirt's `empirical_rxx`. 0 for fewer than two estimates.
    public static func marginalReliability(_ estimates: [AbilityEstimate]) -> Double {
        guard estimates.count > 1 else { return 0 }
        let n = Double(estimates.count)
        let mean = estimates.reduce(0.0) { $0 + $1.theta } / n
        let variance = estimates.reduce(0.0) { $0 + ($1.theta - mean) * ($1.theta - mean) } / (n - 1)
        let errorVariance = estimates.reduce(0.0) { $0 + $1.standardError * $1.standardError } / n
        let total = variance + errorVariance
        return total > 0 ? variance / total : 0
    }

    // MARK: - Helpers

    private static func logWeights(_ quadrature: Quadrature) -> [Double] {
        quadrature.weights.map { Foundation.log($0) }
    }

    /// Turns log posterior values at the nodes into the posterior mean and SD. Overwrites
    /// `values` with the unnormalised posterior weights.
    private static func posteriorSummary(_ values: inout [Double], nodes: [Double]) -> AbilityEstimate {
        var largest = -Double.infinity
        for value in values where value > largest {
            largest = value
        }
        guard largest.isFinite else { return AbilityEstimate(theta: .nan, standardError: .nan) }
        var total = 0.0
        var first = 0.0
        for node in values.indices {
            let weight = Foundation.exp(values[node] - largest)
            values[node] = weight
            total += weight
            first += weight * nodes[node]
        }
        let mean = first / total
        var second = 0.0
        for node in values.indices {
            let deviation = nodes[node] - mean
            second += values[node] * deviation * deviation
        }
        return AbilityEstimate(theta: mean, standardError: (second / total).squareRoot())
    }

    private static func patternLogLikelihood(_ items: [ItemModel], _ scores: [Int], at theta: Double) -> Double {
        var total = 0.0
        for (item, score) in zip(items, scores) {
            total += item.logLikelihood(of: score, at: theta)
        }
        return total
    }

    private static func patternDerivatives(
        _ items: [ItemModel], _ scores: [Int], at theta: Double
    ) -> (first: Double, second: Double) {
        var first = 0.0
        var second = 0.0
        for (item, score) in zip(items, scores) {
            let derivative = logLikelihoodDerivatives(item, score: score, at: theta)
            first += derivative.first
            second += derivative.second
        }
        return (first, second)
    }

    /// First and second θ-derivatives of log P(score | θ). Uses L and 1 − L computed
    /// separately so that neither loses precision in the tails.
    private static func logLikelihoodDerivatives(
        _ item: ItemModel, score: Int, at theta: Double
    ) -> (first: Double, second: Double) {
        switch item {
        case let .dichotomous(model):
            let a = model.discrimination
            let z = a * (theta - model.difficulty)
            let l = logistic(z)
            let m = logistic(-z)
            switch score {
            case 0:
                // log(1 − P) = log(1 − c) + log(1 − L).
                return (-a * l, -a * a * l * m)
            case 1:
                let c = model.guessing
                if c == 0 { return (a * m, -a * a * l * m) }
                let p = c + (1 - c) * l
                guard p > 0 else { return (0, 0) }
                let slope = (1 - c) * a * l * m
                let curvature = (1 - c) * a * a * l * m * (m - l)
                let ratio = slope / p
                return (ratio, curvature / p - ratio * ratio)
            default:
                return (0, 0)
            }
        case let .graded(model):
            let top = model.maxScore
            guard top > 0, score >= 0, score <= top else { return (0, 0) }
            let a = model.discrimination
            if score == 0 {
                let z = a * (theta - model.thresholds[0])
                let l = logistic(z)
                return (-a * l, -a * a * l * logistic(-z))
            }
            if score == top {
                let z = a * (theta - model.thresholds[top - 1])
                let m = logistic(-z)
                return (a * m, -a * a * logistic(z) * m)
            }
            // P = P*_k − P*_{k+1}, with P*' = a·P*·Q* and P*'' = a²·P*·Q*·(Q* − P*).
            let lowerZ = a * (theta - model.thresholds[score - 1])
            let upperZ = a * (theta - model.thresholds[score])
            let lowerP = logistic(lowerZ)
            let lowerQ = logistic(-lowerZ)
            let upperP = logistic(upperZ)
            let upperQ = logistic(-upperZ)
            let p = lowerP > 0.5 ? upperQ - lowerQ : lowerP - upperP
            guard p > 0 else { return (0, 0) }
            let slope = a * (lowerP * lowerQ - upperP * upperQ)
            let curvature = a * a * (lowerP * lowerQ * (lowerQ - lowerP) - upperP * upperQ * (upperQ - upperP))
            let ratio = slope / p
            return (ratio, curvature / p - ratio * ratio)
        }
    }

    /// Maximises a smooth function of one variable on `range`: the best point of a coarse grid
    /// (so a 3PL likelihood's lesser local maxima are passed over), then Newton–Raphson with
    /// step halving (a Fisher-scoring step where the curvature is not negative), then a
    /// golden-section search around the grid's best point if Newton does not converge.
    private static func maximise(
        over range: ClosedRange<Double>,
        objective: (Double) -> Double,
        slope: (Double) -> (first: Double, second: Double),
        information: (Double) -> Double
    ) -> Double {
        let low = range.lowerBound
        let high = range.upperBound
        let gridPoints = 41
        let spacing = (high - low) / Double(gridPoints - 1)
        var theta = low
        var value = objective(theta)
        for k in 1 ..< gridPoints {
            let candidate = k == gridPoints - 1 ? high : low + Double(k) * spacing
            let candidateValue = objective(candidate)
            if candidateValue > value {
                theta = candidate
                value = candidateValue
            }
        }
        let start = theta

        var converged = false
        for _ in 0 ..< 100 {
            let derivative = slope(theta)
            guard derivative.first.isFinite, derivative.second.isFinite else { break }
            // At a bound with the slope pointing outwards, the bound is the maximum.
            if (theta >= high && derivative.first >= 0) || (theta <= low && derivative.first <= 0) {
                converged = true
                break
            }
            var step: Double
            if derivative.second < 0 {
                step = -derivative.first / derivative.second
            } else {
                let fisher = information(theta)
                step = fisher > 0 ? derivative.first / fisher : (derivative.first > 0 ? 0.5 : -0.5)
            }
            guard step.isFinite else { break }
            if abs(step) < 1e-10 {
                theta = bounded(theta + step, low, high)
                converged = true
                break
            }
            step = bounded(step, -1, 1)
            // Allow for rounding in the objective near the top.
            let tolerance = 1e-13 * max(1, abs(value))
            var accepted = false
            for _ in 0 ..< 50 {
                let candidate = bounded(theta + step, low, high)
                let candidateValue = objective(candidate)
                if candidateValue >= value - tolerance {
                    theta = candidate
                    value = candidateValue
                    accepted = true
                    break
                }
                step /= 2
            }
            if !accepted { break }
        }
        if converged, theta.isFinite { return theta }
        let bracket = bounded(start - spacing, low, high) ... bounded(start + spacing, low, high)
        return goldenSection(objective, in: bracket)
    }

    /// Golden-section search for the maximum of a unimodal function on `interval`.
    private static func goldenSection(_ objective: (Double) -> Double, in interval: ClosedRange<Double>) -> Double {
        let ratio = (5.0.squareRoot() - 1) / 2
        var low = interval.lowerBound
        var high = interval.upperBound
        var left = high - ratio * (high - low)
        var right = low + ratio * (high - low)
        var leftValue = objective(left)
        var rightValue = objective(right)
        var iterations = 0
        while high - low > 1e-10, iterations < 200 {
            iterations += 1
            if leftValue < rightValue {
                low = left
                left = right
                leftValue = rightValue
                right = low + ratio * (high - low)
                rightValue = objective(right)
            } else {
                high = right
                right = left
                rightValue = leftValue
                left = high - ratio * (high - low)
                leftValue = objective(left)
            }
        }
        // The ends of the interval may beat its interior when the maximum sits on a bound.
        var best = (low + high) / 2
        var bestValue = objective(best)
        for end in [interval.lowerBound, interval.upperBound] {
            let endValue = objective(end)
            if endValue > bestValue {
                best = end
                bestValue = endValue
            }
        }
        return best
    }

    private static func bounded(_ x: Double, _ low: Double, _ high: Double) -> Double {
        min(max(x, low), high)
    }
}

/// Lets the chunks of `eapAll` write their own, disjoint slots of one result buffer.
private struct SharedOutput<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
}
