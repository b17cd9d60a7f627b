import Curriculum
import Testing
import Tutoring

/// Every expected value below is worked out by hand in the comment beside it, so a change
/// to the formulas shows up as a wrong number, not as a test that agrees with itself.
@Suite("Knowledge tracing")
struct KnowledgeTracingTests {
    let tracer = KnowledgeTracer()
    /// initial 0.2, learn 0.15, slip 0.1, guess 0.2
    let standard = TracingParameters.standard

    @Test("a correct answer raises the estimate by the BKT formula")
    func correct() {
        // P(L|correct) = 0.2·0.9 / (0.2·0.9 + 0.8·0.2) = 0.18 / 0.34 = 0.5294118
        // next = 0.5294118 + 0.4705882·0.15 = 0.5294118 + 0.0705882 = 0.6
        let next = tracer.update(prior: 0.2, credit: 1, parameters: standard)
        #expect(abs(next - 0.6) < 1e-9)
    }

    @Test("a wrong answer lowers the estimate, then the learning step adds a little back")
    func wrong() {
        // P(L|wrong) = 0.2·0.1 / (0.2·0.1 + 0.8·0.8) = 0.02 / 0.66 = 0.0303030
        // next = 0.0303030 + 0.9696970·0.15 = 0.0303030 + 0.1454545 = 0.1757576
        let next = tracer.update(prior: 0.2, credit: 0, parameters: standard)
        #expect(abs(next - 0.1757576) < 1e-6)
    }

    @Test("half credit blends the two posteriors half and half")
    func halfCredit() {
        // posterior = 0.5·0.5294118 + 0.5·0.0303030 = 0.2798574
        // next = 0.2798574 + 0.7201426·0.15 = 0.2798574 + 0.1080214 = 0.3878788
        let next = tracer.update(prior: 0.2, credit: 0.5, parameters: standard)
        #expect(abs(next - 0.3878788) < 1e-6)
    }

    @Test("fractional credit with other parameters")
    func fractionalCreditOtherParameters() {
        let parameters = TracingParameters(initial: 0.5, learn: 0.1, slip: 0.2, guess: 0.25)
        // P(L|correct) = 0.5·0.8 / (0.5·0.8 + 0.5·0.25) = 0.4 / 0.525 = 0.7619048
        // P(L|wrong)   = 0.5·0.2 / (0.5·0.2 + 0.5·0.75) = 0.1 / 0.475 = 0.2105263
        // posterior = 0.72·0.7619048 + 0.28·0.2105263 = 0.5485714 + 0.0589474 = 0.6075188
        // next = 0.6075188 + 0.3924812·0.1 = 0.6467669
        let next = tracer.update(prior: 0.5, credit: 0.72, parameters: parameters)
        #expect(abs(next - 0.6467669) < 1e-6)
    }

    @Test("credit outside [0, 1] counts as fully right or fully wrong")
    func creditIsClamped() {
        #expect(tracer.update(prior: 0.2, credit: 1.7, parameters: standard) == tracer.update(prior: 0.2, credit: 1, parameters: standard))
        #expect(tracer.update(prior: 0.2, credit: -0.4, parameters: standard) == tracer.update(prior: 0.2, credit: 0, parameters: standard))
    }

    @Test("estimates stay inside [0.0001, 0.9999]")
    func clamping() {
        // Prior 0.9999, correct: P(L|correct) = 0.89991 / 0.89993 = 0.9999778, plus learning → 0.9999811 → clamped to 0.9999.
        #expect(tracer.update(prior: 0.9999, credit: 1, parameters: standard) == 0.9999)
        // Prior 1 is first clamped to 0.9999, so the result is the same.
        #expect(tracer.update(prior: 1, credit: 1, parameters: standard) == 0.9999)
        // Prior 0 (clamped to 0.0001), wrong, no learning:
        // P(L|wrong) = 0.0001·0.1 / (0.0001·0.1 + 0.9999·0.8) ≈ 0.0000125 → clamped to 0.0001.
        let noLearning = TracingParameters(initial: 0.2, learn: 0, slip: 0.1, guess: 0.2)
        #expect(tracer.update(prior: 0, credit: 0, parameters: noLearning) == 0.0001)
    }

    @Test("parameters that make an observation impossible leave the estimate finite")
    func degenerateParameters() {
        // slip 1 and guess 0: a correct answer is impossible (denominator 0), so P(L|correct)
        // falls back to the prior 0.5; with no learning the estimate stays 0.5.
        let degenerate = TracingParameters(initial: 0.5, learn: 0, slip: 1, guess: 0)
        let next = tracer.update(prior: 0.5, credit: 1, parameters: degenerate)
        #expect(next.isFinite)
        #expect(abs(next - 0.5) < 1e-12)
    }

    @Test("the starting estimate is the skill's initial parameter")
    func initialEstimate() {
        #expect(tracer.initial(standard) == 0.2)
        #expect(tracer.initial(TracingParameters(initial: 0.35, learn: 0.1, slip: 0.1, guess: 0.2)) == 0.35)
    }

    @Test("repeated correct answers pass 0.95 after three steps")
    func repeatedCorrect() {
        // 0.2 → 0.6 → 0.8903226 → 0.9773511 → 0.9956452
        // step 2: 0.54/0.62 = 0.8709677, + 0.1290323·0.15 = 0.8903226
        // step 3: 0.8012903/0.8232258 = 0.9733542, + 0.0266458·0.15 = 0.9773511
        var estimate = tracer.initial(standard)
        var steps = 0
        while estimate < 0.95, steps < 20 {
            estimate = tracer.update(prior: estimate, credit: 1, parameters: standard)
            steps += 1
        }
        #expect(steps == 3)
        #expect(abs(estimate - 0.9773511) < 1e-6)
    }

    @Test("repeated wrong answers keep the estimate low")
    func repeatedWrong() {
        // 0.2 → 0.1757576 → 0.1720680 → …, settling near 0.1714 (where the evidence
        // step and the learning step cancel out).
        var estimate = tracer.initial(standard)
        for _ in 0..<10 {
            estimate = tracer.update(prior: estimate, credit: 0, parameters: standard)
            #expect(estimate < 0.2)
        }
        #expect(abs(estimate - 0.1714286) < 1e-4)
    }

    struct HintCase: Sendable, CustomStringConvertible {
        let fraction: Double
        let used: Int
        let available: Int
        let expected: Double
        let why: String
        var description: String { "\(fraction) with \(used)/\(available) hints: \(why)" }
    }

    @Test("hints lower the credit; the worked example halves it", arguments: [
        HintCase(fraction: 1, used: 0, available: 3, expected: 1, why: "no hints: full credit"),
        HintCase(fraction: 1, used: 1, available: 3, expected: 0.9, why: "1 − 0.3·1/3 = 0.9"),
        HintCase(fraction: 1, used: 2, available: 3, expected: 0.8, why: "1 − 0.3·2/3 = 0.8"),
        HintCase(fraction: 1, used: 3, available: 3, expected: 0.5, why: "worked example seen: 0.5·1"),
        HintCase(fraction: 1, used: 5, available: 3, expected: 0.5, why: "more than available counts as all"),
        HintCase(fraction: 0.8, used: 1, available: 3, expected: 0.72, why: "0.8·0.9 = 0.72"),
        HintCase(fraction: 0.6, used: 2, available: 4, expected: 0.51, why: "0.6·(1 − 0.3·2/4) = 0.6·0.85 = 0.51"),
        HintCase(fraction: 0.6, used: 4, available: 4, expected: 0.3, why: "worked example: 0.5·0.6"),
        HintCase(fraction: 1, used: 1, available: 1, expected: 0.5, why: "the only hint is the worked example"),
        HintCase(fraction: 1, used: 2, available: 0, expected: 1, why: "no hints available: nothing to discount"),
        HintCase(fraction: 0.7, used: -1, available: 3, expected: 0.7, why: "negative count is zero"),
        HintCase(fraction: 1.5, used: 0, available: 0, expected: 1, why: "fraction clamped to 1"),
        HintCase(fraction: -0.2, used: 0, available: 2, expected: 0, why: "fraction clamped to 0"),
        HintCase(fraction: 0, used: 3, available: 3, expected: 0, why: "a wrong answer stays wrong"),
    ])
    func hintCredit(_ hint: HintCase) {
        let credit = KnowledgeTracer.credit(scoreFraction: hint.fraction, hintsUsed: hint.used, hintsAvailable: hint.available)
        #expect(abs(credit - hint.expected) < 1e-12, "\(hint)")
    }

    @Test("more hints never earn more credit")
    func hintCreditIsMonotonic() {
        let credits = (0...4).map { KnowledgeTracer.credit(scoreFraction: 1, hintsUsed: $0, hintsAvailable: 4) }
        #expect(zip(credits, credits.dropFirst()).allSatisfy { $0 > $1 })
    }
}
