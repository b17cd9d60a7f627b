import CairnCore
@testable import Curriculum
import Grading
import Testing

// Tests of the keyed graders (single and multiple choice, numeric, ordering, matching).
// Shared fixture builders live at the bottom of this file; rubric, span, personal-data and
// agreement tests are in their own files.

// MARK: single choice

let consentOptions: [Choice] = [
    Choice(id: "a", text: "Ask the customer first", feedback: "Yes: consent comes before sharing."),
    Choice(id: "b", text: "Paste the complaint into the chatbot", feedback: "That sends the customer's details to a third party."),
    Choice(id: "c", text: "Delete the complaint", feedback: nil),
]
let consentQuestion = InteractionContent.singleChoice(options: consentOptions, answer: "a")

struct SingleChoiceCase: Sendable, CustomTestStringConvertible {
    var name: String
    var chosen: String
    var passed: Bool
    var feedback: String?
    var testDescription: String { name }
}

let singleChoiceCases: [SingleChoiceCase] = [
    SingleChoiceCase(name: "the key passes with its own feedback", chosen: "a", passed: true, feedback: "Yes: consent comes before sharing."),
    SingleChoiceCase(name: "a wrong option carries its feedback", chosen: "b", passed: false, feedback: "That sends the customer's details to a third party."),
    SingleChoiceCase(name: "a wrong option without feedback has none", chosen: "c", passed: false, feedback: nil),
]

@Suite("Single choice")
struct SingleChoiceGrading {
    @Test(arguments: singleChoiceCases)
    func grades(_ example: SingleChoiceCase) throws {
        let result = try grader.grade(task(consentQuestion), answer: .choice(example.chosen))
        #expect(result.passed == example.passed)
        #expect(result.score == (example.passed ? 1 : 0))
        #expect(result.maxScore == 1)
        #expect(result.criteria.count == 1)
        let outcome = try #require(result.criteria.first)
        #expect(outcome.id == example.chosen)
        #expect(outcome.status == (example.passed ? .met : .unmet))
        #expect(outcome.feedback == example.feedback)
        let chosenText = try #require(consentOptions.first { $0.id == example.chosen }).text
        #expect(outcome.evidence == [Evidence(kind: .value, text: chosenText)])
    }
}

// MARK: multiple choice

let safeToShareOptions: [Choice] = [
    Choice(id: "a", text: "A published price list", feedback: "Published, so safe to share."),
    Choice(id: "b", text: "A customer's home address", feedback: "An address identifies a person."),
    Choice(id: "c", text: "The company's public mission statement", feedback: "Public, so safe to share."),
    Choice(id: "d", text: "A colleague's sick-leave record", feedback: "Health data is special-category data."),
]
let safeToShareQuestion = InteractionContent.multipleChoice(options: safeToShareOptions, answers: ["a", "c"])

struct MultipleChoiceCase: Sendable, CustomTestStringConvertible {
    var name: String
    var ticked: [String]
    var passed: Bool
    /// Options decided correctly (ticked when keyed, left when not).
    var score: Double
    var unmet: [String]
    /// Option texts reported as keyed but not ticked.
    var missing: [String]
    var testDescription: String { name }
}

let multipleChoiceCases: [MultipleChoiceCase] = [
    MultipleChoiceCase(name: "exactly the keyed set, in any order", ticked: ["c", "a"], passed: true, score: 4, unmet: [], missing: []),
    MultipleChoiceCase(name: "the same option ticked twice counts once", ticked: ["a", "c", "a"], passed: true, score: 4, unmet: [], missing: []),
    MultipleChoiceCase(name: "one keyed option missing", ticked: ["a"], passed: false, score: 3, unmet: ["c"], missing: ["The company's public mission statement"]),
    MultipleChoiceCase(name: "one extra option", ticked: ["a", "b", "c"], passed: false, score: 3, unmet: ["b"], missing: []),
    MultipleChoiceCase(name: "one right, one wrong", ticked: ["a", "b"], passed: false, score: 2, unmet: ["b", "c"], missing: ["The company's public mission statement"]),
    MultipleChoiceCase(name: "everything ticked", ticked: ["a", "b", "c", "d"], passed: false, score: 2, unmet: ["b", "d"], missing: []),
    MultipleChoiceCase(
        name: "only the wrong options", ticked: ["b", "d"], passed: false, score: 0, unmet: ["a", "b", "c", "d"],
        missing: ["A published price list", "The company's public mission statement"]
    ),
]

@Suite("Multiple choice")
struct MultipleChoiceGrading {
    @Test(arguments: multipleChoiceCases)
    func grades(_ example: MultipleChoiceCase) throws {
        let result = try grader.grade(task(safeToShareQuestion), answer: .choices(example.ticked))
        #expect(result.passed == example.passed)
        #expect(result.score == example.score)
        #expect(result.maxScore == 4)
        #expect(result.criteria.map(\.id) == ["a", "b", "c", "d"])
        #expect(result.criteria.filter { $0.status == .unmet }.map(\.id) == example.unmet)
        #expect(result.criteria.flatMap(\.evidence).filter { $0.kind == .missing }.map(\.text) == example.missing)
        for outcome in result.criteria {
            // Option feedback explains a mistake; options decided right stay quiet.
            let option = try #require(safeToShareOptions.first { $0.id == outcome.id })
            #expect(outcome.feedback == (outcome.status == .met ? nil : option.feedback), "option \(outcome.id)")
        }
    }
}

// MARK: numeric

let factorOf100 = "factor of 100"

struct NumericCase: Sendable, CustomTestStringConvertible {
    var name: String
    var key: Double
    var tolerance: Double = 0
    var unit: String?
    var typed: String
    var passed: Bool
    /// The value the grader read, as shown back to the learner.
    var read: String
    /// A phrase the feedback must contain; nil when no feedback is expected.
    var feedback: String?
    /// The expected value shown after a wrong answer.
    var expected: String?
    var testDescription: String { "\(name): \"\(typed)\"" }
}

let numericCases: [NumericCase] = [
    NumericCase(name: "exact", key: 42, typed: "42", passed: true, read: "42"),
    NumericCase(name: "within tolerance", key: 3.5, tolerance: 0.1, typed: "3.58", passed: true, read: "3.58"),
    NumericCase(name: "on the tolerance boundary", key: 10, tolerance: 0.5, typed: "10.5", passed: true, read: "10.5"),
    NumericCase(name: "just outside tolerance", key: 3.5, tolerance: 0.1, typed: "3.61", passed: false, read: "3.61", feedback: "too high", expected: "3.5"),
    NumericCase(name: "comma grouping thousands", key: 1250, typed: "1,250", passed: true, read: "1250"),
    NumericCase(name: "space grouping thousands", key: 1250, typed: "1 250", passed: true, read: "1250"),
    NumericCase(name: "grouping comma and decimal point", key: 1250.75, typed: "1,250.75", passed: true, read: "1250.75"),
    NumericCase(name: "decimal comma", key: 3.5, typed: "3,5", passed: true, read: "3.5"),
    NumericCase(name: "percent sign", key: 12.5, typed: "12.5%", passed: true, read: "12.5"),
    NumericCase(name: "currency sign", key: 3.4, typed: "£3.40", passed: true, read: "3.4"),
    NumericCase(name: "unit stripped", key: 40, unit: "hours", typed: "40 hours", passed: true, read: "40"),
    NumericCase(name: "unit stripped whatever its case", key: 40, unit: "hours", typed: "40 Hours", passed: true, read: "40"),
    NumericCase(name: "surrounding white space", key: 7, typed: "  7 \n", passed: true, read: "7"),
    NumericCase(name: "Unicode minus sign", key: -4, typed: "\u{2212}4", passed: true, read: "-4"),
    NumericCase(name: "a fraction where a percentage is asked", key: 12, typed: "0.12", passed: false, read: "0.12", feedback: factorOf100, expected: "12"),
    NumericCase(name: "a percentage where a fraction is asked", key: 0.12, typed: "12", passed: false, read: "12", feedback: factorOf100, expected: "0.12"),
    // 0.29 × 100 is 28.999999999999996 in binary floating point: the hint must still be given.
    NumericCase(name: "a fraction not exact in binary", key: 29, typed: "0.29", passed: false, read: "0.29", feedback: factorOf100, expected: "29"),
    NumericCase(name: "thousands where units are asked", key: 2500, typed: "2.5", passed: false, read: "2.5", feedback: "factor of 1,000", expected: "2500"),
    NumericCase(name: "the wrong sign", key: 4, typed: "\u{2212}4", passed: false, read: "-4", feedback: "wrong sign", expected: "4"),
    NumericCase(name: "too high", key: 50, tolerance: 1, typed: "70", passed: false, read: "70", feedback: "too high", expected: "50"),
    NumericCase(name: "too low, with the unit shown", key: 50, tolerance: 1, unit: "hours", typed: "30 hours", passed: false, read: "30", feedback: "too low", expected: "50 hours"),
]

@Suite("Numeric")
struct NumericGrading {
    @Test(arguments: numericCases)
    func grades(_ example: NumericCase) throws {
        let content = InteractionContent.numeric(answer: example.key, tolerance: example.tolerance, unit: example.unit)
        let result = try grader.grade(task(content), answer: .number(example.typed))
        #expect(result.passed == example.passed)
        #expect(result.score == (example.passed ? 1 : 0))
        let outcome = try #require(result.criteria.first)
        #expect(outcome.evidence.filter { $0.kind == .value }.map(\.text) == [example.read])
        #expect(outcome.evidence.filter { $0.kind == .expected }.map(\.text) == (example.expected.map { [$0] } ?? []))
        if let phrase = example.feedback {
            let feedback = try #require(outcome.feedback)
            #expect(feedback.contains(phrase), "feedback was: \(feedback)")
        } else {
            #expect(outcome.feedback == nil)
        }
    }
}

// MARK: ordering

let escalationSteps: [Choice] = [
    Choice(id: "a", text: "Check the output", feedback: nil),
    Choice(id: "b", text: "Flag the error to the owner", feedback: "Flag it before anything else happens to it."),
    Choice(id: "c", text: "Correct the record", feedback: nil),
    Choice(id: "d", text: "Tell the customer", feedback: nil),
]
let escalationOrder = InteractionContent.ordering(options: escalationSteps, answer: ["a", "b", "c", "d"])

struct OrderingCase: Sendable, CustomTestStringConvertible {
    var name: String
    var given: [String]
    var score: Double
    var unmet: [String]
    var testDescription: String { name }
}

let orderingCases: [OrderingCase] = [
    OrderingCase(name: "all in the right place", given: ["a", "b", "c", "d"], score: 4, unmet: []),
    OrderingCase(name: "two neighbours swapped scores n - 2", given: ["a", "c", "b", "d"], score: 2, unmet: ["b", "c"]),
    OrderingCase(name: "first and last swapped scores n - 2", given: ["d", "b", "c", "a"], score: 2, unmet: ["a", "d"]),
    OrderingCase(name: "reversed", given: ["d", "c", "b", "a"], score: 0, unmet: ["a", "b", "c", "d"]),
]

@Suite("Ordering")
struct OrderingGrading {
    @Test(arguments: orderingCases)
    func grades(_ example: OrderingCase) throws {
        let result = try grader.grade(task(escalationOrder), answer: .order(example.given))
        #expect(result.score == example.score)
        #expect(result.maxScore == 4)
        #expect(result.passed == (example.score == 4))
        #expect(result.criteria.filter { $0.status == .unmet }.map(\.id) == example.unmet)
    }

    @Test("a misplaced step says where it was put and carries its feedback")
    func misplacedStep() throws {
        let result = try grader.grade(task(escalationOrder), answer: .order(["a", "c", "b", "d"]))
        let flag = try #require(result.criteria.first { $0.id == "b" })
        #expect(flag.evidence == [Evidence(kind: .value, text: "placed 3 of 4")])
        #expect(flag.feedback == "Flag it before anything else happens to it.")
    }
}

// MARK: matching

let termLeft: [Choice] = [
    Choice(id: "l1", text: "Hallucination", feedback: nil),
    Choice(id: "l2", text: "Prompt", feedback: nil),
    Choice(id: "l3", text: "Token", feedback: "A token is a piece of text, not a training run."),
]
let termRight: [Choice] = [
    Choice(id: "r1", text: "A confident but false output", feedback: nil),
    Choice(id: "r2", text: "The instruction given to a model", feedback: nil),
    Choice(id: "r3", text: "A piece of text the model reads", feedback: nil),
    Choice(id: "r4", text: "A training run", feedback: nil),
]
let termMatching = InteractionContent.matching(left: termLeft, right: termRight, answer: ["l1": "r1", "l2": "r2", "l3": "r3"])

struct MatchingCase: Sendable, CustomTestStringConvertible {
    var name: String
    var given: [String: String]
    var score: Double
    var unmet: [String]
    /// Items reported as not answered at all.
    var unanswered: [String]
    var testDescription: String { name }
}

let matchingCases: [MatchingCase] = [
    MatchingCase(name: "all right", given: ["l1": "r1", "l2": "r2", "l3": "r3"], score: 3, unmet: [], unanswered: []),
    MatchingCase(name: "one matched to the distractor", given: ["l1": "r1", "l2": "r2", "l3": "r4"], score: 2, unmet: ["l3"], unanswered: []),
    MatchingCase(name: "two swapped", given: ["l1": "r2", "l2": "r1", "l3": "r3"], score: 1, unmet: ["l1", "l2"], unanswered: []),
    MatchingCase(name: "one item left unanswered counts as unmet", given: ["l1": "r1", "l2": "r2"], score: 2, unmet: ["l3"], unanswered: ["l3"]),
]

@Suite("Matching")
struct MatchingGrading {
    @Test(arguments: matchingCases)
    func grades(_ example: MatchingCase) throws {
        let result = try grader.grade(task(termMatching), answer: .matches(example.given))
        #expect(result.score == example.score)
        #expect(result.maxScore == 3)
        #expect(result.passed == (example.score == 3))
        #expect(result.criteria.map(\.id) == ["l1", "l2", "l3"])
        #expect(result.criteria.filter { $0.status == .unmet }.map(\.id) == example.unmet)
        #expect(result.criteria.filter { $0.evidence.contains { $0.kind == .missing } }.map(\.id) == example.unanswered)
    }

    @Test("a wrong match shows the chosen text and the item's feedback")
    func wrongMatchEvidence() throws {
        let result = try grader.grade(task(termMatching), answer: .matches(["l1": "r1", "l2": "r2", "l3": "r4"]))
        let token = try #require(result.criteria.first { $0.id == "l3" })
        #expect(token.evidence == [Evidence(kind: .value, text: "A training run")])
        #expect(token.feedback == "A token is a piece of text, not a training run.")
    }
}

// MARK: answers the keyed graders refuse

struct RefusedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var content: InteractionContent
    var answer: Answer
    var error: GradingError
    var testDescription: String { name }
}

let refusedKeyedCases: [RefusedCase] = [
    RefusedCase(name: "single choice: unknown option", content: consentQuestion, answer: .choice("z"), error: .unknownOption("z")),
    RefusedCase(name: "single choice: a text answer", content: consentQuestion, answer: .text("a"), error: .wrongAnswerKind(expected: "one option")),
    RefusedCase(name: "multiple choice: nothing ticked", content: safeToShareQuestion, answer: .choices([]), error: .empty("tick at least one option")),
    RefusedCase(name: "multiple choice: unknown option", content: safeToShareQuestion, answer: .choices(["a", "z"]), error: .unknownOption("z")),
    RefusedCase(name: "multiple choice: a single choice", content: safeToShareQuestion, answer: .choice("a"), error: .wrongAnswerKind(expected: "a list of options")),
    RefusedCase(name: "numeric: letters", content: .numeric(answer: 1, tolerance: 0, unit: nil), answer: .number("abc"), error: .notANumber("abc")),
    RefusedCase(name: "numeric: digits then letters", content: .numeric(answer: 12, tolerance: 0, unit: nil), answer: .number(" 12abc "), error: .notANumber("12abc")),
    RefusedCase(name: "numeric: two decimal points", content: .numeric(answer: 1, tolerance: 0, unit: nil), answer: .number("1.2.3"), error: .notANumber("1.2.3")),
    RefusedCase(name: "numeric: blank", content: .numeric(answer: 1, tolerance: 0, unit: nil), answer: .number("  "), error: .empty("type a number")),
    RefusedCase(
        name: "numeric: over 100 characters", content: .numeric(answer: 1, tolerance: 0, unit: nil),
        answer: .number(String(repeating: "1", count: 101)), error: .tooLong(limit: 100)
    ),
    RefusedCase(name: "numeric: a text answer", content: .numeric(answer: 1, tolerance: 0, unit: nil), answer: .text("1"), error: .wrongAnswerKind(expected: "a number")),
    RefusedCase(
        name: "ordering: an option twice", content: escalationOrder, answer: .order(["a", "a", "b", "c"]),
        error: .wrongAnswerKind(expected: "every option placed once, in order")
    ),
    RefusedCase(
        name: "ordering: an option missing", content: escalationOrder, answer: .order(["a", "b", "c"]),
        error: .wrongAnswerKind(expected: "every option placed once, in order")
    ),
    RefusedCase(name: "ordering: unknown option", content: escalationOrder, answer: .order(["a", "b", "c", "z"]), error: .unknownOption("z")),
    RefusedCase(name: "matching: unknown right-hand id", content: termMatching, answer: .matches(["l1": "rz"]), error: .unknownOption("rz")),
    RefusedCase(name: "matching: unknown left-hand id", content: termMatching, answer: .matches(["lz": "r1"]), error: .unknownOption("lz")),
    RefusedCase(name: "matching: nothing matched", content: termMatching, answer: .matches([:]), error: .empty("choose a match for each item")),
]

@Test("keyed graders refuse answers they cannot grade", arguments: refusedKeyedCases)
func keyedGradersRefuse(_ example: RefusedCase) {
    #expect(throws: example.error) {
        try grader.grade(task(example.content), answer: example.answer)
    }
}

// MARK: fixture builders shared by the grading tests

/// One grader for every test, as in the application.
let grader = Grader()

/// An interaction with the given content; only `content` and `prompt` matter to the grader.
func task(_ content: InteractionContent, prompt: String = "Answer the question.") -> Interaction {
    Interaction(
        id: InteractionID(rawValue: "x"), kind: .task, skills: [SkillID(rawValue: "s")], prompt: prompt,
        explanation: nil, hints: [], content: content, status: nil, difficulty: nil, irt: nil, file: "t.md", line: 1
    )
}

func isClose(_ value: Double?, _ expected: Double?, within tolerance: Double = 1e-9) -> Bool {
    switch (value, expected) {
    case (nil, nil): true
    case let (value?, expected?): abs(value - expected) <= tolerance
    default: false
    }
}
