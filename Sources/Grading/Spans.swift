import Curriculum
import Foundation

/// A word of a critique or redaction material: what the learner clicks to mark it.
public struct MaterialToken: Sendable, Equatable {
    public var text: String
    public var span: CharacterSpan
}

/// Character-offset helpers over a task's material, shared by the page that lets the
/// learner mark words and by the grader that scores the marks.
public enum Material {
    /// The material's words: maximal runs of non-white-space characters, with their offsets.
    public static func tokens(_ material: String) -> [MaterialToken] {
        var tokens: [MaterialToken] = []
        var start: Int?
        var current = ""
        var offset = 0
        for character in material {
            if character.isWhitespace {
                if let begin = start {
                    tokens.append(MaterialToken(text: current, span: CharacterSpan(start: begin, end: offset)))
                    start = nil
                    current = ""
                }
            } else {
                if start == nil { start = offset }
                current.append(character)
            }
            offset += 1
        }
        if let begin = start {
            tokens.append(MaterialToken(text: current, span: CharacterSpan(start: begin, end: offset)))
        }
        return tokens
    }

    /// The spans covered by the chosen token numbers; neighbouring tokens join into one span.
    public static func spans(forTokens indexes: [Int], of tokens: [MaterialToken]) throws(GradingError) -> [CharacterSpan] {
        var spans: [CharacterSpan] = []
        var previous: Int?
        for index in Set(indexes).sorted() {
            guard tokens.indices.contains(index) else {
                throw .spanOutOfRange(CharacterSpan(start: index, end: index + 1), length: tokens.count)
            }
            let span = tokens[index].span
            if let last = previous, last == index - 1, let open = spans.popLast() {
                spans.append(CharacterSpan(start: open.start, end: span.end))
            } else {
                spans.append(span)
            }
            previous = index
        }
        return spans
    }

    /// Where `quote` first occurs in `material` at or after `from`, as character offsets.
    public static func locate(_ quote: String, in material: String, from: Int = 0) -> CharacterSpan? {
        guard !quote.isEmpty else { return nil }
        let startIndex = material.index(material.startIndex, offsetBy: from, limitedBy: material.endIndex) ?? material.endIndex
        guard let range = material.range(of: quote, range: startIndex..<material.endIndex) else { return nil }
        let start = material.distance(from: material.startIndex, to: range.lowerBound)
        return CharacterSpan(start: start, end: start + quote.count)
    }

    /// Spans for phrases typed or pasted by the learner (the no-JavaScript form), one per line,
    /// matched case-insensitively; phrases not in the material are returned separately.
    public static func spans(forQuotes text: String, in material: String) -> (spans: [CharacterSpan], notFound: [String]) {
        var spans: [CharacterSpan] = []
        var notFound: [String] = []
        let lowered = material.lowercased()
        let sameLength = lowered.count == material.count
        for line in text.split(whereSeparator: \.isNewline) {
            let phrase = line.trimmingCharacters(in: .whitespaces)
            guard !phrase.isEmpty else { continue }
            if let span = locate(phrase, in: material) ?? (sameLength ? locate(phrase.lowercased(), in: lowered) : nil) {
                spans.append(span)
            } else {
                notFound.append(phrase)
            }
        }
        return (spans, notFound)
    }

    public static func text(of span: CharacterSpan, in characters: [Character]) -> String {
        let start = max(0, min(span.start, characters.count))
        let end = max(start, min(span.end, characters.count))
        return String(characters[start..<end])
    }
}

/// Scores marks against the key by character overlap (white space ignored).
struct SpanScorer {
    enum Mode {
        /// Every piece must be covered almost whole: half a name still identifies a person.
        case redaction
        /// Pointing at the error is enough: a learner may mark "12%" of "sales rose 12%".
        case critique
    }

    /// A material split into characters with its key located: computed once per task.
    struct LocatedKey: Sendable {
        let material: [Character]
        let key: [(QuotedSpan, CharacterSpan)]

        init(material text: String, key quotes: [QuotedSpan]) {
            material = Array(text)
            var located: [(QuotedSpan, CharacterSpan)] = []
            var searchFrom: [String: Int] = [:]
            for quote in quotes {
                // The same phrase quoted twice means its second occurrence.
                let from = searchFrom[quote.quote] ?? 0
                if let span = Material.locate(quote.quote, in: text, from: from) {
                    located.append((quote, span))
                    searchFrom[quote.quote] = span.end
                }
            }
            key = located
        }
    }

    let mode: Mode
    let material: [Character]
    let key: [(QuotedSpan, CharacterSpan)]

    init(mode: Mode, located: LocatedKey) {
        self.mode = mode
        material = located.material
        key = located.key
    }

    init(mode: Mode, material: String, key quotes: [QuotedSpan]) {
        self.init(mode: mode, located: LocatedKey(material: material, key: quotes))
    }

    func grade(_ marks: [CharacterSpan]) throws(GradingError) -> GradeResult {
        for mark in marks where mark.start < 0 || mark.end > material.count || mark.isEmpty {
            throw .spanOutOfRange(mark, length: material.count)
        }
        var marked = [Bool](repeating: false, count: material.count)
        for mark in marks { for index in mark.start..<mark.end { marked[index] = true } }
        var inKey = [Bool](repeating: false, count: material.count)
        for (_, span) in key { for index in span.start..<span.end { inKey[index] = true } }

        let runs = merged(marks)
        var outcomes: [CriterionOutcome] = []
        var found = 0
        var keyChars = 0, keyCovered = 0
        for (number, (quote, span)) in key.enumerated() {
            var total = 0, covered = 0
            for index in span.start..<span.end where !material[index].isWhitespace {
                total += 1
                if marked[index] { covered += 1 }
            }
            keyChars += total
            keyCovered += covered
            let coverage = total > 0 ? Double(covered) / Double(total) : 0
            let isFound: Bool
            switch mode {
            case .redaction:
                isFound = coverage >= 0.8
            case .critique:
                isFound = runs.contains { run in
                    let overlap = run.overlap(with: span)
                    return overlap >= min(3, span.length) && Double(overlap) / Double(max(1, run.length)) >= 0.4
                } || coverage >= 0.5
            }
            if isFound { found += 1 }
            let status: CriterionOutcome.Status = isFound ? .met : (covered > 0 ? .partial : .unmet)
            outcomes.append(CriterionOutcome(
                id: "span-\(number + 1)", description: quote.label, points: 1, awarded: isFound ? 1 : 0,
                status: status, evidence: [Evidence(kind: isFound ? .span : .missing, text: quote.quote, span: span)],
                feedback: nil
            ))
        }

        var markedChars = 0, markedInKey = 0
        for index in material.indices where marked[index] && !material[index].isWhitespace {
            markedChars += 1
            if inKey[index] { markedInKey += 1 }
        }
        // Marked stretches outside the key, even when they touch a key span ("Kemi Adeyemi on").
        var extra: [CharacterSpan] = []
        var runStart: Int?
        for index in 0...material.count {
            let outside = index < material.count && marked[index] && !inKey[index]
            if outside, runStart == nil { runStart = index }
            if !outside, let start = runStart {
                let text = Material.text(of: CharacterSpan(start: start, end: index), in: material)
                if text.contains(where: { $0.isLetter || $0.isNumber }) {
                    let leading = text.prefix { $0.isWhitespace }.count
                    let trailing = text.reversed().prefix { $0.isWhitespace }.count
                    extra.append(CharacterSpan(start: start + leading, end: index - trailing))
                }
                runStart = nil
            }
        }
        if !extra.isEmpty {
            outcomes.append(CriterionOutcome(
                id: "extra", description: "Marked text that is not in the key", points: 0, awarded: 0, status: .unmet,
                evidence: extra.map { Evidence(kind: .value, text: Material.text(of: $0, in: material), span: $0) }
            ))
        }

        let precision = markedChars > 0 ? Double(markedInKey) / Double(markedChars) : 0
        let recall = keyChars > 0 ? Double(keyCovered) / Double(keyChars) : 0
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        let passed = found == key.count && precision >= 0.6
        return GradeResult(
            score: Double(found), maxScore: Double(key.count), passed: passed, criteria: outcomes,
            overlap: SpanOverlap(precision: precision, recall: recall, f1: f1)
        )
    }

    private func merged(_ marks: [CharacterSpan]) -> [CharacterSpan] {
        var runs: [CharacterSpan] = []
        for mark in marks.sorted() {
            if let last = runs.last,
               mark.start <= last.end || material[last.end..<mark.start].allSatisfy(\.isWhitespace) {
                runs[runs.count - 1].end = max(last.end, mark.end)
            } else {
                runs.append(mark)
            }
        }
        return runs
    }
}
