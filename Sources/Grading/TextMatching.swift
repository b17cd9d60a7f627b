import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A learner's text prepared once for every rubric check: folded for matching
/// (lower case, accents and typographic quotes removed) and split into sentences so that
/// evidence can quote the learner's own words.
final class PreparedText {
    struct Sentence {
        var original: String
        var folded: String
    }

    let original: String
    let folded: String
    let wordCount: Int
    /// Split and folded only when evidence needs to quote the learner.
    private(set) lazy var sentences: [Sentence] = Self.splitSentences(original).map {
        Sentence(original: $0, folded: Folding.fold($0))
    }

    init(_ text: String) {
        original = text
        folded = Folding.fold(text)
        wordCount = Self.countWords(text)
    }

    /// The learner's sentence that contains `term` (already folded), shortened for display.
    func sentence(containing term: String) -> String? {
        sentences.first { Folding.contains($0.folded, term) }.map { Self.shorten($0.original) }
    }

    /// The learner's sentence around a character offset of `original`.
    func sentence(around match: Range<String.Index>) -> String? {
        let matched = String(original[match])
        return sentences.first { $0.original.contains(matched) }.map { Self.shorten($0.original) }
    }

    static func countWords(_ text: String) -> Int {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return countWordsASCII(text) }
        var count = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            let category = scalar.properties.generalCategory
            if inWord, category == .nonspacingMark || category == .spacingMark || category == .enclosingMark {
                // A combining accent belongs to the letter before it.
                continue
            }
            if scalar.isASCII ? (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))
                : (scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal) {
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

    static func countWordsASCII(_ text: String) -> Int {
        var count = 0
        var inWord = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if !inWord { count += 1 }
                inWord = true
            case UInt8(ascii: "'"), UInt8(ascii: "-"):
                continue
            default:
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
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return foldASCII(text) }
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

    /// Whether `needle` occurs in `haystack`, byte for byte (both already folded).
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        var haystack = haystack, needle = needle
        return haystack.withUTF8 { hay in
            needle.withUTF8 { pin in
                if pin.isEmpty { return true }
                guard pin.count <= hay.count, let hayBase = hay.baseAddress, let pinBase = pin.baseAddress else { return false }
                // Scan for the first byte, then compare the rest (terms are short).
                let first = pin[0]
                var index = 0
                let last = hay.count - pin.count
                while index <= last {
                    if hay[index] == first, memcmp(hayBase + index, pinBase, pin.count) == 0 { return true }
                    index += 1
                }
                return false
            }
        }
    }

    /// The common case, plain ASCII text: lower-case it and collapse white space, byte by byte.
    static func foldASCII(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var lastWasSpace = false
        for byte in text.utf8 {
            switch byte {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20:
                if lastWasSpace { continue }
                lastWasSpace = true
                bytes.append(0x20)
            case 0x41...0x5A:
                lastWasSpace = false
                bytes.append(byte + 0x20)
            default:
                lastWasSpace = false
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
