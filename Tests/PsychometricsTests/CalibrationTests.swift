import Foundation
@testable import Psychometrics
import Testing

@Suite("Calibration (marginal maximum likelihood by EM)")
struct CalibrationTests {
    // MARK: Helpers

    static func rmse(_ estimates: [Double], _ truth: [Double]) -> Double {
        precondition(estimates.count == truth.count && !truth.isEmpty)
        let total = zip(estimates, truth).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        return (total / Double(truth.count)).squareRoot()
    }

    static func discrimination(_ model: ItemModel) -> Double {
        switch model {
        case let .dichotomous(item): return item.discrimination
        case let .graded(item): return item.discrimination
        }
    }

    static func difficulty(_ model: ItemModel) -> Double {
        switch model {
        case let .dichotomous(item): return item.difficulty
        case .graded: return .nan
        }
    }

    static func guessing(_ model: ItemModel) -> Double {
        switch model {
        case let .dichotomous(item): return item.guessing
        case .graded: return .nan
        }
    }

    static func thresholds(_ model: ItemModel) -> [Double] {
        switch model {
        case .dichotomous: return []
        case let .graded(item): return item.thresholds
        }
    }

    /// Keeps a random `keep` of each examinee's answers (a Fisher–Yates draw of item indexes).
    static func sparse(_ patterns: [ResponsePattern], keep: Int, generator: inout SeededGenerator) -> [ResponsePattern] {
        patterns.map { pattern in
            var order = Array(pattern.items.indices)
            for i in 0 ..< keep {
                let j = i + min(Int(generator.nextUniform() * Double(order.count - i)), order.count - i - 1)
                order.swapAt(i, j)
            }
            let chosen = order.prefix(keep).sorted()
            return ResponsePattern(items: chosen.map { pattern.items[$0] }, scores: chosen.map { pattern.scores[$0] })
        }
    }

    // MARK: Recovery

    @Test("2PL: 20 items × 3,000 examinees recover a and b")
    func twoPLRecovery() throws {
        var generator = SeededGenerator(seed: 11)
        let items = Simulation.twoPLItems(count: 20, generator: &generator)
        let abilities = Simulation.abilities(count: 3000, generator: &generator)
        let patterns = Simulation.responses(items: items, abilities: abilities, generator: &generator)

        let result = try Calibrator.calibrate(patterns, maxScores: Array(repeating: 1, count: 20))

        #expect(result.converged)
        #expect(result.iterations > 1)
        #expect(result.logLikelihood.isFinite && result.logLikelihood < 0)
        #expect(result.items.allSatisfy { $0.responseCount == 3000 })
        let aError = Self.rmse(result.items.map { Self.discrimination($0.model) }, items.map(Self.discrimination))
        let bError = Self.rmse(result.items.map { Self.difficulty($0.model) }, items.map(Self.difficulty))
        #expect(aError < 0.12, "RMSE of a: \(aError)")
        #expect(bError < 0.12, "RMSE of b: \(bError)")
        for item in result.items {
            #expect(item.standardErrors.count == 2)
            #expect(item.standardErrors.allSatisfy { $0.isFinite && $0 > 0 })
        }
    }

    @Test("3PL with the Beta prior on c: 15 items × 4,000 examinees")
    func threePLRecovery() throws {
        var generator = SeededGenerator(seed: 12)
        let items = Simulation.threePLItems(count: 15, generator: &generator)
        let abilities = Simulation.abilities(count: 4000, generator: &generator)
        let patterns = Simulation.responses(items: items, abilities: abilities, generator: &generator)

        var options = CalibrationOptions()
        options.dichotomousModel = .threePL
        let result = try Calibrator.calibrate(patterns, maxScores: Array(repeating: 1, count: 15), options: options)

        let bError = Self.rmse(result.items.map { Self.difficulty($0.model) }, items.map(Self.difficulty))
        let cError = zip(result.items, items).reduce(0.0) { $0 + abs(Self.guessing($1.0.model) - Self.guessing($1.1)) } / 15
        #expect(bError < 0.25, "RMSE of b: \(bError)")
        #expect(cError < 0.08, "mean |c error|: \(cError)")
        for item in result.items {
            #expect(item.standardErrors.count == 3)
            let c = Self.guessing(item.model)
            #expect(c > 0 && c < 0.5)
        }
    }

    @Test("Graded response model: 8 items × 4 categories × 3,000 examinees")
    func gradedRecovery() throws {
        var generator = SeededGenerator(seed: 13)
        let items = Simulation.gradedItems(count: 8, categories: 4, generator: &generator)
        let abilities = Simulation.abilities(count: 3000, generator: &generator)
        let patterns = Simulation.responses(items: items, abilities: abilities, generator: &generator)
        #expect(items.allSatisfy { $0.maxScore == 3 })

        let result = try Calibrator.calibrate(patterns, maxScores: Array(repeating: 3, count: 8))

        #expect(result.converged)
        let aError = Self.rmse(result.items.map { Self.discrimination($0.model) }, items.map(Self.discrimination))
        let estimated = result.items.flatMap { Self.thresholds($0.model) }
        let truth = items.flatMap(Self.thresholds)
        #expect(estimated.count == truth.count)
        let bError = Self.rmse(estimated, truth)
        #expect(aError < 0.15, "RMSE of a: \(aError)")
        #expect(bError < 0.15, "RMSE of thresholds: \(bError)")
        for item in result.items {
            let thresholds = Self.thresholds(item.model)
            #expect(zip(thresholds, thresholds.dropFirst()).allSatisfy { $0 < $1 })
            #expect(item.standardErrors.count == 4)
        }
    }

    @Test("Sparse data: each examinee sees a random half of the bank")
    func sparseRecovery() throws {
        var generator = SeededGenerator(seed: 14)
        let items = Simulation.twoPLItems(count: 20, generator: &generator)
        let abilities = Simulation.abilities(count: 5000, generator: &generator)
        let full = Simulation.responses(items: items, abilities: abilities, generator: &generator)
        let patterns = Self.sparse(full, keep: 10, generator: &generator)
        #expect(patterns.allSatisfy { $0.count == 10 })

        var options = CalibrationOptions()
        options.discriminationPrior = (mean: 0, sd: 0.5)
        let result = try Calibrator.calibrate(patterns, maxScores: Array(repeating: 1, count: 20), options: options)

        #expect(result.items.reduce(0) { $0 + $1.responseCount } == 5000 * 10)
        let bError = Self.rmse(result.items.map { Self.difficulty($0.model) }, items.map(Self.difficulty))
        #expect(bError < 0.15, "RMSE of b: \(bError)")
    }

    @Test("1PL: one discrimination shared by every item")
    func onePLSharedDiscrimination() throws {
        var generator = SeededGenerator(seed: 16)
        let items = Simulation.twoPLItems(count: 12, generator: &generator).map { model -> ItemModel in
            .dichotomous(DichotomousItem(discrimination: 1.3, difficulty: Self.difficulty(model)))
        }
        let abilities = Simulation.abilities(count: 2000, generator: &generator)
        let patterns = Simulation.responses(items: items, abilities: abilities, generator: &generator)

        var options = CalibrationOptions()
        options.dichotomousModel = .onePL
        let result = try Calibrator.calibrate(patterns, maxScores: Array(repeating: 1, count: 12), options: options)

        let slopes = result.items.map { Self.discrimination($0.model) }
        #expect(Set(slopes).count == 1)
        #expect(abs(slopes[0] - 1.3) < 0.12, "common a: \(slopes[0])")
        let bError = Self.rmse(result.items.map { Self.difficulty($0.model) }, items.map(Self.difficulty))
        #expect(bError < 0.15, "RMSE of b: \(bError)")
        #expect(result.items.allSatisfy { $0.standardErrors.count == 2 && $0.standardErrors.allSatisfy { $0.isFinite && $0 > 0 } })
    }

    // MARK: Standard errors

    @Test("Standard errors shrink (about halve) when examinees are quadrupled")
    func standardErrorsShrink() throws {
        var generator = SeededGenerator(seed: 15)
        let items = Simulation.twoPLItems(count: 10, generator: &generator)
        let small = Simulation.responses(
            items: items, abilities: Simulation.abilities(count: 1000, generator: &generator), generator: &generator
        )
        let large = Simulation.responses(
            items: items, abilities: Simulation.abilities(count: 4000, generator: &generator), generator: &generator
        )
        let maxScores = Array(repeating: 1, count: 10)
        let fewer = try Calibrator.calibrate(small, maxScores: maxScores)
        let more = try Calibrator.calibrate(large, maxScores: maxScores)

        for index in 0 ..< 2 {
            let before = fewer.items.reduce(0.0) { $0 + $1.standardErrors[index] } / 10
            let after = more.items.reduce(0.0) { $0 + $1.standardErrors[index] } / 10
            #expect(before.isFinite && after.isFinite && after > 0)
            #expect(after < 0.7 * before, "mean SE \(index == 0 ? "a" : "b"): \(before) → \(after)")
            #expect(after > 0.3 * before)
        }
    }

    // MARK: Bad input

    @Test("An item nobody answered is reported")
    func unseenItem() {
        let patterns = [
            ResponsePattern(items: [0, 1], scores: [1, 0]),
            ResponsePattern(items: [1, 0], scores: [1, 1]),
            ResponsePattern(items: [0, 2], scores: [0, 1]),
        ]
        #expect(throws: CalibrationError.noResponses(item: 3)) {
            try Calibrator.calibrate(patterns, maxScores: [1, 1, 1, 1])
        }
    }

    @Test("A score outside 0…max is reported")
    func scoreOutOfRange() {
        let patterns = [
            ResponsePattern(scores: [1, 0, 2]),
            ResponsePattern(scores: [1, 2, 4]),
        ]
        #expect(throws: CalibrationError.scoreOutOfRange(item: 1, score: 2, maxScore: 1)) {
            try Calibrator.calibrate(patterns, maxScores: [1, 1, 3])
        }
        #expect(throws: CalibrationError.scoreOutOfRange(item: 0, score: -1, maxScore: 1)) {
            try Calibrator.calibrate([ResponsePattern(scores: [-1, 0])], maxScores: [1, 1])
        }
    }

    @Test("An item the bank does not have, or a maximum score below 1, is reported")
    func unknownItemAndBadMaximum() {
        #expect(throws: CalibrationError.unknownItem(item: 5, itemCount: 2)) {
            try Calibrator.calibrate([ResponsePattern(items: [0, 5], scores: [1, 0])], maxScores: [1, 1])
        }
        #expect(throws: CalibrationError.invalidMaxScore(item: 1, maxScore: 0)) {
            try Calibrator.calibrate([ResponsePattern(scores: [1, 0])], maxScores: [1, 0])
        }
    }

    @Test("A pattern that lists an item twice is refused")
    func duplicateItem() {
        #expect(throws: CalibrationError.duplicateItem(item: 0)) {
            try Calibrator.calibrate([ResponsePattern(items: [0, 0, 2], scores: [1, 0, 1]), ResponsePattern(scores: [0, 1, 1])],
                                     maxScores: [1, 1, 1])
        }
    }

    @Test("Fewer than two items cannot be calibrated")
    func tooFewItems() {
        #expect(throws: CalibrationError.tooFewItems) {
            try Calibrator.calibrate([ResponsePattern(scores: [1])], maxScores: [1])
        }
    }

    @Test("The right/wrong fast path of the E-step gives the general E-step's estimates")
    func sufficientStatisticsPath() throws {
        var generator = SeededGenerator(seed: 23)
        let items = Simulation.twoPLItems(count: 12, generator: &generator)
        let patterns = Simulation.responses(
            items: items, abilities: Simulation.abilities(count: 2_000, generator: &generator), generator: &generator
        )
        let maxScores = Array(repeating: 1, count: 12)
        for model in [DichotomousModel.twoPL, .onePL] {
            var options = CalibrationOptions()
            options.dichotomousModel = model
            let fast = try Calibrator.calibrate(patterns, maxScores: maxScores, options: options)
            options.usesSufficientStatistics = false
            let general = try Calibrator.calibrate(patterns, maxScores: maxScores, options: options)
            #expect(fast.iterations == general.iterations)
            #expect(abs(fast.logLikelihood - general.logLikelihood) < 1e-6)
            for (a, b) in zip(fast.items, general.items) {
                guard case let .dichotomous(x) = a.model, case let .dichotomous(y) = b.model else {
                    Issue.record("expected right/wrong items")
                    continue
                }
                #expect(abs(x.discrimination - y.discrimination) < 1e-7)
                #expect(abs(x.difficulty - y.difficulty) < 1e-7)
                for (e, f) in zip(a.standardErrors, b.standardErrors) { #expect(abs(e - f) < 1e-6) }
            }
        }
    }

    @Test("Identical data give identical results")
    func deterministic() throws {
        var generator = SeededGenerator(seed: 17)
        let items = Simulation.twoPLItems(count: 8, generator: &generator)
        let patterns = Simulation.responses(
            items: items, abilities: Simulation.abilities(count: 800, generator: &generator), generator: &generator
        )
        let first = try Calibrator.calibrate(patterns, maxScores: Array(repeating: 1, count: 8))
        let second = try Calibrator.calibrate(patterns, maxScores: Array(repeating: 1, count: 8))
        #expect(first.items.map(\.model) == second.items.map(\.model))
        #expect(first.logLikelihood == second.logLikelihood)
    }
}

@Suite("Calibration standard errors")
struct StandardErrorTests {
    /// The observed information of the marginal log-likelihood in (a, b) per item, by central
    /// differences of the log-likelihood itself (the same 41-node N(0, 1) quadrature on ±6),
    /// inverted: the errors the cross-product estimate must approach.
    static func bruteForceErrors(_ patterns: [ResponsePattern], items: [(a: Double, b: Double)]) -> [Double] {
        let nodes = (0 ..< 41).map { -6 + 12 * Double($0) / 40 }
        let raw = nodes.map { Foundation.exp(-0.5 * $0 * $0) }
        let weights = raw.map { $0 / raw.reduce(0, +) }
        // With few items there are few distinct patterns: sum each once, times its count.
        var counts: [ResponsePattern: Double] = [:]
        for pattern in patterns { counts[pattern, default: 0] += 1 }
        func logLikelihood(_ x: [Double]) -> Double {
            var total = 0.0
            for (pattern, count) in counts {
                var marginal = 0.0
                for (q, theta) in nodes.enumerated() {
                    var likelihood = weights[q]
                    for (item, score) in zip(pattern.items, pattern.scores) {
                        let p = 1 / (1 + Foundation.exp(-x[2 * item] * (theta - x[2 * item + 1])))
                        likelihood *= score == 1 ? p : 1 - p
                    }
                    marginal += likelihood
                }
                total += count * Foundation.log(marginal)
            }
            return total
        }
        let x = items.flatMap { [$0.a, $0.b] }
        let n = x.count
        let h = 1e-3
        var hessian = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n {
            for j in i ..< n {
                func shifted(_ di: Double, _ dj: Double) -> Double {
                    var y = x
                    y[i] += di
                    y[j] += dj
                    return logLikelihood(y)
                }
                let value = (shifted(h, h) - shifted(h, -h) - shifted(-h, h) + shifted(-h, -h)) / (4 * h * h)
                hessian[i * n + j] = -value
                hessian[j * n + i] = -value
            }
        }
        // Invert by Gauss–Jordan (small, positive definite).
        var a = hessian
        var inverse = (0 ..< n * n).map { $0 / n == $0 % n ? 1.0 : 0.0 }
        for column in 0 ..< n {
            let pivot = a[column * n + column]
            for k in 0 ..< n {
                a[column * n + k] /= pivot
                inverse[column * n + k] /= pivot
            }
            for row in 0 ..< n where row != column {
                let factor = a[row * n + column]
                for k in 0 ..< n {
                    a[row * n + k] -= factor * a[column * n + k]
                    inverse[row * n + k] -= factor * inverse[column * n + k]
                }
            }
        }
        return (0 ..< n).map { inverse[$0 * n + $0].squareRoot() }
    }

    @Test("cross-product errors match the inverse Hessian of the marginal likelihood; complete-data errors fall short on sparse data")
    func agreeWithObservedInformation() throws {
        var generator = SeededGenerator(seed: 77)
        let truth: [ItemModel] = [(1.2, -0.8), (0.9, 0.0), (1.6, 0.5), (1.1, 1.0)].map {
            .dichotomous(DichotomousItem(discrimination: $0.0, difficulty: $0.1))
        }
        let complete = Simulation.responses(items: truth, abilities: Simulation.abilities(count: 1_500, generator: &generator), generator: &generator)
        // Each examinee answers two or three of the four items, as on an adaptive exam.
        var patterns: [ResponsePattern] = []
        for pattern in complete {
            let kept = pattern.items.indices.filter { _ in generator.nextUniform() < 0.65 }
            if !kept.isEmpty { patterns.append(ResponsePattern(items: kept.map { pattern.items[$0] }, scores: kept.map { pattern.scores[$0] })) }
        }

        let fit = try Calibrator.calibrate(patterns, maxScores: [1, 1, 1, 1])
        let fitted = fit.items.map { (a: CalibrationTests.discrimination($0.model), b: CalibrationTests.difficulty($0.model)) }
        let expected = Self.bruteForceErrors(patterns, items: fitted)
        let reported = fit.items.flatMap { $0.standardErrors }
        for (index, (got, want)) in zip(reported, expected).enumerated() {
            #expect(abs(got / want - 1) < 0.10, "parameter \(index): cross-product SE \(got), observed-information SE \(want)")
        }

        var classic = CalibrationOptions()
        classic.standardErrors = .completeData
        let completeData = try Calibrator.calibrate(patterns, maxScores: [1, 1, 1, 1], options: classic).items.flatMap { $0.standardErrors }
        let shortfall = zip(completeData, expected).map { $0 / $1 }
        #expect(shortfall.reduce(0, +) / Double(shortfall.count) < 0.92,
                "the complete-data errors are too small on sparse data: ratios \(shortfall)")
    }
}
