import CairnCore
import Curriculum
import Foundation
import Testing

/// Pathway files (`courses/pathways/<id>.yaml`) beside the fixture course.
@Suite("Pathway files")
struct PathwayLoaderTests {
    static let valid = """
        id: sample-certification
        title: Sample Certification
        summary: The sample course's badge and a capstone.
        credential:
          id: sample-certification
          title: Sample Certified
          description: Holds the sample badge and passed the capstone.
          criteria: Both steps done.
          valid_for_days: 730
        steps:
          - badge: sample-course
          - badge: later-course
          - capstone:
              id: project
              title: A project
              brief: Do a real piece of work.
              rubric: ["It works (50 points).", "It is explained (50 points)."]
              pass_score: 70
        """

    func load(_ files: [String: String]) throws -> (Catalog, CourseCopy) {
        let copy = try CourseCopy()
        let folder = copy.root.appendingPathComponent("pathways")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return (copy.load(), copy)
    }

    @Test("a pathway loads with its steps; a course not offered yet is a warning, not an error")
    func validPathway() throws {
        let (catalog, copy) = try load(["sample-certification.yaml": Self.valid])
        #expect(!catalog.diagnostics.hasErrors, "\(catalog.diagnostics.report())")
        let pathway = try #require(catalog.pathway(PathwayID(rawValue: "sample-certification")))
        #expect(pathway.badgeCourses.map(\.rawValue) == ["sample-course", "later-course"])
        #expect(pathway.capstone("project") == Capstone(id: "project", title: "A project", brief: "Do a real piece of work.",
                                                         rubric: ["It works (50 points).", "It is explained (50 points)."], passScore: 70))
        #expect(pathway.credential.validForDays == 730)
        let warning = try #require(catalog.diagnostics.first { $0.severity == .warning })
        #expect(warning.message.contains("no course 'later-course'") && warning.line == 12)
        #expect(warning.file == copy.root.appendingPathComponent("pathways/sample-certification.yaml").path)
        #expect(catalog.courses.count == 1, "the pathways folder is not read as a course")
    }

    @Test("mistakes in a pathway file are reported with the line and what to do", arguments: [
        ("id: sample-certification", "id: other-name", "must equal its file name"),
        ("id: sample-certification", "id: sample-course", "is also a course's id"),
        ("  - badge: later-course", "  - badge: later-course\n    capstone: {id: x, title: X, brief: B, rubric: [r], pass_score: 50}", "either 'badge: COURSE' or 'capstone"),
        ("      pass_score: 70", "      pass_score: 0", "pass_score"),
        ("      rubric: [\"It works (50 points).\", \"It is explained (50 points).\"]", "      rubric: []", "'rubric' in the capstone is an empty list"),
        ("summary: The sample", "sumary: The sample", "did you mean 'summary'?"),
        ("  - badge: later-course", "  - badge: sample-course", "already asks for the 'sample-course' badge"),
    ])
    func mistakes(old: String, new: String, message: String) throws {
        let (catalog, _) = try load(["sample-certification.yaml": Self.valid.replacingOccurrences(of: old, with: new)])
        #expect(catalog.diagnostics.contains { $0.severity == .error && $0.message.contains(message) }, "\(catalog.diagnostics.report())")
    }

    @Test("two files with one id, and a file that is not YAML, are reported")
    func files() throws {
        let (catalog, _) = try load([
            "sample-certification.yaml": Self.valid, "notes.txt": "not a pathway",
            "broken.yaml": "id: broken\ntitle: [unclosed",
        ])
        #expect(catalog.diagnostics.contains { $0.severity == .warning && $0.message.contains("not a .yaml file") })
        #expect(catalog.diagnostics.contains { $0.severity == .error && $0.message.contains("bad YAML in the pathway") })
        #expect(catalog.pathways.map(\.id.rawValue) == ["sample-certification"])
    }
}
