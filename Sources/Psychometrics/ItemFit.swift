import Foundation

/// How well each item's curve matches the data: the root mean squared deviation (RMSD)
/// between the observed and the model's expected score curve, as PISA and other large
/// assessments report it (Oliveri & von Davier 2011).
///
/// Each examinee's posterior over the quadrature nodes spreads their score on an item over
/// the ability scale; summed over examinees this gives the observed proportion of the
/// maximum score at each node. The model gives the expected proportion there. RMSD is the
/// square root of the squared differences averaged over nodes, weighted by the posterior
/// mass of the examinees who saw the item. 0 is a perfect fit; values above 0.12 (the
/// threshold PISA uses) mean the item's curve does not describe the data.
public struct ItemFit: Sendable, Hashable {
    public var item: Int
    public var rmsd: Double
    /// Observed and expected proportion of the maximum score at each quadrature node.
    public var observed: [Double]
    public var expected: [Double]

    public static let misfitThreshold = 0.12

    public var isMisfit: Bool { rmsd > Self.misfitThreshold }

    /// Fit of every item; items nobody saw get RMSD 0 and empty curves.
    public static func rmsd(_ patterns: [ResponsePattern], items: [ItemModel], quadrature: Quadrature = .standard) -> [ItemFit] {
        let nodes = quadrature.nodes
        let q = nodes.count
        let itemCount = items.count
        // Per item and node: posterior mass, and mass times the examinee's proportion score.
        var mass = [Double](repeating: 0, count: itemCount * q)
        var scored = [Double](repeating: 0, count: itemCount * q)
        // Log-probability table: per item, per score, per node.
        var offsets: [Int] = []
        var table: [Double] = []
        for item in items {
            offsets.append(table.count)
            for score in 0 ... item.maxScore {
                for node in nodes { table.append(item.logLikelihood(of: score, at: node)) }
            }
        }
        let logWeights = quadrature.weights.map { $0 > 0 ? Foundation.log($0) : -Double.infinity }
        var posterior = [Double](repeating: 0, count: q)
        for pattern in patterns where pattern.count > 0 {
            for node in 0 ..< q { posterior[node] = logWeights[node] }
            for (item, score) in zip(pattern.items, pattern.scores) where items.indices.contains(item) && (0 ... items[item].maxScore).contains(score) {
                let row = offsets[item] + score * q
                for node in 0 ..< q { posterior[node] += table[row + node] }
            }
            let largest = posterior.max() ?? 0
            var sum = 0.0
            for node in 0 ..< q {
                posterior[node] = Foundation.exp(posterior[node] - largest)
                sum += posterior[node]
            }
            for node in 0 ..< q { posterior[node] /= sum }
            for (item, score) in zip(pattern.items, pattern.scores) where items.indices.contains(item) && (0 ... items[item].maxScore).contains(score) {
                let proportion = Double(score) / Double(items[item].maxScore)
                let base = item * q
                for node in 0 ..< q {
                    mass[base + node] += posterior[node]
                    scored[base + node] += posterior[node] * proportion
                }
            }
        }
        return (0 ..< itemCount).map { item in
            let base = item * q
            let total = (0 ..< q).reduce(0) { $0 + mass[base + $1] }
            guard total > 0 else { return ItemFit(item: item, rmsd: 0, observed: [], expected: []) }
            var observed: [Double] = []
            var expected: [Double] = []
            var squared = 0.0
            for node in 0 ..< q {
                let model = items[item]
                let expectation = (0 ... model.maxScore).reduce(0.0) { $0 + Double($1) * model.probability(of: $1, at: nodes[node]) }
                    / Double(model.maxScore)
                let seen = mass[base + node] > 0 ? scored[base + node] / mass[base + node] : expectation
                observed.append(seen)
                expected.append(expectation)
                squared += mass[base + node] / total * (seen - expectation) * (seen - expectation)
            }
            return ItemFit(item: item, rmsd: squared.squareRoot(), observed: observed, expected: expected)
        }
    }
}
