import Foundation

// Differential item functioning by the Mantel–Haenszel procedure (Holland & Thayer, 1988),
// classified by the ETS rules: does an item behave differently for two groups of examinees
// of the same overall attainment?

/// The ETS classification of DIF size.
public enum DIFCategory: String, Sendable, Codable {
    /// Negligible.
    case a = "A"
    /// Slight to moderate.
    case b = "B"
    /// Moderate to large: the item goes to review.
    case c = "C"
}

/// The Mantel–Haenszel statistics of one item.
public struct DIFResult: Sendable, Hashable {
    public var item: Int
    /// Examinees of each group who saw the item.
    public var referenceCount: Int
    public var focalCount: Int
    /// α_MH, the common odds ratio of answering right, reference over focal.
    public var commonOddsRatio: Double?
    /// Δ_MH = −2.35 · ln α_MH on the ETS delta scale; negative means harder for the focal group.
    public var delta: Double?
    /// 2.35 × SE(ln α_MH), from the Robins–Breslow–Greenland variance.
    public var deltaStandardError: Double?
    /// MH χ² with continuity correction, 1 degree of freedom.
    public var chiSquare: Double?
    public var pValue: Double?
    /// A when the statistics cannot be computed.
    public var category: DIFCategory
    /// "reference" or "focal" for B and C items, nil for A.
    public var favours: String?
}

public enum MantelHaenszel {
    /// Mantel–Haenszel DIF for every item, matching on the total score.
    ///
    /// Strata are total-score levels; a stratum holding only one group is skipped. Items
    /// scored above 1 are dichotomised as full marks versus not, and the matching total is
    /// the number of items at full marks (studied item included, as Holland & Thayer
    /// require). For sparse data the total is the proportion at full marks over the items
    /// seen, scaled to the item count and rounded to a whole stratum.
    ///
    /// - Parameters:
    ///   - groups: groups[e] names examinee e's group; nil, or any other name, leaves the
    ///     examinee out of the comparison.
    /// - Returns: one result per item, in item order. An item without both groups in a
    ///   common stratum, or with a zero margin, has nil statistics and category A.
    public static func dif(
        _ matrix: ScoreMatrix,
        groups: [String?],
        reference: String,
        focal: String
    ) -> [DIFResult] {
        let examinees = matrix.examineeCount
        let itemCount = matrix.itemCount

        // true = reference, false = focal, nil = not compared.
        let isReference: [Bool?] = (0 ..< examinees).map { examinee in
            guard examinee < groups.count, let group = groups[examinee] else { return nil }
            if group == reference { return true }
            if group == focal { return false }
            return nil
        }

        func right(_ examinee: Int, _ item: Int) -> Bool? {
            matrix.score(examinee, item).map { $0 >= matrix.maxScores[item] }
        }

        // The matching stratum of each compared examinee.
        let strata: [Int?] = (0 ..< examinees).map { examinee in
            guard isReference[examinee] != nil else { return nil }
            var correct = 0
            var seen = 0
            for item in 0 ..< itemCount {
                guard let isRight = right(examinee, item) else { continue }
                seen += 1
                if isRight { correct += 1 }
            }
            guard let total = ScoreMatrix.scaledTotal(earned: correct, possible: seen, fullMarks: itemCount)
            else { return nil }
            return Int(total.rounded())
        }

        return (0 ..< itemCount).map { item in
            var tables: [Int: Table] = [:]
            var referenceCount = 0
            var focalCount = 0
            for examinee in 0 ..< examinees {
                guard let inReference = isReference[examinee],
                      let isRight = right(examinee, item),
                      let stratum = strata[examinee]
                else { continue }
                if inReference {
                    referenceCount += 1
                    if isRight { tables[stratum, default: Table()].a += 1 } else { tables[stratum, default: Table()].b += 1 }
                } else {
                    focalCount += 1
                    if isRight { tables[stratum, default: Table()].c += 1 } else { tables[stratum, default: Table()].d += 1 }
                }
            }
            // Strata in order, so sums (and so results) do not depend on hashing.
            let ordered = tables.keys.sorted().compactMap { tables[$0] }
            return result(item: item, tables: ordered, referenceCount: referenceCount, focalCount: focalCount)
        }
    }

    /// One stratum's 2×2 table: a, b = reference right, wrong; c, d = focal right, wrong.
    struct Table {
        var a = 0.0
        var b = 0.0
        var c = 0.0
        var d = 0.0
    }

    /// The MH statistics and ETS category from an item's strata.
    static func result(item: Int, tables: [Table], referenceCount: Int, focalCount: Int) -> DIFResult {
        var sumR = 0.0, sumS = 0.0
        var sumPR = 0.0, sumPSQR = 0.0, sumQS = 0.0
        var sumA = 0.0, sumExpected = 0.0, sumVariance = 0.0

        for table in tables {
            let referenceTotal = table.a + table.b
            let focalTotal = table.c + table.d
            // A stratum with only one group carries no comparison.
            guard referenceTotal > 0, focalTotal > 0 else { continue }
            let total = referenceTotal + focalTotal
            let r = table.a * table.d / total
            let s = table.b * table.c / total
            let p = (table.a + table.d) / total
            let q = (table.b + table.c) / total
            sumR += r
            sumS += s
            sumPR += p * r
            sumPSQR += p * s + q * r
            sumQS += q * s

            // Hypergeometric mean and variance of a, given the margins.
            let rightTotal = table.a + table.c
            let wrongTotal = table.b + table.d
            sumA += table.a
            sumExpected += referenceTotal * rightTotal / total
            sumVariance += referenceTotal * focalTotal * rightTotal * wrongTotal / (total * total * (total - 1))
        }

        var oddsRatio: Double?
        var delta: Double?
        var standardError: Double?
        if sumR > 0, sumS > 0 {
            let alpha = sumR / sumS
            oddsRatio = alpha
            delta = -2.35 * Foundation.log(alpha)
            // Robins, Breslow & Greenland (1986) variance of ln α_MH.
            let variance = sumPR / (2 * sumR * sumR) + sumPSQR / (2 * sumR * sumS) + sumQS / (2 * sumS * sumS)
            standardError = 2.35 * variance.squareRoot()
        }

        var chiSquare: Double?
        var pValue: Double?
        if sumVariance > 0 {
            let deviation = max(0, abs(sumA - sumExpected) - 0.5)
            let statistic = deviation * deviation / sumVariance
            chiSquare = statistic
            pValue = chiSquarePValue(statistic)
        }

        var category = classify(delta: delta, standardError: standardError, pValue: pValue)
        var favours: String?
        if category != .a, let delta {
            favours = delta < 0 ? "reference" : "focal"
        }
        // Completely separated tables: one group never right (or never wrong) where the
        // other is, so α is 0 or infinite and Δ has no finite value. That is the largest DIF
        // there is; when the χ² is significant it is C.
        if delta == nil, let pValue, pValue < 0.05, sumR > 0 || sumS > 0 {
            category = .c
            favours = sumS == 0 ? "reference" : "focal"
        }

        return DIFResult(
            item: item,
            referenceCount: referenceCount,
            focalCount: focalCount,
            commonOddsRatio: oddsRatio,
            delta: delta,
            deltaStandardError: standardError,
            chiSquare: chiSquare,
            pValue: pValue,
            category: category,
            favours: favours
        )
    }

    /// ETS rules: C when |Δ| ≥ 1.5 and significantly above 1 (one-sided z > 1.645); A when
    /// |Δ| < 1 or the MH χ² is not significant at 0.05; otherwise B.
    static func classify(delta: Double?, standardError: Double?, pValue: Double?) -> DIFCategory {
        guard let delta, let pValue else { return .a }
        let size = abs(delta)
        if size < 1 || pValue >= 0.05 { return .a }
        if size >= 1.5, let standardError, standardError > 0, (size - 1) / standardError > 1.645 {
            return .c
        }
        return .b
    }

    /// Upper tail of χ² with 1 degree of freedom: P(χ² > x) = erfc(√(x/2)).
    static func chiSquarePValue(_ statistic: Double) -> Double {
        erfc((statistic / 2).squareRoot())
    }
}
