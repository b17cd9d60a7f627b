import Foundation
import Psychometrics
import Testing

/// Banks, simulated answers and whole simulated exams for the adaptive tests.
private enum AdaptiveFixture {
    static let areas = ["algebra", "geometry", "number", "statistics"]

    static let targets: [String: Double] = ["algebra": 0.4, "geometry": 0.3, "number": 0.2, "statistics": 0.1]

    static let equalTargets: [String: Double] = ["algebra": 1, "geometry": 1, "number": 1, "statistics": 1]

    /// A 2PL bank (a in [0.8, 2.0], b ~ N(0, 1)), areas assigned in turn. With `gradedEvery`
    /// n > 0, every n-th item is a graded item scored 0…3 instead.
    static func bank(count: Int, seed: UInt64 = 42, gradedEvery: Int = 0) -> [BankItem] {
        var generator = SeededGenerator(seed: seed)
        var items: [BankItem] = []
        items.reserveCapacity(count)
        for index in 0 ..< count {
            let discrimination = 0.8 + 1.2 * generator.nextUniform()
            let difficulty = generator.nextNormal()
            let model: ItemModel
            if gradedEvery > 0, index % gradedEvery == 0 {
                model = .graded(GradedItem(discrimination: discrimination, thresholds: [difficulty - 0.8, difficulty, difficulty + 0.8]))
            } else {
                model = .dichotomous(DichotomousItem(discrimination: discrimination, difficulty: difficulty))
            }
            items.append(BankItem(id: "item-\(index)", area: areas[index % areas.count], model: model))
        }
        return items
    }

    /// A score drawn from the model at the true ability.
    static func answer(_ model: ItemModel, theta: Double, generator: inout SeededGenerator) -> Int {
        let u = generator.nextUniform()
        var cumulative = 0.0
        for score in 0 ..< model.maxScore {
            cumulative += model.probability(of: score, at: theta)
            if u < cumulative { return score }
        }
        return model.maxScore
    }

    /// One whole exam for a simulated examinee of ability `theta`.
    static func runExam(bank: [BankItem], rules: AdaptiveRules, theta: Double, seed: UInt64) -> (state: AdaptiveState, reason: StopReason) {
        var generator = SeededGenerator(seed: seed)
        var state = AdaptiveState()
        for _ in 0 ... bank.count {
            if let reason = AdaptiveEngine.stopReason(state: state, bank: bank, rules: rules) {
                return (state, reason)
            }
            guard let item = AdaptiveEngine.nextItem(bank: bank, state: state, rules: rules, generator: &generator) else {
                return (state, .bankExhausted)
            }
            let score = answer(bank[item].model, theta: theta, generator: &generator)
            AdaptiveEngine.record(score: score, for: item, in: &state, bank: bank, rules: rules)
        }
        return (state, .bankExhausted)
    }
}

@Suite("Adaptive testing")
struct AdaptiveTests {
    @Test("content balancing keeps every area within one item of its target share")
    func contentBalancing() {
        let bank = AdaptiveFixture.bank(count: 200)
        let targets = AdaptiveFixture.targets
        let rules = AdaptiveRules(minLength: 20, maxLength: 20, areaTargets: targets)
        let (state, reason) = AdaptiveFixture.runExam(bank: bank, rules: rules, theta: 0.5, seed: 7)
        #expect(reason == .maximumLength)
        #expect(state.administered.count == 20)

        var given: [String: Int] = [:]
        for (position, item) in state.administered.enumerated() {
            given[bank[item].area, default: 0] += 1
            let length = Double(position + 1)
            for (area, share) in targets {
                let deviation = abs(Double(given[area] ?? 0) - share * length)
                #expect(deviation <= 1, "\(area) after \(position + 1) items")
            }
        }
        #expect(given == ["algebra": 8, "geometry": 6, "number": 4, "statistics": 2])
    }

    @Test("randomesque 1 always gives the most informative eligible item")
    func mostInformative() {
        let bank = AdaptiveFixture.bank(count: 200)
        let rules = AdaptiveRules(minLength: 15, maxLength: 15, areaTargets: AdaptiveFixture.targets, randomesque: 1)
        var generator = SeededGenerator(seed: 3)
        var state = AdaptiveState()
        for _ in 0 ..< 15 {
            guard let item = AdaptiveEngine.nextItem(bank: bank, state: state, rules: rules, generator: &generator) else {
                Issue.record("the bank ran out")
                return
            }
            let theta = state.estimate?.theta ?? rules.prior.mean
            let area = bank[item].area
            let eligible = bank.indices.filter { bank[$0].area == area && !state.administered.contains($0) }
            let best = eligible.max { bank[$0].model.information(at: theta) < bank[$1].model.information(at: theta) }
            #expect(item == best)
            let score = AdaptiveFixture.answer(bank[item].model, theta: 0.8, generator: &generator)
            AdaptiveEngine.record(score: score, for: item, in: &state, bank: bank, rules: rules)
        }
    }

    @Test("randomesque 5 varies the choice across seeds, always among the five most informative")
    func randomesqueVaries() {
        let bank = AdaptiveFixture.bank(count: 200)
        let rules = AdaptiveRules(minLength: 10, maxLength: 10, areaTargets: AdaptiveFixture.targets, randomesque: 5)
        let state = AdaptiveState()
        // Before any answer the area with the largest share comes first, at the prior mean.
        let theta = rules.prior.mean
        let ranked = bank.indices
            .filter { bank[$0].area == "algebra" }
            .sorted { bank[$0].model.information(at: theta) > bank[$1].model.information(at: theta) }
        let topFive = Set(ranked.prefix(5))
        var chosen = Set<Int>()
        for seed in UInt64(1) ... 30 {
            var generator = SeededGenerator(seed: seed)
            if let item = AdaptiveEngine.nextItem(bank: bank, state: state, rules: rules, generator: &generator) {
                chosen.insert(item)
            }
        }
        #expect(chosen.count > 1)
        #expect(chosen.isSubset(of: topFive))
    }

    @Test("no item is given twice and the exam ends when the bank is used up")
    func noRepeats() {
        let bank = AdaptiveFixture.bank(count: 40, gradedEvery: 5)
        let rules = AdaptiveRules(minLength: 100, maxLength: 100, areaTargets: AdaptiveFixture.targets, targetStandardError: 0)
        let (state, reason) = AdaptiveFixture.runExam(bank: bank, rules: rules, theta: -0.3, seed: 11)
        #expect(reason == .bankExhausted)
        #expect(state.administered.count == 40)
        #expect(Set(state.administered).count == state.administered.count)
        #expect(state.scores.count == state.administered.count)
        var generator = SeededGenerator(seed: 1)
        let next = AdaptiveEngine.nextItem(bank: bank, state: state, rules: rules, generator: &generator)
        #expect(next == nil)
    }

    @Test("an exam stops at its maximum length")
    func stopsAtMaximumLength() {
        let bank = AdaptiveFixture.bank(count: 200)
        let rules = AdaptiveRules(minLength: 5, maxLength: 10, areaTargets: AdaptiveFixture.targets, targetStandardError: 0)
        let (state, reason) = AdaptiveFixture.runExam(bank: bank, rules: rules, theta: 0.2, seed: 5)
        #expect(reason == .maximumLength)
        #expect(state.administered.count == 10)
    }

    @Test("an exam stops when a generous precision target is reached")
    func stopsAtPrecision() {
        let bank = AdaptiveFixture.bank(count: 200)
        let rules = AdaptiveRules(minLength: 1, maxLength: 50, areaTargets: AdaptiveFixture.targets, targetStandardError: 0.6)
        let (state, reason) = AdaptiveFixture.runExam(bank: bank, rules: rules, theta: 0.4, seed: 13)
        #expect(reason == .precisionReached)
        #expect(state.administered.count < 50)
        let standardError = state.estimate?.standardError ?? .infinity
        #expect(standardError <= 0.6)
    }

    @Test("a very able examinee is decided early against a low cut and passes")
    func stopsWhenDecided() {
        let bank = AdaptiveFixture.bank(count: 200)
        let rules = AdaptiveRules(minLength: 5, maxLength: 30, areaTargets: AdaptiveFixture.targets, cutScore: -1.5)
        let (state, reason) = AdaptiveFixture.runExam(bank: bank, rules: rules, theta: 3, seed: 17)
        #expect(reason == .decided)
        #expect(state.administered.count < 30)
        #expect(AdaptiveEngine.decision(state: state, rules: rules) == .pass)
    }

    @Test("an exam never stops before its minimum length")
    func neverStopsBeforeMinimumLength() {
        let bank = AdaptiveFixture.bank(count: 200)
        // A target anyone meets and a cut anyone clears: only the minimum holds the exam open.
        let rules = AdaptiveRules(
            minLength: 10, maxLength: 20, areaTargets: AdaptiveFixture.targets, targetStandardError: 5, cutScore: -4
        )
        var generator = SeededGenerator(seed: 19)
        var state = AdaptiveState()
        for step in 0 ..< 10 {
            #expect(AdaptiveEngine.stopReason(state: state, bank: bank, rules: rules) == nil, "stopped after \(step) items")
            guard let item = AdaptiveEngine.nextItem(bank: bank, state: state, rules: rules, generator: &generator) else {
                Issue.record("the bank ran out")
                return
            }
            let score = AdaptiveFixture.answer(bank[item].model, theta: 1, generator: &generator)
            AdaptiveEngine.record(score: score, for: item, in: &state, bank: bank, rules: rules)
        }
        #expect(AdaptiveEngine.stopReason(state: state, bank: bank, rules: rules) != nil)
    }

    @Test("the decision is pass well above the cut and fail well below it")
    func decisions() {
        let rules = AdaptiveRules(minLength: 1, maxLength: 10, areaTargets: [:], cutScore: 0)
        var state = AdaptiveState()
        #expect(AdaptiveEngine.decision(state: state, rules: rules) == nil)

        state.estimate = AbilityEstimate(theta: 1.5, standardError: 0.3)
        #expect(AdaptiveEngine.decision(state: state, rules: rules) == .pass)
        state.estimate = AbilityEstimate(theta: -1.5, standardError: 0.3)
        #expect(AdaptiveEngine.decision(state: state, rules: rules) == .fail)
        // An interval straddling the cut falls back to the side of the estimate.
        state.estimate = AbilityEstimate(theta: 0.1, standardError: 0.5)
        #expect(AdaptiveEngine.decision(state: state, rules: rules) == .pass)
        state.estimate = AbilityEstimate(theta: -0.1, standardError: 0.5)
        #expect(AdaptiveEngine.decision(state: state, rules: rules) == .fail)

        let noCut = AdaptiveRules(minLength: 1, maxLength: 10, areaTargets: [:])
        #expect(AdaptiveEngine.decision(state: state, rules: noCut) == nil)
    }

    @Test("blueprint counts sum to the length by largest remainder")
    func blueprintCounts() {
        #expect(LinearForm.counts(length: 7, proportions: ["a": 0.5, "b": 0.3, "c": 0.2]) == ["a": 4, "b": 2, "c": 1])
        // Rounding each quota would give 3 + 3 + 1 = 7; largest remainder gives exactly 6.
        #expect(LinearForm.counts(length: 6, proportions: ["a": 0.45, "b": 0.45, "c": 0.1]) == ["a": 3, "b": 3, "c": 0])
        // Equal remainders go by area name.
        #expect(LinearForm.counts(length: 10, proportions: ["x": 1, "y": 1, "z": 1]) == ["x": 4, "y": 3, "z": 3])
        #expect(LinearForm.counts(length: 20, proportions: AdaptiveFixture.targets)
            == ["algebra": 8, "geometry": 6, "number": 4, "statistics": 2])
        for length in [1, 13, 20, 37, 101] {
            let counts = LinearForm.counts(length: length, proportions: AdaptiveFixture.targets)
            #expect(counts.values.reduce(0, +) == length)
        }
        #expect(LinearForm.counts(length: 0, proportions: ["a": 1]) == ["a": 0])
    }

    @Test("a linear form meets its blueprint without repeats, and the same seed gives the same form")
    func assembleForm() throws {
        let bank = AdaptiveFixture.bank(count: 200)
        let counts = ["algebra": 6, "geometry": 4, "number": 3, "statistics": 2]
        var generator = SeededGenerator(seed: 5)
        let form = try LinearForm.assemble(bank: bank, counts: counts, generator: &generator)
        #expect(form.count == 15)
        #expect(Set(form).count == form.count)
        var given: [String: Int] = [:]
        for item in form { given[bank[item].area, default: 0] += 1 }
        #expect(given == counts)

        var again = SeededGenerator(seed: 5)
        let repeated = try LinearForm.assemble(bank: bank, counts: counts, generator: &again)
        #expect(repeated == form)
    }

    @Test("assembling throws when an area has too few items")
    func assembleShortArea() {
        let bank = AdaptiveFixture.bank(count: 200)
        var generator = SeededGenerator(seed: 5)
        do {
            _ = try LinearForm.assemble(bank: bank, counts: ["algebra": 2, "number": 51], generator: &generator)
            Issue.record("expected notEnoughItems")
        } catch let error as LinearFormError {
            #expect(error == LinearFormError.notEnoughItems(area: "number", wanted: 51, available: 50))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("the same seed gives the same exam")
    func reproducible() {
        let bank = AdaptiveFixture.bank(count: 200)
        let rules = AdaptiveRules(minLength: 20, maxLength: 20, areaTargets: AdaptiveFixture.targets)
        let first = AdaptiveFixture.runExam(bank: bank, rules: rules, theta: 0.3, seed: 23)
        let second = AdaptiveFixture.runExam(bank: bank, rules: rules, theta: 0.3, seed: 23)
        #expect(first.state == second.state)
        #expect(first.reason == second.reason)
        let other = AdaptiveFixture.runExam(bank: bank, rules: rules, theta: 0.3, seed: 24)
        #expect(other.state.administered != first.state.administered)
    }

    @Test("an item past the exposure cap is set aside while its area has others left")
    func exposureCapExcludes() {
        let bank = AdaptiveFixture.bank(count: 40)
        let rules = AdaptiveRules(minLength: 5, maxLength: 10, areaTargets: AdaptiveFixture.equalTargets, randomesque: 1, maxExposure: 0.25)
        var generator = SeededGenerator(seed: 3)
        let best = AdaptiveEngine.nextItem(bank: bank, state: AdaptiveState(), rules: rules, generator: &generator)!
        // The best item was in every one of 40 past exams: far past a 25% cap.
        var exposure = ExposureRecord(bankSize: bank.count)
        for _ in 0 ..< 40 { exposure.record([best]) }
        let next = AdaptiveEngine.nextItem(bank: bank, state: AdaptiveState(), rules: rules, exposure: exposure, generator: &generator)!
        #expect(next != best)
        #expect(bank[next].area == bank[best].area, "content balancing still picks the same area")
        // Before the warm-up the cap does not apply.
        var early = ExposureRecord(bankSize: bank.count)
        for _ in 0 ..< 5 { early.record([best]) }
        #expect(AdaptiveEngine.nextItem(bank: bank, state: AdaptiveState(), rules: rules, exposure: early, generator: &generator) == best)
        // Without a cap the record is ignored.
        var uncapped = rules
        uncapped.maxExposure = nil
        #expect(AdaptiveEngine.nextItem(bank: bank, state: AdaptiveState(), rules: uncapped, exposure: exposure, generator: &generator) == best)
    }

    @Test("with the exposure cap no item is in more than about a quarter of exams; without it some are in far more")
    func exposureCapInSimulation() {
        let bank = AdaptiveFixture.bank(count: 200, seed: 5)
        var generator = SeededGenerator(seed: 77)
        let abilities = (0 ..< 300).map { _ in generator.nextNormal() }
        let capped = AdaptiveRules(minLength: 10, maxLength: 30, areaTargets: AdaptiveFixture.equalTargets, maxExposure: 0.25)
        var uncapped = capped
        uncapped.maxExposure = nil
        var first = SeededGenerator(seed: 1)
        let withCap = AdaptiveSimulation.run(bank: bank, rules: capped, abilities: abilities, generator: &first)
        var second = SeededGenerator(seed: 1)
        let withoutCap = AdaptiveSimulation.run(bank: bank, rules: uncapped, abilities: abilities, generator: &second)
        #expect(withCap.maxExposure <= 0.27)
        #expect(withoutCap.maxExposure > 0.4)
    }

    @Test("a simulated adaptive exam is precise, shorter than its maximum and limits exposure")
    func simulation() {
        let bank = AdaptiveFixture.bank(count: 300, seed: 99)
        var generator = SeededGenerator(seed: 2024)
        var abilities: [Double] = []
        for _ in 0 ..< 300 { abilities.append(generator.nextNormal()) }
        let rules = AdaptiveRules(minLength: 5, maxLength: 40, areaTargets: AdaptiveFixture.equalTargets)
        let report = AdaptiveSimulation.run(bank: bank, rules: rules, abilities: abilities, generator: &generator)
        #expect(report.examinees == 300)
        #expect(report.meanStandardError <= 0.35)
        #expect(report.meanLength < 40)
        #expect(report.meanLength >= 5)
        #expect(report.maxExposure > 0)
        #expect(report.maxExposure <= 1)
        #expect(report.abilityRMSE < 0.6)
        #expect(report.classificationAccuracy == nil)
        #expect(report.stopReasons.values.reduce(0, +) == 300)
    }

    @Test("a random linear form needs more items than the adaptive exam for the same precision")
    func linearComparison() {
        let bank = AdaptiveFixture.bank(count: 200, seed: 31)
        var generator = SeededGenerator(seed: 37)
        var abilities: [Double] = []
        for _ in 0 ..< 40 { abilities.append(generator.nextNormal()) }
        let rules = AdaptiveRules(
            minLength: 5, maxLength: 40, areaTargets: AdaptiveFixture.equalTargets, targetStandardError: 0.4, cutScore: 0
        )
        let linear = AdaptiveSimulation.linearLengthForPrecision(bank: bank, rules: rules, abilities: abilities, generator: &generator)
        let report = AdaptiveSimulation.run(bank: bank, rules: rules, abilities: abilities, generator: &generator)
        #expect(report.classificationAccuracy != nil)
        guard let linear else {
            Issue.record("no linear length reached the target")
            return
        }
        #expect(linear % 5 == 0)
        #expect(linear <= bank.count)
        #expect(Double(linear) > report.meanLength)
    }
}
