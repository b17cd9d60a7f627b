import Foundation

/// Lesson Markdown cut at its `## ` headings: one rule for the tutor's steps and for the
/// passages that answer questions, so both agree on where a section starts and ends.
enum MarkdownSections {
    struct Line {
        var text: String
        /// Inside a fenced block, or one of its fence lines.
        var fenced: Bool
    }

    struct Section {
        /// The `## ` heading's text; the lesson title for text before the first heading.
        var heading: String
        /// The heading line as written, nil for the text before the first heading.
        var headingLine: String?
        var lines: [Line]
    }

    /// Headings inside fenced blocks do not count, and the lesson's `# Title` line is dropped
    /// (every section already carries the title).
    static func split(_ markdown: String, title: String) -> [Section] {
        var sections = [Section(heading: title, headingLine: nil, lines: [])]
        var openFence: Fence?
        for rawLine in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            if let fence = openFence {
                if fence.isClosed(by: line) { openFence = nil }
                sections[sections.count - 1].lines.append(Line(text: line, fenced: true))
                continue
            }
            if let fence = Fence(line) {
                openFence = fence
                sections[sections.count - 1].lines.append(Line(text: line, fenced: true))
                continue
            }
            if let heading = headingText(line, level: 2) {
                sections.append(Section(heading: heading, headingLine: line, lines: []))
                continue
            }
            if headingText(line, level: 1) != nil { continue }
            sections[sections.count - 1].lines.append(Line(text: line, fenced: false))
        }
        return sections
    }

    /// The text of an ATX heading of exactly `level` (`## Title ##` → "Title"), or nil.
    static func headingText(_ line: String, level: Int) -> String? {
        let trimmed = line.drop { $0 == " " }
        guard line.count - trimmed.count <= 3 else { return nil }
        let marker = String(repeating: "#", count: level)
        guard trimmed.hasPrefix(marker + " ") || trimmed.hasPrefix(marker + "\t") else { return nil }
        var text = trimmed.dropFirst(level).trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("#") { text.removeLast() }
        text = text.trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text
    }

    /// An opening code fence (three or more backticks or tildes, indented at most three
    /// spaces), the same rule the course loader uses.
    struct Fence {
        let character: Character
        let length: Int

        init?(_ line: String) {
            let trimmed = line.drop { $0 == " " }
            guard line.count - trimmed.count <= 3, let first = trimmed.first, first == "`" || first == "~" else { return nil }
            let run = trimmed.prefix { $0 == first }.count
            guard run >= 3 else { return nil }
            character = first
            length = run
        }

        func isClosed(by line: String) -> Bool {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.count >= length && trimmed.allSatisfy { $0 == character }
        }
    }
}
