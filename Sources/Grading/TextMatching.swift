import Foundation

/// A learner's text prepared once for every rubric check: folded for matching
/// (lower case, accents and typographic quotes removed) and split into sentences so that
/// evidence can quote the learner's own words.
struct PreparedText {
    struct Sentence {
        var original: String
        var folded: String
    }

    let original: String
    let folded: String
    let sentences: [Sentence]
    let wordCount: Int

    init(_ text: String) {
        original = text
        folded = Folding.fold(text)
        var sentences: [Sentence] = []
        for piece in Self.splitSentences(text) {
            sentences.append(Sentence(original: piece, folded: Folding.fold(piece)))
        }
        self.sentences = sentences
        wordCount = Self.countWords(text)
    }

    /// The learner's sentence that contains `term` (already folded), shortened for display.
    func sentence(containing term: String) -> String? {
        sentences.first { $0.folded.contains(term) }.map { Self.shorten($0.original) }
    }

    /// The learner's sentence around a character offset of `original`.
    func sentence(around match: Range<String.Index>) -> String? {
        let matched = String(original[match])
        return sentences.first { $0.original.contains(matched) }.map { Self.shorten($0.original) }
    }

    static func countWords(_ text: String) -> Int {
        var count = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            let category = scalar.properties.generalCategory
            if inWord, category == .nonspacingMark || category == .spacingMark || category == .enclosingMark {
                // A combining accent belongs to the letter before it.
                continue
            }
            if scalar.properties.isAlphabetic || CharacterSet.decimalDigits.contains(scalar) {
                if !inWord { count += 1 }
                inWord = true
            } else if scalar == "'" || scalar == "’" || scalar == "-" {
                // Apostrophes and hyphens join a word ("don't", "step-free").
                continue
            } else {
                inWord = false
            }
        }
        return count
    }

    /// Sentences and lines: a learner's prompt is often a list, so line breaks end a sentence too.
    static func splitSentences(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        var previous: Character = " "
        for character in text {
            if character == "\n" {
                flush()
            } else {
                current.append(character)
                if ".!?".contains(previous), character == " " { flush() }
            }
            previous = character
        }
        flush()
        return result

        func flush() {
            let trimmed = current.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { result.append(trimmed) }
            current = ""
        }
    }

    static func shorten(_ sentence: String, limit: Int = 160) -> String {
        guard sentence.count > limit else { return sentence }
        return String(sentence.prefix(limit - 1)) + "…"
    }
}

enum Folding {
    /// Lower case without accents, with typographic quotes and dashes made plain and
    /// runs of white space made one space, so that "Café’s  Menu" matches "cafe's menu".
    static func fold(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var lastWasSpace = false
        for scalar in text.decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark: continue
            default: break
            }
            var mapped = scalar
            switch scalar {
            case "\u{2018}", "\u{2019}", "\u{02BC}": mapped = "'"
            case "\u{201C}", "\u{201D}": mapped = "\""
            case "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}": mapped = "-"
            default: break
            }
            if mapped.properties.isWhitespace {
                if lastWasSpace { continue }
                lastWasSpace = true
                out.append(" ")
                continue
            }
            lastWasSpace = false
            out.append(mapped)
        }
        return String(out).lowercased()
    }
}
