import CairnCore
import Curriculum
import Foundation
import Psychometrics

/// How a course's exam is put together from its blueprint and item bank, worked out once
/// when the catalogue loads: which items are in the pool, whether the exam is adaptive,
/// the adaptive engine's rules and the linear form's counts per skill area.
public struct ExamPlan: Sendable {
    public let course: Course
    /// The items that may appear (every exam item not in draft), in file order.
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

    /// - Parameter parameters: fitted parameters by item id (a `bank.yaml`) that take the
    ///   place of the items' own `irt` fields.
    public init(course: Course, parameters: [String: CalibratedBank.Item]? = nil, targetStandardError: Double = 0.30) {
        self.course = course
        let pool = course.items.filter { $0.status != .draft }
        self.pool = pool
        index = Dictionary(pool.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        let blueprint = course.exam
        let models = pool.map { Self.model(of: $0, parameters: parameters) }
        let calibrated = !pool.isEmpty && models.allSatisfy { $0 != nil }

        var targets: [String: Double] = [:]
        for area in blueprint.areas {
            switch area.share {
            case let .proportion(share): targets[area.skill.rawValue] = share
            case let .items(count): targets[area.skill.rawValue] = Double(count)
            }
        }
        if calibrated, let cut = blueprint.cutTheta {
            mode = .adaptive
            let bank = zip(pool, models).map { item, model in BankItem(id: item.id.rawValue, area: Self.area(of: item), model: model!) }
            self.bank = bank
            let covered = Set(bank.map(\.area))
            rules = AdaptiveRules(
                minLength: min(blueprint.minItems, bank.count), maxLength: min(blueprint.maxItems, bank.count),
                areaTargets: targets.filter { covered.contains($0.key) }, targetStandardError: targetStandardError, cutScore: cut
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
