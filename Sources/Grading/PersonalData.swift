import Curriculum
import Foundation

/// Finds personal data in a text: e-mail addresses, phone numbers, postal addresses and
/// postcodes, ID numbers (employee, customer, account, national insurance, card numbers) and
/// the names of people the task mentions. Used to warn a learner who pastes personal data into
/// a prompt, and by the `no_personal_data` rubric check.
///
/// Pattern-based, so tuned to be specific rather than exhaustive: it looks for what a
/// workplace text typically carries, not for every possible format in the world.
public struct PersonalDataDetector: Sendable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case email, phone, address, name
        case idNumber = "id_number"

        public var displayName: String {
            switch self {
            case .email: "an e-mail address"
            case .phone: "a phone number"
            case .address: "a postal address or postcode"
            case .name: "a person's name"
            case .idNumber: "an ID or account number"
            }
        }
    }

    public struct Finding: Sendable, Equatable {
        public var kind: Kind
        public var text: String
        public var span: CharacterSpan
    }

    /// Names of people from the task's context, matched as whole words, case-insensitively.
    public var knownNames: [String]

    public init(knownNames: [String] = []) {
        self.knownNames = knownNames
    }

    /// A detector that knows the people named in an interaction's prompt and, for a
    /// prompt-writing task, its scenario.
    public init(contextOf interaction: Interaction) {
        var context = interaction.prompt
        if case let .promptWriting(scenario, _, _) = interaction.content { context += "\n" + scenario }
        self.init(knownNames: Self.names(inContext: context))
    }

    private static let patterns: [(Kind, NSRegularExpression)] = {
        let sources: [(Kind, String)] = [
            (.email, #"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"#),
            // UK national insurance numbers: two letters, six digits, one letter A-D.
            (.idNumber, #"\b[A-CEGHJ-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"#),
            // Payment card numbers: 13 to 19 digits in groups.
            (.idNumber, #"\b(?:\d{4}[ \-]?){3}\d{1,7}\b"#),
            // IBANs.
            (.idNumber, #"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,4})?\b"#),
            // Prefixed identifiers: E-48213, LA-5530-2271, EMP00123, case 2024/0113.
            // Standards and financial years (ISO27001, FY2024) are not identifiers.
            (.idNumber, #"\b(?!ISO|IEC|FY|CVE|RFC|BS|EN|ISBN)[A-Z]{1,4}(?:-\d{4,}|\d{5,})(?:[-/]\d+)*\b"#),
            // Phone numbers: optional country code, then 9 to 13 digits in groups.
            (.phone, #"(?:\+\d{1,3}[\s.\-]?)?\(?\d{2,5}\)?(?:[\s.\-]?\d{2,4}){2,3}\b"#),
            // A house number and a street ending in a common street word.
            (.address, #"\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][a-z']+\s+){1,3}(?:Street|St|Road|Rd|Row|Lane|Ln|Avenue|Ave|Drive|Dr|Close|Way|Court|Ct|Place|Pl|Crescent|Terrace|Gardens|Hill|Square|Walk|Mews|Grove|Park|Parade|Boulevard|Blvd)\b\.?"#),
            // UK postcodes.
            (.address, #"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"#),
        ]
        return sources.map { kind, pattern in
            // The patterns are constants of this file; a mistake in one is a programming error.
            (kind, try! NSRegularExpression(pattern: pattern))
        }
    }()

    /// Every finding, earliest first; where two overlap the earlier, longer one is kept.
    public func findings(in text: String) -> [Finding] {
        let nsText = text as NSString
        var raw: [(Kind, NSRange)] = []
        let whole = NSRange(location: 0, length: nsText.length)
        for (kind, regex) in Self.patterns {
            for match in regex.matches(in: text, range: whole) {
                if kind == .phone {
                    let digits = nsText.substring(with: match.range).filter(\.isNumber).count
                    guard (9...15).contains(digits) else { continue }
                }
                raw.append((kind, match.range))
            }
        }
        for name in knownNames {
            let words = name.split(whereSeparator: \.isWhitespace).map(String.init).filter { $0.count > 1 }
            // The full name in any case, and each part of it on its own ("Kemi", "Adeyemi") when
            // capitalised as a name is, so that ordinary words in a name-like run don't match.
            let candidates = [(words.joined(separator: " "), true)] + words.map { ($0, false) }
            for (candidate, anyCase) in candidates where candidate.count > 2 {
                let escaped = NSRegularExpression.escapedPattern(for: candidate).replacingOccurrences(of: " ", with: "\\s+")
                guard let regex = try? NSRegularExpression(pattern: "\\b\(escaped)\\b", options: anyCase ? [.caseInsensitive] : []) else { continue }
                for match in regex.matches(in: text, range: whole) { raw.append((.name, match.range)) }
            }
        }
        raw.sort { ($0.1.location, -$0.1.length) < ($1.1.location, -$1.1.length) }
        var kept: [(Kind, NSRange)] = []
        for entry in raw {
            if let last = kept.last, NSIntersectionRange(last.1, entry.1).length > 0 { continue }
            kept.append(entry)
        }
        return kept.compactMap { kind, range in
            guard let swiftRange = Range(range, in: text) else { return nil }
            let start = text.distance(from: text.startIndex, to: swiftRange.lowerBound)
            let matched = String(text[swiftRange])
            return Finding(kind: kind, text: matched, span: CharacterSpan(start: start, end: start + matched.count))
        }
    }

    /// Likely names of people in a task's context: runs of two or three capitalised words
    /// that are not common capitalised words ("Flexible Working", "Monday", "The Council").
    public static func names(inContext text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: #"\b[A-Z][a-z'’\-]{1,15}(?:\s[A-Z][a-z'’\-]{1,15}){1,2}\b"#) else { return [] }
        let nsText = text as NSString
        var names: [String] = []
        for match in regex.matches(in: text, range: NSRange(location: 0, length: nsText.length)) {
            var words = nsText.substring(with: match.range).split(separator: " ").map(String.init)
            // The first word of a sentence is capitalised anyway: drop it ("Thank Priya Shah").
            let before = nsText.substring(to: match.range.location).trimmingCharacters(in: .whitespaces)
            if before.isEmpty || before.hasSuffix(".") || before.hasSuffix("\n") || before.hasSuffix(":") || before.hasSuffix("?") || before.hasSuffix("!") {
                words.removeFirst()
            }
            guard words.count >= 2, !words.contains(where: { notNameWords.contains($0.lowercased()) }) else { continue }
            let candidate = words.joined(separator: " ")
            if !names.contains(candidate) { names.append(candidate) }
        }
        return names
    }

    private static let notNameWords: Set<String> = [
        "the", "a", "an", "and", "or", "of", "for", "to", "in", "on", "at", "by", "with", "from", "dear", "hi", "hello",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december", "street", "road", "lane", "avenue", "council", "centre", "center", "ltd", "limited",
        "plc", "inc", "group", "team", "department", "services", "service", "office", "school", "hospital", "university",
        "bank", "company", "store", "shop", "market", "park", "house", "hall", "ai", "gdpr", "uk", "eu", "us", "hr", "it",
        "subject", "re", "fw", "thanks", "regards", "best", "kind", "policy", "act", "report", "summary", "project",
        "manager", "director", "officer", "head", "chief", "north", "south", "east", "west", "new", "old", "great",
        "flexible", "working", "request", "meeting", "notes", "update", "annual", "leave", "customer", "customers", "staff",
        "please", "thank", "thanks", "your", "our", "my", "this", "that", "these", "those", "we", "you", "they", "it's",
        "data", "protection", "health", "safety", "quarterly", "review", "board", "committee", "sales", "finance",
        "marketing", "operations", "support", "help", "desk", "annex", "appendix", "section", "chapter", "table", "figure",
    ]
}
