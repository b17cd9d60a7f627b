import Dispatch
import Foundation

// Item calibration by marginal maximum likelihood, fitted with the EM algorithm of Bock and
// Aitkin (1981) over a fixed quadrature of the N(0, 1) ability distribution.
//
// E-step: the log-probability of every score of every item at every node is tabulated once
// per cycle; each (distinct) response pattern's posterior over the nodes follows by
// log-sum-exp, and is added into the expected counts r[item][score][node]. The examinees
// are cut into a fixed number of chunks run with `concurrentPerform`, one accumulator per
// chunk, summed in chunk order afterwards (so the result does not depend on the machine).
//
// M-step: each item's expected complete-data log-likelihood Σ_node Σ_score r·log P
// (+ log priors) is maximised by a few Fisher-scoring (Newton) steps with step halving, in
// slope/intercept form: z = a·θ + d, b = −d/a; the 3PL's c is fitted as logit(c); graded
// items use z_k = a·θ + d_k with d_1 > d_2 > … > d_m. Under the 1PL every right/wrong item
// shares one a: its intercepts are fitted with a held, then a by a one-dimensional step.

/// How right/wrong items are modelled.
public enum DichotomousModel: String, Sendable, Codable {
    /// One discrimination, estimated, shared by all dichotomous items (graded items keep their own).
    case onePL
    case twoPL
    /// 2PL plus a lower asymptote c, with a Beta prior on c (`CalibrationOptions.guessingPrior`).
    case threePL
}

public struct CalibrationOptions: Sendable {
    public var dichotomousModel: DichotomousModel = .twoPL
    /// Nodes of the N(0, 1) quadrature, equally spaced over [−6, 6].
    public var quadraturePoints: Int = 41
    public var maxIterations: Int = 500
    /// Converged when no parameter (a, intercepts d, and c) moves more than this between EM cycles.
    public var tolerance: Double = 1e-4
    /// Lognormal prior on every discrimination a: log a ~ N(mean, sd). Keeps sparse items stable.
    public var discriminationPrior: (mean: Double, sd: Double)? = nil
    /// Beta(alpha, beta) prior on the 3PL's c.
    public var guessingPrior: (alpha: Double, beta: Double) = (5, 17)

    /// Off only in tests, to check the right/wrong fast path against the general E-step.
    var usesSufficientStatistics = true
    /// How standard errors are computed.
    public enum StandardErrors: Sendable {
        /// From the observed-data information, estimated by the cross-product of each
        /// examinee's score vector (mirt's "crossprod"): carries the uncertainty of each
        /// examinee's ability into the items' errors.
        case crossProduct
        /// From the complete-data information with the E-step's expected counts held fixed
        /// (the classic Bock–Aitkin error): cheaper, and too small, most of all on sparse data.
        case completeData
    }

    public var standardErrors: StandardErrors = .crossProduct

    public init() {}
}

public struct ItemCalibration: Sendable {
    public var model: ItemModel
    /// a, b (, c) for right/wrong items; a, b_1…b_m for graded items. Under the 1PL the a
    /// entry is the standard error of the shared discrimination.
    public var standardErrors: [Double]
    /// How many examinees answered the item.
    public var responseCount: Int

    public init(model: ItemModel, standardErrors: [Double], responseCount: Int) {
        self.model = model
        self.standardErrors = standardErrors
        self.responseCount = responseCount
    }
}

public struct CalibrationResult: Sendable {
    public var items: [ItemCalibration]
    /// The marginal log-likelihood of the data at the final parameters (priors excluded).
    public var logLikelihood: Double
    /// EM cycles run.
    public var iterations: Int
    public var converged: Bool

    public init(items: [ItemCalibration], logLikelihood: Double, iterations: Int, converged: Bool) {
        self.items = items
        self.logLikelihood = logLikelihood
        self.iterations = iterations
        self.converged = converged
    }
}

public enum CalibrationError: Error, Equatable, CustomStringConvertible {
    /// Nobody answered this item, so nothing can be learned about it.
    case noResponses(item: Int)
    /// A pattern holds a score the item cannot have.
    case scoreOutOfRange(item: Int, score: Int, maxScore: Int)
    /// Fewer than two items: the item parameters are not identified.
    case tooFewItems
    /// A pattern names an item the bank does not have.
    case unknownItem(item: Int, itemCount: Int)
    /// An item's maximum score is below 1.
    case invalidMaxScore(item: Int, maxScore: Int)
    /// One examinee's pattern lists the same item twice.
    case duplicateItem(item: Int)

    public var description: String {
        switch self {
        case let .noResponses(item):
            "item \(item) has no responses"
        case let .scoreOutOfRange(item, score, maxScore):
            "item \(item) has a score of \(score), outside 0…\(maxScore)"
        case .tooFewItems:
            "calibration needs at least two items"
        case let .unknownItem(item, itemCount):
            "a response names item \(item), but the bank has items 0…\(itemCount - 1)"
        case let .duplicateItem(item):
            "a response pattern lists item \(item) twice; keep one score per examinee and item"
        case let .invalidMaxScore(item, maxScore):
            "item \(item) has a maximum score of \(maxScore); it must be at least 1"
        }
    }
}

public enum Calibrator {
    /// maxScores[i] = 1 for right/wrong items (fitted with options.dichotomousModel), > 1 for
    /// graded items (graded response model). Returns parameters on the N(0, 1) ability scale.
    ///
    /// Patterns list only the items each examinee saw (missing answers are simply absent).
    /// Throws `tooFewItems` for fewer than two items, `invalidMaxScore` for a maximum below 1,
    /// `unknownItem` for an index outside `maxScores.indices`, `scoreOutOfRange` for a score
    /// outside 0…maxScore and `noResponses` for an item nobody saw.
    public static func calibrate(_ patterns: [ResponsePattern], maxScores: [Int], options: CalibrationOptions = .init()) throws -> CalibrationResult {
        guard maxScores.count >= 2 else { throw CalibrationError.tooFewItems }
        if let bad = maxScores.firstIndex(where: { $0 < 1 }) { throw CalibrationError.invalidMaxScore(item: bad, maxScore: maxScores[bad]) }
        let itemCount = maxScores.count

        // Validate, count answers per item and score, collapse identical patterns (kept in
        // first-seen order so that the sums are deterministic).
        var scoreCounts = maxScores.map { [Double](repeating: 0, count: $0 + 1) }
        var responseCounts = [Int](repeating: 0, count: itemCount)
        var distinct: [ResponsePattern] = []
        var multiplicity: [Double] = []
        var indexOf: [ResponsePattern: Int] = [:]
        for pattern in patterns {
            if Set(pattern.items).count != pattern.items.count {
                var seen = Set<Int>()
                let repeated = pattern.items.first { !seen.insert($0).inserted } ?? 0
                throw CalibrationError.duplicateItem(item: repeated)
            }
            for (item, score) in zip(pattern.items, pattern.scores) {
                guard item >= 0, item < itemCount else { throw CalibrationError.unknownItem(item: item, itemCount: itemCount) }
                guard score >= 0, score <= maxScores[item] else {
                    throw CalibrationError.scoreOutOfRange(item: item, score: score, maxScore: maxScores[item])
                }
                scoreCounts[item][score] += 1
                responseCounts[item] += 1
            }
            guard pattern.count > 0 else { continue }
            if let index = indexOf[pattern] {
                multiplicity[index] += 1
            } else {
                indexOf[pattern] = distinct.count
                distinct.append(pattern)
                multiplicity.append(1)
            }
        }
        if let unseen = responseCounts.firstIndex(of: 0) { throw CalibrationError.noResponses(item: unseen) }
        indexOf = [:]

        // Quadrature: equally spaced nodes, N(0, 1) weights summing to 1.
        let nodeCount = max(options.quadraturePoints, 5)
        let nodes = (0 ..< nodeCount).map { -6 + 12 * Double($0) / Double(nodeCount - 1) }
        let rawLogWeights = nodes.map { -0.5 * $0 * $0 }
        let logNormaliser = Foundation.log(rawLogWeights.reduce(0) { $0 + Foundation.exp($1) })
        let logWeights = rawLogWeights.map { $0 - logNormaliser }

        // Item layout and kinds.
        var categoryOffsets: [Int] = []
        var categoryTotal = 0
        for maxScore in maxScores {
            categoryOffsets.append(categoryTotal)
            categoryTotal += maxScore + 1
        }
        let dichotomousKind: ParameterKind = options.dichotomousModel == .threePL ? .threePL : .twoPL
        let kinds: [ParameterKind] = maxScores.map { $0 == 1 ? dichotomousKind : ParameterKind.graded($0) }
        let onePL = options.dichotomousModel == .onePL
        let priors = Priors(discrimination: options.discriminationPrior, guessing: options.guessingPrior)
        let fitter = ItemFitter(nodes: nodes, priors: priors)

        // Starting values from the observed score proportions.
        var parameters: [[Double]] = (0 ..< itemCount).map { item in
            startingValues(kind: kinds[item], counts: scoreCounts[item], priors: priors)
        }

        // The E-step workspace.
        var cells: [Int32] = []
        var starts: [Int] = [0]
        cells.reserveCapacity(distinct.reduce(0) { $0 + $1.count })
        starts.reserveCapacity(distinct.count + 1)
        for pattern in distinct {
            for (item, score) in zip(pattern.items, pattern.scores) {
                cells.append(Int32(categoryOffsets[item] + score))
            }
            starts.append(cells.count)
        }
        distinct = []
        let workspace = EStepWorkspace(
            nodeCount: nodeCount, categoryCount: categoryTotal, logWeights: logWeights,
            cells: cells, starts: starts, multiplicity: multiplicity
        )

        func tabulate(_ parameters: [[Double]]) {
            for item in 0 ..< itemCount {
                fitter.fillLogProbabilities(
                    kind: kinds[item], parameters: parameters[item],
                    into: workspace.table + categoryOffsets[item] * nodeCount
                )
            }
        }

        func expectedCounts(_ item: Int) -> ItemCounts {
            let categories = maxScores[item] + 1
            let base = workspace.accumulators + categoryOffsets[item] * nodeCount
            let r = Array(UnsafeBufferPointer(start: base, count: categories * nodeCount))
            var n = [Double](repeating: 0, count: nodeCount)
            for k in 0 ..< categories {
                for q in 0 ..< nodeCount { n[q] += r[k * nodeCount + q] }
            }
            return ItemCounts(r: r, n: n)
        }

        let dichotomousItems = (0 ..< itemCount).filter { maxScores[$0] == 1 }
        // Every item right/wrong without guessing, every examinee answered every item: the
        // E-step can use the 2PL's sufficient statistics (EStepWorkspace.runLinear).
        let linear = options.usesSufficientStatistics && kinds.allSatisfy { $0 == .twoPL } && starts.indices.dropLast().allSatisfy { starts[$0 + 1] - starts[$0] == itemCount }
        if linear { workspace.nodes = nodes }

        /// The E-step at `current`: expected counts into the workspace, and the marginal
        /// log-likelihood.
        func expectation(_ current: [[Double]]) -> Double {
            guard linear else {
                tabulate(current)
                return workspace.run()
            }
            workspace.slopes = current.map { $0[0] }
            workspace.intercepts = current.map { $0[1] }
            for node in 0 ..< nodeCount {
                var value = logWeights[node]
                for item in 0 ..< itemCount {
                    // log Q = log σ(−z), computed stably.
                    let z = current[item][0] * nodes[node] + current[item][1]
                    value -= z > 0 ? z + Foundation.log1p(Foundation.exp(-z)) : Foundation.log1p(Foundation.exp(z))
                }
                workspace.linearBase[node] = value
            }
            return workspace.runLinear()
        }

        /// One EM cycle from `current`: the E-step at `current` (whose marginal log-likelihood
        /// it also returns) and the M-step from there.
        func emCycle(_ current: [[Double]]) -> (next: [[Double]], logLikelihood: Double) {
            let logLikelihood = expectation(current)
            let counts = (0 ..< itemCount).map(expectedCounts)
            var next = current
            for item in 0 ..< itemCount {
                if onePL, kinds[item] == .twoPL {
                    next[item] = fitter.maximize(
                        kind: .twoPL, start: current[item], counts: counts[item], free: [1], includeDiscriminationPrior: false
                    )
                } else {
                    next[item] = fitter.maximize(
                        kind: kinds[item], start: current[item], counts: counts[item],
                        free: Array(current[item].indices), includeDiscriminationPrior: true
                    )
                }
            }
            if onePL, !dichotomousItems.isEmpty {
                let common = fitter.maximizeCommonDiscrimination(
                    start: next[dichotomousItems[0]][0],
                    intercepts: dichotomousItems.map { next[$0][1] },
                    counts: dichotomousItems.map { counts[$0] }
                )
                for item in dichotomousItems { next[item][0] = common }
            }
            return (next, logLikelihood)
        }

        /// The largest change in a, the intercepts or c between two parameter sets.
        func change(_ old: [[Double]], _ new: [[Double]]) -> Double {
            var largest = 0.0
            for item in 0 ..< itemCount {
                for (x, y) in zip(comparable(kind: kinds[item], old[item]), comparable(kind: kinds[item], new[item])) {
                    largest = max(largest, abs(x - y))
                }
            }
            return largest
        }

        /// Whether extrapolated parameters are usable: finite, bounded, thresholds in order.
        func isValid(_ candidate: [[Double]]) -> Bool {
            (0 ..< itemCount).allSatisfy { ItemFitter.isFeasible(kind: kinds[$0], candidate[$0]) }
        }

        // EM accelerated by SQUAREM (Varadhan & Roland 2008, scheme S3): two EM cycles give the
        // direction r and curvature v, the parameters jump to x0 − 2αr + α²v, and one more EM
        // cycle from there keeps the step stable. A jump that lowers the likelihood below the
        // plain EM path, or leaves the valid region, is dropped for the plain EM result. The
        // convergence test is always on one plain EM cycle, as without acceleration.
        var iterations = 0
        var converged = false
        let limit = max(options.maxIterations, 1)
        while iterations < limit {
            let (x1, _) = emCycle(parameters)
            iterations += 1
            let first = change(parameters, x1)
            if !first.isFinite { break }
            if first < options.tolerance {
                parameters = x1
                converged = true
                break
            }
            guard iterations < limit else { parameters = x1; break }
            let (x2, logLikelihood1) = emCycle(x1)
            iterations += 1
            let second = change(x1, x2)
            if !second.isFinite { parameters = x1; break }
            if second < options.tolerance {
                parameters = x2
                converged = true
                break
            }
            var rNorm = 0.0
            var vNorm = 0.0
            for item in 0 ..< itemCount {
                for k in parameters[item].indices {
                    let r = x1[item][k] - parameters[item][k]
                    let v = x2[item][k] - 2 * x1[item][k] + parameters[item][k]
                    rNorm += r * r
                    vNorm += v * v
                }
            }
            let alpha = vNorm > 0 ? min(-1, -(rNorm / vNorm).squareRoot()) : -1
            var jumped = parameters
            for item in 0 ..< itemCount {
                for k in parameters[item].indices {
                    let r = x1[item][k] - parameters[item][k]
                    let v = x2[item][k] - 2 * x1[item][k] + parameters[item][k]
                    jumped[item][k] = parameters[item][k] - 2 * alpha * r + alpha * alpha * v
                }
            }
            guard alpha < -1, isValid(jumped), iterations < limit else {
                parameters = x2
                continue
            }
            let (stabilised, logLikelihoodJumped) = emCycle(jumped)
            iterations += 1
            if logLikelihoodJumped.isFinite, logLikelihoodJumped >= logLikelihood1, isValid(stabilised) {
                parameters = stabilised
            } else {
                parameters = x2
            }
        }

        // A last E-step at the final parameters: the log-likelihood, and the expected counts
        // whose information gives the standard errors.
        let logLikelihood = expectation(parameters)
        let finalCounts = (0 ..< itemCount).map(expectedCounts)

        var standardErrors: [[Double]] = (0 ..< itemCount).map { item in
            if onePL, kinds[item] == .twoPL { return [] }
            return fitter.standardErrors(kind: kinds[item], parameters: parameters[item], counts: finalCounts[item])
        }
        if onePL, !dichotomousItems.isEmpty {
            let errors = fitter.commonDiscriminationStandardErrors(
                parameters: dichotomousItems.map { parameters[$0] },
                counts: dichotomousItems.map { finalCounts[$0] }
            )
            for (position, item) in dichotomousItems.enumerated() { standardErrors[item] = errors[position] }
        } else if options.standardErrors == .crossProduct {
            tabulate(parameters)
            if let observed = fitter.crossProductStandardErrors(
                kinds: kinds, parameters: parameters, workspace: workspace
            ) {
                standardErrors = observed
            }
        }

        let items = (0 ..< itemCount).map { item in
            ItemCalibration(
                model: itemModel(kind: kinds[item], parameters[item]),
                standardErrors: standardErrors[item],
                responseCount: responseCounts[item]
            )
        }
        return CalibrationResult(items: items, logLikelihood: logLikelihood, iterations: iterations, converged: converged)
    }

    // MARK: - Parameters

    private static func startingValues(kind: ParameterKind, counts: [Double], priors: Priors) -> [Double] {
        let total = max(counts.reduce(0, +), 1)
        func logit(_ p: Double) -> Double {
            let q = min(max(p, 0.02), 0.98)
            return Foundation.log(q / (1 - q))
        }
        // With a = 1, P(correct) ≈ logistic(0.86·d) over N(0, 1); hence the 1.16.
        switch kind {
        case .twoPL:
            return [1, 1.16 * logit(counts[1] / total)]
        case .threePL:
            let mean = priors.guessing.alpha / max(priors.guessing.alpha + priors.guessing.beta, 1e-9)
            let c = min(max(mean, 0.05), 0.3)
            let p = counts[1] / total
            return [1, 1.16 * logit((p - c) / (1 - c)), Foundation.log(c / (1 - c))]
        case let .graded(maxScore):
            var x = [1.0]
            var atLeast = total
            for k in 1 ... maxScore {
                atLeast -= counts[k - 1]
                var d = 1.16 * logit(atLeast / total)
                if k > 1 { d = min(d, x[k - 1] - 0.2) }
                x.append(d)
            }
            return x
        }
    }

    /// The parameters compared for convergence: a, the intercepts, and c (not its logit).
    private static func comparable(kind: ParameterKind, _ x: [Double]) -> [Double] {
        guard kind == .threePL else { return x }
        return [x[0], x[1], logistic(x[2])]
    }

    private static func itemModel(kind: ParameterKind, _ x: [Double]) -> ItemModel {
        let a = x[0]
        switch kind {
        case .twoPL:
            return .dichotomous(DichotomousItem(discrimination: a, difficulty: -x[1] / a))
        case .threePL:
            return .dichotomous(DichotomousItem(discrimination: a, difficulty: -x[1] / a, guessing: logistic(x[2])))
        case .graded:
            return .graded(GradedItem(discrimination: a, thresholds: x.dropFirst().map { -$0 / a }))
        }
    }
}

// MARK: - Internals

private enum ParameterKind: Sendable, Equatable {
    /// x = [a, d].
    case twoPL
    /// x = [a, d, logit c].
    case threePL
    /// x = [a, d_1, …, d_m], d decreasing.
    case graded(Int)

    var categoryCount: Int {
        switch self {
        case .twoPL, .threePL: 2
        case let .graded(maxScore): maxScore + 1
        }
    }
}

private struct Priors: Sendable {
    var discrimination: (mean: Double, sd: Double)?
    var guessing: (alpha: Double, beta: Double)
}

/// One item's expected counts from the E-step: r[score * nodes + node], and n[node] = Σ_score r.
private struct ItemCounts: Sendable {
    var r: [Double]
    var n: [Double]
}

private struct Evaluation {
    var value: Double
    var gradient: [Double]
    /// Expected (Fisher) information of the complete-data log-likelihood, plus the priors'
    /// curvature; row-major p × p.
    var fisher: [Double]
}

private let tinyProbability = 1e-300

private struct ItemFitter: Sendable {
    let nodes: [Double]
    let priors: Priors

    // MARK: Log-probability table

    func fillLogProbabilities(kind: ParameterKind, parameters x: [Double], into base: UnsafeMutablePointer<Double>) {
        let count = nodes.count
        let a = x[0]
        switch kind {
        case .twoPL, .threePL:
            let c = kind == .threePL ? logistic(x[2]) : 0
            for q in 0 ..< count {
                let z = a * nodes[q] + x[1]
                let p1 = c + (1 - c) * logistic(z)
                let p0 = (1 - c) * logistic(-z)
                base[q] = Foundation.log(max(p0, tinyProbability))
                base[count + q] = Foundation.log(max(p1, tinyProbability))
            }
        case let .graded(maxScore):
            for q in 0 ..< count {
                let theta = nodes[q]
                // Upper (s) and lower (1 − s) cumulative probabilities of "score ≥ k".
                var upperS = 1.0
                var upperC = 0.0
                for k in 0 ... maxScore {
                    let nextS: Double
                    let nextC: Double
                    if k == maxScore {
                        nextS = 0
                        nextC = 1
                    } else {
                        let z = a * theta + x[k + 1]
                        nextS = logistic(z)
                        nextC = logistic(-z)
                    }
                    let p = upperS > 0.5 ? nextC - upperC : upperS - nextS
                    base[k * count + q] = Foundation.log(max(p, tinyProbability))
                    upperS = nextS
                    upperC = nextC
                }
            }
        }
    }

    // MARK: Objective

    /// The expected complete-data log-likelihood of one item (plus log priors), its gradient
    /// and information; nil where the parameters are infeasible.
    /// Parameters the model can be evaluated at: finite, within ±60, graded intercepts
    /// strictly decreasing (so the thresholds increase).
    static func isFeasible(kind: ParameterKind, _ x: [Double]) -> Bool {
        if x.contains(where: { !$0.isFinite || abs($0) > 60 }) { return false }
        if case let .graded(maxScore) = kind {
            for k in 1 ..< maxScore where x[k] <= x[k + 1] { return false }
        }
        return true
    }

    func evaluate(kind: ParameterKind, _ x: [Double], counts: ItemCounts, includeDiscriminationPrior: Bool) -> Evaluation? {
        let p = x.count
        guard Self.isFeasible(kind: kind, x) else { return nil }
        let a = x[0]
        if abs(a) > 30 { return nil }
        let usePrior = includeDiscriminationPrior && priors.discrimination != nil
        if usePrior, a <= 0 { return nil }
        let count = nodes.count
        var value = 0.0
        var gradient = [Double](repeating: 0, count: p)
        var fisher = [Double](repeating: 0, count: p * p)
        let r = counts.r
        let n = counts.n

        switch kind {
        case .twoPL, .threePL:
            let three = kind == .threePL
            let c = three ? logistic(x[2]) : 0
            for q in 0 ..< count {
                let theta = nodes[q]
                let z = a * theta + x[1]
                let l = logistic(z)
                let lc = logistic(-z)
                let p1 = max(c + (1 - c) * l, tinyProbability)
                let p0 = max((1 - c) * lc, tinyProbability)
                let r0 = r[q]
                let r1 = r[count + q]
                value += r1 * Foundation.log(p1) + r0 * Foundation.log(p0)
                let w = (1 - c) * l * lc
                let d0 = w * theta
                let d1 = w
                let d2 = three ? lc * c * (1 - c) : 0
                let residual = r1 / p1 - r0 / p0
                let f = n[q] * (1 / p1 + 1 / p0)
                gradient[0] += residual * d0
                gradient[1] += residual * d1
                fisher[0] += f * d0 * d0
                fisher[1] += f * d0 * d1
                fisher[p + 1] += f * d1 * d1
                if three {
                    gradient[2] += residual * d2
                    fisher[2] += f * d0 * d2
                    fisher[p + 2] += f * d1 * d2
                    fisher[2 * p + 2] += f * d2 * d2
                }
            }
            fisher[p] = fisher[1]
            if three {
                fisher[2 * p] = fisher[2]
                fisher[2 * p + 1] = fisher[p + 2]
                let alpha = priors.guessing.alpha
                let beta = priors.guessing.beta
                value += (alpha - 1) * Foundation.log(max(c, tinyProbability)) + (beta - 1) * Foundation.log(max(1 - c, tinyProbability))
                gradient[2] += (alpha - 1) * (1 - c) - (beta - 1) * c
                fisher[2 * p + 2] += max(alpha + beta - 2, 0) * c * (1 - c)
            }
        case let .graded(maxScore):
            // Sparse derivative of P_k: index 0 (a), k (d_k), k + 1 (d_{k+1}).
            var indexes = [0, 0, 0]
            var derivative = [0.0, 0.0, 0.0]
            for q in 0 ..< count {
                let theta = nodes[q]
                var upperS = 1.0
                var upperC = 0.0
                var upperW = 0.0
                for k in 0 ... maxScore {
                    let nextS: Double
                    let nextC: Double
                    if k == maxScore {
                        nextS = 0
                        nextC = 1
                    } else {
                        let z = a * theta + x[k + 1]
                        nextS = logistic(z)
                        nextC = logistic(-z)
                    }
                    let nextW = nextS * nextC
                    let probability = max(upperS > 0.5 ? nextC - upperC : upperS - nextS, tinyProbability)
                    let rk = r[k * count + q]
                    value += rk * Foundation.log(probability)
                    var used = 1
                    indexes[0] = 0
                    derivative[0] = (upperW - nextW) * theta
                    if k >= 1 {
                        indexes[used] = k
                        derivative[used] = upperW
                        used += 1
                    }
                    if k < maxScore {
                        indexes[used] = k + 1
                        derivative[used] = -nextW
                        used += 1
                    }
                    let scale = rk / probability
                    let weight = n[q] / probability
                    for i in 0 ..< used {
                        gradient[indexes[i]] += scale * derivative[i]
                        for j in 0 ..< used {
                            fisher[indexes[i] * p + indexes[j]] += weight * derivative[i] * derivative[j]
                        }
                    }
                    upperS = nextS
                    upperC = nextC
                    upperW = nextW
                }
            }
        }

        if usePrior, let prior = priors.discrimination {
            let logA = Foundation.log(a)
            let variance = max(prior.sd * prior.sd, 1e-12)
            value += -(logA - prior.mean) * (logA - prior.mean) / (2 * variance) - logA
            gradient[0] += -(logA - prior.mean) / (variance * a) - 1 / a
            fisher[0] += 1 / (variance * a * a)
        }
        guard value.isFinite else { return nil }
        return Evaluation(value: value, gradient: gradient, fisher: fisher)
    }

    // MARK: Maximisation

    /// A few Fisher-scoring steps with step halving on the coordinates in `free`.
    func maximize(
        kind: ParameterKind, start: [Double], counts: ItemCounts, free: [Int], includeDiscriminationPrior: Bool, steps: Int = 4
    ) -> [Double] {
        var x = start
        guard var current = evaluate(kind: kind, x, counts: counts, includeDiscriminationPrior: includeDiscriminationPrior) else {
            return x
        }
        let p = x.count
        let k = free.count
        for _ in 0 ..< steps {
            let gradient = free.map { current.gradient[$0] }
            var information = [Double](repeating: 0, count: k * k)
            for i in 0 ..< k {
                for j in 0 ..< k { information[i * k + j] = current.fisher[free[i] * p + free[j]] }
            }
            guard var delta = solveSymmetricPositive(information, gradient, size: k) else { break }
            let largest = delta.reduce(0) { max($0, abs($1)) }
            guard largest.isFinite else { break }
            if largest > 1 { delta = delta.map { $0 / largest } }
            var step = 1.0
            var accepted = false
            for _ in 0 ..< 20 {
                var trial = x
                for i in 0 ..< k { trial[free[i]] += step * delta[i] }
                if let next = evaluate(kind: kind, trial, counts: counts, includeDiscriminationPrior: includeDiscriminationPrior),
                   next.value >= current.value
                {
                    x = trial
                    current = next
                    accepted = true
                    break
                }
                step *= 0.5
            }
            if !accepted || step * min(largest, 1) < 1e-9 { break }
        }
        return x
    }

    /// The 1PL's shared discrimination: one-dimensional Fisher scoring over all right/wrong
    /// items (intercepts held), with the discrimination prior counted once.
    func maximizeCommonDiscrimination(start: Double, intercepts: [Double], counts: [ItemCounts], steps: Int = 4) -> Double {
        func total(_ a: Double) -> (value: Double, gradient: Double, information: Double)? {
            var value = 0.0
            var gradient = 0.0
            var information = 0.0
            for (d, itemCounts) in zip(intercepts, counts) {
                guard let e = evaluate(kind: .twoPL, [a, d], counts: itemCounts, includeDiscriminationPrior: false) else { return nil }
                value += e.value
                gradient += e.gradient[0]
                information += e.fisher[0]
            }
            if let prior = priors.discrimination {
                guard a > 0 else { return nil }
                let logA = Foundation.log(a)
                let variance = max(prior.sd * prior.sd, 1e-12)
                value += -(logA - prior.mean) * (logA - prior.mean) / (2 * variance) - logA
                gradient += -(logA - prior.mean) / (variance * a) - 1 / a
                information += 1 / (variance * a * a)
            }
            return (value, gradient, information)
        }
        var a = start
        guard var current = total(a) else { return a }
        for _ in 0 ..< steps {
            guard current.information > 0 else { break }
            var delta = current.gradient / current.information
            guard delta.isFinite else { break }
            if abs(delta) > 1 { delta = delta > 0 ? 1 : -1 }
            var step = 1.0
            var accepted = false
            for _ in 0 ..< 20 {
                if let next = total(a + step * delta), next.value >= current.value {
                    a += step * delta
                    current = next
                    accepted = true
                    break
                }
                step *= 0.5
            }
            if !accepted || abs(step * delta) < 1e-9 { break }
        }
        return a
    }

    // MARK: Standard errors

    /// Standard errors from the inverse of the complete-data information (the negative Hessian
    /// of the expected complete-data log-likelihood with the expected counts held fixed, by
    /// central differences of the analytic gradient), falling back on the Fisher information;
    /// b by the delta method. This is the classic Bock–Aitkin error: it leaves out the
    /// information lost to not knowing each examinee's ability, so it is somewhat too small
    /// (a few per cent on complete tests, more on sparse adaptive data). The observed-data
    /// information (Louis's formula or the cross-product of per-pattern scores) is the fix.
    func standardErrors(kind: ParameterKind, parameters x: [Double], counts: ItemCounts) -> [Double] {
        let p = x.count
        guard let centre = evaluate(kind: kind, x, counts: counts, includeDiscriminationPrior: true) else {
            return [Double](repeating: .nan, count: p)
        }
        var observed: [Double]? = [Double](repeating: 0, count: p * p)
        for j in 0 ..< p {
            let h = 1e-5 * max(1, abs(x[j]))
            var plus = x
            var minus = x
            plus[j] += h
            minus[j] -= h
            guard let up = evaluate(kind: kind, plus, counts: counts, includeDiscriminationPrior: true),
                  let down = evaluate(kind: kind, minus, counts: counts, includeDiscriminationPrior: true)
            else {
                observed = nil
                break
            }
            for i in 0 ..< p { observed?[i * p + j] = -(up.gradient[i] - down.gradient[i]) / (2 * h) }
        }
        var covariance: [Double]?
        if var information = observed {
            for i in 0 ..< p {
                for j in 0 ..< i {
                    let mean = 0.5 * (information[i * p + j] + information[j * p + i])
                    information[i * p + j] = mean
                    information[j * p + i] = mean
                }
            }
            covariance = invertSymmetricPositive(information, size: p)
        }
        if covariance == nil { covariance = invertSymmetricPositive(centre.fisher, size: p) }
        guard let v = covariance else { return [Double](repeating: .nan, count: p) }
        return errors(kind: kind, parameters: x, covariance: v)
    }

    /// The reported errors (a, then b or the thresholds, then c) from the covariance of the
    /// internal parameters (a, intercepts, logit c): b = −d/a by the delta method.
    func errors(kind: ParameterKind, parameters x: [Double], covariance v: [Double]) -> [Double] {
        let p = x.count
        let a = x[0]
        func difficultyError(_ index: Int) -> Double {
            // b = −d/a: ∂b/∂a = d/a², ∂b/∂d = −1/a.
            let ga = x[index] / (a * a)
            let gd = -1 / a
            let variance = ga * ga * v[0] + 2 * ga * gd * v[index] + gd * gd * v[index * p + index]
            return max(variance, 0).squareRoot()
        }
        var errors = [max(v[0], 0).squareRoot()]
        switch kind {
        case .twoPL:
            errors.append(difficultyError(1))
        case .threePL:
            errors.append(difficultyError(1))
            let c = logistic(x[2])
            errors.append(c * (1 - c) * max(v[2 * p + 2], 0).squareRoot())
        case let .graded(maxScore):
            for k in 1 ... maxScore { errors.append(difficultyError(k)) }
        }
        return errors
    }

    /// Standard errors from the observed-data information, estimated by the cross-product of
    /// the examinees' score vectors (Σ sᵢsᵢᵀ, with sᵢ the gradient of examinee i's marginal
    /// log-likelihood: for each item they answered, ∂ log P(score | θ) averaged over their
    /// posterior), plus the priors' curvature, inverted whole so the uncertainty in every
    /// examinee's ability is carried into every item's error. Beyond 20,000 distinct
    /// response patterns a fixed systematic sample of 20,000 is used, scaled to the total,
    /// to bound the cost. nil when the matrix cannot be inverted (the caller keeps the
    /// complete-data errors). The workspace's table must hold the final log-probabilities.
    func crossProductStandardErrors(
        kinds: [ParameterKind], parameters: [[Double]], workspace: EStepWorkspace
    ) -> [[Double]]? {
        let itemCount = kinds.count
        let nodeCount = nodes.count
        var parameterOffsets: [Int] = []
        var total = 0
        for item in 0 ..< itemCount {
            parameterOffsets.append(total)
            total += parameters[item].count
        }
        // Per category (item and score), per parameter of the item, per node: ∂ log P / ∂ parameter.
        var categoryItem: [Int] = []
        var derivatives: [[Double]] = []
        for item in 0 ..< itemCount {
            let x = parameters[item]
            let p = x.count
            let a = x[0]
            switch kinds[item] {
            case .twoPL, .threePL:
                let three = kinds[item] == .threePL
                let c = three ? logistic(x[2]) : 0
                var right = [Double](repeating: 0, count: nodeCount * p)
                var wrong = [Double](repeating: 0, count: nodeCount * p)
                for q in 0 ..< nodeCount {
                    let theta = nodes[q]
                    let z = a * theta + x[1]
                    let l = logistic(z)
                    let lc = logistic(-z)
                    let p1 = max(c + (1 - c) * l, tinyProbability)
                    let p0 = max((1 - c) * lc, tinyProbability)
                    // ∂P1/∂z = (1 − c)·l·lc; ∂P1/∂γ (c = σ(γ)) = c(1 − c)·lc.
                    let dz = (1 - c) * l * lc
                    let gradientP1 = three ? [dz * theta, dz, c * (1 - c) * lc] : [dz * theta, dz]
                    for r in 0 ..< p {
                        right[r * nodeCount + q] = gradientP1[r] / p1
                        wrong[r * nodeCount + q] = -gradientP1[r] / p0
                    }
                }
                derivatives.append(wrong)
                derivatives.append(right)
                categoryItem.append(contentsOf: [item, item])
            case let .graded(maxScore):
                for k in 0 ... maxScore {
                    var table = [Double](repeating: 0, count: nodeCount * p)
                    for q in 0 ..< nodeCount {
                        let theta = nodes[q]
                        // P_k = S_k − S_{k+1}, S_j = σ(aθ + x[j]) for 1 ≤ j ≤ m, S_0 = 1, S_{m+1} = 0.
                        func cumulative(_ j: Int) -> (value: Double, slope: Double) {
                            if j == 0 { return (1, 0) }
                            if j > maxScore { return (0, 0) }
                            let z = a * theta + x[j]
                            let value = logistic(z)
                            return (value, value * logistic(-z))
                        }
                        let lower = cumulative(k)
                        let upper = cumulative(k + 1)
                        let probability = max(lower.value - upper.value, tinyProbability)
                        table[q] = theta * (lower.slope - upper.slope) / probability
                        if k >= 1 { table[k * nodeCount + q] += lower.slope / probability }
                        if k + 1 <= maxScore { table[(k + 1) * nodeCount + q] -= upper.slope / probability }
                    }
                    derivatives.append(table)
                    categoryItem.append(item)
                }
            }
        }

        let patternCount = workspace.patternCount
        let stride = max(1, (patternCount + 19_999) / 20_000)
        // Flat copies for the hot loop: each category's derivative table at its offset.
        var derivativeOffsets: [Int] = []
        var flat: [Double] = []
        for table in derivatives {
            derivativeOffsets.append(flat.count)
            flat.append(contentsOf: table)
        }
        let parameterCounts = parameters.map(\.count)
        var information = [Double](repeating: 0, count: total * total)
        var posterior = [Double](repeating: 0, count: nodeCount)
        let longest = (0 ..< patternCount).reduce(0) { max($0, workspace.starts[$1 + 1] - workspace.starts[$1]) }
        let widest = parameterCounts.max() ?? 1
        var indexes = [Int](repeating: 0, count: longest * widest)
        var scores = [Double](repeating: 0, count: longest * widest)
        // Runs of consecutive parameter indexes (start in `scores`, length, first index), so the
        // outer product's inner loop is contiguous and vectorises.
        var runs: [(start: Int, length: Int, index: Int)] = []
        var sampledWeight = 0.0
        var totalWeight = 0.0
        flat.withUnsafeBufferPointer { derivative in
            information.withUnsafeMutableBufferPointer { matrix in
                posterior.withUnsafeMutableBufferPointer { post in
                    indexes.withUnsafeMutableBufferPointer { index in
                        scores.withUnsafeMutableBufferPointer { score in
                            for pattern in 0 ..< patternCount {
                                totalWeight += workspace.multiplicity[pattern]
                                guard pattern % stride == 0 else { continue }
                                let weight = workspace.multiplicity[pattern]
                                sampledWeight += weight
                                let start = workspace.starts[pattern]
                                let end = workspace.starts[pattern + 1]
                                // The examinee's posterior over the nodes.
                                for q in 0 ..< nodeCount { post[q] = workspace.logWeights[q] }
                                for cell in start ..< end {
                                    let row = workspace.table + Int(workspace.cells[cell]) * nodeCount
                                    for q in 0 ..< nodeCount { post[q] += row[q] }
                                }
                                var largest = -Double.infinity
                                for q in 0 ..< nodeCount { largest = max(largest, post[q]) }
                                var sum = 0.0
                                for q in 0 ..< nodeCount {
                                    post[q] = Foundation.exp(post[q] - largest)
                                    sum += post[q]
                                }
                                let normaliser = 1 / sum
                                // The score vector over the parameters of the items answered.
                                var count = 0
                                runs.removeAll(keepingCapacity: true)
                                for cell in start ..< end {
                                    let category = Int(workspace.cells[cell])
                                    let item = categoryItem[category]
                                    let p = parameterCounts[item]
                                    let base = derivativeOffsets[category]
                                    for r in 0 ..< p {
                                        // The posterior mean of the derivative, four nodes at a time.
                                        let column = derivative.baseAddress! + (base &+ r &* nodeCount)
                                        let weights = post.baseAddress!
                                        var partial = SIMD4<Double>(repeating: 0)
                                        var q = 0
                                        while q &+ 4 <= nodeCount {
                                            partial += UnsafeRawPointer(weights + q).loadUnaligned(as: SIMD4<Double>.self)
                                                * UnsafeRawPointer(column + q).loadUnaligned(as: SIMD4<Double>.self)
                                            q &+= 4
                                        }
                                        var value = partial.sum()
                                        while q < nodeCount {
                                            value += weights[q] * column[q]
                                            q &+= 1
                                        }
                                        index[count + r] = parameterOffsets[item] + r
                                        score[count + r] = value * normaliser
                                    }
                                    if let last = runs.last, last.index + last.length == parameterOffsets[item] {
                                        runs[runs.count - 1].length += p
                                    } else {
                                        runs.append((start: count, length: p, index: parameterOffsets[item]))
                                    }
                                    count += p
                                }
                                // w·s·sᵀ, one triangle (each pair of positions once), over the
                                // runs, four at a time.
                                let scorePointer = score.baseAddress!
                                let matrixPointer = matrix.baseAddress!
                                for (runNumber, first) in runs.enumerated() {
                                    for i in first.start ..< (first.start &+ first.length) {
                                        let row = matrixPointer + (index[i] &* total)
                                        let scaled = weight * scorePointer[i]
                                        let broadcast = SIMD4<Double>(repeating: scaled)
                                        for runIndex in runNumber ..< runs.count {
                                            let run = runs[runIndex]
                                            // Within i's own run, from i on.
                                            let from = runIndex == runNumber ? i &- run.start : 0
                                            let target = row + (run.index &+ from)
                                            let source = scorePointer + (run.start &+ from)
                                            let length = run.length &- from
                                            var t = 0
                                            while t &+ 4 <= length {
                                                let sum = UnsafeRawPointer(target + t).loadUnaligned(as: SIMD4<Double>.self)
                                                    + broadcast * UnsafeRawPointer(source + t).loadUnaligned(as: SIMD4<Double>.self)
                                                UnsafeMutableRawPointer(target + t).storeBytes(of: sum, as: SIMD4<Double>.self)
                                                t &+= 4
                                            }
                                            while t < length {
                                                target[t] += scaled * source[t]
                                                t &+= 1
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        guard sampledWeight > 0 else { return nil }
        let scale = totalWeight / sampledWeight
        // Each pair was added once, at [first, second] in pattern order: fold the two
        // triangles together and mirror.
        for i in 0 ..< total {
            for j in 0 ..< i {
                let sum = (information[i * total + j] + information[j * total + i]) * scale
                information[i * total + j] = sum
                information[j * total + i] = sum
            }
            information[i * total + i] *= scale
        }
        // The priors' curvature, item by item.
        for item in 0 ..< itemCount {
            let p = parameters[item].count
            let categories: Int = if case let .graded(maxScore) = kinds[item] { maxScore + 1 } else { 2 }
            let empty = ItemCounts(r: [Double](repeating: 0, count: categories * nodeCount), n: [Double](repeating: 0, count: nodeCount))
            guard let prior = evaluate(kind: kinds[item], parameters[item], counts: empty, includeDiscriminationPrior: true) else { return nil }
            let offset = parameterOffsets[item]
            for i in 0 ..< p { for j in 0 ..< p { information[(offset + i) * total + offset + j] += prior.fisher[i * p + j] } }
        }
        guard let covariance = invertSymmetricPositive(information, size: total) else { return nil }
        return (0 ..< itemCount).map { item in
            let p = parameters[item].count
            let offset = parameterOffsets[item]
            var block = [Double](repeating: 0, count: p * p)
            for i in 0 ..< p { for j in 0 ..< p { block[i * p + j] = covariance[(offset + i) * total + offset + j] } }
            return errors(kind: kinds[item], parameters: parameters[item], covariance: block)
        }
    }

    /// 1PL standard errors: the information matrix over (a, d_1, …, d_n) is an arrowhead (the
    /// intercepts are linked only through a), inverted through the Schur complement of a. For
    /// the logistic 2PL form observed and expected information coincide.
    func commonDiscriminationStandardErrors(parameters: [[Double]], counts: [ItemCounts]) -> [[Double]] {
        let nanRow = [Double.nan, .nan]
        let a = parameters.first?[0] ?? 1
        var infoAA = 0.0
        var infoAD: [Double] = []
        var infoDD: [Double] = []
        for (x, itemCounts) in zip(parameters, counts) {
            guard let e = evaluate(kind: .twoPL, x, counts: itemCounts, includeDiscriminationPrior: false) else {
                return parameters.map { _ in nanRow }
            }
            infoAA += e.fisher[0]
            infoAD.append(e.fisher[1])
            infoDD.append(e.fisher[3])
        }
        if let prior = priors.discrimination, a > 0 {
            // −(d²/da²) of the lognormal log-density.
            let variance = max(prior.sd * prior.sd, 1e-12)
            let logA = Foundation.log(a)
            infoAA += (1 - (logA - prior.mean)) / (variance * a * a) - 1 / (a * a)
        }
        var schur = infoAA
        for (ad, dd) in zip(infoAD, infoDD) {
            guard dd > 0 else { return parameters.map { _ in nanRow } }
            schur -= ad * ad / dd
        }
        guard schur > 0 else { return parameters.map { _ in nanRow } }
        let varianceA = 1 / schur
        var rows: [[Double]] = []
        for (index, x) in parameters.enumerated() {
            let ad = infoAD[index]
            let dd = infoDD[index]
            let covarianceAD = -ad / (dd * schur)
            let varianceD = 1 / dd + ad * ad / (dd * dd * schur)
            let ga = x[1] / (a * a)
            let gd = -1 / a
            let varianceB = ga * ga * varianceA + 2 * ga * gd * covarianceAD + gd * gd * varianceD
            rows.append([varianceA.squareRoot(), max(varianceB, 0).squareRoot()])
        }
        return rows
    }
}

// MARK: - Small dense linear algebra

/// Cholesky factor (lower, row-major) of a symmetric positive-definite matrix, nil if not.
private func choleskyFactor(_ matrix: [Double], size n: Int) -> [Double]? {
    var l = [Double](repeating: 0, count: n * n)
    for i in 0 ..< n {
        for j in 0 ... i {
            var sum = matrix[i * n + j]
            for k in 0 ..< j { sum -= l[i * n + k] * l[j * n + k] }
            if i == j {
                guard sum > 0, sum.isFinite else { return nil }
                l[i * n + i] = sum.squareRoot()
            } else {
                l[i * n + j] = sum / l[j * n + j]
            }
        }
    }
    return l
}

private func choleskySolve(_ l: [Double], _ b: [Double], size n: Int) -> [Double] {
    var y = b
    for i in 0 ..< n {
        var sum = y[i]
        for k in 0 ..< i { sum -= l[i * n + k] * y[k] }
        y[i] = sum / l[i * n + i]
    }
    var x = y
    for i in stride(from: n - 1, through: 0, by: -1) {
        var sum = x[i]
        for k in (i + 1) ..< n { sum -= l[k * n + i] * x[k] }
        x[i] = sum / l[i * n + i]
    }
    return x
}

/// Solves A·x = b for a symmetric positive-(semi)definite A, adding a growing ridge if needed.
private func solveSymmetricPositive(_ matrix: [Double], _ b: [Double], size n: Int) -> [Double]? {
    guard n > 0 else { return nil }
    var largestDiagonal = 0.0
    for i in 0 ..< n { largestDiagonal = max(largestDiagonal, abs(matrix[i * n + i])) }
    var ridge = 0.0
    for _ in 0 ..< 12 {
        var a = matrix
        for i in 0 ..< n { a[i * n + i] += ridge }
        if let l = choleskyFactor(a, size: n) { return choleskySolve(l, b, size: n) }
        ridge = ridge == 0 ? 1e-10 * max(largestDiagonal, 1) : ridge * 10
    }
    return nil
}

/// The inverse of a symmetric positive-definite matrix, nil if it is not.
private func invertSymmetricPositive(_ matrix: [Double], size n: Int) -> [Double]? {
    guard let l = choleskyFactor(matrix, size: n) else { return nil }
    var inverse = [Double](repeating: 0, count: n * n)
    for j in 0 ..< n {
        var unit = [Double](repeating: 0, count: n)
        unit[j] = 1
        let column = choleskySolve(l, unit, size: n)
        for i in 0 ..< n { inverse[i * n + j] = column[i] }
    }
    return inverse
}

// MARK: - E-step

/// Buffers of the E-step, allocated once per calibration. Chunks write only their own slices
/// of `accumulators`, `scratch` and `chunkLogLikelihoods`; hence the unchecked Sendable.
private final class EStepWorkspace: @unchecked Sendable {
    let nodeCount: Int
    let categoryCount: Int
    let patternCount: Int
    let chunkCount: Int
    let chunkSize: Int
    let logWeights: UnsafeMutablePointer<Double>
    /// log P(score | node) at [category * nodeCount + node]; the caller fills it.
    let table: UnsafeMutablePointer<Double>
    let cells: UnsafeMutablePointer<Int32>
    let cellCount: Int
    let starts: UnsafeMutablePointer<Int>
    let multiplicity: UnsafeMutablePointer<Double>
    /// Per chunk, categoryCount × nodeCount; after `run`, the first slice holds the totals.
    let accumulators: UnsafeMutablePointer<Double>
    let scratch: UnsafeMutablePointer<Double>
    let chunkLogLikelihoods: UnsafeMutablePointer<Double>
    /// The right/wrong fast path (see `runLinear`): per chunk, the summed posterior.
    let totals: UnsafeMutablePointer<Double>
    /// For the fast path: the base log-posterior per node, and per item the slope and intercept.
    let linearBase: UnsafeMutablePointer<Double>
    var slopes: [Double] = []
    var intercepts: [Double] = []
    var nodes: [Double] = []

    init(nodeCount: Int, categoryCount: Int, logWeights: [Double], cells: [Int32], starts: [Int], multiplicity: [Double]) {
        self.nodeCount = nodeCount
        self.categoryCount = categoryCount
        patternCount = multiplicity.count
        // A fixed chunking (not the core count) keeps the summation order, and so the result,
        // the same on every machine.
        let chunks = max(1, min(32, multiplicity.count / 64))
        chunkCount = chunks
        chunkSize = (multiplicity.count + chunks - 1) / chunks
        let weightBuffer = UnsafeMutablePointer<Double>.allocate(capacity: nodeCount)
        weightBuffer.initialize(repeating: 0, count: nodeCount)
        for (index, value) in logWeights.prefix(nodeCount).enumerated() { weightBuffer[index] = value }
        self.logWeights = weightBuffer
        let tableBuffer = UnsafeMutablePointer<Double>.allocate(capacity: categoryCount * nodeCount)
        tableBuffer.initialize(repeating: 0, count: categoryCount * nodeCount)
        table = tableBuffer
        cellCount = cells.count
        let cellBuffer = UnsafeMutablePointer<Int32>.allocate(capacity: max(cells.count, 1))
        cellBuffer.initialize(repeating: 0, count: max(cells.count, 1))
        for (index, value) in cells.enumerated() { cellBuffer[index] = value }
        self.cells = cellBuffer
        let startBuffer = UnsafeMutablePointer<Int>.allocate(capacity: max(starts.count, 1))
        startBuffer.initialize(repeating: 0, count: max(starts.count, 1))
        for (index, value) in starts.enumerated() { startBuffer[index] = value }
        self.starts = startBuffer
        let multiplicityBuffer = UnsafeMutablePointer<Double>.allocate(capacity: max(multiplicity.count, 1))
        multiplicityBuffer.initialize(repeating: 0, count: max(multiplicity.count, 1))
        for (index, value) in multiplicity.enumerated() { multiplicityBuffer[index] = value }
        self.multiplicity = multiplicityBuffer
        let accumulatorBuffer = UnsafeMutablePointer<Double>.allocate(capacity: chunks * categoryCount * nodeCount)
        accumulatorBuffer.initialize(repeating: 0, count: chunks * categoryCount * nodeCount)
        accumulators = accumulatorBuffer
        let scratchBuffer = UnsafeMutablePointer<Double>.allocate(capacity: chunks * nodeCount)
        scratchBuffer.initialize(repeating: 0, count: chunks * nodeCount)
        scratch = scratchBuffer
        let logLikelihoodBuffer = UnsafeMutablePointer<Double>.allocate(capacity: chunks)
        logLikelihoodBuffer.initialize(repeating: 0, count: chunks)
        chunkLogLikelihoods = logLikelihoodBuffer
        let totalsBuffer = UnsafeMutablePointer<Double>.allocate(capacity: chunks * nodeCount)
        totalsBuffer.initialize(repeating: 0, count: chunks * nodeCount)
        totals = totalsBuffer
        let baseBuffer = UnsafeMutablePointer<Double>.allocate(capacity: nodeCount)
        baseBuffer.initialize(repeating: 0, count: nodeCount)
        linearBase = baseBuffer
    }

    deinit {
        logWeights.deallocate()
        table.deallocate()
        cells.deallocate()
        starts.deallocate()
        multiplicity.deallocate()
        accumulators.deallocate()
        scratch.deallocate()
        chunkLogLikelihoods.deallocate()
        totals.deallocate()
        linearBase.deallocate()
    }

    /// The E-step when every item is right/wrong under the 2PL (or 1PL) and every examinee
    /// answered every item. Then log P(pattern | θ) = Σ_i log Q_i(θ) + θ·Σ_right a_i + Σ_right d_i:
    /// the first sum is the same for everyone, so each examinee's posterior costs two sums
    /// over their right answers and one pass over the nodes, instead of a pass over the nodes
    /// per item. Expected counts of right answers are accumulated per item as before; those
    /// of wrong answers follow as the summed posterior minus them.
    ///
    /// The caller sets `linearBase` (log weight + Σ_i log Q_i per node), `slopes`, `intercepts`
    /// and `nodes`. Category rows are laid out 2·item (wrong) and 2·item + 1 (right).
    func runLinear() -> Double {
        let logLikelihood = runChunks(runLinearChunk)
        let q = nodeCount
        for chunk in 1 ..< max(chunkCount, 1) {
            let sourceTotals = totals + chunk * q
            for node in 0 ..< q { totals[node] += sourceTotals[node] }
        }
        let items = categoryCount / 2
        for item in 0 ..< items {
            let wrong = accumulators + 2 * item * q
            let right = wrong + q
            for node in 0 ..< q { wrong[node] = totals[node] - right[node] }
        }
        return logLikelihood
    }

    /// Runs `chunkBody` for every chunk (on all cores), then sums the chunks' expected counts
    /// into the first slice in chunk order and returns the summed log-likelihood.
    private func runChunks(_ chunkBody: @Sendable (Int) -> Void) -> Double {
        if chunkCount == 1 {
            chunkBody(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in chunkBody(chunk) }
        }
        let size = categoryCount * nodeCount
        var logLikelihood = chunkLogLikelihoods[0]
        for chunk in 1 ..< max(chunkCount, 1) {
            let source = accumulators + chunk * size
            for j in 0 ..< size { accumulators[j] += source[j] }
            logLikelihood += chunkLogLikelihoods[chunk]
        }
        return logLikelihood
    }

    private func runLinearChunk(_ chunk: Int) {
        let q = nodeCount
        let base = linearBase
        let cells = self.cells
        let starts = self.starts
        let multiplicity = self.multiplicity
        let size = categoryCount * q
        let accumulator = accumulators + chunk * size
        accumulator.update(repeating: 0, count: size)
        let total = totals + chunk * q
        total.update(repeating: 0, count: q)
        let posterior = scratch + chunk * q
        let lower = chunk * chunkSize
        let upper = min(patternCount, lower + chunkSize)
        var logLikelihood = 0.0
        slopes.withUnsafeBufferPointer { slopes in
            intercepts.withUnsafeBufferPointer { intercepts in
                nodes.withUnsafeBufferPointer { nodes in
                    var u = lower
                    while u < upper {
                        let first = starts[u]
                        let end = starts[u + 1]
                        var slopeSum = 0.0
                        var interceptSum = 0.0
                        var t = first
                        while t < end {
                            let cell = Int(cells[t])
                            if cell & 1 == 1 {
                                slopeSum += slopes[cell >> 1]
                                interceptSum += intercepts[cell >> 1]
                            }
                            t += 1
                        }
                        var largest = -Double.infinity
                        for node in 0 ..< q {
                            let value = base[node] + nodes[node] * slopeSum + interceptSum
                            posterior[node] = value
                            if value > largest { largest = value }
                        }
                        var sum = 0.0
                        for node in 0 ..< q {
                            let value = Foundation.exp(posterior[node] - largest)
                            posterior[node] = value
                            sum += value
                        }
                        let weight = multiplicity[u]
                        logLikelihood += weight * (largest + Foundation.log(sum))
                        let scale = weight / sum
                        for node in 0 ..< q { total[node] += scale * posterior[node] }
                        t = first
                        while t < end {
                            let cell = Int(cells[t])
                            if cell & 1 == 1 {
                                let row = accumulator + cell * q
                                for node in 0 ..< q { row[node] += scale * posterior[node] }
                            }
                            t += 1
                        }
                        u += 1
                    }
                }
            }
        }
        chunkLogLikelihoods[chunk] = logLikelihood
    }

    /// Expected counts into `accumulators[0 ..< categoryCount * nodeCount]`; returns the
    /// marginal log-likelihood.
    func run() -> Double {
        runChunks(runChunk)
    }

    private func runChunk(_ chunk: Int) {
        let q = nodeCount
        let logWeights = self.logWeights
        let table = self.table
        let cells = self.cells
        let starts = self.starts
        let multiplicity = self.multiplicity
        let size = categoryCount * q
        let accumulator = accumulators + chunk * size
        accumulator.update(repeating: 0, count: size)
        let posterior = scratch + chunk * q
        let lower = chunk * chunkSize
        let upper = min(patternCount, lower + chunkSize)
        var total = 0.0
        var u = lower
        while u < upper {
            for node in 0 ..< q { posterior[node] = logWeights[node] }
            let first = starts[u]
            let end = starts[u + 1]
            var t = first
            while t < end {
                let row = table + Int(cells[t]) * q
                for node in 0 ..< q { posterior[node] += row[node] }
                t += 1
            }
            var largest = -Double.infinity
            for node in 0 ..< q where posterior[node] > largest { largest = posterior[node] }
            var sum = 0.0
            for node in 0 ..< q {
                let value = Foundation.exp(posterior[node] - largest)
                posterior[node] = value
                sum += value
            }
            let weight = multiplicity[u]
            total += weight * (largest + Foundation.log(sum))
            let scale = weight / sum
            t = first
            while t < end {
                let row = accumulator + Int(cells[t]) * q
                for node in 0 ..< q { row[node] += scale * posterior[node] }
                t += 1
            }
            u += 1
        }
        chunkLogLikelihoods[chunk] = total
    }
}
