import Foundation

// Classical test theory item analysis: the statistics an exam board reviews before an item
// goes back into the bank (facility, corrected point-biserial, alpha if deleted, distractor
// analysis) and the flags that send it back to its author.

/// Scores by examinee (rows) and item (columns). `nil` means the item was not presented,
/// which is how adaptive data is held: each examinee sees a few items of a large bank. A
/// row shorter than the item count is read as not presented for the missing items.
public struct ScoreMatrix: Sendable {
    public var scores: [[Int?]]
    /// The highest score on each item: 1 for right/wrong items.
    public var maxScores: [Int]

    public init(scores: [[Int?]], maxScores: [Int]) {
        precondition(maxScores.allSatisfy { $0 > 0 }, "every item needs a maximum score above 0")
        self.scores = scores
        self.maxScores = maxScores
    }

    public var examineeCount: Int { scores.count }
    public var itemCount: Int { maxScores.count }

    /// The score of an examinee on an item, nil when the item was not presented.
    func score(_ examinee: Int, _ item: Int) -> Int? {
        let row = scores[examinee]
        return item < row.count ? row[item] : nil
    }

    /// A total for possibly sparse data: the proportion of the marks earned on the items seen,
    /// scaled to the marks available on the whole test (the item count for right/wrong
    /// items). For an examinee who saw everything it is exactly the raw total. nil when
    /// nothing was seen.
    static func scaledTotal(earned: Int, possible: Int, fullMarks: Int) -> Double? {
        guard possible > 0 else { return nil }
        // Exact raw total for complete rows, so totals stay integral (and strata exact).
        if possible == fullMarks { return Double(earned) }
        return Double(earned) / Double(possible) * Double(fullMarks)
    }
}

/// Why an item needs an author's attention.
public enum ItemFlag: Sendable, Hashable, CustomStringConvertible {
    /// Corrected point-biserial below 0.
    case negativeDiscrimination
    /// Corrected point-biserial from 0 up to 0.20.
    case lowDiscrimination
    /// More than 95% of the available marks earned.
    case tooEasy
    /// Less than 20% of the available marks earned.
    case tooHard
    /// Among the top 27% by total a wrong option was chosen more often than the key, or the
    /// option's choosers have a higher mean total than the key's choosers.
    case distractorAttractsHighScorers(option: String)
    /// Fewer than 30 examinees saw the item, so its statistics are unreliable.
    case tooFewResponses

    public var description: String {
        switch self {
        case .negativeDiscrimination:
            "examinees who did well on the rest of the test did worse on this item: check the key and the wording"
        case .lowDiscrimination:
            "the item barely separates stronger from weaker examinees (corrected point-biserial below 0.20)"
        case .tooEasy:
            "almost everyone gets this item right (over 95% of the marks)"
        case .tooHard:
            "very few get this item right (under 20% of the marks)"
        case let .distractorAttractsHighScorers(option):
            "more high scorers chose option \(option) than the key, or those choosing it did better overall: check it is not also right"
        case .tooFewResponses:
            "fewer than 30 examinees saw this item, so its statistics are unreliable"
        }
    }
}

/// How one option of a choice item was used.
public struct DistractorStatistics: Sendable, Hashable {
    public var option: String
    public var isKey: Bool
    /// Share of those who answered the item who chose this option.
    public var proportion: Double
    /// Share of the top 27% (by total) who chose it.
    public var upperProportion: Double
    /// Share of the bottom 27% who chose it.
    public var lowerProportion: Double
    /// Correlation of choosing this option with the rest score; nil if undefined.
    public var pointBiserial: Double?
}

/// The classical statistics of one item.
public struct ItemStatistics: Sendable, Hashable {
    public var item: Int
    /// How many examinees saw the item.
    public var count: Int
    /// Mean score over max score (the p-value for right/wrong items); 0 when nobody saw it.
    public var difficulty: Double
    /// Correlation of the item score with the rest score (total minus this item), over the
    /// examinees who saw the item; nil when undefined (no variance).
    public var correctedPointBiserial: Double?
    /// Alpha over the remaining items, on the same complete cases as the overall alpha.
    public var alphaIfDeleted: Double?
    /// One entry per option, in option order; empty when no choices or key were given.
    public var distractors: [DistractorStatistics]
    public var flags: [ItemFlag]
}

/// The item analysis of a whole test.
public struct ClassicalReport: Sendable {
    public var items: [ItemStatistics]
    /// Cronbach's alpha over complete cases; nil when it cannot be computed.
    public var alpha: Double?
    /// True when every item is right/wrong, so `alpha` is KR-20.
    public var isKR20: Bool
    public var examineeCount: Int
    /// Mean of the (scaled) totals of examinees who saw at least one item.
    public var meanTotal: Double
    /// Sample standard deviation (n − 1) of those totals.
    public var totalStandardDeviation: Double
}

public enum ClassicalAnalysis {
    /// Thresholds an exam board commonly applies.
    static let minimumResponses = 30
    static let lowDiscriminationBelow = 0.20
    static let tooEasyAbove = 0.95
    static let tooHardBelow = 0.20
    static let extremeGroupShare = 0.27

    /// Item statistics, reliability and flags for a test.
    ///
    /// Totals for sparse data are the proportion of marks earned on the items an examinee
    /// saw, scaled to the whole test's marks (the item count for right/wrong items); for
    /// complete data they are the raw totals. Rest scores are built the same way without the
    /// item in question. Alpha and alpha-if-deleted use complete cases only.
    ///
    /// - Parameters:
    ///   - choices: choices[e][i] = the option examinee e picked on item i (nil if not a
    ///     choice item or not seen).
    ///   - keys: keys[i] = the key option for choice items; distractor analysis is done only
    ///     for items with a key.
    public static func analyse(
        _ matrix: ScoreMatrix,
        choices: [[String?]]? = nil,
        keys: [String?]? = nil
    ) -> ClassicalReport {
        let examinees = matrix.examineeCount
        let itemCount = matrix.itemCount
        let fullMarks = matrix.maxScores.reduce(0, +)

        // Marks earned and available on the items each examinee saw.
        var earned = [Int](repeating: 0, count: examinees)
        var possible = [Int](repeating: 0, count: examinees)
        for examinee in 0 ..< examinees {
            for item in 0 ..< itemCount {
                if let score = matrix.score(examinee, item) {
                    earned[examinee] += score
                    possible[examinee] += matrix.maxScores[item]
                }
            }
        }
        let totals: [Double?] = (0 ..< examinees).map {
            ScoreMatrix.scaledTotal(earned: earned[$0], possible: possible[$0], fullMarks: fullMarks)
        }

        // The total without one item, scaled to the marks of the other items.
        func restScore(_ examinee: Int, _ item: Int) -> Double? {
            let itemMax = matrix.maxScores[item]
            if let score = matrix.score(examinee, item) {
                return ScoreMatrix.scaledTotal(
                    earned: earned[examinee] - score,
                    possible: possible[examinee] - itemMax,
                    fullMarks: fullMarks - itemMax
                )
            }
            return ScoreMatrix.scaledTotal(
                earned: earned[examinee], possible: possible[examinee], fullMarks: fullMarks - itemMax
            )
        }

        let reliability = completeCaseAlpha(matrix)
        var items: [ItemStatistics] = []
        items.reserveCapacity(itemCount)

        for item in 0 ..< itemCount {
            let itemMax = matrix.maxScores[item]
            var count = 0
            var scoreSum = 0
            var itemScores: [Double] = []
            var restScores: [Double] = []
            for examinee in 0 ..< examinees {
                guard let score = matrix.score(examinee, item) else { continue }
                count += 1
                scoreSum += score
                if let rest = restScore(examinee, item) {
                    itemScores.append(Double(score))
                    restScores.append(rest)
                }
            }
            let difficulty = count > 0 ? Double(scoreSum) / Double(count) / Double(itemMax) : 0
            let discrimination = correlation(itemScores, restScores)

            var distractors: [DistractorStatistics] = []
            var distractorFlags: [ItemFlag] = []
            if let choices, let keys, item < keys.count, let key = keys[item] {
                (distractors, distractorFlags) = analyseOptions(
                    item: item, key: key, choices: choices, totals: totals,
                    restScore: { restScore($0, item) }
                )
            }

            var flags: [ItemFlag] = []
            if count < minimumResponses { flags.append(.tooFewResponses) }
            if count > 0 {
                if difficulty > tooEasyAbove { flags.append(.tooEasy) }
                if difficulty < tooHardBelow { flags.append(.tooHard) }
            }
            if let discrimination {
                if discrimination < 0 {
                    flags.append(.negativeDiscrimination)
                } else if discrimination < lowDiscriminationBelow {
                    flags.append(.lowDiscrimination)
                }
            }
            flags += distractorFlags

            items.append(ItemStatistics(
                item: item,
                count: count,
                difficulty: difficulty,
                correctedPointBiserial: discrimination,
                alphaIfDeleted: reliability.ifDeleted[item],
                distractors: distractors,
                flags: flags
            ))
        }

        let presentTotals = totals.compactMap { $0 }
        let meanTotal = presentTotals.isEmpty ? 0 : presentTotals.reduce(0, +) / Double(presentTotals.count)
        let standardDeviation = presentTotals.count < 2 ? 0 : variance(presentTotals).squareRoot()

        return ClassicalReport(
            items: items,
            alpha: reliability.alpha,
            isKR20: matrix.maxScores.allSatisfy { $0 == 1 },
            examineeCount: examinees,
            meanTotal: meanTotal,
            totalStandardDeviation: standardDeviation
        )
    }

    /// Cronbach's alpha over complete cases (examinees who saw every item); equals KR-20 when
    /// every item is right/wrong. nil with fewer than 2 items or 2 complete cases or zero
    /// total variance.
    public static func alpha(_ matrix: ScoreMatrix) -> Double? {
        completeCaseAlpha(matrix).alpha
    }

    // MARK: - Reliability

    /// Alpha, and alpha with each item left out, on the examinees who saw every item. The
    /// same cases serve both (listwise deletion, as SPSS does) so the two compare like for
    /// like.
    private static func completeCaseAlpha(_ matrix: ScoreMatrix) -> (alpha: Double?, ifDeleted: [Double?]) {
        let itemCount = matrix.itemCount
        let none = [Double?](repeating: nil, count: itemCount)
        guard itemCount >= 2 else { return (nil, none) }

        // Columns of the complete cases.
        var columns = [[Double]](repeating: [], count: itemCount)
        for examinee in 0 ..< matrix.examineeCount {
            var row: [Double] = []
            row.reserveCapacity(itemCount)
            for item in 0 ..< itemCount {
                guard let score = matrix.score(examinee, item) else { break }
                row.append(Double(score))
            }
            guard row.count == itemCount else { continue }
            for item in 0 ..< itemCount { columns[item].append(row[item]) }
        }
        let cases = columns[0].count
        guard cases >= 2 else { return (nil, none) }

        var totals = [Double](repeating: 0, count: cases)
        for column in columns {
            for index in 0 ..< cases { totals[index] += column[index] }
        }
        let itemVariances = columns.map { variance($0) }
        let varianceSum = itemVariances.reduce(0, +)

        func alphaValue(items: Int, itemVariance: Double, totalVariance: Double) -> Double? {
            guard items >= 2, totalVariance > 0 else { return nil }
            return Double(items) / Double(items - 1) * (1 - itemVariance / totalVariance)
        }

        let overall = alphaValue(items: itemCount, itemVariance: varianceSum, totalVariance: variance(totals))
        var ifDeleted = none
        if itemCount >= 3 {
            for item in 0 ..< itemCount {
                // Recomputed rather than derived from covariances, so a constant remainder
                // gives exactly zero variance.
                let rest = (0 ..< cases).map { totals[$0] - columns[item][$0] }
                ifDeleted[item] = alphaValue(
                    items: itemCount - 1,
                    itemVariance: varianceSum - itemVariances[item],
                    totalVariance: variance(rest)
                )
            }
        }
        return (overall, ifDeleted)
    }

    // MARK: - Distractors

    /// Option statistics for one choice item, and a flag for each wrong option that draws
    /// high scorers.
    private static func analyseOptions(
        item: Int,
        key: String,
        choices: [[String?]],
        totals: [Double?],
        restScore: (Int) -> Double?
    ) -> ([DistractorStatistics], [ItemFlag]) {
        // Examinees who chose something and have a total.
        var answered: [(examinee: Int, option: String, total: Double)] = []
        for examinee in 0 ..< min(choices.count, totals.count) {
            let row = choices[examinee]
            guard item < row.count, let option = row[item], let total = totals[examinee] else { continue }
            answered.append((examinee, option, total))
        }
        guard !answered.isEmpty else { return ([], []) }

        // Upper and lower 27% by total; ties at the cut go by examinee order.
        let ranked = answered.sorted {
            $0.total != $1.total ? $0.total > $1.total : $0.examinee < $1.examinee
        }
        let groupSize = max(1, Int((extremeGroupShare * Double(ranked.count)).rounded()))
        let upper = ranked.prefix(groupSize)
        let lower = ranked.suffix(groupSize)

        let options = Set(answered.map { $0.option }).union([key]).sorted()
        var statistics: [DistractorStatistics] = []
        var meanTotals: [String: Double] = [:]
        for option in options {
            let choosers = answered.filter { $0.option == option }
            if !choosers.isEmpty {
                meanTotals[option] = choosers.reduce(0.0) { $0 + $1.total } / Double(choosers.count)
            }
            var indicators: [Double] = []
            var rests: [Double] = []
            for answer in answered {
                guard let rest = restScore(answer.examinee) else { continue }
                indicators.append(answer.option == option ? 1 : 0)
                rests.append(rest)
            }
            statistics.append(DistractorStatistics(
                option: option,
                isKey: option == key,
                proportion: Double(choosers.count) / Double(answered.count),
                upperProportion: Double(upper.filter { $0.option == option }.count) / Double(upper.count),
                lowerProportion: Double(lower.filter { $0.option == option }.count) / Double(lower.count),
                pointBiserial: correlation(indicators, rests)
            ))
        }

        let keyUpper = statistics.first { $0.isKey }?.upperProportion ?? 0
        let keyMean = meanTotals[key]
        var flags: [ItemFlag] = []
        for entry in statistics where !entry.isKey {
            let drawsTopGroup = entry.upperProportion > keyUpper
            var outscoresKey = false
            if let mean = meanTotals[entry.option], let keyMean { outscoresKey = mean > keyMean }
            if drawsTopGroup || outscoresKey {
                flags.append(.distractorAttractsHighScorers(option: entry.option))
            }
        }
        return (statistics, flags)
    }

    // MARK: - Helpers

    /// Sample variance (n − 1); callers pass at least two values.
    static func variance(_ values: [Double]) -> Double {
        let mean = values.reduce(0, +) / Double(values.count)
        let squares = values.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) }
        return squares / Double(values.count - 1)
    }

    /// Pearson correlation; nil with fewer than two pairs or when either side is constant.
    static func correlation(_ x: [Double], _ y: [Double]) -> Double? {
        let count = x.count
        guard count >= 2, y.count == count else { return nil }
        let meanX = x.reduce(0, +) / Double(count)
        let meanY = y.reduce(0, +) / Double(count)
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        var squaresX = 0.0, squaresY = 0.0
        for index in 0 ..< count {
            let dx = x[index] - meanX
            let dy = y[index] - meanY
            sxx += dx * dx
            syy += dy * dy
            sxy += dx * dy
            squaresX += x[index] * x[index]
            squaresY += y[index] * y[index]
        }
        // Relative tolerance: scaled sparse totals can differ only by rounding error.
        guard sxx > 1e-12 * squaresX, syy > 1e-12 * squaresY, sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }
}
