import CairnCore
import Foundation
import Yams

/// Reads `courses/pathways/<id>.yaml`: a full certification made of course badges and a
/// capstone scored by people.
///
/// ```yaml
/// id: certified-ai-practitioner
/// title: Certified AI Practitioner
/// summary: …
/// credential: {id: …, title: …, description: …, criteria: …, valid_for_days: 1095}
/// steps:
///   - badge: ai-foundations
///   - capstone: {id: workplace-project, title: …, brief: …, rubric: [...], pass_score: 70}
/// ```
enum PathwayLoader {
    static func load(folder: String, courses: [Course]) -> ([Pathway], [Diagnostic]) {
        let sink = DiagnosticSink()
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        var pathways: [Pathway] = []
        for file in files where !file.hasPrefix(".") {
            let path = CourseLoader.join(folder, file)
            guard file.hasSuffix(".yaml") else {
                sink.warning(path, 1, "not a .yaml file; pathways are courses/pathways/<id>.yaml, so this file is skipped")
                continue
            }
            guard let pathway = read(path, courses: courses, sink: sink) else { continue }
            if pathways.contains(where: { $0.id == pathway.id }) {
                sink.error(path, 1, "pathway id '\(pathway.id)' is used by another pathway file")
                continue
            }
            pathways.append(pathway)
        }
        return (pathways, sink.diagnostics)
    }

    static func read(_ path: String, courses: [Course], sink: DiagnosticSink) -> Pathway? {
        guard let text = sink.readText(path) else { return nil }
        let source = YAMLSource(file: path, lineOffset: 0, sink: sink)
        guard let root = source.parse(text, what: "the pathway"), let fields = source.fields(root, what: "the pathway") else { return nil }
        fields.rejectUnknown(["id", "title", "summary", "credential", "steps"])
        let id = fields.id("id", what: "pathway")
        let fileName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        if let id, id != fileName { fields.error("id", "pathway id '\(id)' must equal its file name '\(fileName)'") }
        if let id, courses.contains(where: { $0.id.rawValue == id }) {
            fields.error("id", "pathway id '\(id)' is also a course's id; give the pathway its own id")
        }
        let title = fields.string("title") ?? ""
        let summary = fields.string("summary") ?? ""
        var credential: CredentialDefinition?
        if let node = fields.node("credential"), let section = source.fields(node, what: "the pathway's credential") {
            section.rejectUnknown(["id", "title", "description", "criteria", "valid_for_days"])
            credential = section.credentialDefinition(skills: [])
        }
        var steps: [Pathway.Step] = []
        for node in fields.sequence("steps") ?? [] {
            guard let step = source.fields(node, what: "a pathway step") else { continue }
            step.rejectUnknown(["badge", "capstone"])
            if step.has("badge") == step.has("capstone") {
                step.error(nil, "a pathway step is either 'badge: COURSE' or 'capstone: {…}', one of the two")
                continue
            }
            if step.has("badge"), let course = step.id("badge", what: "course") {
                let courseID = CourseID(rawValue: course)
                if steps.contains(.badge(courseID)) { step.error("badge", "the pathway already asks for the '\(course)' badge") }
                if !courses.contains(where: { $0.id == courseID }) {
                    sink.warning(path, step.lineOf("badge"), "no course '\(course)' in this catalog yet: learners see this step as not yet offered")
                }
                steps.append(.badge(courseID))
            }
            if let node = step.node("capstone", required: false), let capstone = readCapstone(node, source: source) {
                if steps.contains(where: { if case let .capstone(other) = $0 { other.id == capstone.id } else { false } }) {
                    step.error("capstone", "capstone id '\(capstone.id)' is used twice in this pathway")
                }
                steps.append(.capstone(capstone))
            }
        }
        guard let id, let credential, !steps.isEmpty else { return nil }
        return Pathway(id: PathwayID(rawValue: id), title: title, summary: summary, credential: credential, steps: steps)
    }

    static func readCapstone(_ node: Node, source: YAMLSource) -> Capstone? {
        guard let fields = source.fields(node, what: "the capstone") else { return nil }
        fields.rejectUnknown(["id", "title", "brief", "rubric", "pass_score"])
        let id = fields.id("id", what: "capstone")
        let title = fields.string("title") ?? ""
        let brief = fields.string("brief") ?? ""
        let rubric = fields.strings("rubric") ?? []
        let pass = fields.int("pass_score", in: 1...100)
        guard let id, let pass else { return nil }
        return Capstone(id: id, title: title, brief: brief, rubric: rubric, passScore: pass)
    }
}
