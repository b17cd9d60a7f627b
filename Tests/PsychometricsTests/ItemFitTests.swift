import Foundation
import Psychometrics
import Testing

@Suite("Item fit")
struct ItemFitTests {
    @Test("items answered as their model says fit (RMSD well under 0.12); an item answered against its curve does not")
    func misfitFound() {
        var generator = SeededGenerator(seed: 31)
        let items = Simulation.twoPLItems(count: 15, generator: &generator)
        let abilities = Simulation.abilities(count: 3_000, generator: &generator)
        var patterns = Simulation.responses(items: items, abilities: abilities, generator: &generator)
        // Item 4 answered by a curve that falls with ability: low scorers get it right.
        for (index, theta) in abilities.enumerated() {
            let p = 1 / (1 + Foundation.exp(1.5 * theta))
            patterns[index].scores[4] = generator.nextUniform() < p ? 1 : 0
        }
        let fits = ItemFit.rmsd(patterns, items: items)
        #expect(fits.count == 15)
        for fit in fits where fit.item != 4 {
            #expect(fit.rmsd < 0.06, "item \(fit.item) fits its own model")
            #expect(!fit.isMisfit)
        }
        #expect(fits[4].isMisfit)
        #expect(fits[4].rmsd > 0.2)
    }

    @Test("graded items are compared as a proportion of their maximum, and an unseen item has no curve")
    func gradedAndUnseen() {
        var generator = SeededGenerator(seed: 32)
        var items = Simulation.gradedItems(count: 4, categories: 4, generator: &generator)
        items.append(.dichotomous(DichotomousItem(discrimination: 1, difficulty: 0)))
        let abilities = Simulation.abilities(count: 2_000, generator: &generator)
        let full = Simulation.responses(items: Array(items.prefix(4)), abilities: abilities, generator: &generator)
        let fits = ItemFit.rmsd(full, items: items)
        for fit in fits.prefix(4) {
            #expect(fit.rmsd < 0.06)
            #expect(fit.observed.allSatisfy { (0 ... 1).contains($0) })
        }
        #expect(fits[4].observed.isEmpty)
        #expect(fits[4].rmsd == 0)
    }
}
