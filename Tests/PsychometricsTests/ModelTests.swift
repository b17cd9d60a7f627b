import Foundation
import Psychometrics
import Testing

// Known answers for the item response models, each worked by hand in the comments
// (logistic(x) = 1 / (1 + e^(−x)), no scaling constant).

private func near(_ x: Double, _ y: Double, _ tolerance: Double = 1e-6) -> Bool {
    abs(x - y) <= tolerance
}

private func relativelyClose(_ x: Double, _ y: Double, _ tolerance: Double) -> Bool {
    abs(x - y) <= tolerance * max(abs(x), abs(y))
}

@Suite("Item response models")
struct ItemResponseModelTests {
    // 3PL a = 1.5, b = 0.5, c = 0.2 at θ = 1: z = 1.5·0.5 = 0.75, logistic(0.75) = 0.679179,
    // P = 0.2 + 0.8·0.679179 = 0.743343, Q = 0.256657.
    let threePL = DichotomousItem(discrimination: 1.5, difficulty: 0.5, guessing: 0.2)

    @Test("3PL probability matches the hand value")
    func threePLProbability() {
        #expect(near(threePL.probability(at: 1), 0.743343))
        // Far below the difficulty the probability falls to the guessing floor.
        #expect(near(threePL.probability(at: -40), 0.2, 1e-12))
        #expect(near(threePL.probability(at: 40), 1, 1e-12))
    }

    @Test("3PL information matches a²(Q/P)((P − c)/(1 − c))² by hand")
    func threePLInformation() {
        // 2.25 · (0.256657 / 0.743343) · 0.679179² = 2.25 · 0.345274 · 0.461284 = 0.358356.
        #expect(near(threePL.information(at: 1), 0.358356))
        // Against the general Fisher information P'² / (P·Q), P' by central differences.
        for theta in [-2.0, 0, 0.5, 1, 3] {
            let h = 1e-5
            let slope = (threePL.probability(at: theta + h) - threePL.probability(at: theta - h)) / (2 * h)
            let p = threePL.probability(at: theta)
            #expect(relativelyClose(threePL.information(at: theta), slope * slope / (p * (1 - p)), 1e-6))
        }
    }

    @Test("2PL probability and information reduce to logistic and a²PQ")
    func twoPL() {
        // a = 1.2, b = 0.3 at θ = −0.2: z = 1.2·(−0.5) = −0.6, P = logistic(−0.6) = 0.354344,
        // information = 1.44 · 0.354344 · 0.645656 = 0.329449.
        let item = DichotomousItem(discrimination: 1.2, difficulty: 0.3)
        #expect(item.guessing == 0)
        #expect(near(item.probability(at: -0.2), 0.354344))
        #expect(near(item.information(at: -0.2), 0.329449))
        for theta in [-3.0, -1, 0, 0.3, 2] {
            let p = item.probability(at: theta)
            #expect(relativelyClose(item.information(at: theta), 1.44 * p * (1 - p), 1e-12))
        }
    }

    @Test("1PL probability and information")
    func onePL() {
        // a = 1, b = −0.5 at θ = 0.5: z = 1, P = logistic(1) = 0.731059, information = PQ = 0.196612.
        let item = DichotomousItem(difficulty: -0.5)
        #expect(near(item.probability(at: 0.5), 0.731059))
        #expect(near(item.information(at: 0.5), 0.196612))
        // At θ = b the probability is one half.
        #expect(near(item.probability(at: -0.5), 0.5, 1e-15))
        // Items sharing a discrimination differ only by a shift along θ.
        let harder = DichotomousItem(difficulty: 1.5)
        #expect(near(harder.probability(at: 2.5), item.probability(at: 0.5), 1e-15))
    }

    @Test("2PL information peaks at θ = b with value a²/4")
    func twoPLInformationMaximum() {
        let item = DichotomousItem(discrimination: 1.7, difficulty: -0.4)
        // P = ½ at θ = b, so a²PQ = a²/4 = 2.89 / 4 = 0.7225.
        #expect(near(item.information(at: -0.4), 0.7225, 1e-12))
        var best = -5.0
        for step in 0 ... 10000 {
            let theta = -5 + Double(step) * 0.001
            if item.information(at: theta) > item.information(at: best) { best = theta }
        }
        #expect(near(best, -0.4, 1e-3))
        #expect(item.information(at: -0.3) < 0.7225)
        #expect(item.information(at: -0.5) < 0.7225)
    }

    @Test("dichotomous log-likelihoods are log P and log Q")
    func dichotomousLogLikelihood() {
        // 3PL above at θ = 1: log 0.743343 = −0.296598, log 0.256657 = −1.360015.
        #expect(near(threePL.logLikelihood(correct: true, at: 1), -0.296598))
        #expect(near(threePL.logLikelihood(correct: false, at: 1), -1.360015))
        // 1PL b = −0.5 at θ = 0.5: log 0.731059 = −0.313262, log 0.268941 = −1.313262.
        let item = DichotomousItem(difficulty: -0.5)
        #expect(near(item.logLikelihood(correct: true, at: 0.5), -0.313262))
        #expect(near(item.logLikelihood(correct: false, at: 0.5), -1.313262))
        // Far in the tail the probability is kept off 0, so the logarithm stays finite.
        #expect(item.logLikelihood(correct: true, at: -100).isFinite)
    }

    // Graded: a = 1.2, thresholds −1, 0.5, 2 at θ = 0.
    // P*_1 = logistic(1.2) = 0.768525, P*_2 = logistic(−0.6) = 0.354344, P*_3 = logistic(−2.4) = 0.083173.
    // P_0 = 1 − 0.768525 = 0.231475, P_1 = 0.768525 − 0.354344 = 0.414181,
    // P_2 = 0.354344 − 0.083173 = 0.271171, P_3 = 0.083173.
    let graded = GradedItem(discrimination: 1.2, thresholds: [-1, 0.5, 2])

    @Test("graded category probabilities match the hand values and sum to 1")
    func gradedCategories() throws {
        let probabilities = graded.categoryProbabilities(at: 0)
        try #require(probabilities.count == 4)
        let expected = [0.231475, 0.414181, 0.271171, 0.083173]
        for (value, hand) in zip(probabilities, expected) {
            #expect(near(value, hand))
        }
        for score in 0 ... 3 {
            #expect(near(graded.probability(of: score, at: 0), probabilities[score], 1e-15))
        }
        #expect(graded.probability(of: 4, at: 0) == 0)
        #expect(graded.probability(of: -1, at: 0) == 0)
        for theta in [-4.0, -1, 0, 0.7, 3] {
            #expect(near(graded.categoryProbabilities(at: theta).reduce(0, +), 1, 1e-12))
        }
        #expect(graded.maxScore == 3)
    }

    @Test("graded expected score is the probability-weighted score")
    func gradedExpectedScore() {
        // Σ k·P_k = 0.414181 + 2·0.271171 + 3·0.083173 = 1.206041 = P*_1 + P*_2 + P*_3.
        #expect(near(graded.expectedScore(at: 0), 1.206041))
        for theta in [-2.0, 0.25, 1.5] {
            let probabilities = graded.categoryProbabilities(at: theta)
            let weighted = probabilities.indices.reduce(0.0) { $0 + Double($1) * probabilities[$1] }
            #expect(near(graded.expectedScore(at: theta), weighted, 1e-12))
        }
        // Expected score rises with ability.
        #expect(graded.expectedScore(at: 1) > graded.expectedScore(at: 0))
    }

    @Test("graded information matches the Fisher information from numerical slopes")
    func gradedInformation() {
        // At θ = 0 by hand: Σ (P*'_k − P*'_{k+1})² / P_k = 0.430095.
        #expect(near(graded.information(at: 0), 0.430095))
        let h = 1e-5
        for theta in [-2.5, -1, 0, 0.8, 2.2] {
            var fisher = 0.0
            for score in 0 ... graded.maxScore {
                let slope = (graded.probability(of: score, at: theta + h) - graded.probability(of: score, at: theta - h)) / (2 * h)
                fisher += slope * slope / graded.probability(of: score, at: theta)
            }
            #expect(relativelyClose(graded.information(at: theta), fisher, 1e-5))
        }
    }

    @Test("graded log-likelihood is the log of the category probability")
    func gradedLogLikelihood() {
        // log 0.231475 = −1.463282, log 0.414181 = −0.881452, log 0.271171 = −1.305006,
        // log 0.083173 = −2.486836.
        let model = ItemModel.graded(graded)
        let expected = [-1.463282, -0.881452, -1.305006, -2.486836]
        for score in 0 ... 3 {
            #expect(near(model.logLikelihood(of: score, at: 0), expected[score]))
        }
    }

    @Test("item model wrappers agree with the underlying items")
    func wrappers() {
        let dichotomous = ItemModel.dichotomous(threePL)
        let wrappedGraded = ItemModel.graded(graded)
        #expect(dichotomous.maxScore == 1)
        #expect(wrappedGraded.maxScore == 3)
        for theta in [-1.5, 0, 1, 2.5] {
            let p = threePL.probability(at: theta)
            #expect(dichotomous.probability(of: 1, at: theta) == p)
            #expect(dichotomous.probability(of: 0, at: theta) == 1 - p)
            #expect(dichotomous.probability(of: 2, at: theta) == 0)
            #expect(dichotomous.information(at: theta) == threePL.information(at: theta))
            #expect(near(dichotomous.logLikelihood(of: 1, at: theta), threePL.logLikelihood(correct: true, at: theta), 1e-15))
            #expect(near(dichotomous.logLikelihood(of: 0, at: theta), threePL.logLikelihood(correct: false, at: theta), 1e-15))
            for score in 0 ... 3 {
                #expect(wrappedGraded.probability(of: score, at: theta) == graded.probability(of: score, at: theta))
            }
            #expect(wrappedGraded.information(at: theta) == graded.information(at: theta))
        }
    }

    @Test("test information is the sum of the items' information")
    func testInformationSums() {
        let items: [ItemModel] = [
            .dichotomous(threePL),
            .dichotomous(DichotomousItem(discrimination: 1.2, difficulty: 0.3)),
            .dichotomous(DichotomousItem(difficulty: -0.5)),
            .graded(graded),
        ]
        for theta in [-1.0, 0, 1] {
            let sum = items.reduce(0.0) { $0 + $1.information(at: theta) }
            #expect(near(testInformation(items, at: theta), sum, 1e-12))
        }
        // By hand at θ = 0.5: the 1PL above gives 0.196612; the 2PL (z = 1.2·0.2 = 0.24,
        // P = 0.559714) gives 1.44·0.559714·0.440286 = 0.354865.
        let pair: [ItemModel] = [items[1], items[2]]
        #expect(near(testInformation(pair, at: 0.5), 0.196612 + 0.354865))
        #expect(testInformation([], at: 0) == 0)
    }
}
