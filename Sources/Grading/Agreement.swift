/// How closely two scorers (people, the rubric checks, a model judge) agree on the same answers.
public enum Agreement {
    /// Share of answers given exactly the same score.
    public static func exact(_ a: [Int], _ b: [Int]) -> Double? {
        guard a.count == b.count, !a.isEmpty else { return nil }
        return Double(zip(a, b).filter { $0 == $1 }.count) / Double(a.count)
    }

    /// Share of answers whose scores differ by at most one point.
    public static func adjacent(_ a: [Int], _ b: [Int]) -> Double? {
        guard a.count == b.count, !a.isEmpty else { return nil }
        return Double(zip(a, b).filter { abs($0 - $1) <= 1 }.count) / Double(a.count)
    }

    /// Quadratic weighted kappa (Cohen, 1968) over the integer scores `minScore...maxScore`:
    /// 1 for perfect agreement, 0 for what chance gives, negative for systematic disagreement.
    /// Nil when the lists differ in length, are empty, or leave no variation to compare
    /// (both scorers give every answer the same single score).
    public static func quadraticWeightedKappa(_ a: [Int], _ b: [Int], minScore: Int, maxScore: Int) -> Double? {
        guard a.count == b.count, !a.isEmpty, maxScore > minScore else { return nil }
        let categories = maxScore - minScore + 1
        var observed = [[Double]](repeating: [Double](repeating: 0, count: categories), count: categories)
        var rowTotals = [Double](repeating: 0, count: categories)
        var columnTotals = [Double](repeating: 0, count: categories)
        for (x, y) in zip(a, b) {
            let i = min(max(x, minScore), maxScore) - minScore
            let j = min(max(y, minScore), maxScore) - minScore
            observed[i][j] += 1
            rowTotals[i] += 1
            columnTotals[j] += 1
        }
        let n = Double(a.count)
        let span = Double((categories - 1) * (categories - 1))
        var weightedObserved = 0.0, weightedExpected = 0.0
        for i in 0..<categories {
            for j in 0..<categories {
                let weight = Double((i - j) * (i - j)) / span
                weightedObserved += weight * observed[i][j]
                weightedExpected += weight * rowTotals[i] * columnTotals[j] / n
            }
        }
        guard weightedExpected > 0 else { return nil }
        return 1 - weightedObserved / weightedExpected
    }
}

extension Agreement {
    /// Standardized mean difference of a machine's scores from people's: the difference of
    /// the means over the pooled standard deviation, sqrt((sd² machine + sd² human) / 2)
    /// (Williamson, Xi and Breyer, 2012). Nil for lists of different lengths, under two
    /// answers, or with no spread in either.
    public static func standardizedMeanDifference(machine: [Int], human: [Int]) -> Double? {
        guard machine.count == human.count, machine.count >= 2 else { return nil }
        func moments(_ values: [Int]) -> (mean: Double, variance: Double) {
            let mean = Double(values.reduce(0, +)) / Double(values.count)
            let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count - 1)
            return (mean, variance)
        }
        let m = moments(machine), h = moments(human)
        let pooled = ((m.variance + h.variance) / 2).squareRoot()
        guard pooled > 0 else { return nil }
        return (m.mean - h.mean) / pooled
    }
}
