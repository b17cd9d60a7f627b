import Foundation
import Psychometrics
import Testing

// Classical item analysis on matrices small enough to work through by hand. The working is
// in the comments; variances are sample variances (n − 1) unless said otherwise, which
// alpha does not depend on as long as items and totals use the same divisor.

private func nearClassical(_ value: Double?, _ expected: Double, tolerance: Double = 1e-9) -> Bool {
    guard let value else { return false }
    return abs(value - expected) <= tolerance
}

@Suite("Classical item analysis")
struct ClassicalAnalysisTests {
    // Five examinees, three right/wrong items.
    //        i0 i1 i2  total
    //   e0:   1  1  1   3
    //   e1:   1  1  0   2
    //   e2:   1  0  1   2
    //   e3:   1  0  0   1
    //   e4:   0  0  0   0
    static let basic = ScoreMatrix(
        scores: [[1, 1, 1], [1, 1, 0], [1, 0, 1], [1, 0, 0], [0, 0, 0]],
        maxScores: [1, 1, 1]
    )

    @Test("difficulty is the mean score over the maximum score")
    func difficulty() {
        let report = ClassicalAnalysis.analyse(Self.basic)
        // i0: 4 of 5 right; i1 and i2: 2 of 5.
        #expect(report.items.map(\.count) == [5, 5, 5])
        #expect(nearClassical(report.items[0].difficulty, 0.8))
        #expect(nearClassical(report.items[1].difficulty, 0.4))
        #expect(nearClassical(report.items[2].difficulty, 0.4))
        #expect(report.examineeCount == 5)
    }

    @Test("the corrected point-biserial correlates the item with the rest of the test")
    func correctedPointBiserial() {
        let report = ClassicalAnalysis.analyse(Self.basic)
        // i0: x = 1 1 1 1 0, rest = 2 1 1 0 0. Means 0.8, 0.8.
        //   Sxy = 0.24 + 0.04 + 0.04 − 0.16 + 0.64 = 0.8; Sxx = 0.8; Syy = 2.8.
        //   r = 0.8 / √(0.8 · 2.8) = √(2/7) ≈ 0.5345.
        #expect(nearClassical(report.items[0].correctedPointBiserial, (2.0 / 7).squareRoot()))
        // i1: x = 1 1 0 0 0, rest = 2 1 2 1 0. Means 0.4, 1.2.
        //   Sxy = 0.48 − 0.12 − 0.32 + 0.08 + 0.48 = 0.6; Sxx = 1.2; Syy = 2.8.
        //   r = 0.6 / √3.36 ≈ 0.3273. i2 is the mirror image of i1.
        #expect(nearClassical(report.items[1].correctedPointBiserial, 0.6 / 3.36.squareRoot()))
        #expect(nearClassical(report.items[2].correctedPointBiserial, 0.6 / 3.36.squareRoot()))
        // Nothing to flag but the small sample.
        for item in report.items {
            #expect(item.flags == [.tooFewResponses])
        }
    }

    @Test("KR-20 equals alpha for right/wrong items")
    func kr20() {
        let report = ClassicalAnalysis.analyse(Self.basic)
        // KR-20 = k/(k − 1) · (1 − Σpq / σ²), population variances:
        //   p = 0.8, 0.4, 0.4 → Σpq = 0.16 + 0.24 + 0.24 = 0.64.
        //   totals 3 2 2 1 0, mean 1.6 → σ² = (1.96 + 0.16 + 0.16 + 0.36 + 2.56) / 5 = 1.04.
        //   KR-20 = 1.5 · (1 − 0.64 / 1.04) = 15/26 ≈ 0.5769.
        let kr20 = 1.5 * (1 - 0.64 / 1.04)
        #expect(report.isKR20)
        #expect(nearClassical(report.alpha, 15.0 / 26))
        #expect(nearClassical(report.alpha, kr20))
        #expect(nearClassical(ClassicalAnalysis.alpha(Self.basic), kr20))
    }

    @Test("alpha if deleted is alpha over the other items")
    func alphaIfDeleted() {
        let report = ClassicalAnalysis.analyse(Self.basic)
        // Without i0: items i1, i2 with σ² 0.24 each; totals 2 1 1 0 0 with σ² 0.56.
        //   α = 2 · (1 − 0.48 / 0.56) = 2/7.
        // Without i1: σ² 0.16 + 0.24 = 0.40; totals 2 1 2 1 0, σ² 0.56.
        //   α = 2 · (1 − 0.40 / 0.56) = 4/7. Without i2 likewise.
        #expect(nearClassical(report.items[0].alphaIfDeleted, 2.0 / 7))
        #expect(nearClassical(report.items[1].alphaIfDeleted, 4.0 / 7))
        #expect(nearClassical(report.items[2].alphaIfDeleted, 4.0 / 7))
    }

    @Test("mean and standard deviation of the totals")
    func totals() {
        let report = ClassicalAnalysis.analyse(Self.basic)
        // Totals 3 2 2 1 0: mean 1.6; squared deviations sum to 5.2, / 4 = 1.3.
        #expect(nearClassical(report.meanTotal, 1.6))
        #expect(nearClassical(report.totalStandardDeviation, 1.3.squareRoot()))
    }

    @Test("a negatively discriminating item is flagged, as are too easy and too hard items")
    func flags() {
        //        i0 i1 i2 i3
        //   e0:   1  1  1  0
        //   e1:   1  1  0  0
        //   e2:   1  1  1  0
        //   e3:   1  0  0  0
        //   e4:   1  0  0  1
        //   e5:   1  0  0  0
        let matrix = ScoreMatrix(
            scores: [[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 0, 0, 0], [1, 0, 0, 1], [1, 0, 0, 0]],
            maxScores: [1, 1, 1, 1]
        )
        let report = ClassicalAnalysis.analyse(matrix)

        // i0: everyone right: difficulty 1 > 0.95; no variance, so no correlation.
        #expect(report.items[0].flags.contains(.tooEasy))
        #expect(report.items[0].correctedPointBiserial == nil)

        // i3: only e4, a weak examinee, right. Difficulty 1/6 < 0.20.
        //   x = 0 0 0 0 1 0, rest = 3 2 3 1 1 1 (Σ = 11, Σy² = 25).
        //   Sxy = 1 − 6 · (1/6)(11/6) = −5/6; Sxx = 1 − 1/6 = 5/6; Syy = 25 − 121/6 = 29/6.
        //   r = −(5/6) / √(145/36) = −5/√145 ≈ −0.4152.
        let hard = report.items[3]
        #expect(nearClassical(hard.difficulty, 1.0 / 6))
        #expect(nearClassical(hard.correctedPointBiserial, -5 / 145.0.squareRoot()))
        #expect(hard.flags.contains(.negativeDiscrimination))
        #expect(hard.flags.contains(.tooHard))
        #expect(!hard.flags.contains(.lowDiscrimination))

        // i1: x = 1 1 1 0 0 0, rest = 2 1 2 1 2 1 → Sxy = 0.5, Sxx = Syy = 1.5, r = 1/3.
        // i2: x = 1 0 1 0 0 0, rest = 2 2 2 1 2 1 → Sxy = 2/3, Sxx = Syy = 4/3, r = 0.5.
        #expect(nearClassical(report.items[1].correctedPointBiserial, 1.0 / 3))
        #expect(nearClassical(report.items[2].correctedPointBiserial, 0.5))
        #expect(report.items[1].flags == [.tooFewResponses])
        #expect(report.items[2].flags == [.tooFewResponses])
    }

    @Test("a distractor chosen by the high scorers is flagged by name")
    func distractor() throws {
        // Item 0 is multiple choice, key A; items 1–3 are not choice items.
        //        i0 i1 i2 i3  total  chose
        //   e0:   0  1  1  1   3      C
        //   e1:   0  1  1  1   3      C
        //   e2:   1  1  0  0   2      A
        //   e3:   1  0  1  0   2      A
        //   e4:   1  0  0  0   1      A
        //   e5:   0  1  0  0   1      B
        //   e6:   0  0  0  0   0      D
        //   e7:   0  0  0  0   0      B
        // Top 27% of 8 = 2 examinees (e0, e1), both chose C; bottom 2 are e6 (D) and e7 (B).
        // Mean totals: A 5/3, B 0.5, C 3, D 0 — only C outscores the key.
        let matrix = ScoreMatrix(
            scores: [
                [0, 1, 1, 1], [0, 1, 1, 1], [1, 1, 0, 0], [1, 0, 1, 0],
                [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0],
            ],
            maxScores: [1, 1, 1, 1]
        )
        let picked = ["C", "C", "A", "A", "A", "B", "D", "B"]
        let choices: [[String?]] = picked.map { [$0, nil, nil, nil] }
        let report = ClassicalAnalysis.analyse(matrix, choices: choices, keys: ["A", nil, nil, nil])
        let item = report.items[0]

        #expect(item.flags.contains(.distractorAttractsHighScorers(option: "C")))
        #expect(!item.flags.contains(.distractorAttractsHighScorers(option: "B")))
        #expect(!item.flags.contains(.distractorAttractsHighScorers(option: "D")))
        #expect(ItemFlag.distractorAttractsHighScorers(option: "C").description.contains("option C"))

        #expect(item.distractors.map(\.option) == ["A", "B", "C", "D"])
        #expect(item.distractors.map(\.isKey) == [true, false, false, false])
        // Proportions: A 3/8, B 2/8, C 2/8, D 1/8.
        #expect(item.distractors.map(\.proportion) == [0.375, 0.25, 0.25, 0.125])
        #expect(item.distractors.map(\.upperProportion) == [0, 0, 1, 0])
        #expect(item.distractors.map(\.lowerProportion) == [0, 0.5, 0, 0.5])

        // For a right/wrong item, the key's point-biserial is the item's own.
        //   x = 0 0 1 1 1 0 0 0, rest = 3 3 1 1 0 1 0 0: Sxy = 2 − 27/8 = −11/8 < 0.
        let key = try #require(item.distractors.first)
        let itemCorrelation = try #require(item.correctedPointBiserial)
        #expect(nearClassical(key.pointBiserial, itemCorrelation))
        #expect(item.flags.contains(.negativeDiscrimination))
        let optionC = try #require(item.distractors[2].pointBiserial)
        #expect(optionC > 0)

        // Items without a key get no distractor analysis.
        #expect(report.items[1].distractors.isEmpty)
    }

    @Test("items not presented are left out of every statistic")
    func sparse() {
        //        i0   i1   i2   seen  total (scaled to 3 items)
        //   e0:   1    1    –     2    2/2 · 3 = 3
        //   e1:   1    0    1     3    2
        //   e2:   –    1    0     2    1/2 · 3 = 1.5
        //   e3:   0    –    0     2    0
        //   e4:   1    1    1     3    3
        //   e5:   0    0    0     3    0
        let matrix = ScoreMatrix(
            scores: [[1, 1, nil], [1, 0, 1], [nil, 1, 0], [0, nil, 0], [1, 1, 1], [0, 0, 0]],
            maxScores: [1, 1, 1]
        )
        let report = ClassicalAnalysis.analyse(matrix)

        // Each item seen by 5: i0 3 right, i1 3 right, i2 2 right.
        #expect(report.items.map(\.count) == [5, 5, 5])
        #expect(nearClassical(report.items[0].difficulty, 0.6))
        #expect(nearClassical(report.items[1].difficulty, 0.6))
        #expect(nearClassical(report.items[2].difficulty, 0.4))
        // Mean of 3, 2, 1.5, 0, 3, 0 = 9.5 / 6.
        #expect(nearClassical(report.meanTotal, 9.5 / 6))

        // i0 over e0 e1 e3 e4 e5; rest scaled to 2 items:
        //   e0 1/1 · 2 = 2, e1 1, e3 0/1 · 2 = 0, e4 2, e5 0.
        //   x = 1 1 0 1 0, y = 2 1 0 2 0: Sxy = 5 − 3 = 2, Sxx = 1.2, Syy = 9 − 5 = 4.
        //   r = 2 / √4.8 ≈ 0.9129.
        #expect(nearClassical(report.items[0].correctedPointBiserial, 2 / 4.8.squareRoot()))

        // Alpha on the complete cases e1, e4, e5 only: rows 101, 111, 000.
        //   Item variances 1/3 each (Σ = 1); totals 2 3 0, variance 7/3.
        //   α = 1.5 · (1 − 3/7) = 6/7.
        #expect(nearClassical(report.alpha, 6.0 / 7))
        #expect(nearClassical(ClassicalAnalysis.alpha(matrix), 6.0 / 7))
        // Without i0, same cases: rows 01, 11, 00; item variances 1/3 + 1/3; totals 1 2 0,
        //   variance 1 → α = 2 · (1 − 2/3) = 2/3.
        #expect(nearClassical(report.items[0].alphaIfDeleted, 2.0 / 3))
    }

    @Test("alpha is undefined for a single item or fewer than two complete cases")
    func alphaUndefined() {
        let single = ScoreMatrix(scores: [[1], [0], [1], [0]], maxScores: [1])
        #expect(ClassicalAnalysis.alpha(single) == nil)
        let report = ClassicalAnalysis.analyse(single)
        #expect(report.alpha == nil)
        #expect(report.items[0].alphaIfDeleted == nil)
        // Nothing left to correlate with once the item itself is taken out.
        #expect(report.items[0].correctedPointBiserial == nil)

        let oneComplete = ScoreMatrix(scores: [[1, 1], [0, nil], [nil, 1]], maxScores: [1, 1])
        #expect(ClassicalAnalysis.alpha(oneComplete) == nil)

        let constant = ScoreMatrix(scores: [[1, 1], [1, 1], [1, 1]], maxScores: [1, 1])
        #expect(ClassicalAnalysis.alpha(constant) == nil)
    }

    @Test("marked items use the proportion of the maximum, and alpha is not KR-20")
    func markedItems() {
        //        i0 (out of 1)  i1 (out of 4)  total
        //   e0:   1              4              5
        //   e1:   1              2              3
        //   e2:   0              1              1
        //   e3:   0              1              1
        let matrix = ScoreMatrix(scores: [[1, 4], [1, 2], [0, 1], [0, 1]], maxScores: [1, 4])
        let report = ClassicalAnalysis.analyse(matrix)
        // i1: mean 2 of 4 = 0.5.
        #expect(nearClassical(report.items[1].difficulty, 0.5))
        // Variances: i0 1/3, i1 (4 + 0 + 1 + 1)/3 = 2, totals (6.25 + 0.25 + 2.25 + 2.25)/3 = 11/3.
        //   α = 2 · (1 − (7/3) / (11/3)) = 8/11.
        #expect(!report.isKR20)
        #expect(nearClassical(report.alpha, 8.0 / 11))
    }

    @Test("an item seen by fewer than 30 examinees is flagged, and one seen by 30 is not")
    func responseCount() {
        // 30 examinees: the first 20 right on both items, the rest wrong on both; the
        // second item is hidden from the last examinee.
        var rows: [[Int?]] = []
        for examinee in 0 ..< 30 {
            let score = examinee < 20 ? 1 : 0
            rows.append([score, examinee == 29 ? nil : score])
        }
        let report = ClassicalAnalysis.analyse(ScoreMatrix(scores: rows, maxScores: [1, 1]))
        #expect(report.items[0].count == 30)
        #expect(!report.items[0].flags.contains(.tooFewResponses))
        #expect(report.items[1].count == 29)
        #expect(report.items[1].flags.contains(.tooFewResponses))
    }
}
