import CairnCore
import Curriculum
import Foundation

/// One section of lesson prose that a free question can be answered from.
public struct Passage: Sendable, Equatable {
    public var lessonID: LessonID
    public var lessonTitle: String
    /// The `## ` heading the text sits under; the lesson title for the text before the first one.
    public var heading: String
    /// The HTML id slug of `heading`: its lower-case words (accents folded) joined by `-`.
    public var anchor: String
    /// The section's Markdown without fenced blocks (checks, tasks and code examples).
    public var text: String

    public init(lessonID: LessonID, lessonTitle: String, heading: String, anchor: String, text: String) {
        self.lessonID = lessonID
        self.lessonTitle = lessonTitle
        self.heading = heading
        self.anchor = anchor
        self.text = text
    }
}

/// A passage found for a query.
public struct Hit: Sendable {
    public var passage: Passage
    /// The BM25 score; only comparable between hits of the same query and index.
    public var score: Double
    /// The share, in [0, 1], of the query's IDF weight carried by terms this passage contains.
    /// Query words the course never uses carry the most weight, so an off-topic question that
    /// shares only a common word with the course ("world", "time") gets a low coverage.
    public var coverage: Double
    /// The one or two sentences of the passage that share most query terms, at most 300
    /// characters, plain text (no `**` or backticks).
    public var excerpt: String

    public init(passage: Passage, score: Double, coverage: Double, excerpt: String) {
        self.passage = passage
        self.score = score
        self.coverage = coverage
        self.excerpt = excerpt
    }
}

/// BM25 retrieval over a course's lesson text, to answer a learner's free question from
/// the course itself, or to say plainly that the course does not cover it.
///
/// Passages are the `## ` sections of each lesson's prose, in teaching order; sections
/// longer than `maximumPassageWords` are cut into groups of whole paragraphs. Term counts
/// are computed once here, so a search is one pass over a few hundred small dictionaries.
public struct CourseIndex: Sendable {
    /// BM25 term-frequency saturation.
    public static let k1 = 1.2
    /// BM25 document-length normalisation.
    public static let b = 0.75
    /// Sections with more words than this are split into paragraph groups of at most this many.
    public static let maximumPassageWords = 180
    /// The best hit must score at least this for a query to count as covered.
    ///
    /// A query term matched once in a passage of average length scores about its IDF,
    /// `ln(1 + (N − n + 0.5)/(n + 0.5))`, which is 3.0 when about one passage in 20 holds
    /// the term. So 3.0 asks for one fairly distinctive term, or two or more common ones.
    /// On the AI Foundations course (about 190 passages) on-topic one-word questions
    /// ("redact", "hallucination", "GDPR") score about 4.5 to 7, while a lone common word
    /// ("what time is it") scores under 2.5.
    public static let minimumScore = 3.0
    /// The best hit must also carry at least this share of the query's IDF weight (see
    /// `Hit.coverage`), so that a question about something else that happens to share a
    /// common word with the course ("who won the football world cup") is not answered with
    /// an unrelated passage.
    public static let minimumCoverage = 0.4

    /// Every passage, in teaching order.
    public let passages: [Passage]
    private let termCounts: [[String: Int]]
    private let lengths: [Int]
    private let documentFrequency: [String: Int]
    private let averageLength: Double

    public init(course: Course) {
        let passages = course.orderedLessons.flatMap(Self.passages(of:))
        var termCounts: [[String: Int]] = []
        var lengths: [Int] = []
        var documentFrequency: [String: Int] = [:]
        termCounts.reserveCapacity(passages.count)
        lengths.reserveCapacity(passages.count)
        for passage in passages {
            // The heading is part of what the passage is about.
            let terms = Self.terms(in: passage.heading + "\n" + passage.text)
            var counts: [String: Int] = [:]
            for term in terms { counts[term, default: 0] += 1 }
            for term in counts.keys { documentFrequency[term, default: 0] += 1 }
            termCounts.append(counts)
            lengths.append(terms.count)
        }
        let totalLength = lengths.reduce(0, +)
        self.passages = passages
        self.termCounts = termCounts
        self.lengths = lengths
        self.documentFrequency = documentFrequency
        self.averageLength = totalLength > 0 ? Double(totalLength) / Double(lengths.count) : 1
    }

    /// The passages that best answer `query`, best first (ties in teaching order), at most
    /// `limit`. Only passages sharing at least one query term are returned, so the result
    /// is empty when no query term occurs in the course.
    public func search(_ query: String, limit: Int = 3) -> [Hit] {
        guard limit > 0, !passages.isEmpty else { return [] }
        var seen: Set<String> = []
        let queryTerms = Self.terms(in: query).filter { seen.insert($0).inserted }
        guard !queryTerms.isEmpty else { return [] }
        let weights = queryTerms.map { inverseDocumentFrequency($0) }
        let totalWeight = weights.reduce(0, +)

        var scored: [(index: Int, score: Double, coverage: Double)] = []
        for index in passages.indices {
            let counts = termCounts[index]
            let lengthRatio = Double(lengths[index]) / averageLength
            var score = 0.0
            var matchedWeight = 0.0
            for (term, weight) in zip(queryTerms, weights) {
                guard let count = counts[term] else { continue }
                let frequency = Double(count)
                score += weight * frequency * (Self.k1 + 1) / (frequency + Self.k1 * (1 - Self.b + Self.b * lengthRatio))
                matchedWeight += weight
            }
            if score > 0 {
                scored.append((index, score, totalWeight > 0 ? matchedWeight / totalWeight : 0))
            }
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }

        let wanted = Set(queryTerms)
        return scored.prefix(limit).map { found in
            let passage = passages[found.index]
            return Hit(passage: passage, score: found.score, coverage: found.coverage, excerpt: Self.excerpt(of: passage.text, matching: wanted))
        }
    }

    /// Whether `hits` (from `search`) answer the question: the best hit scores at least
    /// `minimumScore` and covers at least `minimumCoverage` of the query. A hit exists only
    /// when some non-stop-word query term matched. When this is false the tutor should say
    /// plainly that the course does not cover the question rather than quote a passage.
    public func isCovered(_ hits: [Hit]) -> Bool {
        guard let best = hits.max(by: { $0.score < $1.score }) else { return false }
        return best.score >= Self.minimumScore && best.coverage >= Self.minimumCoverage
    }

    private func inverseDocumentFrequency(_ term: String) -> Double {
        let total = Double(passages.count)
        let containing = Double(documentFrequency[term] ?? 0)
        return log(1 + (total - containing + 0.5) / (containing + 0.5))
    }
}

// MARK: - Terms

extension CourseIndex {
    /// The search terms of `text`, in order: lower-cased, accents folded, split on anything
    /// that is not a letter or digit, stop words and one-character tokens dropped, then
    /// lightly stemmed. Documents and queries go through the same function.
    public static func terms(in text: String) -> [String] {
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).lowercased()
        var terms: [String] = []
        var token = ""
        func flush() {
            if token.count > 1, !stopWords.contains(token) { terms.append(stem(token)) }
            token = ""
        }
        for character in folded {
            if character.isLetter || character.isNumber { token.append(character) } else { flush() }
        }
        flush()
        return terms
    }

    /// A light suffix stripper, not a full Porter stemmer: it only needs to bring plurals and
    /// verb forms of one word together, identically for course text and questions.
    ///
    /// One suffix at most: "ies"/"ied" → "y" (queries → query); "es" after s, x, z, ch or sh
    /// (boxes → box, matches → match); "s" but not "ss" (files → file); "ing" and "ed", undoing
    /// a doubled final consonant (redacting → redact, stopped → stop). Then a final "e" is
    /// dropped (file → fil, making → mak) so "make" and "making" meet. A stem always keeps at
    /// least three letters. Derived nouns stay apart: "redaction" does not meet "redact".
    public static func stem(_ word: String) -> String {
        var stem = word
        let length = word.count
        if length - 3 >= 2, word.hasSuffix("ies") || word.hasSuffix("ied") {
            stem = String(word.dropLast(3)) + "y"
        } else if length - 2 >= 3, ["sses", "xes", "zes", "ches", "shes"].contains(where: { word.hasSuffix($0) }) {
            stem = String(word.dropLast(2))
        } else if length - 1 >= 3, word.hasSuffix("s"), !word.hasSuffix("ss") {
            stem = String(word.dropLast())
        } else if length - 3 >= 3, word.hasSuffix("ing") {
            stem = undoubled(String(word.dropLast(3)))
        } else if length - 2 >= 3, word.hasSuffix("ed") {
            stem = undoubled(String(word.dropLast(2)))
        }
        if stem.count - 1 >= 3, stem.hasSuffix("e") { stem.removeLast() }
        return stem
    }

    /// "stopp" → "stop", "runn" → "run"; "fill" and "pass" keep their double letter.
    private static func undoubled(_ stem: String) -> String {
        let letters = Array(stem)
        guard letters.count >= 4, let last = letters.last, letters[letters.count - 2] == last,
              !"aeiouylsz".contains(last)
        else { return stem }
        return String(letters.dropLast())
    }

    /// Common English words that say nothing about the topic of a question.
    static let stopWords: Set<String> = [
        "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
        "be", "because", "been", "before", "being", "between", "both", "but", "by",
        "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further",
        "get", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
        "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself",
        "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own",
        "please", "same", "she", "should", "so", "some", "such", "tell", "than", "that", "the", "their", "theirs",
        "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
        "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who",
        "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself",
    ]
}

// MARK: - Passages

extension CourseIndex {
    /// The passages of one lesson: its prose (interactions skipped, fenced blocks removed)
    /// split at `## ` headings, long sections cut into paragraph groups.
    static func passages(of lesson: Lesson) -> [Passage] {
        let markdown = lesson.blocks.compactMap { block -> String? in
            if case let .markdown(text) = block { text } else { nil }
        }.joined(separator: "\n\n")
        // Fenced blocks (examples, code) are left out: a question is answered from the prose.
        let sections = MarkdownSections.split(markdown, title: lesson.title).map { section in
            (heading: section.heading, lines: section.lines.filter { !$0.fenced }.map(\.text))
        }

        var passages: [Passage] = []
        for section in sections {
            let anchor = slug(section.heading)
            for text in paragraphGroups(section.lines) {
                passages.append(Passage(lessonID: lesson.id, lessonTitle: lesson.title, heading: section.heading, anchor: anchor, text: text))
            }
        }
        return passages
    }

    /// The section's paragraphs (separated by blank lines), as one text when it is short
    /// enough, else as consecutive groups of at most `maximumPassageWords` words. A single
    /// paragraph longer than that stays whole rather than being cut mid-thought.
    private static func paragraphGroups(_ lines: [String]) -> [String] {
        var paragraphs: [String] = []
        var current: [String] = []
        for line in lines {
            if line.allSatisfy(\.isWhitespace) {
                if !current.isEmpty { paragraphs.append(current.joined(separator: "\n")) }
                current = []
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { paragraphs.append(current.joined(separator: "\n")) }
        guard !paragraphs.isEmpty else { return [] }

        func words(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }
        let total = paragraphs.reduce(0) { $0 + words($1) }
        guard total > maximumPassageWords else { return [paragraphs.joined(separator: "\n\n")] }

        var groups: [String] = []
        var group: [String] = []
        var groupWords = 0
        for paragraph in paragraphs {
            let count = words(paragraph)
            if !group.isEmpty, groupWords + count > maximumPassageWords {
                groups.append(group.joined(separator: "\n\n"))
                group = []
                groupWords = 0
            }
            group.append(paragraph)
            groupWords += count
        }
        if !group.isEmpty { groups.append(group.joined(separator: "\n\n")) }
        return groups
    }

    /// "The context window: what the model can see" → "the-context-window-what-the-model-can-see".
    /// The HTML id of a heading: folded words joined by hyphens.
    public static func slug(_ heading: String) -> String {
        let folded = heading.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).lowercased()
        return folded.split { !($0.isLetter || $0.isNumber) }.joined(separator: "-")
    }
}

// MARK: - Excerpts

extension CourseIndex {
    static let maximumExcerptLength = 300

    /// The sentence sharing most query terms (the earliest on a tie), joined by a neighbour
    /// that also shares terms, or by the next sentence when the first is short, as long as
    /// the two fit in `maximumExcerptLength` characters.
    static func excerpt(of text: String, matching wanted: Set<String>) -> String {
        let sentences = Self.sentences(in: text)
        guard !sentences.isEmpty else { return "" }
        let matches = sentences.map { Set(Self.terms(in: $0)).intersection(wanted).count }

        var best = 0
        for index in sentences.indices where matches[index] > matches[best] { best = index }

        var partner: Int?
        for candidate in [best + 1, best - 1] where sentences.indices.contains(candidate) && matches[candidate] > 0 {
            if partner.map({ matches[candidate] > matches[$0] }) ?? true { partner = candidate }
        }
        if partner == nil, sentences[best].count < 120, sentences.indices.contains(best + 1) {
            partner = best + 1
        }

        var excerpt = sentences[best]
        if let partner {
            let joined = partner > best ? excerpt + " " + sentences[partner] : sentences[partner] + " " + excerpt
            if joined.count <= maximumExcerptLength { excerpt = joined }
        }
        return shortened(excerpt)
    }

    /// Cuts at a word boundary with an ellipsis when longer than `maximumExcerptLength`.
    private static func shortened(_ text: String) -> String {
        guard text.count > maximumExcerptLength else { return text }
        var cut = String(text.prefix(maximumExcerptLength - 1))
        if let space = cut.lastIndex(of: " ") { cut = String(cut[..<space]) }
        return cut.trimmingCharacters(in: .whitespaces) + "…"
    }

    /// Plain-text sentences of a passage: every list item, table row, heading and paragraph
    /// starts a new unit, which is then split after `.`, `!` or `?`.
    static func sentences(in markdown: String) -> [String] {
        var units: [String] = []
        var current: [String] = []
        func finish() {
            if !current.isEmpty { units.append(current.joined(separator: " ")) }
            current = []
        }
        for rawLine in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty {
                finish()
                continue
            }
            var startsUnit = false
            if line.hasPrefix("|") {
                // A table separator row (|---|:--|) has no words.
                if line.allSatisfy({ "|-: ".contains($0) }) { continue }
                line = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: ": ")
                startsUnit = true
            } else if let rest = strippedMarker(line) {
                line = rest
                startsUnit = true
            }
            if startsUnit { finish() }
            current.append(plain(line))
            if line.isEmpty { finish() }
        }
        finish()

        var sentences: [String] = []
        for unit in units {
            var words: [Substring] = []
            for word in unit.split(whereSeparator: \.isWhitespace) {
                words.append(word)
                if endsSentence(word) {
                    sentences.append(words.joined(separator: " "))
                    words = []
                }
            }
            if !words.isEmpty { sentences.append(words.joined(separator: " ")) }
        }
        return sentences.filter { !$0.isEmpty }
    }

    /// The line without its list, quote or heading marker, or nil when it has none.
    private static func strippedMarker(_ line: String) -> String? {
        for marker in ["- ", "* ", "+ ", "> ", "#### ", "### "] where line.hasPrefix(marker) {
            return String(line.dropFirst(marker.count)).trimmingCharacters(in: .whitespaces)
        }
        // Ordered list: digits, then ". " or ") ".
        let digits = line.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, digits.count <= 3 {
            let rest = line.dropFirst(digits.count)
            if rest.hasPrefix(". ") || rest.hasPrefix(") ") {
                return String(rest.dropFirst(2)).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// Markdown emphasis markers and code ticks removed.
    private static func plain(_ text: String) -> String {
        text.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "`", with: "")
    }

    private static let abbreviations: Set<String> = ["e.g.", "i.e.", "etc.", "vs.", "cf.", "mr.", "mrs.", "ms.", "dr.", "no."]

    private static func endsSentence(_ word: Substring) -> Bool {
        let core = word.reversed().drop { "\"'”’)]".contains($0) }
        guard let last = core.first, ".!?".contains(last) else { return false }
        return !abbreviations.contains(word.lowercased())
    }
}
