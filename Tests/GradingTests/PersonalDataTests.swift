import Grading
import Testing

// The personal-data detector on its own: what it must find, what it must leave alone,
// and the names it takes from a task's scenario.

struct DetectorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    var knownNames: [String] = []
    /// Every finding, earliest first; empty for text that must not be flagged.
    var found: [(kind: PersonalDataDetector.Kind, text: String)]
    var testDescription: String { "\(name): \(text)" }
}

let detectorCases: [DetectorCase] = [
    DetectorCase(name: "e-mail address", text: "Contact sam.lee+hr@example.co.uk today", found: [(kind: .email, text: "sam.lee+hr@example.co.uk")]),
    DetectorCase(name: "UK mobile number", text: "Ring 07700 900318 after lunch", found: [(kind: .phone, text: "07700 900318")]),
    DetectorCase(name: "UK landline", text: "Call 020 7946 0958 today", found: [(kind: .phone, text: "020 7946 0958")]),
    DetectorCase(name: "international number", text: "Call +44 20 7946 0958 now", found: [(kind: .phone, text: "+44 20 7946 0958")]),
    DetectorCase(name: "postcode", text: "Send it to AG4 7QT please", found: [(kind: .address, text: "AG4 7QT")]),
    DetectorCase(name: "street address", text: "She lives at 14 Mill Row, Ashgate.", found: [(kind: .address, text: "14 Mill Row")]),
    DetectorCase(name: "employee ID", text: "Employee E-48213 raised it", found: [(kind: .idNumber, text: "E-48213")]),
    // QQ 12 34 56 C is HMRC's specimen number, the one course material would quote.
    DetectorCase(name: "specimen NI number", text: "NI number QQ 12 34 56 C on file", found: [(kind: .idNumber, text: "QQ 12 34 56 C")]),
    DetectorCase(name: "NI number", text: "NI number AB 12 34 56 C on file", found: [(kind: .idNumber, text: "AB 12 34 56 C")]),
    DetectorCase(name: "card number", text: "Card 4111 1111 1111 1111 expires", found: [(kind: .idNumber, text: "4111 1111 1111 1111")]),
    DetectorCase(name: "IBAN", text: "Account GB29 NWBK 6016 1331 9268 19 closed", found: [(kind: .idNumber, text: "GB29 NWBK 6016 1331 9268 19")]),
    DetectorCase(name: "known full name", text: "Ask Kemi Adeyemi about it", knownNames: ["Kemi Adeyemi"], found: [(kind: .name, text: "Kemi Adeyemi")]),
    DetectorCase(name: "known first name alone", text: "Ask Kemi about it", knownNames: ["Kemi Adeyemi"], found: [(kind: .name, text: "Kemi")]),
    DetectorCase(
        name: "known surname, possessive", text: "Check Adeyemi's notes", knownNames: ["Kemi Adeyemi"],
        found: [(kind: .name, text: "Adeyemi")]
    ),
    // Parts of a name match only when capitalised, so a name-like run of ordinary words
    // ("Flexible Working") does not flag the same words in lower case.
    DetectorCase(name: "a name part in lower case", text: "a flexible request", knownNames: ["Flexible Working"], found: []),
    DetectorCase(name: "a full name in lower case", text: "ask kemi adeyemi", knownNames: ["Kemi Adeyemi"], found: [(kind: .name, text: "kemi adeyemi")]),
    DetectorCase(
        name: "several findings, earliest first", text: "Kemi Adeyemi on 07700 900318", knownNames: ["Kemi Adeyemi"],
        found: [(kind: .name, text: "Kemi Adeyemi"), (kind: .phone, text: "07700 900318")]
    ),
    // Left alone.
    DetectorCase(name: "a year and a quantity", text: "In 2024 we sold 1,200 units", found: []),
    DetectorCase(name: "a chapter number", text: "See Chapter 3", found: []),
    DetectorCase(name: "opening hours", text: "Open 9am to 5pm", found: []),
    DetectorCase(name: "a date and a time", text: "Meeting on 12.03.2024 at 10:30", found: []),
    DetectorCase(name: "money", text: "Revenue rose 12% to \u{A3}1,250,000", found: []),
    DetectorCase(name: "a financial year", text: "In FY2024 we hired 30 people", found: []),
    DetectorCase(name: "a name nobody mentioned", text: "Ask Sam about it", found: []),
    DetectorCase(name: "a known name's parts too short to match alone", text: "Jo and Li went to the desk", knownNames: ["Jo Li"], found: []),
]

@Test("personal data detector", arguments: detectorCases)
func detector(_ example: DetectorCase) {
    let findings = PersonalDataDetector(knownNames: example.knownNames).findings(in: example.text)
    #expect(findings.map(\.kind) == example.found.map(\.kind))
    #expect(findings.map(\.text) == example.found.map(\.text))
}

@Test("finding offsets count Characters, even after an emoji")
func findingOffsets() throws {
    let text = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} mail jo@example.com"
    let finding = try #require(PersonalDataDetector().findings(in: text).first)
    #expect(finding.text == "jo@example.com")
    #expect(finding.span == CharacterSpan(start: 7, end: 21))
}

struct ContextNamesCase: Sendable, CustomTestStringConvertible {
    var name: String
    var context: String
    var names: [String]
    var testDescription: String { name }
}

let contextNamesCases: [ContextNamesCase] = [
    ContextNamesCase(name: "a name mid-sentence", context: "Your colleague Priya Shah asked for notes.", names: ["Priya Shah"]),
    ContextNamesCase(name: "two names", context: "Book a room with Tom Okafor and Ana Lima today.", names: ["Tom Okafor", "Ana Lima"]),
    ContextNamesCase(name: "a name mentioned twice is listed once", context: "Ask your colleague Priya Shah, then thank Priya Shah.", names: ["Priya Shah"]),
    // The sentence's first word is capitalised anyway; the name after it is still a name.
    ContextNamesCase(name: "a name after a sentence's first word", context: "Thank Priya Shah for the notes.", names: ["Priya Shah"]),
    ContextNamesCase(
        name: "capitalised phrases that are not people",
        context: "Your colleague Priya Shah asked for notes on Flexible Working before Monday Morning.", names: ["Priya Shah"]
    ),
    ContextNamesCase(name: "a team", context: "Send it to the Finance Team by noon.", names: []),
    ContextNamesCase(name: "no capitalised run", context: "Summarise the notes for the team.", names: []),
]

@Test("names of people in a task's context", arguments: contextNamesCases)
func contextNames(_ example: ContextNamesCase) {
    #expect(PersonalDataDetector.names(inContext: example.context) == example.names)
}
