import Foundation
import Psychometrics
import Testing

// Mantel–Haenszel DIF: one table worked by hand, then simulated 2PL data with and without an
// item planted to be harder for the focal group.

private func nearDIF(_ value: Double?, _ expected: Double, tolerance: Double = 1e-9) -> Bool {
    guard let value else { return false }
    return abs(value - expected) <= tolerance
}

/// 2,000 examinees per group (θ ~ N(0, 1) in both) answering 20 items under the 2PL,
/// P = 1 / (1 + e^(−a(θ − b))). The item `harderForFocal`, if any, is 1.0 logit harder for
/// the focal group.
private func simulateDIFData(seed: UInt64, perGroup: Int = 2000, harderForFocal: Int?) -> (ScoreMatrix, [String?]) {
    var generator = SeededGenerator(seed: seed)
    let items = (0 ..< 20).map { index in
        DichotomousItem(discrimination: 0.8 + 0.04 * Double(index), difficulty: -1.5 + 3 * Double(index) / 19)
    }
    var scores: [[Int?]] = []
    var groups: [String?] = []
    scores.reserveCapacity(2 * perGroup)
    groups.reserveCapacity(2 * perGroup)
    for group in ["reference", "focal"] {
        for _ in 0 ..< perGroup {
            let theta = generator.nextNormal()
            var row: [Int?] = []
            row.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                var difficulty = item.difficulty
                if group == "focal", index == harderForFocal { difficulty += 1 }
                let p = 1 / (1 + Foundation.exp(-item.discrimination * (theta - difficulty)))
                row.append(generator.nextUniform() < p ? 1 : 0)
            }
            scores.append(row)
            groups.append(group)
        }
    }
    return (ScoreMatrix(scores: scores, maxScores: [Int](repeating: 1, count: items.count)), groups)
}

@Suite("Mantel–Haenszel DIF")
struct DIFTests {
    @Test("the common odds ratio and delta match a two-stratum example worked by hand")
    func handWorked() throws {
        // Three right/wrong items; item 0 is studied. Matching is on the total of all three.
        //   Total 1: reference 3 right, 1 wrong; focal 1 right, 3 wrong (N = 8).
        //   Total 2: reference 4 right, 2 wrong; focal 2 right, 2 wrong (N = 10).
        //   Totals 0 and 3 (everyone wrong / right) add nothing to any sum.
        var rows: [[Int?]] = []
        var groups: [String?] = []
        func add(_ row: [Int?], _ group: String?, times: Int = 1) {
            for _ in 0 ..< times {
                rows.append(row)
                groups.append(group)
            }
        }
        add([1, 0, 0], "R", times: 3)
        add([0, 1, 0], "R")
        add([1, 0, 0], "F")
        add([0, 1, 0], "F", times: 2)
        add([0, 0, 1], "F")
        add([1, 1, 0], "R", times: 4)
        add([0, 1, 1], "R", times: 2)
        add([1, 0, 1], "F", times: 2)
        add([0, 1, 1], "F", times: 2)
        add([0, 0, 0], "R")
        add([1, 1, 1], "R")
        add([0, 0, 0], "F")
        add([1, 1, 1], "F")
        // Outside the comparison.
        add([1, 1, 1], "other")
        add([0, 0, 0], nil)

        let results = MantelHaenszel.dif(
            ScoreMatrix(scores: rows, maxScores: [1, 1, 1]), groups: groups, reference: "R", focal: "F"
        )
        #expect(results.count == 3)
        let result = try #require(results.first)
        #expect(result.item == 0)
        #expect(result.referenceCount == 12)
        #expect(result.focalCount == 10)

        // α_MH = Σ(AD/N) / Σ(BC/N) = (9/8 + 8/10) / (1/8 + 4/10) = 1.925 / 0.525 = 11/3.
        #expect(nearDIF(result.commonOddsRatio, 11.0 / 3))
        // Δ_MH = −2.35 · ln(11/3) ≈ −3.0533.
        #expect(nearDIF(result.delta, -2.35 * Foundation.log(11.0 / 3)))
        #expect(nearDIF(result.delta, -3.053315, tolerance: 1e-6))

        // Robins–Breslow–Greenland, with P = (A + D)/N, Q = (B + C)/N, R = AD/N, S = BC/N:
        //   stratum 1: P 0.75, Q 0.25, R 1.125, S 0.125; stratum 2: P 0.6, Q 0.4, R 0.8, S 0.4.
        //   ΣPR = 1.32375, Σ(PS + QR) = 0.375 + 0.56 = 0.935, ΣQS = 0.19125.
        //   Var = 1.32375/(2 · 1.925²) + 0.935/(2 · 1.925 · 0.525) + 0.19125/(2 · 0.525²)
        //       ≈ 0.178614 + 0.462585 + 0.346939 = 0.988137.
        //   SE(Δ) = 2.35 · √0.988137 ≈ 2.33602.
        let variance = 1.32375 / (2 * 1.925 * 1.925) + 0.935 / (2 * 1.925 * 0.525) + 0.19125 / (2 * 0.525 * 0.525)
        #expect(nearDIF(result.deltaStandardError, 2.35 * variance.squareRoot()))
        #expect(nearDIF(result.deltaStandardError, 2.336020, tolerance: 1e-5))

        // χ²: ΣA = 7; E(A) = 4·4/8 + 6·6/10 = 5.6; Var(A) = 4·4·4·4/(64·7) + 6·4·6·4/(100·9)
        //   = 4/7 + 0.64. χ² = (|7 − 5.6| − 0.5)² / (4/7 + 0.64) = 0.81 / 1.211429 ≈ 0.668632,
        //   p = erfc(√(χ²/2)) ≈ 0.4135.
        #expect(nearDIF(result.chiSquare, 0.81 / (4.0 / 7 + 0.64)))
        #expect(nearDIF(result.pValue, 0.413529, tolerance: 1e-5))

        // A large Δ on so few examinees is not significant, so the item is A.
        #expect(result.category == .a)
        #expect(result.favours == nil)
    }

    @Test("an item one logit harder for the focal group is C, and the others are A")
    func plantedDIF() throws {
        let planted = 9
        let (matrix, groups) = simulateDIFData(seed: 20_240_611, harderForFocal: planted)
        let results = MantelHaenszel.dif(matrix, groups: groups, reference: "reference", focal: "focal")
        #expect(results.count == 20)

        let flagged = results[planted]
        #expect(flagged.referenceCount == 2000)
        #expect(flagged.focalCount == 2000)
        // About −2.35 · a = −2.7 expected; the odds favour the reference group.
        let delta = try #require(flagged.delta)
        #expect(delta < -1.5)
        let oddsRatio = try #require(flagged.commonOddsRatio)
        #expect(oddsRatio > 1)
        #expect(flagged.category == .c)
        #expect(flagged.favours == "reference")

        let others = results.filter { $0.item != planted }
        #expect(others.filter { $0.category == .a }.count >= 17)
    }

    @Test("without planted DIF at most one item is flagged")
    func noDIF() {
        let (matrix, groups) = simulateDIFData(seed: 7, harderForFocal: nil)
        let results = MantelHaenszel.dif(matrix, groups: groups, reference: "reference", focal: "focal")
        #expect(results.count == 20)
        #expect(results.filter { $0.category != .a }.count <= 1)
        for result in results where result.category == .a {
            #expect(result.favours == nil)
        }
    }

    @Test("an item seen by one group only is A with no statistics")
    func oneGroupOnly() {
        let (full, groups) = simulateDIFData(seed: 99, perGroup: 200, harderForFocal: nil)
        // Hide item 0 from every focal examinee.
        var scores = full.scores
        for examinee in scores.indices where groups[examinee] == "focal" {
            scores[examinee][0] = nil
        }
        let results = MantelHaenszel.dif(
            ScoreMatrix(scores: scores, maxScores: full.maxScores),
            groups: groups, reference: "reference", focal: "focal"
        )
        let result = results[0]
        #expect(result.referenceCount == 200)
        #expect(result.focalCount == 0)
        #expect(result.commonOddsRatio == nil)
        #expect(result.delta == nil)
        #expect(result.deltaStandardError == nil)
        #expect(result.chiSquare == nil)
        #expect(result.pValue == nil)
        #expect(result.category == .a)
        #expect(result.favours == nil)
        // The other items are still compared.
        #expect(results[1].delta != nil)
    }

    @Test("an item the focal group never gets right where the reference group does is C, not A")
    func separatedTable() {
        var generator = SeededGenerator(seed: 5)
        var scores: [[Int?]] = []
        var groups: [String?] = []
        for examinee in 0 ..< 400 {
            let focal = examinee % 2 == 1
            var row: [Int?] = (0 ..< 6).map { _ in generator.nextUniform() < 0.6 ? 1 : 0 }
            // Item 0 broken for the focal group: never right; the reference group mostly right.
            row[0] = focal ? 0 : (generator.nextUniform() < 0.8 ? 1 : 0)
            scores.append(row)
            groups.append(focal ? "focal" : "reference")
        }
        let results = MantelHaenszel.dif(ScoreMatrix(scores: scores, maxScores: Array(repeating: 1, count: 6)), groups: groups,
                                         reference: "reference", focal: "focal")
        #expect(results[0].delta == nil, "α is infinite: no finite Δ")
        #expect(results[0].category == .c)
        #expect(results[0].favours == "reference")
    }
}
