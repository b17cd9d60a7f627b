import CairnCore
import Curriculum
import Foundation
import Synchronization

/// Grades answers to checks, tasks and exam items. One instance serves every request: it
/// keeps compiled rubric patterns, nothing about learners.
public final class Grader: Sendable {
    /// Longest answer accepted, in characters; longer ones are refused rather than cut.
    public static let maxAnswerLength = 20_000
    /// Share of the automatically scored rubric points an open answer needs to pass.
    public static let rubricPassMark = 0.7

    private let patterns = Mutex<[String: NSRegularExpression]>([:])
    private let spanKeys = Mutex<[SpanKeySource: SpanScorer.LocatedKey]>([:])

    public init() {}

    public func grade(_ interaction: Interaction, answer: Answer) throws(GradingError) -> GradeResult {
        switch interaction.content {
        case let .singleChoice(options, key):
            guard case let .choice(id) = answer else { throw .wrongAnswerKind(expected: "one option") }
            return try gradeSingleChoice(options: options, key: key, chosen: id)
        case let .multipleChoice(options, keys):
            guard case let .choices(ids) = answer else { throw .wrongAnswerKind(expected: "a list of options") }
            return try gradeMultipleChoice(options: options, keys: Set(keys), chosen: ids)
        case let .numeric(key, tolerance, unit):
            guard case let .number(text) = answer else { throw .wrongAnswerKind(expected: "a number") }
            return try gradeNumeric(key: key, tolerance: tolerance, unit: unit, typed: text)
        case let .ordering(options, key):
            guard case let .order(ids) = answer else { throw .wrongAnswerKind(expected: "the options in order") }
            return try gradeOrdering(options: options, key: key, given: ids)
        case let .matching(left, right, key):
            guard case let .matches(pairs) = answer else { throw .wrongAnswerKind(expected: "a match for each item") }
            return try gradeMatching(left: left, right: right, key: key, given: pairs)
        case let .shortText(rubric, _):
            guard case let .text(text) = answer else { throw .wrongAnswerKind(expected: "a written answer") }
            return try gradeRubric(rubric, text: text, for: interaction)
        case let .promptWriting(scenario, rubric, _):
            guard case let .text(text) = answer else { throw .wrongAnswerKind(expected: "a written prompt") }
            return try gradeRubric(rubric, text: text, for: interaction)
        case let .critique(material, errors):
            guard case let .spans(marks) = answer else { throw .wrongAnswerKind(expected: "marked passages of the text") }
            return try SpanScorer(mode: .critique, located: located(material, errors)).grade(marks)
        case let .redaction(material, spans):
            guard case let .spans(marks) = answer else { throw .wrongAnswerKind(expected: "marked passages of the text") }
            return try SpanScorer(mode: .redaction, located: located(material, spans)).grade(marks)
        }
    }

    // MARK: keyed types

    func gradeSingleChoice(options: [Choice], key: String, chosen: String) throws(GradingError) -> GradeResult {
        guard let option = options.first(where: { $0.id == chosen }) else { throw .unknownOption(chosen) }
        let right = option.id == key
        let outcome = CriterionOutcome(
            id: option.id, description: option.text, points: 1, awarded: right ? 1 : 0, status: right ? .met : .unmet,
            evidence: [Evidence(kind: .value, text: option.text)], feedback: option.feedback
        )
        return GradeResult(score: right ? 1 : 0, maxScore: 1, passed: right, criteria: [outcome])
    }

    func gradeMultipleChoice(options: [Choice], keys: Set<String>, chosen: [String]) throws(GradingError) -> GradeResult {
        let ticked = Set(chosen)
        for id in ticked where !options.contains(where: { $0.id == id }) { throw .unknownOption(id) }
        guard !ticked.isEmpty else { throw .empty("tick at least one option") }
        var outcomes: [CriterionOutcome] = []
        for option in options {
            let shouldTick = keys.contains(option.id)
            let didTick = ticked.contains(option.id)
            let right = shouldTick == didTick
            var evidence: [Evidence] = []
            if didTick { evidence.append(Evidence(kind: .value, text: option.text)) }
            if shouldTick, !didTick { evidence.append(Evidence(kind: .missing, text: option.text)) }
            outcomes.append(CriterionOutcome(
                id: option.id, description: option.text, points: 1, awarded: right ? 1 : 0, status: right ? .met : .unmet,
                evidence: evidence, feedback: right ? nil : option.feedback
            ))
        }
        let score = outcomes.reduce(0) { $0 + $1.awarded }
        return GradeResult(score: score, maxScore: Double(options.count), passed: ticked == keys, criteria: outcomes)
    }

    func gradeNumeric(key: Double, tolerance: Double, unit: String?, typed: String) throws(GradingError) -> GradeResult {
        let trimmed = typed.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .empty("type a number") }
        guard trimmed.count <= 100 else { throw .tooLong(limit: 100) }
        guard let value = NumberReader.read(trimmed, unit: unit) else { throw .notANumber(trimmed) }
        // Floating-point slack, so 0.29 × 100 still counts as 29.
        let slack = tolerance + 1e-9 * max(1, abs(key))
        let right = abs(value - key) <= slack
        var evidence = [Evidence(kind: .value, text: NumberReader.format(value))]
        var feedback: String?
        if !right {
            if key != 0, abs(value * 100 - key) <= slack || abs(value / 100 - key) <= slack {
                feedback = "Your number is off by a factor of 100: check whether the answer is asked for as a percentage or as a fraction."
            } else if key != 0, abs(value * 1000 - key) <= slack || abs(value / 1000 - key) <= slack {
                feedback = "Your number is off by a factor of 1,000: check the units (thousands, millions)."
            } else if key != 0, abs(-value - key) <= slack {
                feedback = "Your number has the wrong sign: check which way the change goes."
            } else {
                feedback = value > key ? "Your number is too high." : "Your number is too low."
            }
            evidence.append(Evidence(kind: .expected, text: NumberReader.format(key) + (unit.map { " \($0)" } ?? "")))
        }
        let outcome = CriterionOutcome(
            id: "value", description: "The value" + (tolerance > 0 ? " (within ±\(NumberReader.format(tolerance)))" : ""),
            points: 1, awarded: right ? 1 : 0, status: right ? .met : .unmet, evidence: evidence, feedback: feedback
        )
        return GradeResult(score: right ? 1 : 0, maxScore: 1, passed: right, criteria: [outcome])
    }

    func gradeOrdering(options: [Choice], key: [String], given: [String]) throws(GradingError) -> GradeResult {
        for id in given where !options.contains(where: { $0.id == id }) { throw .unknownOption(id) }
        guard Set(given).count == given.count, Set(given) == Set(key) else {
            throw .wrongAnswerKind(expected: "every option placed once, in order")
        }
        var outcomes: [CriterionOutcome] = []
        for (position, id) in key.enumerated() {
            let option = options.first { $0.id == id }
            let placed = given.firstIndex(of: id) ?? -1
            let right = placed == position
            outcomes.append(CriterionOutcome(
                id: id, description: option?.text ?? id, points: 1, awarded: right ? 1 : 0, status: right ? .met : .unmet,
                evidence: [Evidence(kind: .value, text: "placed \(placed + 1) of \(key.count)")],
                feedback: right ? nil : option?.feedback
            ))
        }
        let score = outcomes.reduce(0) { $0 + $1.awarded }
        return GradeResult(score: score, maxScore: Double(key.count), passed: score == Double(key.count), criteria: outcomes)
    }

    func gradeMatching(left: [Choice], right: [Choice], key: [String: String], given: [String: String]) throws(GradingError) -> GradeResult {
        for (l, r) in given {
            guard left.contains(where: { $0.id == l }) else { throw .unknownOption(l) }
            guard right.contains(where: { $0.id == r }) else { throw .unknownOption(r) }
        }
        guard !given.isEmpty else { throw .empty("choose a match for each item") }
        var outcomes: [CriterionOutcome] = []
        for item in left {
            let chosen = given[item.id]
            let isRight = chosen != nil && chosen == key[item.id]
            let chosenText = chosen.flatMap { id in right.first { $0.id == id }?.text }
            outcomes.append(CriterionOutcome(
                id: item.id, description: item.text, points: 1, awarded: isRight ? 1 : 0, status: isRight ? .met : .unmet,
                evidence: chosenText.map { [Evidence(kind: .value, text: $0)] } ?? [Evidence(kind: .missing, text: "no match chosen")],
                feedback: isRight ? nil : item.feedback
            ))
        }
        let score = outcomes.reduce(0) { $0 + $1.awarded }
        return GradeResult(score: score, maxScore: Double(left.count), passed: score == Double(left.count), criteria: outcomes)
    }

    // MARK: rubrics

    func gradeRubric(_ rubric: [RubricCriterion], text: String, for interaction: Interaction) throws(GradingError) -> GradeResult {
        guard text.count <= Self.maxAnswerLength else { throw .tooLong(limit: Self.maxAnswerLength) }
        guard text.contains(where: { !$0.isWhitespace }) else { throw .empty("write your answer in the box") }
        let prepared = PreparedText(text)
        var outcomes: [CriterionOutcome] = []
        var judgedPoints = 0.0
        for criterion in rubric {
            let points = Double(criterion.points)
            guard let check = criterion.check else {
                outcomes.append(CriterionOutcome(
                    id: criterion.id, description: criterion.description, points: points, awarded: 0, status: .unjudged
                ))
                continue
            }
            judgedPoints += points
            let (met, evidence) = evaluate(check, on: prepared, for: interaction)
            outcomes.append(CriterionOutcome(
                id: criterion.id, description: criterion.description, points: points, awarded: met ? points : 0,
                status: met ? .met : .unmet, evidence: evidence, feedback: met ? criterion.feedbackMet : criterion.feedbackUnmet
            ))
        }
        let score = outcomes.reduce(0) { $0 + $1.awarded }
        let maxScore = rubric.reduce(0) { $0 + Double($1.points) }
        let passed = judgedPoints > 0 && score >= Self.rubricPassMark * judgedPoints - 1e-9
        return GradeResult(score: score, maxScore: maxScore, passed: passed, criteria: outcomes)
    }

    func evaluate(_ check: RubricCheck, on text: PreparedText, for interaction: Interaction) -> (Bool, [Evidence]) {
        switch check {
        case let .containsAny(terms):
            for term in terms {
                let folded = Folding.fold(term)
                if Folding.contains(text.folded, folded) {
                    return (true, [Evidence(kind: .matched, text: term, context: text.sentence(containing: folded))])
                }
            }
            return (false, [])
        case let .containsAll(terms):
            var evidence: [Evidence] = []
            var all = true
            for term in terms {
                let folded = Folding.fold(term)
                if Folding.contains(text.folded, folded) {
                    evidence.append(Evidence(kind: .matched, text: term, context: text.sentence(containing: folded)))
                } else {
                    all = false
                    evidence.append(Evidence(kind: .missing, text: term))
                }
            }
            return (all, evidence)
        case let .mustNotContain(terms):
            let found = terms.compactMap { term -> Evidence? in
                let folded = Folding.fold(term)
                guard Folding.contains(text.folded, folded) else { return nil }
                return Evidence(kind: .forbidden, text: term, context: text.sentence(containing: folded))
            }
            return (found.isEmpty, found)
        case let .regex(pattern):
            guard let regex = compiled(pattern) else { return (false, []) }
            let range = NSRange(text.original.startIndex..., in: text.original)
            guard let match = regex.firstMatch(in: text.original, range: range),
                  let swiftRange = Range(match.range, in: text.original) else { return (false, []) }
            return (true, [Evidence(kind: .matched, text: String(text.original[swiftRange]), context: text.sentence(around: swiftRange))])
        case let .minWords(minimum):
            return (text.wordCount >= minimum, [Evidence(kind: .value, text: "\(text.wordCount) words")])
        case let .maxWords(maximum):
            return (text.wordCount <= maximum, [Evidence(kind: .value, text: "\(text.wordCount) words")])
        case let .wordsBetween(minimum, maximum):
            return ((minimum...maximum).contains(text.wordCount), [Evidence(kind: .value, text: "\(text.wordCount) words")])
        case .noPersonalData:
            let detector = PersonalDataDetector(contextOf: interaction)
            let findings = detector.findings(in: text.original)
            return (findings.isEmpty, findings.map {
                Evidence(kind: .personalData, text: $0.text, context: $0.kind.displayName, span: $0.span)
            })
        }
    }

    /// What a located key is computed from, so the cache can never hand one task's key to another.
    private struct SpanKeySource: Hashable {
        var material: String
        var quotes: [QuotedSpan]
    }

    /// A task's material and key, located once per process.
    private func located(_ material: String, _ quotes: [QuotedSpan]) -> SpanScorer.LocatedKey {
        let cacheKey = SpanKeySource(material: material, quotes: quotes)
        if let found = spanKeys.withLock({ $0[cacheKey] }) { return found }
        let located = SpanScorer.LocatedKey(material: material, key: quotes)
        spanKeys.withLock { $0[cacheKey] = located }
        return located
    }

    /// Patterns are compiled once per process; the validator has already checked that they compile.
    private func compiled(_ pattern: String) -> NSRegularExpression? {
        if let regex = patterns.withLock({ $0[pattern] }) { return regex }
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { return nil }
        patterns.withLock { $0[pattern] = regex }
        return regex
    }
}

/// Reads numbers the way people type them: "1,250", "1 250", "12.5%", "£3.40", "-4", "3,5".
enum NumberReader {
    static func read(_ text: String, unit: String?) -> Double? {
        var body = text
        if let unit, !unit.isEmpty, body.lowercased().hasSuffix(unit.lowercased()) {
            body = String(body.dropLast(unit.count))
        }
        body = body.filter { !$0.isWhitespace && !"%£$€¥".contains($0) }
        body = body.replacingOccurrences(of: "\u{2212}", with: "-")
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && ($0.isNumber || ",.-+eE".contains($0)) }) else { return nil }
        let commas = body.filter { $0 == "," }.count
        if body.contains("."), commas > 0 {
            body.removeAll { $0 == "," }
        } else if commas == 1, let comma = body.firstIndex(of: ",") {
            // "1,250" groups thousands; "3,5" is a decimal comma.
            let after = body.distance(from: comma, to: body.endIndex) - 1
            if after == 3 { body.remove(at: comma) } else { body.replaceSubrange(comma...comma, with: ".") }
        } else if commas > 1 {
            body.removeAll { $0 == "," }
        }
        guard let value = Double(body), value.isFinite else { return nil }
        return value
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
