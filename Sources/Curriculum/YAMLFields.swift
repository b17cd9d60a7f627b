import Yams
import CairnCore
import Foundation

/// A YAML document (or an embedded fragment: front matter, a fenced block) with the
/// line in the enclosing file where it starts, so every diagnostic names the real line.
struct YAMLSource {
    let file: String
    /// Added to Yams' 1-based line numbers to get the line in `file`.
    let lineOffset: Int
    let sink: DiagnosticSink

    func line(_ node: Node?) -> Int { (node?.mark?.line ?? 1) + lineOffset }

    /// Parses `text`; reports a parse failure at the line where the parser stopped.
    func parse(_ text: String, what: String) -> Node? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                sink.error(file, lineOffset + 1, "\(what) is empty; expected YAML keys (see docs/authoring.md)")
                return nil
            }
            return node
        } catch let error as YamlError {
            let (line, problem) = Self.location(of: error)
            sink.error(file, lineOffset + line, "bad YAML in \(what): \(problem)")
            return nil
        } catch {
            sink.error(file, lineOffset + 1, "bad YAML in \(what): \(error)")
            return nil
        }
    }

    private static func location(of error: YamlError) -> (Int, String) {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let text = context.map { "\(problem) \($0.text)" } ?? problem
            return (mark.line, text)
        case let .reader(problem, _, _, _):
            return (1, problem)
        default:
            return (1, "\(error)")
        }
    }

    func fields(_ node: Node, what: String) -> YAMLFields? {
        guard let mapping = node.mapping else {
            sink.error(file, line(node), "\(what) must be a mapping of keys to values")
            return nil
        }
        return YAMLFields(mapping: mapping, node: node, what: what, source: self)
    }
}

/// Reads the keys of one YAML mapping, reporting missing, mistyped and unknown keys.
final class YAMLFields {
    let node: Node
    var what: String
    let source: YAMLSource
    private var values: [String: (key: Node, value: Node)] = [:]
    private var order: [String] = []

    init(mapping: Node.Mapping, node: Node, what: String, source: YAMLSource) {
        self.node = node
        self.what = what
        self.source = source
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                source.sink.error(source.file, source.line(key), "\(what) has a key that is not plain text")
                continue
            }
            if values[name] != nil {
                source.sink.error(source.file, source.line(key), "duplicate key '\(name)' in \(what)")
                continue
            }
            values[name] = (key, value)
            order.append(name)
        }
    }

    var line: Int { source.line(node) }
    var file: String { source.file }
    var sink: DiagnosticSink { source.sink }

    func has(_ key: String) -> Bool { values[key] != nil }
    func lineOf(_ key: String) -> Int { values[key].map { source.line($0.key) } ?? line }

    func error(_ key: String?, _ message: String) {
        sink.error(file, key.map(lineOf) ?? line, message)
    }

    /// Reports every key not in `allowed`, naming the keys that are allowed.
    func rejectUnknown(_ allowed: [String]) {
        for key in order where !allowed.contains(key) {
            var message = "unknown key '\(key)' in \(what)"
            if let close = allowed.first(where: { Self.isNear($0, key) }) {
                message += "; did you mean '\(close)'?"
            } else {
                message += "; allowed keys: \(allowed.joined(separator: ", "))"
            }
            sink.error(file, lineOf(key), message)
        }
    }

    func node(_ key: String, required: Bool = true) -> Node? {
        guard let entry = values[key] else {
            if required { sink.error(file, line, "\(what) is missing required key '\(key)'") }
            return nil
        }
        return entry.value
    }

    func string(_ key: String, required: Bool = true) -> String? {
        guard let value = node(key, required: required) else { return nil }
        guard let scalar = value.scalar, value.tag != .init(.null) else {
            sink.error(file, lineOf(key), "'\(key)' in \(what) must be text")
            return nil
        }
        let text = scalar.string.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty, required {
            sink.error(file, lineOf(key), "'\(key)' in \(what) is empty")
            return nil
        }
        return text
    }

    func int(_ key: String, required: Bool = true, in range: ClosedRange<Int>) -> Int? {
        guard let value = node(key, required: required) else { return nil }
        guard let number = value.scalar.flatMap({ Int($0.string) }) else {
            sink.error(file, lineOf(key), "'\(key)' in \(what) must be a whole number, not '\(value.scalar?.string ?? "a list or mapping")'")
            return nil
        }
        guard range.contains(number) else {
            sink.error(file, lineOf(key), "'\(key)' in \(what) is \(number); it must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return number
    }

    func double(_ key: String, required: Bool = true) -> Double? {
        guard let value = node(key, required: required) else { return nil }
        guard let number = value.scalar.flatMap({ Double($0.string) }), number.isFinite else {
            sink.error(file, lineOf(key), "'\(key)' in \(what) must be a number, not '\(value.scalar?.string ?? "a list or mapping")'")
            return nil
        }
        return number
    }

    func sequence(_ key: String, required: Bool = true) -> [Node]? {
        guard let value = node(key, required: required) else { return nil }
        guard let sequence = value.sequence else {
            sink.error(file, lineOf(key), "'\(key)' in \(what) must be a list")
            return nil
        }
        if sequence.isEmpty, required {
            sink.error(file, lineOf(key), "'\(key)' in \(what) is an empty list")
        }
        return Array(sequence)
    }

    /// A list of plain strings; a single string is accepted where `allowSingle` is set.
    func strings(_ key: String, required: Bool = true, allowSingle: Bool = false) -> [String]? {
        guard let value = node(key, required: required) else { return nil }
        if allowSingle, let scalar = value.scalar { return [scalar.string] }
        guard let sequence = value.sequence else {
            sink.error(file, lineOf(key), "'\(key)' in \(what) must be a list of text")
            return nil
        }
        var result: [String] = []
        for element in sequence {
            guard let scalar = element.scalar, element.tag != .init(.null),
                  !scalar.string.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            else {
                sink.error(file, source.line(element), "each entry of '\(key)' in \(what) must be text, not empty")
                continue
            }
            result.append(scalar.string)
        }
        if result.isEmpty, required {
            sink.error(file, lineOf(key), "'\(key)' in \(what) is an empty list")
        }
        return result
    }

    /// Reads the value as one of the cases of `E`, listing the allowed values when it is not.
    func enumValue<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type, required: Bool = true) -> E?
    where E.RawValue == String {
        guard let text = string(key, required: required) else { return nil }
        guard let value = E(rawValue: text) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
            sink.error(file, lineOf(key), "'\(key)' in \(what) is '\(text)'; expected one of: \(allowed)")
            return nil
        }
        return value
    }

    /// A typo is a key within edit distance 2 of an allowed one.
    private static func isNear(_ a: String, _ b: String) -> Bool {
        let a = Array(a), b = Array(b)
        if abs(a.count - b.count) > 2 { return false }
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count] <= 2
    }
}

import CairnCore
import Foundation

extension DiagnosticSink {
    /// A content file's text, UTF-8 with LF line ends; nil (with the reason reported) when it
    /// cannot be read.
    func readText(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else {
            error(path, 1, "cannot read the file")
            return nil
        }
        guard var text = String(data: data, encoding: .utf8) else {
            error(path, 1, "the file is not UTF-8 text; save it as UTF-8")
            return nil
        }
        // Files saved on Windows: drop a byte-order mark and turn CRLF into LF, so lines count right.
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text.replacingOccurrences(of: "\r\n", with: "\n")
    }
}

extension YAMLFields {
    /// An id: lower-case letters, digits and hyphens, starting with a letter.
    func id(_ key: String, what: String) -> String? {
        guard let id = string(key) else { return nil }
        guard isValidID(id) else {
            error(key, "\(what) id '\(id)' must be lower-case letters, digits and hyphens, starting with a letter")
            return nil
        }
        return id
    }
}

extension YAMLFields {
    /// A `credential:` section's common keys (id, title, description, criteria, valid_for_days).
    func credentialDefinition(skills: [SkillID]) -> CredentialDefinition? {
        let id = id("id", what: "credential")
        let title = string("title") ?? ""
        let description = string("description") ?? ""
        let criteria = string("criteria") ?? ""
        let validFor = int("valid_for_days", required: false, in: 1...36500)
        guard let id else { return nil }
        return CredentialDefinition(
            id: CredentialID(rawValue: id), title: title, description: description, criteria: criteria, validForDays: validFor, skills: skills
        )
    }
}
