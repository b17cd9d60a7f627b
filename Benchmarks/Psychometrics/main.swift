import Foundation
import Psychometrics

// Psychometrics speed and accuracy (issue 6). Each line of output is one measurement.
//
// Usage: psychometrics-bench calibrate EXAMINEES [DATA_FILE]   2PL, 60 items, seed 2026
//        psychometrics-bench score EXAMINEES                  EAP for every examinee, 60 items
//        psychometrics-bench select                           next-item choice, 2,000-item bank
//        psychometrics-bench adaptive                         CAT against linear forms
//        psychometrics-bench errors [REPLICATIONS]            standard errors against replication spread
//
// `calibrate` writes the simulated responses to DATA_FILE (one byte per answer, examinee by
// examinee) and the true parameters beside it, so scripts/bench-psychometrics can fit the
// very same data with girth.

let arguments = CommandLine.arguments
let command = arguments.count > 1 ? arguments[1] : "calibrate"
let itemCount = 60

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func rmse(_ a: [Double], _ b: [Double]) -> Double {
    (zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(a.count)).squareRoot()
}

func twoPL(_ model: ItemModel) -> DichotomousItem {
    guard case let .dichotomous(item) = model else { fatalError("not a right/wrong item") }
    return item
}

/// A 2PL bank spread over four skill areas in turn (a log-normal, b normal).
func adaptiveBank(count: Int, generator: inout SeededGenerator) -> [BankItem] {
    let areas = ["A", "B", "C", "D"]
    return (0 ..< count).map { index in
        let a = min(max(Foundation.exp(0.25 * generator.nextNormal()), 0.5), 2.5)
        return BankItem(id: "item-\(index)", area: areas[index % 4],
                        model: .dichotomous(DichotomousItem(discrimination: a, difficulty: generator.nextNormal())))
    }
}

func simulated(examinees: Int) -> (items: [ItemModel], patterns: [ResponsePattern]) {
    var generator = SeededGenerator(seed: 2026)
    let items = Simulation.twoPLItems(count: itemCount, generator: &generator)
    let abilities = Simulation.abilities(count: examinees, generator: &generator)
    return (items, Simulation.responses(items: items, abilities: abilities, generator: &generator))
}

switch command {
case "calibrate":
    let examinees = arguments.count > 2 ? Int(arguments[2]) ?? 20_000 : 20_000
    let (truth, patterns) = simulated(examinees: examinees)
    if arguments.count > 3 {
        var bytes = [UInt8]()
        bytes.reserveCapacity(examinees * itemCount)
        for pattern in patterns { bytes.append(contentsOf: pattern.scores.map(UInt8.init)) }
        try Data(bytes).write(to: URL(fileURLWithPath: arguments[3]))
        let parameters = truth.map(twoPL).map { "\($0.discrimination),\($0.difficulty)" }.joined(separator: "\n")
        try Data((parameters + "\n").utf8).write(to: URL(fileURLWithPath: arguments[3] + ".truth.csv"))
    }
    var result: CalibrationResult?
    let time = try seconds { result = try Calibrator.calibrate(patterns, maxScores: Array(repeating: 1, count: itemCount)) }
    let fitted = result!.items.map { twoPL($0.model) }
    let truthItems = truth.map(twoPL)
    print(String(format: "cairn 2PL calibration, %d items x %d examinees: %.3f s, %d EM cycles, converged %@, RMSE a %.4f, RMSE b %.4f",
                 itemCount, examinees, time, result!.iterations, result!.converged ? "yes" : "no",
                 rmse(fitted.map(\.discrimination), truthItems.map(\.discrimination)),
                 rmse(fitted.map(\.difficulty), truthItems.map(\.difficulty))))
case "score":
    let examinees = arguments.count > 2 ? Int(arguments[2]) ?? 200_000 : 200_000
    let (items, patterns) = simulated(examinees: examinees)
    var estimates: [AbilityEstimate] = []
    let time = seconds { estimates = AbilityEstimator.eapAll(patterns, items: items) }
    print(String(format: "cairn EAP scoring, %d items x %d examinees: %.3f s (%.0f examinees/s), marginal reliability %.3f",
                 itemCount, examinees, time, Double(examinees) / time, AbilityEstimator.marginalReliability(estimates)))
case "select":
    var generator = SeededGenerator(seed: 7)
    let bank = adaptiveBank(count: 2000, generator: &generator)
    let rules = AdaptiveRules(minLength: 20, maxLength: 40, areaTargets: ["A": 0.4, "B": 0.3, "C": 0.2, "D": 0.1])
    var timings: [Double] = []
    for _ in 0 ..< 200 {
        let theta = generator.nextNormal()
        var state = AdaptiveState()
        for _ in 0 ..< 40 {
            var chosen: Int?
            timings.append(seconds { chosen = AdaptiveEngine.nextItem(bank: bank, state: state, rules: rules, generator: &generator) })
            guard let item = chosen else { break }
            let p = bank[item].model.probability(of: 1, at: theta)
            AdaptiveEngine.record(score: generator.nextUniform() < p ? 1 : 0, for: item, in: &state, bank: bank, rules: rules)
        }
    }
    timings.sort()
    let p99 = timings[Int(Double(timings.count) * 0.99)]
    print(String(format: "cairn next-item selection, 2,000-item bank, %d choices: p50 %.3f ms, p99 %.3f ms",
                 timings.count, timings[timings.count / 2] * 1000, p99 * 1000))
case "adaptive":
    var generator = SeededGenerator(seed: 11)
    let bank = adaptiveBank(count: 400, generator: &generator)
    let abilities = Simulation.abilities(count: 1000, generator: &generator)
    let rules = AdaptiveRules(minLength: 5, maxLength: 120, areaTargets: ["A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25],
                              targetStandardError: 0.30, randomesque: 5)
    let report = AdaptiveSimulation.run(bank: bank, rules: rules, abilities: abilities, generator: &generator)
    let linear = AdaptiveSimulation.linearLengthForPrecision(bank: bank, rules: rules, abilities: abilities, generator: &generator)
    print(String(format: "cairn adaptive exam, 400-item bank, 1,000 examinees, SE target 0.30: mean length %.1f, mean SE %.3f, RMSE %.3f, max exposure %.1f%%; linear form for the same precision: %@ items; adaptive/linear %@",
                 report.meanLength, report.meanStandardError, report.abilityRMSE, report.maxExposure * 100,
                 linear.map(String.init) ?? "none within the bank",
                 linear.map { String(format: "%.0f%%", report.meanLength / Double($0) * 100) } ?? "n/a"))
case "errors":
    // How honest are the reported standard errors? Fit the same 20-item 2PL bank to many
    // independent samples of 2,000 examinees (complete, then sparse with half the items
    // each) and compare each item's mean reported SE with the spread of its estimates.
    let replications = arguments.count > 2 ? Int(arguments[2]) ?? 40 : 40
    var bankGenerator = SeededGenerator(seed: 404)
    let bank = Simulation.twoPLItems(count: 20, generator: &bankGenerator)
    for (sparse, method) in [(false, CalibrationOptions.StandardErrors.crossProduct), (true, .crossProduct), (false, .completeData), (true, .completeData)] {
        var options = CalibrationOptions()
        options.standardErrors = method
        var estimatesA = [[Double]](repeating: [], count: 20)
        var estimatesB = [[Double]](repeating: [], count: 20)
        var errorsA = [[Double]](repeating: [], count: 20)
        var errorsB = [[Double]](repeating: [], count: 20)
        for replication in 0 ..< replications {
            var generator = SeededGenerator(seed: 1000 + UInt64(replication))
            var patterns = Simulation.responses(items: bank, abilities: Simulation.abilities(count: 2_000, generator: &generator), generator: &generator)
            if sparse {
                patterns = patterns.map { pattern in
                    let kept = pattern.items.indices.filter { _ in generator.nextUniform() < 0.5 }
                    return ResponsePattern(items: kept.map { pattern.items[$0] }, scores: kept.map { pattern.scores[$0] })
                }
            }
            guard let fit = try? Calibrator.calibrate(patterns, maxScores: Array(repeating: 1, count: 20), options: options) else { continue }
            for (index, item) in fit.items.enumerated() {
                let fitted = twoPL(item.model)
                estimatesA[index].append(fitted.discrimination)
                estimatesB[index].append(fitted.difficulty)
                errorsA[index].append(item.standardErrors[0])
                errorsB[index].append(item.standardErrors[1])
            }
        }
        func spread(_ values: [Double]) -> Double {
            let mean = values.reduce(0, +) / Double(values.count)
            return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let ratioA = median((0 ..< 20).map { (errorsA[$0].reduce(0, +) / Double(errorsA[$0].count)) / spread(estimatesA[$0]) })
        let ratioB = median((0 ..< 20).map { (errorsB[$0].reduce(0, +) / Double(errorsB[$0].count)) / spread(estimatesB[$0]) })
        print(String(format: "cairn standard errors (%@), 20-item 2PL, 2,000 examinees, %@, %d replications: median (mean reported SE / spread of estimates) a %.2f, b %.2f",
                     method == .crossProduct ? "cross-product, the default" : "complete-data information",
                     sparse ? "each sees half the items" : "complete data", replications, ratioA, ratioB))
    }
default:
    FileHandle.standardError.write(Data("unknown command \(command); use calibrate, score, select or adaptive\n".utf8))
    exit(2)
}
