import CairnCore
import Curriculum
import Foundation
import Psychometrics

/// How a course's exam is put together from its blueprint and item bank, worked out once
/// when the catalogue loads: which items are in the pool, whether the exam is adaptive,
/// the adaptive engine's rules and the linear form's counts per skill area.
public struct ExamPlan: Sendable {
    public let course: Course
    /// The items that may appear, in file order: every exam item not in draft, or for an
    /// adaptive exam every calibrated one.
    public let pool: [Interaction]
    public let mode: ExamMode
    /// The pool as the adaptive engine sees it (calibrated models, area = first skill);
    /// same order as `pool`. Empty for a linear exam.
    public let bank: [BankItem]
    public let rules: AdaptiveRules?
    /// Items per skill area on a linear form.
    public let counts: [String: Int]
    /// Why no form can be assembled from the pool, or nil when one can.
    public let problem: String?
    let index: [InteractionID: Int]

    /// Items take their parameters from their `irt` fields (a `bank.yaml` in the course
    /// folder sets those when the course loads).
    public init(course: Course, targetStandardError: Double = 0.30) {
        self.course = course
        let eligible = course.items.filter { $0.status != .draft }
        let blueprint = course.exam
        var targets: [String: Double] = [:]
        for area in blueprint.areas {
            switch area.share {
            case let .proportion(share): targets[area.skill.rawValue] = share
            case let .items(count): targets[area.skill.rawValue] = Double(count)
            }
        }
        // Adaptive once there is a cut on the ability scale and enough calibrated items: at
        // least a full-length exam's worth, with every area of the blueprint among them.
        // Items not yet calibrated then wait for a recalibration; they are not given.
        let calibrated = eligible.compactMap { item in Self.model(of: item, parameters: nil).map { (item, $0) } }
        let calibratedAreas = Set(calibrated.map { Self.area(of: $0.0) })
        let adaptive = blueprint.cutTheta != nil && calibrated.count >= blueprint.maxItems
            && targets.keys.allSatisfy(calibratedAreas.contains)
        let pool = adaptive ? calibrated.map(\.0) : eligible
        self.pool = pool
        index = Dictionary(pool.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        if adaptive, let cut = blueprint.cutTheta {
            mode = .adaptive
            let bank = calibrated.map { item, model in BankItem(id: item.id.rawValue, area: Self.area(of: item), model: model) }
            self.bank = bank
            rules = AdaptiveRules(
                minLength: min(blueprint.minItems, bank.count), maxLength: min(blueprint.maxItems, bank.count),
                areaTargets: targets, targetStandardError: targetStandardError, cutScore: cut
            )
            counts = [:]
            problem = nil
        } else {
            mode = .linear
            bank = []
            rules = nil
            var counts: [String: Int] = [:]
            if blueprint.areas.allSatisfy({ if case .items = $0.share { true } else { false } }) {
                for area in blueprint.areas { if case let .items(count) = area.share { counts[area.skill.rawValue] = count } }
            } else {
                counts = LinearForm.counts(length: blueprint.maxItems, proportions: targets)
            }
            self.counts = counts
            var problem: String?
            for (area, wanted) in counts.sorted(by: { $0.key < $1.key }) {
                let available = pool.filter { Self.area(of: $0) == area }.count
                if available < wanted {
                    problem = "The exam needs \(wanted) items on \(area) but the bank has \(available); add items or lower the blueprint's share."
                    break
                }
            }
            self.problem = pool.isEmpty ? "The course has no exam items yet." : problem
        }
    }

    /// How the exam will be given, in a line for `cairn content validate`.
    public var summary: String {
        switch mode {
        case .adaptive: return "adaptive exam (\(pool.count) calibrated items, \(length.lowerBound)–\(length.upperBound) per sitting)"
        case .linear:
            let calibrated = pool.filter { $0.irt != nil }.count
            let why = course.exam.cutTheta == nil ? "no cut_theta in the pass rule"
                : "\(calibrated) of \(pool.count) items calibrated; adaptive needs \(course.exam.maxItems) covering every area"
            return "linear exam of \(length.upperBound) items (\(why))" + (problem.map { "; cannot be given: \($0)" } ?? "")
        }
    }

    /// The skill area an item counts towards: its first skill.
    public static func area(of item: Interaction) -> String { item.skills.first?.rawValue ?? "" }

    /// The item's response model from `parameters` or its own `irt` field; nil when uncalibrated.
    public static func model(of item: Interaction, parameters: [String: CalibratedBank.Item]?) -> ItemModel? {
        if let fitted = parameters?[item.id.rawValue] {
            return fitted.model == "grm"
                ? .graded(GradedItem(discrimination: fitted.a, thresholds: fitted.b))
                : .dichotomous(DichotomousItem(discrimination: fitted.a, difficulty: fitted.b[0], guessing: fitted.c ?? 0))
        }
        guard let irt = item.irt else { return nil }
        switch irt.model {
        case .graded: return .graded(GradedItem(discrimination: irt.a, thresholds: irt.b))
        case .twoPL, .threePL: return .dichotomous(DichotomousItem(discrimination: irt.a, difficulty: irt.b[0], guessing: irt.c ?? 0))
        }
    }

    public func item(_ id: InteractionID) -> Interaction? { index[id].map { pool[$0] } }
    func bankIndex(of id: InteractionID) -> Int? { index[id] }

    /// A new linear form: the blueprint's count from each area, drawn and shuffled with `seed`.
    func linearForm(seed: UInt64) throws -> [InteractionID] {
        let areas = pool.map { BankItem(id: $0.id.rawValue, area: Self.area(of: $0), model: .dichotomous(DichotomousItem(discrimination: 1, difficulty: 0))) }
        var generator = SeededGenerator(seed: seed)
        return try LinearForm.assemble(bank: areas, counts: counts, generator: &generator).map { pool[$0].id }
    }

    /// How long the exam is: the linear form's length, or the adaptive range.
    public var length: ClosedRange<Int> {
        if let rules { return rules.minLength ... max(rules.minLength, rules.maxLength) }
        let total = counts.values.reduce(0, +)
        return total ... total
    }

    /// The score an adaptive item's model expects: 1 for a passed dichotomous item and 0
    /// otherwise, rubric points (rounded, within the model's range) for a graded one.
    func modelScore(passed: Bool, points: Double, item: Int) -> Int {
        let maximum = bank[item].model.maxScore
        if maximum == 1 { return passed ? 1 : 0 }
        return min(maximum, max(0, Int(points.rounded())))
    }
}
