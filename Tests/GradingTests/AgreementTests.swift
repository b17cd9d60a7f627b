import Grading
import Testing

// Agreement between two scorers, on lists small enough to check by hand.

struct AgreementCase: Sendable, CustomTestStringConvertible {
    var name: String
    var a: [Int]
    var b: [Int]
    var exact: Double?
    var adjacent: Double?
    var testDescription: String { name }
}

let agreementCases: [AgreementCase] = [
    AgreementCase(name: "identical", a: [0, 1, 2], b: [0, 1, 2], exact: 1, adjacent: 1),
    // Differences 0, 0, 1, 2: two equal, three within one point.
    AgreementCase(name: "mixed", a: [1, 2, 3, 4], b: [1, 2, 4, 2], exact: 0.5, adjacent: 0.75),
    AgreementCase(name: "always one point apart", a: [0, 1, 2], b: [1, 2, 3], exact: 0, adjacent: 1),
    AgreementCase(name: "lengths differ", a: [1, 2], b: [1], exact: nil, adjacent: nil),
    AgreementCase(name: "empty", a: [], b: [], exact: nil, adjacent: nil),
]

@Test("exact and adjacent agreement", arguments: agreementCases)
func exactAndAdjacent(_ example: AgreementCase) {
    #expect(isClose(Agreement.exact(example.a, example.b), example.exact))
    #expect(isClose(Agreement.adjacent(example.a, example.b), example.adjacent))
}

struct KappaCase: Sendable, CustomTestStringConvertible {
    var name: String
    var a: [Int]
    var b: [Int]
    var minScore = 0
    var maxScore = 2
    var kappa: Double?
    var testDescription: String { name }
}

let kappaCases: [KappaCase] = [
    KappaCase(name: "identical lists", a: [0, 1, 2, 1], b: [0, 1, 2, 1], kappa: 1),
    // Scores 0...2, weights w(i, j) = (i - j)² / 4.
    // Observed pairs (0,0) (1,2) (2,2) (2,1): weighted disagreement = 1/4 + 1/4 = 1/2.
    // Row totals a = [1, 1, 2], column totals b = [1, 1, 2], n = 4; expected count r_i·c_j / 4.
    // Weighted expected = (0,1) 1/4·1/4 + (1,0) 1/4·1/4 + (0,2) 1·2/4 + (2,0) 1·2/4
    //                     + (1,2) 1/4·2/4 + (2,1) 1/4·2/4 = 1/16 + 1/16 + 1/2 + 1/2 + 1/8 + 1/8 = 11/8.
    // κ = 1 - (1/2) / (11/8) = 1 - 4/11 = 7/11 ≈ 0.636.
    KappaCase(name: "three categories, hand-computed", a: [0, 1, 2, 2], b: [0, 2, 2, 1], kappa: 7.0 / 11.0),
    // Observed (0,2) (1,1) (2,0): disagreement 1 + 0 + 1 = 2. All totals 1, n = 3: expected = (sum of the
    // nine weights) / 3 = (4·1/4 + 2·1) / 3 = 1. κ = 1 - 2 / 1 = -1.
    KappaCase(name: "reversed scores", a: [0, 1, 2], b: [2, 1, 0], kappa: -1),
    KappaCase(name: "lengths differ", a: [0, 1, 2], b: [0, 1], kappa: nil),
    KappaCase(name: "empty", a: [], b: [], kappa: nil),
    KappaCase(name: "no variation to compare", a: [1, 1, 1], b: [1, 1, 1], kappa: nil),
    KappaCase(name: "a single-score scale", a: [1, 1], b: [1, 1], minScore: 1, maxScore: 1, kappa: nil),
]

@Test("quadratic weighted kappa", arguments: kappaCases)
func quadraticWeightedKappa(_ example: KappaCase) {
    let kappa = Agreement.quadraticWeightedKappa(example.a, example.b, minScore: example.minScore, maxScore: example.maxScore)
    #expect(isClose(kappa, example.kappa), "kappa was \(String(describing: kappa))")
}

@Test("systematic disagreement gives a negative kappa")
func negativeKappa() throws {
    let kappa = try #require(Agreement.quadraticWeightedKappa([0, 0, 1, 2, 2], [2, 1, 1, 0, 0], minScore: 0, maxScore: 2))
    #expect(kappa < 0)
}

@Test("standardized mean difference, by hand", arguments: [
    // Machine [2, 4]: mean 3, variance 2. Human [1, 3]: mean 2, variance 2. Pooled sd √2: (3 - 2) / √2.
    ([2, 4], [1, 3], 1 / 2.0.squareRoot()),
    // Same means: 0 however the spreads differ.
    ([0, 2, 4], [1, 2, 3], 0),
    // The machine scores lower: negative.
    ([1, 3], [2, 4], -1 / 2.0.squareRoot()),
] as [([Int], [Int], Double)])
func standardizedMeanDifference(machine: [Int], human: [Int], expected: Double) {
    #expect(isClose(Agreement.standardizedMeanDifference(machine: machine, human: human), expected))
}

@Test("no standardized mean difference without two answers or any spread")
func standardizedMeanDifferenceUndefined() {
    #expect(Agreement.standardizedMeanDifference(machine: [1], human: [1]) == nil)
    #expect(Agreement.standardizedMeanDifference(machine: [2, 2], human: [1, 1]) == nil)
    #expect(Agreement.standardizedMeanDifference(machine: [1, 2], human: [1]) == nil)
}
