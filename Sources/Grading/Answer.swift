import Foundation

/// What a learner submitted for one interaction, decoded from the form or the JSON API.
/// In JSON it is an object with exactly one key naming its kind: `{"choice": "b"}`,
/// `{"choices": ["a", "c"]}`, `{"number": "12.5"}`, `{"order": ["c", "a", "b"]}`,
/// `{"matches": {"x": "1"}}`, `{"text": "..."}`, `{"spans": [{"start": 0, "end": 5}]}`.
public enum Answer: Sendable, Equatable {
    /// The id of one option.
    case choice(String)
    /// The ids of the options ticked, in any order.
    case choices([String])
    /// A number exactly as typed ("1,250", "12.5%", "£3.40"); the grader reads it.
    case number(String)
    /// Option ids from first to last.
    case order([String])
    /// Left id → right id.
    case matches([String: String])
    /// A short answer or a prompt.
    case text(String)
    /// Marked passages of the material, as character offsets.
    case spans([CharacterSpan])
}

extension Answer: Codable {
    enum Key: String, CodingKey, CaseIterable {
        case choice, choices, number, order, matches, text, spans
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let present = Key.allCases.filter(container.contains)
        guard present.count == 1, let key = present.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "an answer has exactly one of the keys \(Key.allCases.map(\.rawValue).joined(separator: ", "))"
            ))
        }
        switch key {
        case .choice: self = .choice(try container.decode(String.self, forKey: key))
        case .choices: self = .choices(try container.decode([String].self, forKey: key))
        case .number:
            if let number = try? container.decode(Double.self, forKey: key) {
                self = .number(String(number))
            } else {
                self = .number(try container.decode(String.self, forKey: key))
            }
        case .order: self = .order(try container.decode([String].self, forKey: key))
        case .matches: self = .matches(try container.decode([String: String].self, forKey: key))
        case .text: self = .text(try container.decode(String.self, forKey: key))
        case .spans: self = .spans(try container.decode([CharacterSpan].self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case let .choice(value): try container.encode(value, forKey: .choice)
        case let .choices(value): try container.encode(value, forKey: .choices)
        case let .number(value): try container.encode(value, forKey: .number)
        case let .order(value): try container.encode(value, forKey: .order)
        case let .matches(value): try container.encode(value, forKey: .matches)
        case let .text(value): try container.encode(value, forKey: .text)
        case let .spans(value): try container.encode(value, forKey: .spans)
        }
    }
}

/// A half-open range of `Character` offsets into a text (the material of a critique or
/// redaction task). Offsets count user-perceived characters, so "é" is one whatever its encoding.
public struct CharacterSpan: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    public var length: Int { max(0, end - start) }
    public var isEmpty: Bool { end <= start }

    public func overlap(with other: CharacterSpan) -> Int {
        max(0, min(end, other.end) - max(start, other.start))
    }

    public static func < (lhs: CharacterSpan, rhs: CharacterSpan) -> Bool {
        (lhs.start, lhs.end) < (rhs.start, rhs.end)
    }

    public var description: String { "\(start)..<\(end)" }
}

/// Why an answer cannot be graded. Each message says what to send instead.
public enum GradingError: Error, Equatable, CustomStringConvertible {
    /// The answer is of another shape than the task needs (text for a choice question, say).
    case wrongAnswerKind(expected: String)
    /// An option id that the task does not have.
    case unknownOption(String)
    /// Nothing was given.
    case empty(String)
    /// Longer than `limit` characters.
    case tooLong(limit: Int)
    /// A number that cannot be read.
    case notANumber(String)
    /// A marked span outside the material.
    case spanOutOfRange(CharacterSpan, length: Int)

    public var description: String {
        switch self {
        case let .wrongAnswerKind(expected): "this task needs \(expected)"
        case let .unknownOption(id): "'\(id)' is not one of this task's options; choose one of those shown"
        case let .empty(what): "the answer is empty; \(what)"
        case let .tooLong(limit): "the answer is longer than \(limit) characters; shorten it"
        case let .notANumber(text): "'\(text)' is not a number; type digits, e.g. 12.5"
        case let .spanOutOfRange(span, length): "the marked span \(span) is outside the text (\(length) characters); mark words in the text shown"
        }
    }
}
