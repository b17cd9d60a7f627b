import Foundation

// The rules of a computerised adaptive test (CAT) and of randomised linear forms, as pure
// functions over values. The exam service stores an `AdaptiveState` per sitting and calls
// `AdaptiveEngine.nextItem`, `record` and `stopReason` in turn; nothing here does I/O, and
// anything random takes a `SeededGenerator`, so a sitting replays exactly from its seed.

/// One item of an exam bank: a stable identifier, the skill area it counts towards for
/// content balancing, and its calibrated response model.
public struct BankItem: Sendable, Hashable, Codable {
    public var id: String
    public var area: String
    public var model: ItemModel

    public init(id: String, area: String, model: ItemModel) {
        self.id = id
        self.area = area
        self.model = model
    }
}

/// How an adaptive exam chooses items and when it ends.
public struct AdaptiveRules: Sendable, Hashable {
    /// No stop (other than an exhausted bank) before this many items.
    public var minLength: Int
    /// Always stop after this many items.
    public var maxLength: Int
    /// Stop once the standard error of the ability estimate is at most this.
    public var targetStandardError: Double = 0.30
    /// Exposure control: the next item is drawn at random among the k most informative
    /// eligible items (1 = always the most informative).
    public var randomesque: Int = 5
    /// Exposure control across exams: an item already in more than this share of past exams
    /// is not eligible (given the running counts in `ExposureRecord`), unless nothing else
    /// in its area is left. nil = no cap. Keeps the most informative items from being seen
    /// by so many examinees that they become known.
    public var maxExposure: Double? = 0.25
    /// The share of the exam per skill area (any positive weights; they are normalised).
    /// Empty means no content balancing.
    public var areaTargets: [String: Double]
    /// A pass mark on the ability scale; nil means no early pass/fail decision.
    public var cutScore: Double?
    /// Two-sided confidence of the interval θ̂ ± z·SE used for pass/fail decisions.
    public var confidence: Double = 0.95
    /// The prior of the EAP ability estimate; its mean is the starting point.
    public var prior: NormalPrior = .standard

    public init(
        minLength: Int,
        maxLength: Int,
        areaTargets: [String: Double],
        targetStandardError: Double = 0.30,
        randomesque: Int = 5,
        cutScore: Double? = nil,
        confidence: Double = 0.95,
        prior: NormalPrior = .standard,
        maxExposure: Double? = 0.25
    ) {
        self.minLength = minLength
        self.maxLength = maxLength
        self.areaTargets = areaTargets
        self.targetStandardError = targetStandardError
        self.randomesque = randomesque
        self.cutScore = cutScore
        self.confidence = confidence
        self.prior = prior
        self.maxExposure = maxExposure
    }
}

/// How often each bank item has been given so far, across exams: what the exposure cap
/// is checked against. The exam service keeps these counts in its store.
public struct ExposureRecord: Sendable, Hashable, Codable {
    /// Exams started so far.
    public var exams: Int
    /// Per bank index, the number of those exams the item was given in.
    public var counts: [Int]

    public init(exams: Int = 0, counts: [Int]) {
        self.exams = exams
        self.counts = counts
    }

    public init(bankSize: Int) {
        self.init(exams: 0, counts: [Int](repeating: 0, count: bankSize))
    }

    /// Counts a finished (or started) exam's items.
    public mutating func record(_ administered: [Int]) {
        exams += 1
        for item in Set(administered) where counts.indices.contains(item) { counts[item] += 1 }
    }

    /// Whether giving `item` in one more exam would take it past `cap`. The cap starts to
    /// apply after a few exams, so the first examinees are not limited to a random few items.
    func isOverexposed(_ item: Int, cap: Double) -> Bool {
        guard exams >= Self.warmUp, counts.indices.contains(item) else { return false }
        return Double(counts[item] + 1) / Double(exams + 1) > cap
    }

    static let warmUp = 20
}

public enum Decision: String, Sendable, Codable {
    case pass, fail
}

public enum StopReason: String, Sendable, Codable {
    case precisionReached, maximumLength, decided, bankExhausted
}

/// What has happened so far in one adaptive exam.
public struct AdaptiveState: Sendable, Hashable {
    /// Bank indexes of the items given, in order.
    public var administered: [Int]
    /// The score on each of those items.
    public var scores: [Int]
    /// The current ability estimate; set by `AdaptiveEngine.record` (nil before any answer).
    public var estimate: AbilityEstimate?

    public init() {
        administered = []
        scores = []
        estimate = nil
    }
}

public enum AdaptiveEngine {
    /// Records an answer and re-estimates ability (EAP with the rules' prior over
    /// `Quadrature(points: 61, prior: rules.prior)`).
    ///
    /// Preconditions (programmer errors, checked): `item` is a bank index not given before
    /// in this state, and `score` lies in `0...bank[item].model.maxScore`.
    public static func record(score: Int, for item: Int, in state: inout AdaptiveState, bank: [BankItem], rules: AdaptiveRules) {
        precondition(bank.indices.contains(item), "item \(item) is not in the bank")
        precondition(!state.administered.contains(item), "item \(item) was already given in this exam")
        let model = bank[item].model
        precondition(score >= 0 && score <= model.maxScore, "score \(score) is outside 0...\(model.maxScore)")
        state.administered.append(item)
        state.scores.append(score)
        state.estimate = estimate(administered: state.administered, scores: state.scores, bank: bank, prior: rules.prior)
    }

    /// The EAP estimate for the given answers (only the administered items are scored).
    static func estimate(administered: [Int], scores: [Int], bank: [BankItem], prior: NormalPrior) -> AbilityEstimate {
        let models = administered.map { bank[$0].model }
        let pattern = ResponsePattern(items: Array(models.indices), scores: scores)
        return AbilityEstimator.eap(pattern, items: models, quadrature: Quadrature(points: 61, prior: prior))
    }

    /// The next item to give, as a bank index.
    ///
    /// The skill area furthest below its target share (normalised target·(n+1) − items of
    /// that area given so far; ties by area name) is chosen; among that area's unused items
    /// the `randomesque` most informative at the current estimate (the prior mean before any
    /// answer) are kept, and one of them is drawn with the generator. When the chosen area is
    /// used up, the next targeted area in the same order is tried; when every targeted area is
    /// used up (or there are no targets), any unused item of the bank is eligible.
    /// Returns nil when every bank item has been given.
    public static func nextItem(
        bank: [BankItem], state: AdaptiveState, rules: AdaptiveRules, exposure: ExposureRecord? = nil, generator: inout SeededGenerator
    ) -> Int? {
        guard !bank.isEmpty else { return nil }
        var used = [Bool](repeating: false, count: bank.count)
        var usedCount = 0
        for index in state.administered where index >= 0 && index < bank.count && !used[index] {
            used[index] = true
            usedCount += 1
        }
        guard usedCount < bank.count else { return nil }

        let theta = state.estimate?.theta ?? rules.prior.mean
        let k = max(1, rules.randomesque)

        // Items past the exposure cap are set aside first; only if an area has nothing else
        // left are they considered again.
        var capped = used
        if let cap = rules.maxExposure, let exposure {
            for index in bank.indices where !capped[index] && exposure.isOverexposed(index, cap: cap) { capped[index] = true }
        }
        for area in areaOrder(state: state, bank: bank, rules: rules) {
            for excluded in [capped, used] {
                var top = TopK(capacity: k)
                for index in bank.indices where !excluded[index] && bank[index].area == area {
                    top.offer(information: bank[index].model.information(at: theta), index: index)
                }
                if let chosen = top.draw(using: &generator) { return chosen }
            }
        }

        var top = TopK(capacity: k)
        for index in bank.indices where !used[index] {
            top.offer(information: bank[index].model.information(at: theta), index: index)
        }
        return top.draw(using: &generator)
    }

    /// Whether to stop, and why. In order: `maximumLength` once `maxLength` items are given;
    /// `bankExhausted` once every bank item is given; nothing before `minLength`; `decided`
    /// when a cut is set and the interval θ̂ ± z·SE lies wholly on one side of it;
    /// `precisionReached` when SE ≤ `targetStandardError`. nil means give another item.
    public static func stopReason(state: AdaptiveState, bank: [BankItem], rules: AdaptiveRules) -> StopReason? {
        let length = state.administered.count
        if length >= rules.maxLength { return .maximumLength }
        let distinct = Set(state.administered.filter { $0 >= 0 && $0 < bank.count }).count
        if distinct >= bank.count { return .bankExhausted }
        if length < rules.minLength { return nil }
        guard let estimate = state.estimate else { return nil }
        if let cut = rules.cutScore, intervalDecision(estimate: estimate, cut: cut, confidence: rules.confidence) != nil {
            return .decided
        }
        if estimate.standardError <= rules.targetStandardError { return .precisionReached }
        return nil
    }

    /// Pass/fail from the current estimate: if the interval θ̂ ± z·SE clears the cut, that
    /// side; otherwise θ̂ ≥ cut passes. nil without a cut or before any answer.
    public static func decision(state: AdaptiveState, rules: AdaptiveRules) -> Decision? {
        guard let cut = rules.cutScore, let estimate = state.estimate else { return nil }
        if let decided = intervalDecision(estimate: estimate, cut: cut, confidence: rules.confidence) {
            return decided
        }
        return estimate.theta >= cut ? .pass : .fail
    }

    /// The side of the cut the confidence interval lies on, or nil if it straddles the cut.
    static func intervalDecision(estimate: AbilityEstimate, cut: Double, confidence: Double) -> Decision? {
        let z = twoSidedZ(confidence: confidence)
        let half = z * estimate.standardError
        if estimate.theta - half >= cut { return .pass }
        if estimate.theta + half < cut { return .fail }
        return nil
    }

    /// z with P(|Z| ≤ z) = confidence.
    static func twoSidedZ(confidence: Double) -> Double {
        guard confidence.isFinite, confidence > 0 else { return 0 }
        let upper = 1 - (1 - min(confidence, 1 - 1e-12)) / 2
        return max(0, normalQuantile(upper))
    }

    /// The standard normal quantile Φ⁻¹(p) (Acklam's rational approximation, relative error
    /// below 1.2e-9).
    static func normalQuantile(_ probability: Double) -> Double {
        let p = min(max(probability, 1e-300), 1 - 1e-16)
        let a: [Double] = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
            1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b: [Double] = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
            6.680131188771972e+01, -1.328068155288572e+01,
        ]
        let c: [Double] = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
            -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d: [Double] = [
            7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
            3.754408661907416e+00,
        ]
        let low = 0.02425
        if p < low || p > 1 - low {
            let tail = p < low ? p : 1 - p
            let q = (-2 * Foundation.log(tail)).squareRoot()
            var numerator = c[0]
            for coefficient in c.dropFirst() { numerator = numerator * q + coefficient }
            var denominator = d[0]
            for coefficient in d.dropFirst() { denominator = denominator * q + coefficient }
            denominator = denominator * q + 1
            let x = numerator / denominator
            return p < low ? x : -x
        }
        let q = p - 0.5
        let r = q * q
        var numerator = a[0]
        for coefficient in a.dropFirst() { numerator = numerator * r + coefficient }
        var denominator = b[0]
        for coefficient in b.dropFirst() { denominator = denominator * r + coefficient }
        denominator = denominator * r + 1
        return numerator * q / denominator
    }

    /// The targeted areas (positive weight), furthest below their share first, ties by name.
    static func areaOrder(state: AdaptiveState, bank: [BankItem], rules: AdaptiveRules) -> [String] {
        let targets = normalisedTargets(rules.areaTargets)
        guard !targets.isEmpty else { return [] }
        var given: [String: Int] = [:]
        for index in state.administered where index >= 0 && index < bank.count {
            given[bank[index].area, default: 0] += 1
        }
        let next = Double(state.administered.count + 1)
        let deficits = targets.map { (area: $0.area, deficit: $0.share * next - Double(given[$0.area] ?? 0)) }
        return deficits.sorted { lhs, rhs in
            if abs(lhs.deficit - rhs.deficit) > 1e-9 { return lhs.deficit > rhs.deficit }
            return lhs.area < rhs.area
        }.map { $0.area }
    }

    /// Positive, finite weights scaled to sum to 1, sorted by area name.
    static func normalisedTargets(_ targets: [String: Double]) -> [(area: String, share: Double)] {
        let positive = targets.keys.sorted().compactMap { area -> (area: String, share: Double)? in
            guard let weight = targets[area], weight.isFinite, weight > 0 else { return nil }
            return (area: area, share: weight)
        }
        let total = positive.reduce(0.0) { $0 + $1.share }
        guard total > 0 else { return [] }
        return positive.map { (area: $0.area, share: $0.share / total) }
    }

    /// The k most informative items seen so far, most informative first (ties keep the
    /// lower bank index first). Insertion into a buffer of k; no full sort.
    private struct TopK {
        let capacity: Int
        var entries: [(information: Double, index: Int)] = []

        init(capacity: Int) {
            self.capacity = capacity
            entries.reserveCapacity(capacity)
        }

        mutating func offer(information: Double, index: Int) {
            let value = information.isNaN ? 0 : information
            if entries.count < capacity {
                entries.append((information: value, index: index))
            } else if let last = entries.last, value > last.information {
                entries[entries.count - 1] = (information: value, index: index)
            } else {
                return
            }
            var position = entries.count - 1
            while position > 0, entries[position - 1].information < entries[position].information {
                entries.swapAt(position - 1, position)
                position -= 1
            }
        }

        func draw(using generator: inout SeededGenerator) -> Int? {
            guard !entries.isEmpty else { return nil }
            if entries.count == 1 { return entries[0].index }
            return entries[AdaptiveEngine.randomIndex(below: entries.count, using: &generator)].index
        }
    }

    /// A uniform index in 0..<count (count > 0), independent of the standard library's
    /// sampling algorithm so results are the same on every toolchain.
    static func randomIndex(below count: Int, using generator: inout SeededGenerator) -> Int {
        min(Int(generator.nextUniform() * Double(count)), count - 1)
    }
}

public enum LinearForm {
    /// A randomised linear form meeting the blueprint: `counts[area]` items drawn at random
    /// (without replacement) from each area, then shuffled. Areas with a count of zero or
    /// less are skipped. Throws `LinearFormError.notEnoughItems` when an area is short.
    public static func assemble(bank: [BankItem], counts: [String: Int], generator: inout SeededGenerator) throws -> [Int] {
        var form: [Int] = []
        for area in counts.keys.sorted() {
            let wanted = counts[area] ?? 0
            guard wanted > 0 else { continue }
            var pool = bank.indices.filter { bank[$0].area == area }
            guard pool.count >= wanted else {
                throw LinearFormError.notEnoughItems(area: area, wanted: wanted, available: pool.count)
            }
            // Partial Fisher–Yates: the first `wanted` places become a random sample.
            for position in 0 ..< wanted {
                let pick = position + AdaptiveEngine.randomIndex(below: pool.count - position, using: &generator)
                pool.swapAt(position, pick)
            }
            form.append(contentsOf: pool[0 ..< wanted])
        }
        // Fisher–Yates shuffle of the whole form.
        var position = form.count - 1
        while position > 0 {
            let pick = AdaptiveEngine.randomIndex(below: position + 1, using: &generator)
            form.swapAt(position, pick)
            position -= 1
        }
        return form
    }

    /// Counts per area for `length` items from proportions (any non-negative weights,
    /// normalised), by largest-remainder rounding: each area gets the whole part of its quota
    /// and the items left over go to the largest fractional parts (ties by area name), so
    /// the counts sum to `length`. Every key of `proportions` appears in the result; all
    /// counts are zero when `length` ≤ 0 or no weight is positive.
    public static func counts(length: Int, proportions: [String: Double]) -> [String: Int] {
        let areas = proportions.keys.sorted()
        var result: [String: Int] = [:]
        for area in areas { result[area] = 0 }
        let weights = areas.map { area -> Double in
            let weight = proportions[area] ?? 0
            return weight.isFinite && weight > 0 ? weight : 0
        }
        let total = weights.reduce(0, +)
        guard length > 0, total > 0 else { return result }

        var assigned = 0
        var remainders: [(area: String, fraction: Double)] = []
        for (position, area) in areas.enumerated() where weights[position] > 0 {
            let quota = Double(length) * weights[position] / total
            let whole = Int(quota.rounded(.down))
            result[area] = whole
            assigned += whole
            remainders.append((area: area, fraction: quota - Double(whole)))
        }
        remainders.sort { lhs, rhs in
            lhs.fraction != rhs.fraction ? lhs.fraction > rhs.fraction : lhs.area < rhs.area
        }
        var left = length - assigned
        var position = 0
        while left > 0, !remainders.isEmpty {
            result[remainders[position % remainders.count].area, default: 0] += 1
            left -= 1
            position += 1
        }
        return result
    }
}

public enum LinearFormError: Error, Equatable, CustomStringConvertible {
    case notEnoughItems(area: String, wanted: Int, available: Int)

    public var description: String {
        switch self {
        case let .notEnoughItems(area, wanted, available):
            "The blueprint wants \(wanted) items from area \"\(area)\" but the bank has only \(available)."
        }
    }
}

/// The outcome of running simulated examinees through the adaptive engine.
public struct AdaptiveSimulationReport: Sendable {
    public var examinees: Int
    /// Mean number of items given.
    public var meanLength: Double
    /// √mean((θ̂ − θ)²) over examinees.
    public var abilityRMSE: Double
    /// Share of examinees whose pass/fail decision matches their true ability (θ ≥ cut
    /// passes); nil without a cut score.
    public var classificationAccuracy: Double?
    /// The largest share of examinees who saw any one item (0…1).
    public var maxExposure: Double
    /// Mean final standard error.
    public var meanStandardError: Double
    /// How many exams ended for each reason.
    public var stopReasons: [StopReason: Int]

    public init(
        examinees: Int,
        meanLength: Double,
        abilityRMSE: Double,
        classificationAccuracy: Double?,
        maxExposure: Double,
        meanStandardError: Double,
        stopReasons: [StopReason: Int]
    ) {
        self.examinees = examinees
        self.meanLength = meanLength
        self.abilityRMSE = abilityRMSE
        self.classificationAccuracy = classificationAccuracy
        self.maxExposure = maxExposure
        self.meanStandardError = meanStandardError
        self.stopReasons = stopReasons
    }
}

public enum AdaptiveSimulation {
    /// Runs simulated examinees (true abilities given; answers drawn from each item's model
    /// with the generator) through the real engine: `nextItem`, `record`, `stopReason`.
    public static func run(bank: [BankItem], rules: AdaptiveRules, abilities: [Double], generator: inout SeededGenerator) -> AdaptiveSimulationReport {
        guard !abilities.isEmpty else {
            return AdaptiveSimulationReport(
                examinees: 0, meanLength: 0, abilityRMSE: 0, classificationAccuracy: nil,
                maxExposure: 0, meanStandardError: 0, stopReasons: [:]
            )
        }
        var exposure = [Int](repeating: 0, count: bank.count)
        var record = ExposureRecord(bankSize: bank.count)
        var totalLength = 0
        var squaredError = 0.0
        var totalStandardError = 0.0
        var correctlyClassified = 0
        var reasons: [StopReason: Int] = [:]

        for theta in abilities {
            var state = AdaptiveState()
            var reason = StopReason.bankExhausted
            while true {
                if let stop = AdaptiveEngine.stopReason(state: state, bank: bank, rules: rules) {
                    reason = stop
                    break
                }
                guard let item = AdaptiveEngine.nextItem(bank: bank, state: state, rules: rules, exposure: record, generator: &generator) else {
                    break
                }
                let score = drawScore(bank[item].model, at: theta, using: &generator)
                AdaptiveEngine.record(score: score, for: item, in: &state, bank: bank, rules: rules)
            }
            reasons[reason, default: 0] += 1
            totalLength += state.administered.count
            for item in state.administered { exposure[item] += 1 }
            record.record(state.administered)
            let estimate = state.estimate ?? AbilityEstimate(theta: rules.prior.mean, standardError: rules.prior.standardDeviation)
            squaredError += (estimate.theta - theta) * (estimate.theta - theta)
            totalStandardError += estimate.standardError
            if let cut = rules.cutScore {
                let decided = AdaptiveEngine.decision(state: state, rules: rules) ?? (estimate.theta >= cut ? .pass : .fail)
                let truth: Decision = theta >= cut ? .pass : .fail
                if decided == truth { correctlyClassified += 1 }
            }
        }

        let count = Double(abilities.count)
        return AdaptiveSimulationReport(
            examinees: abilities.count,
            meanLength: Double(totalLength) / count,
            abilityRMSE: (squaredError / count).squareRoot(),
            classificationAccuracy: rules.cutScore == nil ? nil : Double(correctlyClassified) / count,
            maxExposure: Double(exposure.max() ?? 0) / count,
            meanStandardError: totalStandardError / count,
            stopReasons: reasons
        )
    }

    /// For comparison: the shortest randomly drawn, blueprint-balanced linear form length at
    /// which the mean EAP standard error over the same abilities is at most the rules'
    /// `targetStandardError`. Lengths 5, 10, 15, … up to the bank size (and the bank size
    /// itself) are tried; each examinee gets a fresh random form. The blueprint is the rules'
    /// area targets (or the bank's own area mix when there are none); where an area is too
    /// small, its shortfall goes to the areas furthest below their share. nil if no length
    /// reaches the target.
    public static func linearLengthForPrecision(bank: [BankItem], rules: AdaptiveRules, abilities: [Double], generator: inout SeededGenerator) -> Int? {
        guard !bank.isEmpty, !abilities.isEmpty else { return nil }
        let quadrature = Quadrature(points: 61, prior: rules.prior)
        var available: [String: Int] = [:]
        for item in bank { available[item.area, default: 0] += 1 }

        var proportions: [String: Double] = [:]
        for target in AdaptiveEngine.normalisedTargets(rules.areaTargets) { proportions[target.area] = target.share }
        if proportions.isEmpty {
            for (area, count) in available { proportions[area] = Double(count) / Double(bank.count) }
        }

        var lengths = Array(stride(from: 5, through: bank.count, by: 5))
        if lengths.last != bank.count { lengths.append(bank.count) }

        for length in lengths {
            guard let counts = feasibleCounts(length: length, proportions: proportions, available: available) else { return nil }
            var totalStandardError = 0.0
            for theta in abilities {
                guard let form = try? LinearForm.assemble(bank: bank, counts: counts, generator: &generator) else { return nil }
                let models = form.map { bank[$0].model }
                var scores: [Int] = []
                scores.reserveCapacity(models.count)
                for model in models { scores.append(drawScore(model, at: theta, using: &generator)) }
                let pattern = ResponsePattern(items: Array(models.indices), scores: scores)
                totalStandardError += AbilityEstimator.eap(pattern, items: models, quadrature: quadrature).standardError
            }
            if totalStandardError / Double(abilities.count) <= rules.targetStandardError { return length }
        }
        return nil
    }

    /// Largest-remainder counts, with any area's excess over what the bank holds moved to
    /// the areas furthest below their share that still have items. nil if it cannot be met.
    static func feasibleCounts(length: Int, proportions: [String: Double], available: [String: Int]) -> [String: Int]? {
        var counts = LinearForm.counts(length: length, proportions: proportions)
        let areas = counts.keys.sorted()
        var excess = 0
        for area in areas {
            let wanted = counts[area] ?? 0
            let capacity = available[area] ?? 0
            if wanted > capacity {
                excess += wanted - capacity
                counts[area] = capacity
            }
        }
        let total = areas.reduce(0.0) { $0 + max(0, proportions[$1] ?? 0) }
        while excess > 0 {
            var best: String?
            var bestGap = -Double.infinity
            for area in areas where (counts[area] ?? 0) < (available[area] ?? 0) {
                let share = total > 0 ? max(0, proportions[area] ?? 0) / total : 0
                let gap = share * Double(length) - Double(counts[area] ?? 0)
                if gap > bestGap {
                    best = area
                    bestGap = gap
                }
            }
            guard let area = best else { return nil }
            counts[area, default: 0] += 1
            excess -= 1
        }
        return counts
    }

    /// A score drawn from the item's model at θ.
    static func drawScore(_ model: ItemModel, at theta: Double, using generator: inout SeededGenerator) -> Int {
        let u = generator.nextUniform()
        var cumulative = 0.0
        for score in 0 ..< model.maxScore {
            cumulative += model.probability(of: score, at: theta)
            if u < cumulative { return score }
        }
        return model.maxScore
    }
}
