import CairnCore
import Curriculum
import Foundation
import Testing
import Tutoring

/// The courses these tests search: the small fixture (to check exactly how a lesson is cut
/// into passages) and the shipped AI Foundations course (to check that real questions find
/// the lesson a person would point to). Loaded once.
enum RetrievalCourses {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let fixture: Course? = CourseLoader
        .loadCatalog(at: RetrievalCourses.repository.appendingPathComponent("Tests/Fixtures/courses").path)
        .course(CourseID(rawValue: "sample-course"))

    static let shipped: Course? = CourseLoader
        .loadCatalog(at: RetrievalCourses.repository.appendingPathComponent("courses").path)
        .course(CourseID(rawValue: "ai-foundations"))

    static let shippedIndex: CourseIndex? = RetrievalCourses.shipped.map { CourseIndex(course: $0) }
}

@Suite("Retrieval over course text")
struct RetrievalTests {
    func fixtureIndex() throws -> CourseIndex {
        try CourseIndex(course: #require(RetrievalCourses.fixture, "the fixture course under Tests/Fixtures/courses must load"))
    }

    func shippedIndex() throws -> CourseIndex {
        try #require(RetrievalCourses.shippedIndex, "the shipped course under courses/ai-foundations must load")
    }

    // MARK: passages

    @Test("a lesson is cut at ## headings; the text before the first is headed by the lesson title")
    func fixturePassages() throws {
        let index = try fixtureIndex()
        try #require(index.passages.count == 3, "\(index.passages.map(\.heading))")
        #expect(index.passages.map(\.heading) == ["The first lesson", "A check", "The second lesson"])
        #expect(index.passages.map(\.lessonID) == [LessonID(rawValue: "first-lesson"), LessonID(rawValue: "first-lesson"), LessonID(rawValue: "second-lesson")])
        #expect(index.passages.map(\.lessonTitle) == ["The first lesson", "The first lesson", "The second lesson"])
        #expect(index.passages.map(\.anchor) == ["the-first-lesson", "a-check", "the-second-lesson"])

        // The intro keeps its Markdown but not the `# Title` line.
        #expect(index.passages[0].text.hasPrefix("Plain **Markdown** text with a list:"))
        #expect(!index.passages[0].text.contains("# The first lesson"))
        // The check under "A check" is gone; the prose after it stays under that heading.
        #expect(index.passages[1].text == "Some closing text.")
        // The second lesson's two tasks are gone; only its sentence is left.
        #expect(index.passages[2].text == "Redact the text below.")
    }

    @Test("passages never contain fenced blocks, checks or tasks")
    func noFencedBlocks() throws {
        for index in try [fixtureIndex(), shippedIndex()] {
            #expect(!index.passages.isEmpty)
            for passage in index.passages {
                #expect(!passage.text.contains("```"), "\(passage.lessonID) / \(passage.heading)")
                #expect(!passage.text.contains("~~~"), "\(passage.lessonID) / \(passage.heading)")
            }
        }
        let fixture = try fixtureIndex()
        #expect(!fixture.passages.contains { $0.text.contains("first-check") || $0.text.contains("Dana Example") })
    }

    @Test("prose that follows a task stays in its section")
    func proseAfterTask() throws {
        let index = try shippedIndex()
        let passage = try #require(index.passages.first { $0.text.contains("Tables need the same care.") })
        #expect(passage.lessonID == LessonID(rawValue: "protecting-personal-and-confidential-data"))
        #expect(passage.heading == "Redacting before you prompt")
        #expect(passage.anchor == "redacting-before-you-prompt")
    }

    @Test("passages follow the teaching order of the course")
    func teachingOrder() throws {
        let course = try #require(RetrievalCourses.shipped)
        let index = try shippedIndex()
        var lessons: [LessonID] = []
        for passage in index.passages where lessons.last != passage.lessonID {
            lessons.append(passage.lessonID)
        }
        #expect(lessons == course.orderedLessons.map(\.id))
    }

    @Test("long sections are split into paragraph groups under the same heading")
    func longSections() throws {
        let index = try shippedIndex()
        // "The context window: what the model can see" has about 190 words, so it becomes two passages.
        let heading = "The context window: what the model can see"
        let parts = index.passages.filter { $0.heading == heading }
        #expect(parts.count >= 2)
        #expect(parts.allSatisfy { $0.anchor == "the-context-window-what-the-model-can-see" })
        // A passage over the limit can only be one paragraph that was not cut.
        for passage in index.passages where passage.text.split(whereSeparator: \.isWhitespace).count > CourseIndex.maximumPassageWords {
            #expect(!passage.text.contains("\n\n"), "\(passage.lessonID) / \(passage.heading)")
        }
    }

    // MARK: terms

    @Test("terms: lower case, accents folded, stop words and single letters dropped")
    func terms() {
        #expect(CourseIndex.terms(in: "What is the capital of Peru?") == ["capital", "peru"])
        #expect(CourseIndex.terms(in: "How do I bake sourdough?") == ["bak", "sourdough"])
        #expect(CourseIndex.terms(in: "Résumé") == CourseIndex.terms(in: "resume"))
        #expect(CourseIndex.terms(in: "GDPR, the UK's law") == ["gdpr", "uk", "law"])
        #expect(CourseIndex.terms(in: "what is it? do you?").isEmpty)
    }

    @Test("light stemming", arguments: [
        ("queries", "query"),
        ("applied", "apply"),
        ("boxes", "box"),
        ("matches", "match"),
        ("files", "fil"),
        ("file", "fil"),
        ("making", "mak"),
        ("make", "mak"),
        ("redacting", "redact"),
        ("redacted", "redact"),
        ("redacts", "redact"),
        ("redaction", "redaction"),
        ("stopped", "stop"),
        ("running", "run"),
        ("filling", "fill"),
        ("class", "class"),
        ("hallucinates", "hallucinat"),
        ("hallucinate", "hallucinat"),
        ("hallucination", "hallucination"),
        ("using", "using"),
        ("use", "use"),
    ])
    func stemming(_ word: String, _ expected: String) {
        #expect(CourseIndex.stem(word) == expected)
    }

    @Test("'redacting' meets 'redact' and 'redacted' but not 'redaction'")
    func redactingStem() throws {
        #expect(CourseIndex.terms(in: "redacting") == CourseIndex.terms(in: "redacted"))
        #expect(CourseIndex.terms(in: "redacting") != CourseIndex.terms(in: "redaction"))
        let index = try shippedIndex()
        let best = try #require(index.search("redacting").first)
        #expect(best.passage.heading == "Redacting before you prompt")
    }

    // MARK: search

    @Test("questions about hallucination find the lesson on context windows and hallucination", arguments: [
        "Why do AI models make things up?",
        "What does it mean when a model hallucinates?",
    ])
    func hallucination(_ question: String) throws {
        let index = try shippedIndex()
        let hits = index.search(question)
        let best = try #require(hits.first)
        #expect(best.passage.lessonID == LessonID(rawValue: "context-windows-and-hallucination"), "\(hits.map { ($0.passage.lessonID, $0.passage.heading, $0.score) })")
        #expect(index.isCovered(hits))
    }

    @Test("the excerpt is the sentence that shares most terms, without Markdown markers")
    func excerpt() throws {
        let index = try shippedIndex()
        let hits = index.search("Why do AI models make things up?", limit: 5)
        let intro = try #require(hits.first { $0.passage.heading == "Context windows, and why models hallucinate" })
        // The lesson writes "the model **not seeing** something it needed".
        #expect(intro.excerpt.contains("the two things that most often make that text wrong at work: the model not seeing something it needed"))
    }

    @Test("questions about removing personal data find the lesson on protecting it", arguments: [
        "How should I redact personal data before pasting it into a chatbot?",
        "Can I paste a customer's phone number and address into ChatGPT?",
    ])
    func personalData(_ question: String) throws {
        let index = try shippedIndex()
        let hits = index.search(question)
        let best = try #require(hits.first)
        #expect(best.passage.lessonID == LessonID(rawValue: "protecting-personal-and-confidential-data"), "\(hits.map { ($0.passage.lessonID, $0.passage.heading, $0.score) })")
        #expect(index.isCovered(hits))
    }

    @Test("questions the course does not cover are reported as such", arguments: [
        "What is the capital of Peru?",
        "How do I bake sourdough?",
        "Who won the football world cup?",
        "What time is it?",
        "What is it?",
        "",
    ])
    func notCovered(_ question: String) throws {
        let index = try shippedIndex()
        let hits = index.search(question)
        #expect(!index.isCovered(hits), "\(hits.map { ($0.passage.heading, $0.score, $0.coverage) })")
    }

    @Test("words the course never uses find nothing at all")
    func noMatchingTerm() throws {
        let index = try shippedIndex()
        #expect(index.search("What is the capital of Peru?").isEmpty)
        #expect(index.search("How do I bake sourdough?").isEmpty)
        #expect(!index.isCovered([]))
    }

    @Test("a question sharing only a common word with the course has low coverage")
    func lowCoverage() throws {
        let index = try shippedIndex()
        let best = try #require(index.search("Who won the football world cup?").first)
        #expect(best.coverage < CourseIndex.minimumCoverage)
    }

    @Test("results are deterministic, ordered by score and limited")
    func deterministicAndOrdered() throws {
        let course = try #require(RetrievalCourses.shipped)
        let first = CourseIndex(course: course)
        let second = CourseIndex(course: course)
        for question in ["how do I write a good email", "when should I start a new chat", "what is prompt injection"] {
            let a = first.search(question, limit: 10)
            let b = second.search(question, limit: 10)
            #expect(a.count == 10)
            #expect(a.map(\.passage) == b.map(\.passage))
            #expect(a.map(\.score) == b.map(\.score))
            #expect(zip(a, a.dropFirst()).allSatisfy { $0.score >= $1.score })
            #expect(a.allSatisfy { $0.score > 0 && $0.coverage > 0 && $0.coverage <= 1 })
            #expect(first.search(question).count == 3)
            #expect(first.search(question, limit: 0).isEmpty)
        }
    }

    @Test("excerpts are short plain text")
    func excerptsArePlain() throws {
        let index = try shippedIndex()
        for question in ["context window tokens", "redact phone numbers", "prompt injection in emails", "bias in hiring", "GDPR"] {
            for hit in index.search(question, limit: 5) {
                #expect(!hit.excerpt.isEmpty, "\(question): \(hit.passage.heading)")
                #expect(hit.excerpt.count <= 300, "\(question): \(hit.excerpt)")
                #expect(!hit.excerpt.contains("**"), "\(question): \(hit.excerpt)")
                #expect(!hit.excerpt.contains("`"), "\(question): \(hit.excerpt)")
            }
        }
    }
}
