@testable import Curriculum
import Grading
import Testing

// Short-answer and prompt-writing rubrics: each check, the pass mark, the limits on the
// answer, and the no_personal_data check against the task's scenario.

func criterion(_ id: String = "c", points: Int = 1, check: RubricCheck?, met: String? = nil, unmet: String? = nil) -> RubricCriterion {
    RubricCriterion(id: id, description: "criterion \(id)", points: points, check: check, feedbackMet: met, feedbackUnmet: unmet)
}

func shortAnswer(_ rubric: [RubricCriterion]) -> Interaction {
    task(.shortText(rubric: rubric, reference: "A reference answer."))
}

// MARK: one check at a time

struct RubricCheckCase: Sendable, CustomTestStringConvertible {
    var name: String
    var check: RubricCheck
    var answer: String
    var met: Bool
    var evidence: [Evidence]
    var testDescription: String { name }
}

let germanAnswer = "Bitte schreiben Sie für ein junges Publikum."
let welshAnswer = "Ysgrifennwch ar gyfer cynulleidfa ifanc."
let scriptAnswer = "<script>alert(1)</script> audience"

let rubricCheckCases: [RubricCheckCase] = [
    // contains_any: case, accents and typographic quotes do not matter; evidence quotes the learner's sentence.
    RubricCheckCase(
        name: "contains_any ignores accents", check: .containsAny(["cafe"]), answer: "Meet at the Café. Bring notes.",
        met: true, evidence: [Evidence(kind: .matched, text: "cafe", context: "Meet at the Café.")]
    ),
    RubricCheckCase(
        name: "contains_any ignores case", check: .containsAny(["audience"]), answer: "Write for a LAY AUDIENCE of nurses.",
        met: true, evidence: [Evidence(kind: .matched, text: "audience", context: "Write for a LAY AUDIENCE of nurses.")]
    ),
    RubricCheckCase(
        name: "a curly apostrophe in the answer matches a straight one in the term", check: .containsAny(["don't"]),
        answer: "Please don\u{2019}t share names.",
        met: true, evidence: [Evidence(kind: .matched, text: "don't", context: "Please don\u{2019}t share names.")]
    ),
    RubricCheckCase(
        name: "a straight apostrophe in the answer matches a curly one in the term", check: .containsAny(["don\u{2019}t"]),
        answer: "Please don't share names.",
        met: true, evidence: [Evidence(kind: .matched, text: "don\u{2019}t", context: "Please don't share names.")]
    ),
    RubricCheckCase(
        name: "contains_any reports the term it found", check: .containsAny(["manager", "team"]), answer: "Draft it. Tell the team today.",
        met: true, evidence: [Evidence(kind: .matched, text: "team", context: "Tell the team today.")]
    ),
    RubricCheckCase(
        name: "decomposed accents in the answer still match", check: .containsAny(["naive"]), answer: "A nai\u{308}ve plan.",
        met: true, evidence: [Evidence(kind: .matched, text: "naive", context: "A nai\u{308}ve plan.")]
    ),
    RubricCheckCase(
        name: "contains_any with none of the terms", check: .containsAny(["audience", "reader"]), answer: "Summarise the report.",
        met: false, evidence: []
    ),
    // contains_all: each term found or missing.
    RubricCheckCase(
        name: "contains_all with every term", check: .containsAll(["audience", "tone"]), answer: "Name the audience. Set a warm tone.",
        met: true, evidence: [
            Evidence(kind: .matched, text: "audience", context: "Name the audience."),
            Evidence(kind: .matched, text: "tone", context: "Set a warm tone."),
        ]
    ),
    RubricCheckCase(
        name: "contains_all reports each missing term", check: .containsAll(["audience", "tone", "length"]), answer: "Name the audience.",
        met: false, evidence: [
            Evidence(kind: .matched, text: "audience", context: "Name the audience."),
            Evidence(kind: .missing, text: "tone"),
            Evidence(kind: .missing, text: "length"),
        ]
    ),
    // must_not_contain.
    RubricCheckCase(
        name: "must_not_contain finds a forbidden word", check: .mustNotContain(["password"]), answer: "Send the Password by email. Then call.",
        met: false, evidence: [Evidence(kind: .forbidden, text: "password", context: "Send the Password by email.")]
    ),
    RubricCheckCase(
        name: "must_not_contain on a clean answer", check: .mustNotContain(["password"]), answer: "Send the link by email.",
        met: true, evidence: []
    ),
    // regex: case-insensitive, the matched text as evidence.
    RubricCheckCase(
        name: "regex is case-insensitive and quotes the match", check: .regex(#"\b\d+\s*words\b"#),
        answer: "Keep it short. Use under 150 WORDS please.",
        met: true, evidence: [Evidence(kind: .matched, text: "150 WORDS", context: "Use under 150 WORDS please.")]
    ),
    RubricCheckCase(name: "regex with no match", check: .regex(#"\b\d+\s*words\b"#), answer: "Keep it short.", met: false, evidence: []),
    // Word counts.
    RubricCheckCase(name: "min_words not reached", check: .minWords(5), answer: "Use four words here.", met: false, evidence: [Evidence(kind: .value, text: "4 words")]),
    RubricCheckCase(name: "min_words reached exactly", check: .minWords(4), answer: "Use four words here.", met: true, evidence: [Evidence(kind: .value, text: "4 words")]),
    RubricCheckCase(name: "max_words exceeded", check: .maxWords(3), answer: "One two three four.", met: false, evidence: [Evidence(kind: .value, text: "4 words")]),
    RubricCheckCase(
        name: "words_between counts don't and step-free as one word each", check: .wordsBetween(3, 5), answer: "Don't share step-free data.",
        met: true, evidence: [Evidence(kind: .value, text: "4 words")]
    ),
    RubricCheckCase(name: "words_between below the range", check: .wordsBetween(5, 10), answer: "Too short.", met: false, evidence: [Evidence(kind: .value, text: "2 words")]),
    // HTML is just text: nothing is stripped or interpreted.
    RubricCheckCase(
        name: "HTML in the answer is graded as plain text", check: .containsAny(["audience"]), answer: scriptAnswer,
        met: true, evidence: [Evidence(kind: .matched, text: "audience", context: scriptAnswer)]
    ),
    RubricCheckCase(
        name: "HTML tags are not stripped before checking", check: .mustNotContain(["<script>"]), answer: scriptAnswer,
        met: false, evidence: [Evidence(kind: .forbidden, text: "<script>", context: scriptAnswer)]
    ),
    // Other languages: unmet, no crash, words counted.
    RubricCheckCase(name: "an answer in German", check: .containsAny(["audience"]), answer: germanAnswer, met: false, evidence: []),
    RubricCheckCase(
        name: "an answer in Welsh", check: .containsAll(["audience"]), answer: welshAnswer,
        met: false, evidence: [Evidence(kind: .missing, text: "audience")]
    ),
    RubricCheckCase(name: "German words counted", check: .minWords(7), answer: germanAnswer, met: true, evidence: [Evidence(kind: .value, text: "7 words")]),
    RubricCheckCase(name: "Welsh words counted", check: .maxWords(5), answer: welshAnswer, met: true, evidence: [Evidence(kind: .value, text: "5 words")]),
    // Emoji and combining characters.
    RubricCheckCase(
        name: "an emoji with a skin tone is not a word", check: .maxWords(2), answer: "Thanks \u{1F44D}\u{1F3FD} team",
        met: true, evidence: [Evidence(kind: .value, text: "2 words")]
    ),
    RubricCheckCase(
        name: "a term after an emoji is found", check: .containsAny(["team"]), answer: "Thanks \u{1F44D}\u{1F3FD} team!",
        met: true, evidence: [Evidence(kind: .matched, text: "team", context: "Thanks \u{1F44D}\u{1F3FD} team!")]
    ),
    RubricCheckCase(
        name: "precomposed accents stay inside their word", check: .maxWords(2), answer: "na\u{EF}ve caf\u{E9}",
        met: true, evidence: [Evidence(kind: .value, text: "2 words")]
    ),
    RubricCheckCase(
        name: "combining accents stay inside their word", check: .maxWords(2), answer: "nai\u{308}ve cafe\u{301}",
        met: true, evidence: [Evidence(kind: .value, text: "2 words")]
    ),
]

@Suite("Rubric checks")
struct RubricCheckGrading {
    @Test(arguments: rubricCheckCases)
    func check(_ example: RubricCheckCase) throws {
        let rubric = [criterion(points: 2, check: example.check, met: "Well done.", unmet: "Try again.")]
        let result = try grader.grade(shortAnswer(rubric), answer: .text(example.answer))
        let outcome = try #require(result.criteria.first)
        #expect(outcome.status == (example.met ? .met : .unmet))
        #expect(outcome.awarded == (example.met ? 2 : 0))
        #expect(outcome.evidence == example.evidence)
        #expect(outcome.feedback == (example.met ? "Well done." : "Try again."))
        #expect(result.passed == example.met)
    }
}

// MARK: pass mark

struct PassMarkCase: Sendable, CustomTestStringConvertible {
    var name: String
    var answer: String
    var score: Double
    var passed: Bool
    var testDescription: String { name }
}

/// 7 + 3 judged points and 5 points no check can decide.
let audienceToneRubric: [RubricCriterion] = [
    criterion("audience", points: 7, check: .containsAny(["audience"])),
    criterion("tone", points: 3, check: .containsAny(["tone"])),
    criterion("insight", points: 5, check: nil),
]

let passMarkCases: [PassMarkCase] = [
    PassMarkCase(name: "every judged criterion met", answer: "Name the audience and the tone.", score: 10, passed: true),
    // 7 of 10 judged points is exactly 70%; counting the unjudged 5 would make it 7 of 15.
    PassMarkCase(name: "exactly 70% of the judged points", answer: "Name the audience.", score: 7, passed: true),
    PassMarkCase(name: "below 70% of the judged points", answer: "Set the tone.", score: 3, passed: false),
    PassMarkCase(name: "nothing met", answer: "Hello.", score: 0, passed: false),
]

@Suite("Rubric pass mark")
struct RubricPassMark {
    @Test(arguments: passMarkCases)
    func passMark(_ example: PassMarkCase) throws {
        let result = try grader.grade(shortAnswer(audienceToneRubric), answer: .text(example.answer))
        #expect(result.score == example.score)
        #expect(result.maxScore == 15)
        #expect(result.passed == example.passed)
        let insight = try #require(result.criteria.first { $0.id == "insight" })
        #expect(insight.status == .unjudged)
        #expect(insight.awarded == 0)
        #expect(result.unjudged.map(\.id) == ["insight"])
    }

    @Test("a rubric with no automatic check leaves the pass to a person")
    func onlyUnjudged() throws {
        let result = try grader.grade(shortAnswer([criterion(points: 3, check: nil)]), answer: .text("Anything at all."))
        #expect(result.passed == false)
        #expect(result.score == 0)
        #expect(result.criteria.map(\.status) == [.unjudged])
    }
}

// MARK: answers the rubric graders refuse

let audienceRubric = [criterion(check: .containsAny(["audience"]))]
let audienceQuestion = InteractionContent.shortText(rubric: audienceRubric, reference: "For a lay audience.")
let audiencePromptTask = InteractionContent.promptWriting(scenario: "A new starter needs a welcome note.", rubric: audienceRubric, reference: "")

let refusedRubricCases: [RefusedCase] = [
    RefusedCase(name: "empty answer", content: audienceQuestion, answer: .text(""), error: .empty("write your answer in the box")),
    RefusedCase(name: "white space only", content: audienceQuestion, answer: .text("  \n\t "), error: .empty("write your answer in the box")),
    RefusedCase(
        name: "20,001 characters", content: audienceQuestion, answer: .text(String(repeating: "a", count: 20_001)),
        error: .tooLong(limit: 20_000)
    ),
    RefusedCase(
        name: "20,001 emoji count as characters, not bytes", content: audienceQuestion,
        answer: .text(String(repeating: "\u{1F44D}\u{1F3FD}", count: 20_001)), error: .tooLong(limit: 20_000)
    ),
    RefusedCase(name: "short text: a choice", content: audienceQuestion, answer: .choice("a"), error: .wrongAnswerKind(expected: "a written answer")),
    RefusedCase(name: "prompt writing: a choice", content: audiencePromptTask, answer: .choice("a"), error: .wrongAnswerKind(expected: "a written prompt")),
    RefusedCase(name: "prompt writing: empty", content: audiencePromptTask, answer: .text(" "), error: .empty("write your answer in the box")),
]

@Test("rubric graders refuse answers they cannot grade", arguments: refusedRubricCases)
func rubricGradersRefuse(_ example: RefusedCase) {
    #expect(throws: example.error) {
        try grader.grade(task(example.content), answer: example.answer)
    }
}

@Test("an answer of exactly 20,000 characters is graded")
func longestAnswerGraded() throws {
    let answer = String(repeating: "a", count: 19_991) + " audience"
    #expect(answer.count == Grader.maxAnswerLength)
    let result = try grader.grade(task(audienceQuestion), answer: .text(answer))
    #expect(result.passed)
}

// MARK: no_personal_data

struct PersonalDataCheckCase: Sendable, CustomTestStringConvertible {
    var name: String
    var scenario: String
    var answer: String
    /// What the check must report, in order.
    var found: [(text: String, kind: PersonalDataDetector.Kind)]
    var testDescription: String { name }
}

let complaintScenario = "A customer complained about a late refund."
let meetingScenario = "Your colleague Priya Shah asked for a summary of the meeting."

let personalDataCheckCases: [PersonalDataCheckCase] = [
    PersonalDataCheckCase(
        name: "an e-mail address", scenario: complaintScenario,
        answer: "Summarise the complaint from jo.bloggs@example.com politely.", found: [(text: "jo.bloggs@example.com", kind: .email)]
    ),
    PersonalDataCheckCase(
        name: "a phone number", scenario: complaintScenario,
        answer: "Call the customer on 07700 900318 and apologise.", found: [(text: "07700 900318", kind: .phone)]
    ),
    PersonalDataCheckCase(
        name: "a postcode", scenario: complaintScenario,
        answer: "Write to the resident at AG4 7QT about the bins.", found: [(text: "AG4 7QT", kind: .address)]
    ),
    PersonalDataCheckCase(
        name: "a clean prompt", scenario: complaintScenario,
        answer: "Summarise the complaint in three friendly sentences for a customer.", found: []
    ),
    PersonalDataCheckCase(
        name: "the first name of a person in the scenario", scenario: meetingScenario,
        answer: "Summarise the meeting notes for Priya.", found: [(text: "Priya", kind: .name)]
    ),
    PersonalDataCheckCase(
        name: "the full name of a person in the scenario", scenario: meetingScenario,
        answer: "Write a thank-you note to Priya Shah.", found: [(text: "Priya Shah", kind: .name)]
    ),
    PersonalDataCheckCase(
        name: "the scenario's person described, not named", scenario: meetingScenario,
        answer: "Summarise the meeting notes for my colleague.", found: []
    ),
    // A capitalised policy name in the scenario is not a person.
    PersonalDataCheckCase(
        name: "a policy named in the scenario is not a person", scenario: "Your manager forwarded a Flexible Working request from a colleague.",
        answer: "Summarise the flexible working request politely.", found: []
    ),
]

@Suite("No personal data check")
struct NoPersonalDataCheck {
    @Test(arguments: personalDataCheckCases)
    func check(_ example: PersonalDataCheckCase) throws {
        let content = InteractionContent.promptWriting(
            scenario: example.scenario, rubric: [criterion("private", points: 2, check: .noPersonalData)], reference: ""
        )
        let result = try grader.grade(task(content, prompt: "Write a prompt for the assistant."), answer: .text(example.answer))
        let outcome = try #require(result.criteria.first)
        #expect(outcome.status == (example.found.isEmpty ? .met : .unmet))
        #expect(result.passed == example.found.isEmpty)
        let expected = example.found.map { finding in
            Evidence(
                kind: .personalData, text: finding.text, context: finding.kind.displayName,
                span: Material.locate(finding.text, in: example.answer)
            )
        }
        #expect(outcome.evidence == expected)
    }
}
