import CairnCore
import Curriculum
import Foundation
import Testing

/// The fixture course, copied into a fresh folder so a test can break one thing in it.
struct CourseCopy {
    static let fixture = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/courses/sample-course")

    let root: URL
    var folder: URL { root.appendingPathComponent("sample-course") }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-courses-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.fixture, to: folder)
    }

    func path(_ relative: String) -> String { folder.appendingPathComponent(relative).path }

    func replace(_ relative: String, _ old: String, with new: String) throws {
        let url = folder.appendingPathComponent(relative)
        let text = try String(contentsOf: url, encoding: .utf8)
        precondition(text.contains(old), "fixture \(relative) does not contain \(old)")
        try text.replacingOccurrences(of: old, with: new).write(to: url, atomically: true, encoding: .utf8)
    }

    func write(_ relative: String, _ text: String) throws {
        try text.write(to: folder.appendingPathComponent(relative), atomically: true, encoding: .utf8)
    }

    func load() -> Catalog { CourseLoader.loadCatalog(at: root.path) }

    /// The line number (1-based) of the first line containing `text` in a file.
    func line(of text: String, in relative: String) throws -> Int {
        let lines = try String(contentsOf: folder.appendingPathComponent(relative), encoding: .utf8).components(separatedBy: "\n")
        return try #require(lines.firstIndex { $0.contains(text) }) + 1
    }
}

/// One change to the fixture course and the diagnostic it must raise: the file, the text on
/// the line the diagnostic must point at (in the changed file), and words of its message.
struct FixtureEdit: Sendable, CustomStringConvertible {
    let description: String
    let file: String
    let old: String
    let new: String
    let lineText: String
    let message: String
}

@Suite("Course validator")
struct ValidatorTests {
    @Test("the fixture course loads with no errors and every part read")
    func validFixture() throws {
        let catalog = try CourseCopy().load()
        #expect(!catalog.diagnostics.hasErrors, "\(catalog.diagnostics.report())")
        #expect(!catalog.diagnostics.contains { $0.severity == .warning }, "\(catalog.diagnostics.report())")
        let course = try #require(catalog.courses.first)
        #expect(course.id == CourseID(rawValue: "sample-course"))
        #expect(course.version == "1.2.0")
        #expect(course.skills.map(\.id.rawValue) == ["basics", "practice"])
        #expect(course.orderedLessons.map(\.id.rawValue) == ["first-lesson", "second-lesson"])
        #expect(course.practice.map(\.type) == [.singleChoice, .redaction, .promptWriting])
        #expect(course.items.count == 2)
        #expect(course.exam.areas.count == 2)
        #expect(course.credential.validForDays == 365)
        let anchors = try #require(course.anchors[InteractionID(rawValue: "write-prompt")])
        #expect(anchors.responses.count == 10)
        #expect(anchors.responses.first?.criteria == ["audience": 1, "length": 1])
        // Planned modules' missing lessons are notes, not errors.
        #expect(catalog.diagnostics.contains { $0.severity == .note && $0.message.contains("future-lesson") })
        guard case let .redaction(_, spans) = course.practice[1].content else { Issue.record("not a redaction"); return }
        #expect(spans.map(\.label) == ["name", "phone", "email"])
    }

    static let brokenCases: [FixtureEdit] = [
        .init(description: "bad YAML", file: "course.yaml", old: "title: Sample Course", new: "title: [Sample Course",
              lineText: "version:", message: "bad YAML"),
        .init(description: "missing required field", file: "course.yaml", old: "summary: A two-lesson course that exercises every part of the format.\n", new: "",
              lineText: "id: sample-course", message: "missing required key 'summary'"),
        .init(description: "unknown key with a suggestion", file: "lessons/first-lesson.md", old: "explanation: B is right", new: "explaination: B is right",
              lineText: "explaination:", message: "unknown key 'explaination' in check 'first-check'; did you mean 'explanation'?"),
        .init(description: "duplicate interaction id", file: "items/basics.yaml", old: "id: item-one", new: "id: first-check",
              lineText: "id: first-check", message: "id 'first-check' is used twice"),
        .init(description: "duplicate skill id", file: "course.yaml", old: "- id: practice", new: "- id: basics  # again",
              lineText: "# again", message: "skill id 'basics' is used twice"),
        .init(description: "dangling skill reference in a lesson", file: "lessons/second-lesson.md", old: "skills: [practice]", new: "skills: [practise]",
              lineText: "skills: [practise]", message: "names skill 'practise', which course.yaml does not define"),
        .init(description: "dangling skill reference in an interaction", file: "lessons/first-lesson.md", old: "skill: basics", new: "skill: basic",
              lineText: "skill: basic", message: "check 'first-check' names skill 'basic'"),
        .init(description: "skill named twice by an interaction", file: "lessons/first-lesson.md", old: "skill: basics", new: "skills: [basics, basics]",
              lineText: "skills: [basics, basics]", message: "check 'first-check' names skill 'basics' twice; list each skill once"),
        .init(description: "dangling lesson reference in a module", file: "course.yaml", old: "[first-lesson, second-lesson]", new: "[first-lesson, second-lesson, third-lesson]",
              lineText: "lessons: [first-lesson, second-lesson, third-lesson]", message: "lists lesson 'third-lesson', but there is no lessons/third-lesson.md"),
        .init(description: "answer naming no option", file: "lessons/first-lesson.md", old: "answer: b", new: "answer: c",
              lineText: "answer: c", message: "answer 'c' of check 'first-check' names no option"),
        .init(description: "quote not verbatim in the material", file: "lessons/second-lesson.md", old: "- quote: 0161 496 0000", new: "- quote: 0161 496 0001",
              lineText: "- quote: 0161 496 0001", message: "is not verbatim in the material"),
        .init(description: "unclosed fence", file: "lessons/first-lesson.md", old: "hints:\n  - Think about it.\n  - Not A.\n  - It is B.\n```", new: "hints:\n  - Think about it.",
              lineText: "```check", message: "is never closed"),
        .init(description: "lesson id differs from file name", file: "lessons/first-lesson.md", old: "id: first-lesson", new: "id: lesson-one",
              lineText: "id: lesson-one", message: "must equal the file name 'first-lesson'"),
        .init(description: "exam area for an unknown skill", file: "course.yaml", old: "- skill: practice", new: "- skill: nothing",
              lineText: "- skill: nothing", message: "exam area names skill 'nothing'"),
        .init(description: "bad rubric regex", file: "lessons/second-lesson.md", old: #"check: {regex: "\\b\\d+\\s*(words|bullets)"}"#, new: #"check: {regex: "(words"}"#,
              lineText: "regex:", message: "does not compile"),
        .init(description: "malformed id", file: "items/basics.yaml", old: "id: item-two", new: "id: Item_Two",
              lineText: "id: Item_Two", message: "must be lower-case letters, digits and hyphens"),
        .init(description: "wrong kind of value", file: "course.yaml", old: "time_limit_minutes: 30", new: "time_limit_minutes: half an hour",
              lineText: "time_limit_minutes", message: "must be a whole number"),
        .init(description: "lesson id differs from file name, further down the front matter", file: "lessons/second-lesson.md",
              old: "id: second-lesson\ntitle: The second lesson", new: "title: The second lesson\nid: lesson-two",
              lineText: "id: lesson-two", message: "must equal the file name 'second-lesson'"),
        .init(description: "a 2pl item with a guessing parameter", file: "items/basics.yaml", old: "    status: pilot\n", new: "    status: pilot\n    irt: {model: 2pl, a: 1.2, b: 0.1,\n          c: 0.2}\n",
              lineText: "c: 0.2", message: "a 2pl item has no guessing parameter"),
        .init(description: "grm parameters on a right/wrong item", file: "items/basics.yaml", old: "    status: pilot\n", new: "    status: pilot\n    irt: {model: grm, a: 1.2,\n          b: [0, 1]}\n",
              lineText: "irt: {model: grm, a: 1.2,", message: "grm is for rubric-scored items"),
        .init(description: "a 2pl item with a list of thresholds", file: "items/basics.yaml", old: "    status: pilot\n", new: "    status: pilot\n    irt: {model: 2pl, a: 1.2,\n          b: [0, 1]}\n",
              lineText: "b: [0, 1]}", message: "'b' in the IRT parameters must be a number"),
        .init(description: "an anchor set for an unknown interaction", file: "anchors/write-prompt.yaml", old: "interaction: write-prompt", new: "interaction: write-prompts",
              lineText: "interaction: write-prompts", message: "anchor set names 'write-prompts', which is no check, task or item"),
        .init(description: "anchor criteria that do not add up to the score", file: "anchors/write-prompt.yaml", old: "a short summary of the report.\"\n    score: 1\n",
              new: "a short summary of the report.\"\n    score: 2  # mismatch\n", lineText: "# mismatch", message: "score is 2 but the criteria add up to 1"),
        .init(description: "an anchor score above the rubric's total", file: "anchors/write-prompt.yaml", old: "    response: \"Summarise the report.\"\n    score: 0", new: "    response: \"Summarise the report.\"\n    score: 5",
              lineText: "score: 5", message: "'score' in an anchor response is 5; it must be between 0 and 2"),
        .init(description: "an anchor criterion not in the rubric", file: "anchors/write-prompt.yaml", old: "in 3 bullets.\"\n    score: 1\n    criteria: {audience: 0, length: 1}", new: "in 3 bullets.\"\n    score: 1\n    criteria: {tone: 0, length: 1}",
              lineText: "criteria: {tone: 0, length: 1}", message: "criterion 'tone' is not in the rubric"),
        .init(description: "an empty list entry", file: "lessons/first-lesson.md", old: "  - Say what the first lesson says.", new: "  - Say what the first lesson says.\n  - ~",
              lineText: "  - ~", message: "must be text, not empty"),
    ]

    @Test("each kind of error is reported at its file and line", arguments: brokenCases)
    func reportsError(_ broken: FixtureEdit) throws {
        let copy = try CourseCopy()
        try copy.replace(broken.file, broken.old, with: broken.new)
        let catalog = copy.load()
        let expectedLine = try copy.line(of: broken.lineText, in: broken.file)
        let matching = catalog.diagnostics.errors.filter { $0.message.contains(broken.message) }
        #expect(!matching.isEmpty, "no error containing «\(broken.message)»; got:\n\(catalog.diagnostics.report())")
        for diagnostic in matching {
            #expect(diagnostic.file == copy.path(broken.file))
            #expect(diagnostic.line == expectedLine, "\(diagnostic)")
            #expect(diagnostic.description.hasPrefix("\(copy.path(broken.file)):\(expectedLine): error: "))
        }
    }

    @Test("files saved on Windows (CRLF, byte-order mark) read the same, with the same line numbers")
    func windowsLineEndings() throws {
        let copy = try CourseCopy()
        let lesson = try String(contentsOfFile: copy.path("lessons/first-lesson.md"), encoding: .utf8)
        let broken = lesson.replacingOccurrences(of: "answer: b", with: "answer: c")
        try ("\u{FEFF}" + broken.replacingOccurrences(of: "\n", with: "\r\n")).write(toFile: copy.path("lessons/first-lesson.md"), atomically: true, encoding: .utf8)
        let catalog = copy.load()
        let errors = catalog.diagnostics.errors
        #expect(errors.count == 1, "\(errors)")
        let expectedLine = try #require(broken.components(separatedBy: "\n").firstIndex { $0.contains("answer: c") }) + 1
        #expect(errors.first?.line == expectedLine)
        #expect(errors.first?.message.contains("answer 'c'") == true)
    }

    @Test("a listed lesson whose file fails to parse is not also reported missing")
    func brokenLessonNotMissing() throws {
        let copy = try CourseCopy()
        try copy.replace("lessons/second-lesson.md", "---\nid: second-lesson", with: "id: second-lesson")
        let errors = copy.load().diagnostics.errors
        #expect(errors.contains { $0.message.contains("must start with YAML front matter") })
        #expect(!errors.contains { $0.message.contains("there is no lessons/second-lesson.md") })
    }

    @Test("a lesson file no module lists is a warning, not an error")
    func orphanLesson() throws {
        let copy = try CourseCopy()
        try copy.write("lessons/orphan.md", "---\nid: orphan\ntitle: Orphan\nskills: [basics]\nminutes: 3\nobjectives: [Nothing]\n---\n\nText.\n")
        let catalog = copy.load()
        #expect(!catalog.diagnostics.hasErrors)
        #expect(catalog.diagnostics.contains { $0.severity == .warning && $0.file == copy.path("lessons/orphan.md") && $0.message.contains("not listed in any module") })
    }

    @Test("calibrated parameters in an item file are read: 2pl with one b")
    func irtParameters() throws {
        let copy = try CourseCopy()
        try copy.replace("items/basics.yaml", "    status: pilot\n", with: "    status: pilot\n    irt: {model: 2pl, a: 1.2, b: 0.1}\n")
        let catalog = copy.load()
        #expect(!catalog.diagnostics.hasErrors, "\(catalog.diagnostics.report())")
        let item = try #require(catalog.courses.first?.items.first { $0.id.rawValue == "item-one" })
        #expect(item.irt?.model == .twoPL)
        #expect(item.irt?.a == 1.2)
        #expect(item.irt?.b == [0.1])
        #expect(item.irt?.c == nil)
    }

    @Test("several errors are all reported in one run")
    func manyErrors() throws {
        let copy = try CourseCopy()
        try copy.replace("lessons/first-lesson.md", "answer: b", with: "answer: z")
        try copy.replace("items/basics.yaml", "skill: basics", with: "skill: unknown-skill")
        let errors = copy.load().diagnostics.errors
        #expect(errors.count == 2, "\(errors)")
    }

    @Test("the report ends with the counts")
    func reportFormat() {
        let diagnostics = [
            Diagnostic(.error, file: "b.md", line: 3, "second"),
            Diagnostic(.warning, file: "a.md", line: 9, "first"),
        ]
        #expect(diagnostics.report() == "a.md:9: warning: first\nb.md:3: error: second\n1 error, 1 warning")
    }

    @Test("a missing folder is an error that says what to pass")
    func missingFolder() {
        let catalog = CourseLoader.loadCatalog(at: "/nonexistent/cairn-courses")
        #expect(catalog.diagnostics.errors.first?.message.contains("no such folder") == true)
    }
}

@Suite("Content lint")
struct ContentLintTests {
    static let flaws: [FixtureEdit] = [
        .init(description: "the answer in the first hint", file: "lessons/first-lesson.md", old: "  - Think about it.", new: "  - Pick The right one.",
              lineText: "id: first-check", message: "the first hint of 'first-check' contains its answer"),
        .init(description: "the key by far the longest option", file: "lessons/first-lesson.md", old: "  - id: b\n    text: The right one\n",
              new: "  - id: c\n    text: Another one\n    feedback: Not this.\n  - id: b\n    text: The right one, clearly and by far the longest option on offer\n",
              lineText: "id: first-check", message: "the key of 'first-check' is by far its longest option"),
        .init(description: "a duplicated stem", file: "items/basics.yaml", old: "prompt: Pick the second option.", new: "prompt: Which option is RIGHT?",
              lineText: "id: item-one", message: "has the same prompt as 'first-check'"),
        .init(description: "a task without feedback", file: "lessons/first-lesson.md", old: "    feedback: That one is the distractor.\n", new: "",
              lineText: "id: first-check", message: "has no feedback for wrong option a"),
        .init(description: "a task without an explanation", file: "lessons/second-lesson.md", old: "explanation: A name, a phone number and an e-mail address each identify Dana.\n", new: "",
              lineText: "id: redact-task", message: "task 'redact-task' has no explanation"),
    ]

    @Test("each authoring flaw is a warning at its file and line, never an error", arguments: flaws)
    func warns(_ flaw: FixtureEdit) throws {
        let copy = try CourseCopy()
        try copy.replace(flaw.file, flaw.old, with: flaw.new)
        let diagnostics = copy.load().diagnostics
        #expect(!diagnostics.hasErrors, "\(diagnostics.report())")
        let warning = try #require(diagnostics.first { $0.severity == .warning && $0.message.contains(flaw.message) }, "\(diagnostics.report())")
        #expect(warning.file == copy.path(flaw.file))
        #expect(warning.line == (try copy.line(of: flaw.lineText, in: flaw.file)))
    }

    @Test("an anchor set too small to measure agreement, or not spanning the scores, is a warning")
    func thinAnchorSet() throws {
        let copy = try CourseCopy()
        try copy.write("anchors/write-prompt.yaml", """
            interaction: write-prompt
            responses:
              - id: r01
                response: Summarise the report for my manager in 5 bullets.
                score: 2
                rationale: Both.
            """)
        let diagnostics = copy.load().diagnostics
        #expect(!diagnostics.hasErrors, "\(diagnostics.report())")
        #expect(diagnostics.contains { $0.severity == .warning && $0.message.contains("has 1 scored answers; agreement needs at least 10") })
        #expect(diagnostics.contains { $0.severity == .warning && $0.message.contains("include a weak answer") })
    }

    @Test("a lesson with no check or task is a warning")
    func lessonWithoutTask() throws {
        let copy = try CourseCopy()
        try copy.write("lessons/reading-only.md", "---\nid: reading-only\ntitle: Reading only\nskills: [basics]\nminutes: 3\nobjectives: [Read]\n---\n\nJust text.\n")
        try copy.replace("course.yaml", "[first-lesson, second-lesson]", with: "[first-lesson, second-lesson, reading-only]")
        let diagnostics = copy.load().diagnostics
        #expect(!diagnostics.hasErrors)
        #expect(diagnostics.contains { $0.severity == .warning && $0.file == copy.path("lessons/reading-only.md") && $0.message.contains("has no check or task") })
    }
}

@Suite("Shipped courses")
struct ShippedCourseTests {
    static let courses = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("courses")

    @Test("every shipped course validates with no errors")
    func shippedCoursesValidate() throws {
        let catalog = CourseLoader.loadCatalog(at: Self.courses.path)
        #expect(!catalog.diagnostics.hasErrors, "\(catalog.diagnostics.report())")
        let foundations = try #require(catalog.course(CourseID(rawValue: "ai-foundations")))
        let firstModule = try #require(foundations.modules.first)
        #expect(firstModule.status == .available)
        // Module 1 is the worked example of the format: written in full, every task type used.
        let lessons = firstModule.lessonIDs.compactMap { foundations.lessons[$0] }
        #expect(lessons.count == firstModule.lessonIDs.count)
        let types = Set(lessons.flatMap(\.interactions).map(\.type))
        #expect(types == Set(InteractionType.allCases), "missing: \(Set(InteractionType.allCases).subtracting(types))")
    }
}

@Suite("Lesson rendering")
struct RenderingTests {
    @Test("Markdown becomes HTML")
    func markdown() {
        let html = LessonRenderer().html("# Title\n\nSome **bold** text.")
        #expect(html.contains("<h1>Title</h1>"))
        #expect(html.contains("<strong>bold</strong>"))
    }
}
