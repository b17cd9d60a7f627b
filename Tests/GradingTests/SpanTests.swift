@testable import Curriculum
import Grading
import Testing

// Redaction and critique tasks: marks as Character offsets into the material, and the
// Material helpers the page uses to turn clicked words or typed phrases into marks.

/// 54 non-space characters, 22 of them in the key (11 in the name, 11 in the phone number).
let callNote = "Please call Kemi Adeyemi on 07700 900318 before the end of today."
let callNoteKey = [
    QuotedSpan(quote: "Kemi Adeyemi", label: "name"),
    QuotedSpan(quote: "07700 900318", label: "phone number"),
]
let callNoteRedaction = InteractionContent.redaction(material: callNote, spans: callNoteKey)

/// Offsets of each quote's first occurrence in `material`; fails the test if one is absent.
func marks(_ quotes: [String], in material: String) throws -> [CharacterSpan] {
    try quotes.map { quote in try #require(Material.locate(quote, in: material), "\"\(quote)\" is not in the material") }
}

// MARK: redaction

struct RedactionCase: Sendable, CustomTestStringConvertible {
    var name: String
    var marked: [String]
    var passed: Bool
    var score: Double
    /// Status of the name, then of the phone number.
    var statuses: [CriterionOutcome.Status]
    /// Marked text outside the key, as reported.
    var extra: [String]
    var precision: Double
    var testDescription: String { name }
}

let redactionCases: [RedactionCase] = [
    RedactionCase(
        name: "every piece marked", marked: ["Kemi Adeyemi", "07700 900318"],
        passed: true, score: 2, statuses: [.met, .met], extra: [], precision: 1
    ),
    RedactionCase(
        name: "the phone number missed", marked: ["Kemi Adeyemi"],
        passed: false, score: 1, statuses: [.met, .unmet], extra: [], precision: 1
    ),
    // Half a name still identifies the person.
    RedactionCase(
        name: "only the first name marked", marked: ["Kemi", "07700 900318"],
        passed: false, score: 1, statuses: [.partial, .met], extra: [], precision: 1
    ),
    RedactionCase(
        name: "all but the first letter of the name marked", marked: ["emi Adeyemi", "07700 900318"],
        passed: true, score: 2, statuses: [.met, .met], extra: [], precision: 1
    ),
    // Marking everything finds everything but fails, and lists what should not have been marked.
    RedactionCase(
        name: "the whole material marked", marked: [callNote],
        passed: false, score: 2, statuses: [.met, .met], extra: ["Please call", "on", "before the end of today."], precision: 22.0 / 54.0
    ),
    RedactionCase(
        name: "an extra word apart from the key", marked: ["Kemi Adeyemi", "07700 900318", "today"],
        passed: true, score: 2, statuses: [.met, .met], extra: ["today"], precision: 22.0 / 27.0
    ),
    // Clicking "Kemi", "Adeyemi" and "on" gives one mark; "on" is still not personal data.
    RedactionCase(
        name: "an extra word next to a key piece", marked: ["Kemi Adeyemi on", "07700 900318"],
        passed: true, score: 2, statuses: [.met, .met], extra: ["on"], precision: 22.0 / 24.0
    ),
]

@Suite("Redaction")
struct RedactionGrading {
    @Test(arguments: redactionCases)
    func grades(_ example: RedactionCase) throws {
        let result = try grader.grade(task(callNoteRedaction), answer: .spans(marks(example.marked, in: callNote)))
        #expect(result.passed == example.passed)
        #expect(result.score == example.score)
        #expect(result.maxScore == 2)
        let pieces = result.criteria.filter { $0.id != "extra" }
        #expect(pieces.map(\.id) == ["span-1", "span-2"])
        #expect(pieces.map(\.status) == example.statuses)
        for (piece, quote) in zip(pieces, callNoteKey) {
            // A piece found is shown as a span; one not found is reported missing, with where it was.
            let kind: Evidence.Kind = piece.status == .met ? .span : .missing
            #expect(piece.evidence == [Evidence(kind: kind, text: quote.quote, span: Material.locate(quote.quote, in: callNote))])
            #expect(piece.description == quote.label)
        }
        let extra = result.criteria.first { $0.id == "extra" }
        #expect((extra?.evidence.map(\.text) ?? []) == example.extra)
        #expect((extra?.points ?? 0) == 0)
        let overlap = try #require(result.overlap)
        #expect(isClose(overlap.precision, example.precision), "precision \(overlap.precision)")
    }

    @Test("recall and F1 when half the key is marked")
    func recallAndF1() throws {
        let result = try grader.grade(task(callNoteRedaction), answer: .spans(marks(["Kemi Adeyemi"], in: callNote)))
        let overlap = try #require(result.overlap)
        // 11 of the 22 key characters marked, all marks inside the key: P = 1, R = 0.5, F1 = 2/3.
        #expect(isClose(overlap.recall, 0.5))
        #expect(isClose(overlap.f1, 2.0 / 3.0))
    }
}

struct OutOfRangeCase: Sendable, CustomTestStringConvertible {
    var name: String
    var mark: CharacterSpan
    var testDescription: String { "\(name) (\(mark))" }
}

let outOfRangeCases: [OutOfRangeCase] = [
    OutOfRangeCase(name: "past the end", mark: CharacterSpan(start: callNote.count - 2, end: callNote.count + 3)),
    OutOfRangeCase(name: "before the start", mark: CharacterSpan(start: -1, end: 4)),
    OutOfRangeCase(name: "empty", mark: CharacterSpan(start: 5, end: 5)),
    OutOfRangeCase(name: "end before start", mark: CharacterSpan(start: 8, end: 3)),
]

@Test("a mark outside the material is refused", arguments: outOfRangeCases)
func markOutOfRange(_ example: OutOfRangeCase) {
    let valid = CharacterSpan(start: 12, end: 24)
    #expect(throws: GradingError.spanOutOfRange(example.mark, length: callNote.count)) {
        try grader.grade(task(callNoteRedaction), answer: .spans([valid, example.mark]))
    }
}

@Test("span tasks refuse answers of another kind")
func spanTasksRefuseOtherAnswers() {
    #expect(throws: GradingError.wrongAnswerKind(expected: "marked passages of the text")) {
        try grader.grade(task(callNoteRedaction), answer: .text("Kemi Adeyemi"))
    }
}

// MARK: Material helpers

@Test("tokens are the runs of non-space characters with their offsets")
func tokens() {
    let tokens = Material.tokens("  Call  Kemi\ntoday. ")
    #expect(tokens.map(\.text) == ["Call", "Kemi", "today."])
    #expect(tokens.map(\.span) == [CharacterSpan(start: 2, end: 6), CharacterSpan(start: 8, end: 12), CharacterSpan(start: 13, end: 19)])
}

struct TokenMarkCase: Sendable, CustomTestStringConvertible {
    var name: String
    var indexes: [Int]
    /// The phrases the resulting spans cover, in order.
    var phrases: [String]
    var testDescription: String { name }
}

// Tokens of callNote: 0 Please, 1 call, 2 Kemi, 3 Adeyemi, 4 on, 5 07700, 6 900318, 7 before, …
let tokenMarkCases: [TokenMarkCase] = [
    TokenMarkCase(name: "two neighbouring words join into one span", indexes: [2, 3], phrases: ["Kemi Adeyemi"]),
    TokenMarkCase(name: "words clicked in any order", indexes: [6, 3, 5, 2], phrases: ["Kemi Adeyemi", "07700 900318"]),
    TokenMarkCase(name: "a word clicked twice", indexes: [2, 2, 3], phrases: ["Kemi Adeyemi"]),
    TokenMarkCase(name: "a run across five words", indexes: [2, 3, 4, 5, 6], phrases: ["Kemi Adeyemi on 07700 900318"]),
    TokenMarkCase(name: "separate words stay separate", indexes: [1, 4], phrases: ["call", "on"]),
]

@Test("clicked words become spans", arguments: tokenMarkCases)
func tokenMarks(_ example: TokenMarkCase) throws {
    let spans = try Material.spans(forTokens: example.indexes, of: Material.tokens(callNote))
    let expected = try marks(example.phrases, in: callNote)
    #expect(spans == expected)
}

@Test("a token number past the last word is refused")
func tokenOutOfRange() {
    let tokens = Material.tokens(callNote)
    #expect(tokens.count == 12)
    #expect(throws: GradingError.spanOutOfRange(CharacterSpan(start: 12, end: 13), length: 12)) {
        try Material.spans(forTokens: [2, 12], of: tokens)
    }
}

@Test("clicked words grade like typed offsets")
func tokenMarksGrade() throws {
    let spans = try Material.spans(forTokens: [2, 3, 5, 6], of: Material.tokens(callNote))
    let result = try grader.grade(task(callNoteRedaction), answer: .spans(spans))
    #expect(result.passed)
    #expect(result.score == 2)
}

@Test("typed phrases are found case-insensitively; the rest are reported")
func quotedPhrases() throws {
    let typed = "kemi adeyemi\n\n   07700 900318  \nJohn Smith\nTODAY."
    let (spans, notFound) = Material.spans(forQuotes: typed, in: callNote)
    let expected = try marks(["Kemi Adeyemi", "07700 900318", "today."], in: callNote)
    #expect(spans == expected)
    #expect(notFound == ["John Smith"])
}

@Test("locate finds a repeated phrase from a given offset")
func locateFrom() {
    let text = "Ana met Ana."
    #expect(Material.locate("Ana", in: text) == CharacterSpan(start: 0, end: 3))
    #expect(Material.locate("Ana", in: text, from: 1) == CharacterSpan(start: 8, end: 11))
    #expect(Material.locate("Bo", in: text) == nil)
    #expect(Material.locate("", in: text) == nil)
}

// MARK: Unicode material

/// A family emoji is one Character but several scalars and eight UTF-16 units.
let familyNote = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} Hi Jos\u{E9} \u{C1}lvarez, call 07700 900318."

@Test("offsets in Unicode material count Characters")
func unicodeOffsets() throws {
    #expect(Material.locate("Jos\u{E9} \u{C1}lvarez", in: familyNote) == CharacterSpan(start: 5, end: 17))
    let tokens = Material.tokens(familyNote)
    #expect(tokens.map(\.text) == ["\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}", "Hi", "Jos\u{E9}", "\u{C1}lvarez,", "call", "07700", "900318."])
    #expect(tokens[2].span == CharacterSpan(start: 5, end: 9))
}

@Test("Unicode material grades correctly from located or clicked marks")
func unicodeRedaction() throws {
    let key = [QuotedSpan(quote: "Jos\u{E9} \u{C1}lvarez", label: "name"), QuotedSpan(quote: "07700 900318", label: "phone number")]
    let content = InteractionContent.redaction(material: familyNote, spans: key)
    let located = try marks(["Jos\u{E9} \u{C1}lvarez", "07700 900318"], in: familyNote)
    let clicked = try Material.spans(forTokens: [2, 3, 5, 6], of: Material.tokens(familyNote))
    for answer in [located, clicked] {
        let result = try grader.grade(task(content), answer: .spans(answer))
        #expect(result.passed, "marks \(answer)")
        #expect(result.score == 2, "marks \(answer)")
    }
    let halfName = try marks(["Jos\u{E9}", "07700 900318"], in: familyNote)
    let result = try grader.grade(task(content), answer: .spans(halfName))
    #expect(result.criteria.first?.status == .partial)
    #expect(result.passed == false)
}

// MARK: critique

let salesNote = "Sales rose 12% in March, so we hired staff. Costs fell because of the weather."
let salesCritique = InteractionContent.critique(
    material: salesNote, errors: [QuotedSpan(quote: "Sales rose 12% in March", label: "The table shows 8%.")]
)

struct CritiqueCase: Sendable, CustomTestStringConvertible {
    var name: String
    var marked: [String]
    var status: CriterionOutcome.Status
    var testDescription: String { name }
}

let critiqueCases: [CritiqueCase] = [
    CritiqueCase(name: "the figure inside a longer error counts", marked: ["12%"], status: .met),
    CritiqueCase(name: "the whole error", marked: ["Sales rose 12% in March"], status: .met),
    CritiqueCase(name: "a distant word does not count", marked: ["weather"], status: .unmet),
    CritiqueCase(name: "one digit of the figure is not enough", marked: ["2"], status: .partial),
    // "March" is 5 of the 25 marked characters and 5 of the error's 19: too little either way.
    CritiqueCase(name: "a long run that only brushes the error", marked: ["March, so we hired staff."], status: .partial),
]

@Test("critique: pointing at the error is enough", arguments: critiqueCases)
func critique(_ example: CritiqueCase) throws {
    let result = try grader.grade(task(salesCritique), answer: .spans(marks(example.marked, in: salesNote)))
    let error = try #require(result.criteria.first)
    #expect(error.id == "span-1")
    #expect(error.status == example.status)
    #expect(result.score == (example.status == .met ? 1 : 0))
    #expect(result.passed == (example.status == .met))
    #expect(error.description == "The table shows 8%.")
}
