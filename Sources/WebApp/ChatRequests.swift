import AppServices
import CairnCore
import Curriculum
import Foundation
import Grading

/// The fields of an `application/x-www-form-urlencoded` body, in order, with repeats kept
/// (a form posts `choice` once per ticked box).
struct FormFields {
    let pairs: [(name: String, value: String)]

    init(_ body: String) {
        pairs = body.utf8.split(separator: UInt8(ascii: "&")).map { pair in
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : "")
        }
    }

    /// One name or value: `+` is a space and `%XX` a byte. A part whose escapes are broken,
    /// or do not spell UTF-8, is kept as typed (with its `+` as spaces).
    static func decode(_ part: Substring.UTF8View) -> String {
        guard part.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return String(Substring(part)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(part.count)
        var escaped = true
        var index = part.startIndex
        while index != part.endIndex {
            let byte = part[index]
            index = part.index(after: index)
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index != part.endIndex, let high = hexValue(part[index]),
                      part.index(after: index) != part.endIndex, let low = hexValue(part[part.index(after: index)])
                else {
                    escaped = false
                    bytes.append(byte)
                    continue
                }
                bytes.append(high << 4 | low)
                index = part.index(index, offsetBy: 2)
            default: bytes.append(byte)
            }
        }
        if escaped, let text = String(validating: bytes, as: UTF8.self) { return text }
        return String(Substring(part)).replacingOccurrences(of: "+", with: " ")
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    func first(_ name: String) -> String? { pairs.first { $0.name == name }?.value }
    func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }
    /// Fields named `prefix.KEY`, as KEY → value.
    func keyed(_ prefix: String) -> [(String, String)] {
        pairs.compactMap { pair in
            guard pair.name.hasPrefix(prefix + ".") else { return nil }
            return (String(pair.name.dropFirst(prefix.count + 1)), pair.value)
        }
    }
}

/// Turns a chat form or JSON request into a use-case action, naming the field at fault.
enum ChatRequests {
    static func action(from form: FormFields, lesson: Lesson) throws -> LearningService.Action {
        let interaction = try form.first("interaction").map { try LearningService.task($0, in: lesson) }
        let name = form.first("action") ?? (interaction != nil ? "answer" : "")
        switch name {
        case "answer":
            guard let interaction else { throw AppError.invalidField(field: "interaction", message: "Say which task the answer is for.") }
            return .answer(interaction.id, try answer(from: form, for: interaction))
        case "ask":
            return .ask(form.first("question") ?? "")
        default:
            return try action(named: name, interaction: interaction, mode: form.first("mode"))
        }
    }

    static func action(named name: String, interaction: Interaction?, mode: String?) throws -> LearningService.Action {
        func required() throws -> Interaction {
            guard let interaction else { throw AppError.invalidField(field: "interaction", message: "Say which task this is for.") }
            return interaction
        }
        switch name {
        case "continue": return .continue
        case "hint": return .hint(try required().id)
        case "show_text": return .showText(try required().id)
        case "practise": return .practise(try required().id)
        case "mode":
            guard let mode, let chosen = LearningMode(rawValue: mode) else {
                throw AppError.invalidField(field: "mode", message: "Choose one of: \(LearningMode.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            return .mode(chosen)
        case "":
            throw AppError.invalidField(field: "action", message: "Say what to do: answer, hint, ask, continue, mode, show_text or practise.")
        default:
            throw AppError.invalidField(field: "action", message: "'\(name)' is not an action; use answer, hint, ask, continue, mode, show_text or practise.")
        }
    }

    static func answer(from form: FormFields, for interaction: Interaction) throws -> Answer {
        switch interaction.content {
        case .singleChoice:
            guard let choice = form.first("choice"), !choice.isEmpty else {
                throw AppError.invalidField(field: "choice", message: "Choose one of the options.")
            }
            return .choice(choice)
        case .multipleChoice:
            let ticked = form.all("choice")
            guard !ticked.isEmpty else { throw AppError.invalidField(field: "choice", message: "Tick at least one option.") }
            return .choices(ticked)
        case .numeric:
            return .number(form.first("number") ?? "")
        case let .ordering(options, _):
            var positions: [(String, Int)] = []
            for (id, value) in form.keyed("position") {
                guard let position = Int(value), (1...options.count).contains(position) else {
                    throw AppError.invalidField(field: "position.\(id)", message: "Give each item a position from 1 to \(options.count).")
                }
                positions.append((id, position))
            }
            guard positions.count == options.count, Set(positions.map(\.1)).count == options.count else {
                throw AppError.invalidField(field: "position", message: "Give each item a different position from 1 to \(options.count); two items share a number.")
            }
            return .order(positions.sorted { $0.1 < $1.1 }.map(\.0))
        case .matching:
            var pairs: [String: String] = [:]
            for (left, right) in form.keyed("match") where !right.isEmpty { pairs[left] = right }
            guard !pairs.isEmpty else { throw AppError.invalidField(field: "match", message: "Choose a match for each item.") }
            return .matches(pairs)
        case .shortText, .promptWriting:
            return .text(form.first("text") ?? "")
        case let .critique(material, _), let .redaction(material, _):
            return try spans(material: material, tokens: form.all("token"), quotes: form.first("quotes"))
        }
    }

    /// Marked words (checkbox numbers) or typed phrases, as spans of the material.
    static func spans(material: String, tokens: [String], quotes: String?) throws -> Answer {
        let words = Material.tokens(material)
        var indexes: [Int] = []
        for token in tokens {
            guard let index = Int(token), words.indices.contains(index) else {
                throw AppError.invalidField(field: "token", message: "'\(token)' is not a word of the text; mark words in the text shown.")
            }
            indexes.append(index)
        }
        var spans = try Material.spans(forTokens: indexes, of: words)
        if let quotes, !quotes.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let typed = Material.spans(forQuotes: quotes, in: material)
            if !typed.notFound.isEmpty {
                throw AppError.invalidField(field: "quotes", message: "Not found in the text: " + typed.notFound.map { "\"\($0)\"" }.joined(separator: ", ") + ". Copy each phrase exactly as it appears.")
            }
            spans += typed.spans
        }
        guard !spans.isEmpty else { throw AppError.invalidField(field: "token", message: "Mark at least one word in the text.") }
        return .spans(spans)
    }
}
