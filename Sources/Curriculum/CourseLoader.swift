import CairnCore
import Foundation
import Yams

/// Reads course folders into `Course` values, reporting every problem with file and line.
///
/// Loading never throws for bad content: it returns what it could read and the
/// diagnostics; callers decide whether errors block (the server and the validator do).
public enum CourseLoader {
    /// Loads every course under `path`: either one course folder (it holds `course.yaml`)
    /// or a folder of course folders.
    public static func loadCatalog(at path: String) -> Catalog {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return Catalog(courses: [], diagnostics: [
                Diagnostic(.error, file: path, line: 1, "no such folder; pass the folder that holds your courses (e.g. courses/)")
            ])
        }
        if fileManager.fileExists(atPath: join(path, "course.yaml")) {
            let (course, diagnostics) = loadCourse(at: path)
            return Catalog(courses: course.map { [$0] } ?? [], diagnostics: diagnostics)
        }
        let entries = ((try? fileManager.contentsOfDirectory(atPath: path)) ?? []).sorted()
        var courses: [Course] = []
        var diagnostics: [Diagnostic] = []
        var pathwayFolder: String?
        for entry in entries where !entry.hasPrefix(".") {
            let folder = join(path, entry)
            if entry == "pathways" {
                pathwayFolder = folder
                continue
            }
            var entryIsDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: folder, isDirectory: &entryIsDirectory), entryIsDirectory.boolValue else { continue }
            guard fileManager.fileExists(atPath: join(folder, "course.yaml")) else {
                diagnostics.append(Diagnostic(.warning, file: folder, line: 1, "folder has no course.yaml and is skipped"))
                continue
            }
            let (course, found) = loadCourse(at: folder)
            diagnostics += found
            if let course { courses.append(course) }
        }
        if courses.isEmpty && !diagnostics.hasErrors {
            diagnostics.append(Diagnostic(.error, file: path, line: 1, "no course found: expected <course>/course.yaml folders here"))
        }
        var pathways: [Pathway] = []
        if let pathwayFolder {
            let (loaded, found) = PathwayLoader.load(folder: pathwayFolder, courses: courses)
            pathways = loaded
            diagnostics += found
        }
        return Catalog(courses: courses, pathways: pathways, diagnostics: diagnostics)
    }

    /// Loads one course folder. The course is nil only when `course.yaml` itself cannot be read;
    /// otherwise it is returned with whatever lessons and items could be read.
    public static func loadCourse(at folder: String) -> (Course?, [Diagnostic]) {
        let sink = DiagnosticSink()
        let reader = CourseReader(folder: folder, sink: sink)
        let course = reader.read()
        if let course { ContentLint.check(course, into: sink) }
        return (course, sink.diagnostics)
    }

    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}

/// Ids are lower-case letters, digits and hyphens, starting with a letter.
func isValidID(_ id: String) -> Bool {
    guard let first = id.unicodeScalars.first, ("a"..."z").contains(first), id.count <= 64 else { return false }
    return id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
}

private final class CourseReader {
    let folder: String
    let sink: DiagnosticSink
    /// Interactions by id, with where each was first defined, to report duplicates.
    var interactionSites: [String: String] = [:]
    /// The line of each module's `lessons:` key in course.yaml, for dangling-lesson reports.
    var moduleLines: [ModuleID: Int] = [:]

    init(folder: String, sink: DiagnosticSink) {
        self.folder = folder
        self.sink = sink
    }

    func path(_ name: String) -> String { CourseLoader.join(folder, name) }

    func read() -> Course? {
        let coursePath = path("course.yaml")
        guard let text = readText(coursePath) else { return nil }
        let source = YAMLSource(file: coursePath, lineOffset: 0, sink: sink)
        guard let root = source.parse(text, what: "course.yaml"), let fields = source.fields(root, what: "course.yaml") else {
            return nil
        }
        fields.rejectUnknown(["id", "title", "version", "summary", "level", "audience", "skills", "modules", "credential", "exam", "mastery_threshold"])

        let folderName = URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
        let id = checkedID(fields, "id", what: "course")
        if let id, id != folderName {
            fields.error("id", "course id '\(id)' must equal its folder name '\(folderName)'")
        }
        let title = fields.string("title") ?? ""
        let version = fields.string("version") ?? "0.0.0"
        if fields.has("version"), !isSemanticVersion(version) {
            fields.error("version", "version '\(version)' must be MAJOR.MINOR.PATCH, e.g. 1.0.0")
        }
        let summary = fields.string("summary") ?? ""
        let level = fields.enumValue("level", Course.Level.self, required: false) ?? .introductory
        let audience = fields.string("audience", required: false)

        let skills = readSkills(fields)
        let skillIDs = Set(skills.map(\.id))
        let modules = readModules(fields)
        let credential = readCredential(fields, skills: skillIDs)
        let exam = readExam(fields, skills: skillIDs, modules: Set(modules.map(\.id)))
        let lessons = readLessons(modules: modules, skills: skillIDs)
        var items = readItems(skills: skillIDs)
        if let id { applyBank(to: &items, course: id, version: version) }
        let anchors = readAnchors(interactions: lessons.values.flatMap(\.interactions) + items)

        var threshold = 0.95
        if let value = fields.double("mastery_threshold", required: false) {
            if value > 0.5, value < 1 { threshold = value } else {
                fields.error("mastery_threshold", "mastery_threshold \(value) must be between 0.5 and 1 (exclusive), e.g. 0.95")
            }
        }

        guard let id, let credential, let exam else { return nil }
        var course = Course(
            id: CourseID(rawValue: id), title: title, version: version, summary: summary, level: level,
            audience: audience, skills: skills, modules: modules, credential: credential, exam: exam,
            lessons: lessons, items: items, anchors: anchors
        )
        course.masteryThreshold = threshold
        return course
    }

    /// A `bank.yaml` in the course folder (written by `cairn calibrate`) gives exam items
    /// their fitted parameters, in place of any `irt` field in the items' own files: the way
    /// a new bank version goes live.
    func applyBank(to items: inout [Interaction], course: String, version: String) {
        let file = path("bank.yaml")
        guard FileManager.default.fileExists(atPath: file) else { return }
        let bank: CalibratedBank
        do {
            bank = try CalibratedBank.load(path: file)
        } catch let error as CalibratedBank.LoadError {
            sink.error(file, 1, error.message)
            return
        } catch {
            sink.error(file, 1, "\(error)")
            return
        }
        guard bank.course == course else {
            sink.error(file, 1, "this bank is for course '\(bank.course)', not '\(course)'; put it in that course's folder")
            return
        }
        if !bank.bankVersion.hasPrefix(version + "+") {
            sink.warning(file, 1, "bank \(bank.bankVersion) was fitted on another version of the course (now \(version)); calibrate again when items change")
        }
        let index = Dictionary(items.enumerated().map { ($1.id.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        for id in bank.items.keys.sorted() {
            guard let fitted = bank.items[id] else { continue }
            guard let position = index[id] else {
                sink.warning(file, 1, "item \(id) is not an exam item of \(course); its parameters are ignored")
                continue
            }
            let points: Int? = items[position].content.rubric?.reduce(0) { $0 + $1.points }
            guard let model = IRTParameters.Model(rawValue: fitted.model) else { continue }
            if (model == .graded) != (points != nil) || (model == .graded && points != fitted.b.count) {
                sink.error(file, 1, "item \(id): a \(fitted.model) model does not fit its \(items[position].type.rawValue) scoring; calibrate again")
                continue
            }
            items[position].irt = IRTParameters(model: model, a: fitted.a, b: fitted.b, c: fitted.c)
        }
    }

    func readText(_ path: String) -> String? { sink.readText(path) }

    func checkedID(_ fields: YAMLFields, _ key: String, what: String) -> String? { fields.id(key, what: what) }
    func isSemanticVersion(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }

    // MARK: course.yaml sections

    func readSkills(_ fields: YAMLFields) -> [Skill] {
        var skills: [Skill] = []
        for node in fields.sequence("skills") ?? [] {
            guard let skill = fields.source.fields(node, what: "a skill") else { continue }
            skill.rejectUnknown(["id", "title", "description", "tracing"])
            guard let id = checkedID(skill, "id", what: "skill") else { continue }
            let title = skill.string("title") ?? ""
            let description = skill.string("description") ?? ""
            let tracing = readTracing(skill) ?? .standard
            if skills.contains(where: { $0.id.rawValue == id }) {
                skill.error("id", "skill id '\(id)' is used twice in this course")
                continue
            }
            skills.append(Skill(id: SkillID(rawValue: id), title: title, description: description, tracing: tracing))
        }
        return skills
    }

    /// `tracing: {initial, learn, slip, guess}`: each a probability; any left out takes the default.
    func readTracing(_ skill: YAMLFields) -> TracingParameters? {
        guard let node = skill.node("tracing", required: false),
              let fields = skill.source.fields(node, what: "tracing parameters") else { return nil }
        fields.rejectUnknown(["initial", "learn", "slip", "guess"])
        let standard = TracingParameters.standard
        func probability(_ key: String, _ fallback: Double, below limit: Double) -> Double {
            guard let value = fields.double(key, required: false) else { return fallback }
            guard value > 0, value < limit else {
                fields.error(key, "tracing \(key) \(value) must be above 0 and below \(limit)")
                return fallback
            }
            return value
        }
        let parameters = TracingParameters(
            initial: probability("initial", standard.initial, below: 1),
            learn: probability("learn", standard.learn, below: 1),
            slip: probability("slip", standard.slip, below: 0.5),
            guess: probability("guess", standard.guess, below: 0.5)
        )
        return parameters
    }

    func readModules(_ fields: YAMLFields) -> [Module] {
        var modules: [Module] = []
        var lessonOwners: [String: String] = [:]
        for node in fields.sequence("modules") ?? [] {
            guard let module = fields.source.fields(node, what: "a module") else { continue }
            module.rejectUnknown(["id", "title", "summary", "lessons", "status"])
            let id = checkedID(module, "id", what: "module")
            let title = module.string("title") ?? ""
            let summary = module.string("summary") ?? ""
            let status = module.enumValue("status", Module.Status.self, required: false) ?? .available
            var lessons: [LessonID] = []
            for lesson in module.strings("lessons") ?? [] {
                guard isValidID(lesson) else {
                    module.error("lessons", "lesson id '\(lesson)' must be lower-case letters, digits and hyphens")
                    continue
                }
                if let owner = lessonOwners[lesson] {
                    module.error("lessons", "lesson '\(lesson)' is listed twice (already in module '\(owner)')")
                    continue
                }
                lessonOwners[lesson] = id ?? "?"
                lessons.append(LessonID(rawValue: lesson))
            }
            guard let id else { continue }
            if modules.contains(where: { $0.id.rawValue == id }) {
                module.error("id", "module id '\(id)' is used twice in this course")
                continue
            }
            moduleLines[ModuleID(rawValue: id)] = module.lineOf("lessons")
            modules.append(Module(id: ModuleID(rawValue: id), title: title, summary: summary, lessonIDs: lessons, status: status))
        }
        return modules
    }

    func readCredential(_ fields: YAMLFields, skills: Set<SkillID>) -> CredentialDefinition? {
        guard let node = fields.node("credential"), let credential = fields.source.fields(node, what: "the credential") else {
            return nil
        }
        credential.rejectUnknown(["id", "title", "description", "criteria", "valid_for_days", "skills"])
        var credentialSkills = Array(skills).sorted()
        if let named = credential.strings("skills", required: false) {
            credentialSkills = named.map { SkillID(rawValue: $0) }
            for skill in credentialSkills where !skills.contains(skill) {
                credential.error("skills", "credential names skill '\(skill)', which the course does not define")
            }
        }
        return credential.credentialDefinition(skills: credentialSkills)
    }

    func readExam(_ fields: YAMLFields, skills: Set<SkillID>, modules: Set<ModuleID>) -> ExamBlueprint? {
        guard let node = fields.node("exam"), let exam = fields.source.fields(node, what: "the exam blueprint") else {
            return nil
        }
        exam.rejectUnknown([
            "time_limit_minutes", "min_items", "max_items", "pass_rule", "attempts_allowed", "cooldown_hours", "areas", "requires",
        ])
        let timeLimit = exam.int("time_limit_minutes", in: 1...600)
        let minItems = exam.int("min_items", in: 1...1000)
        let maxItems = exam.int("max_items", in: 1...1000)
        if let minItems, let maxItems, minItems > maxItems {
            exam.error("max_items", "max_items (\(maxItems)) is less than min_items (\(minItems))")
        }
        let attempts = exam.int("attempts_allowed", in: 1...100)
        let cooldown = exam.int("cooldown_hours", in: 0...8760)

        var passPercent: Int?
        var cutTheta: Double?
        if let passNode = exam.node("pass_rule"), let pass = exam.source.fields(passNode, what: "the pass rule") {
            pass.rejectUnknown(["percent_correct", "cut_theta"])
            passPercent = pass.int("percent_correct", in: 1...100)
            cutTheta = pass.double("cut_theta", required: false)
            if let cutTheta, abs(cutTheta) > 4 {
                pass.error("cut_theta", "cut_theta \(cutTheta) is outside the ability scale's usual range -4...4")
            }
        }

        var areas: [ExamBlueprint.Area] = []
        var proportionTotal = 0.0
        var itemTotal = 0
        for areaNode in exam.sequence("areas") ?? [] {
            guard let area = exam.source.fields(areaNode, what: "an exam area") else { continue }
            area.rejectUnknown(["skill", "items", "proportion"])
            let skill = area.string("skill")
            let share: ExamBlueprint.Share?
            switch (area.has("items"), area.has("proportion")) {
            case (true, false):
                share = area.int("items", in: 1...1000).map { .items($0) }
                if case let .items(count)? = share { itemTotal += count }
            case (false, true):
                let value = area.double("proportion")
                if let value, !(value > 0 && value <= 1) {
                    area.error("proportion", "proportion \(value) must be more than 0 and at most 1")
                }
                share = value.map { .proportion($0) }
                proportionTotal += value ?? 0
            case (true, true):
                area.error("proportion", "an exam area takes 'items' or 'proportion', not both")
                share = nil
            case (false, false):
                area.error(nil, "an exam area needs 'items' (a count) or 'proportion' (a share of the exam)")
                share = nil
            }
            guard let skill, let share else { continue }
            let skillID = SkillID(rawValue: skill)
            if !skills.contains(skillID) {
                area.error("skill", "exam area names skill '\(skill)', which the course does not define")
            }
            if areas.contains(where: { $0.skill == skillID }) {
                area.error("skill", "skill '\(skill)' has two exam areas; merge them")
            }
            areas.append(.init(skill: skillID, share: share))
        }
        let usesProportions = areas.contains { if case .proportion = $0.share { true } else { false } }
        let usesCounts = areas.contains { if case .items = $0.share { true } else { false } }
        if usesProportions && usesCounts {
            exam.error("areas", "exam areas mix 'items' and 'proportion'; use one or the other for every area")
        } else if usesProportions, abs(proportionTotal - 1) > 0.011 {
            exam.error("areas", "exam area proportions add up to \(String(format: "%.2f", proportionTotal)); they must add up to 1")
        } else if usesCounts, let minItems, let maxItems, !(minItems...maxItems).contains(itemTotal) {
            exam.error("areas", "exam areas ask for \(itemTotal) items in all, outside min_items...max_items (\(minItems)...\(maxItems))")
        }

        var requires = ExamBlueprint.Requirement.allModules
        if let requiresNode = exam.node("requires", required: false),
           let requirement = exam.source.fields(requiresNode, what: "the exam's requirements") {
            requirement.rejectUnknown(["modules_completed"])
            if let value = requirement.node("modules_completed") {
                if value.scalar?.string == "all" {
                    requires = .allModules
                } else if let listed = requirement.strings("modules_completed") {
                    let ids = listed.map { ModuleID(rawValue: $0) }
                    for module in ids where !modules.contains(module) {
                        requirement.error("modules_completed", "exam requires module '\(module)', which the course does not define")
                    }
                    requires = .modules(ids)
                }
            }
        }

        guard let timeLimit, let minItems, let maxItems, let passPercent, let attempts, let cooldown else { return nil }
        return ExamBlueprint(
            timeLimitMinutes: timeLimit, minItems: minItems, maxItems: maxItems, passPercent: passPercent, cutTheta: cutTheta,
            attemptsAllowed: attempts, cooldownHours: cooldown, areas: areas, requires: requires
        )
    }

    // MARK: lessons

    func readLessons(modules: [Module], skills: Set<SkillID>) -> [LessonID: Lesson] {
        let lessonsFolder = path("lessons")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: lessonsFolder)) ?? []).filter { $0.hasSuffix(".md") }.sorted()
        var lessons: [LessonID: Lesson] = [:]
        let existing = Set(files.map { LessonID(rawValue: String($0.dropLast(3))) })
        for file in files {
            let lessonPath = CourseLoader.join(lessonsFolder, file)
            guard let text = readText(lessonPath),
                  let lesson = LessonParser(path: lessonPath, sink: sink, reader: self)
                    .parse(text, skills: skills, expectedID: String(file.dropLast(3)))
            else { continue }
            lessons[lesson.id] = lesson
        }
        let listed = Set(modules.flatMap(\.lessonIDs))
        for module in modules {
            let line = moduleLines[module.id] ?? 1
            // A file that exists but failed to parse has its own errors already.
            for lesson in module.lessonIDs where lessons[lesson] == nil && !existing.contains(lesson) {
                if module.status == .planned {
                    sink.note(path("course.yaml"), line, "module '\(module.id)' is planned; lesson '\(lesson)' is not written yet")
                } else {
                    sink.error(path("course.yaml"), line, "module '\(module.id)' lists lesson '\(lesson)', but there is no lessons/\(lesson).md")
                }
            }
        }
        for (id, lesson) in lessons where !listed.contains(id) {
            sink.warning(lesson.sourcePath, 1, "lesson '\(id)' is not listed in any module of course.yaml, so learners never see it")
        }
        return lessons
    }

    // MARK: items

    /// The YAML files in a folder of the course, sorted; none when the folder is absent.
    func yamlFiles(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    }

    func readItems(skills: Set<SkillID>) -> [Interaction] {
        let itemsFolder = path("items")
        let files = yamlFiles(in: itemsFolder)
        var items: [Interaction] = []
        for file in files {
            let itemPath = CourseLoader.join(itemsFolder, file)
            guard let text = readText(itemPath) else { continue }
            let source = YAMLSource(file: itemPath, lineOffset: 0, sink: sink)
            guard let root = source.parse(text, what: "the item file"), let fields = source.fields(root, what: "the item file") else {
                continue
            }
            fields.rejectUnknown(["items"])
            for node in fields.sequence("items") ?? [] {
                if let item = readInteraction(node, kind: .item, source: source, skills: skills) {
                    items.append(item)
                }
            }
        }
        return items
    }

    // MARK: anchor sets

    func readAnchors(interactions: [Interaction]) -> [InteractionID: AnchorSet] {
        let folder = path("anchors")
        let files = yamlFiles(in: folder)
        let byID = Dictionary(interactions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var sets: [InteractionID: AnchorSet] = [:]
        for file in files {
            let anchorPath = CourseLoader.join(folder, file)
            guard let text = readText(anchorPath) else { continue }
            let source = YAMLSource(file: anchorPath, lineOffset: 0, sink: sink)
            guard let root = source.parse(text, what: "the anchor set"), let fields = source.fields(root, what: "the anchor set") else {
                continue
            }
            fields.rejectUnknown(["interaction", "scorer", "responses"])
            let scorer = fields.string("scorer", required: false)
            guard let name = fields.string("interaction") else { continue }
            let expected = String(file.prefix { $0 != "." })
            if name != expected {
                fields.error("interaction", "anchor file '\(file)' holds answers for '\(name)'; name the file \(name).yaml")
            }
            guard let interaction = byID[InteractionID(rawValue: name)] else {
                fields.error("interaction", "anchor set names '\(name)', which is no check, task or item of this course")
                continue
            }
            guard let rubric = interaction.content.rubric else {
                fields.error("interaction", "'\(name)' is a \(interaction.type.rawValue); anchor sets are for short_text and prompt_writing rubrics")
                continue
            }
            let total = rubric.reduce(0) { $0 + $1.points }
            var responses: [AnchorSet.Response] = []
            for node in fields.sequence("responses") ?? [] {
                guard let entry = source.fields(node, what: "an anchor response") else { continue }
                entry.rejectUnknown(["id", "response", "score", "criteria", "rationale"])
                let id = entry.string("id")
                let response = entry.string("response")
                let score = entry.int("score", in: 0...total)
                let rationale = entry.string("rationale")
                let criteria = readAnchorCriteria(entry, rubric: rubric, score: score)
                guard let id, let response, let score, let rationale else { continue }
                if responses.contains(where: { $0.id == id }) {
                    entry.error("id", "anchor response id '\(id)' is used twice in this set")
                    continue
                }
                responses.append(.init(id: id, response: response, score: score, criteria: criteria, rationale: rationale))
            }
            if responses.count < 10 {
                sink.warning(anchorPath, fields.lineOf("responses"), "anchor set for '\(name)' has \(responses.count) scored answers; agreement needs at least 10")
            }
            let scores = responses.map(\.score)
            if !responses.isEmpty, (scores.min() ?? 0) > 1 || (scores.max() ?? 0) < total {
                sink.warning(anchorPath, fields.lineOf("responses"), "anchor set for '\(name)' scores from \(scores.min() ?? 0) to \(scores.max() ?? 0) of \(total); include a weak answer (0 or 1) and a full-marks one")
            }
            sets[interaction.id] = AnchorSet(interaction: interaction.id, scorer: scorer, responses: responses)
        }
        return sets
    }

    func readAnchorCriteria(_ entry: YAMLFields, rubric: [RubricCriterion], score: Int?) -> [String: Int]? {
        guard let node = entry.node("criteria", required: false) else { return nil }
        guard let mapping = node.mapping else {
            entry.error("criteria", "criteria must map each rubric criterion id to the points awarded")
            return nil
        }
        var points: [String: Int] = [:]
        for (key, value) in mapping {
            guard let id = key.scalar?.string, let awarded = value.scalar.flatMap({ Int($0.string) }) else {
                entry.error("criteria", "criteria must map criterion ids to whole numbers of points")
                continue
            }
            guard let criterion = rubric.first(where: { $0.id == id }) else {
                entry.error("criteria", "criterion '\(id)' is not in the rubric; its criteria are: \(rubric.map(\.id).joined(separator: ", "))")
                continue
            }
            guard (0...criterion.points).contains(awarded) else {
                entry.error("criteria", "criterion '\(id)' is worth \(criterion.points) point\(criterion.points == 1 ? "" : "s"), not \(awarded)")
                continue
            }
            points[id] = awarded
        }
        let total = points.values.reduce(0, +)
        if let score, points.count == mapping.count, total != score {
            entry.error("score", "score is \(score) but the criteria add up to \(total)")
        }
        return points
    }

    // MARK: interactions

    func readInteraction(_ node: Node, kind: Interaction.Kind, source: YAMLSource, skills: Set<SkillID>) -> Interaction? {
        let what = kind == .item ? "an exam item" : "a \(kind.rawValue)"
        guard let fields = source.fields(node, what: what) else { return nil }
        let id = checkedID(fields, "id", what: kind.rawValue)
        let label = id.map { "\(kind.rawValue) '\($0)'" } ?? what
        let type = fields.enumValue("type", InteractionType.self)

        fields.what = label
        var allowed = ["id", "type", "skill", "skills", "prompt", "explanation", "hints"]
        if kind == .item { allowed += ["status", "difficulty", "irt"] }
        // With an unknown type, accept every type's keys so only the type itself is reported.
        allowed += type.map { Self.typeKeys[$0] ?? [] } ?? Array(Set(Self.typeKeys.values.joined()))
        fields.rejectUnknown(allowed)
        let typed = fields
        let skillList = readInteractionSkills(typed, skills: skills)
        let prompt = typed.string("prompt") ?? ""
        let explanation = typed.string("explanation", required: false)
        let hints = typed.strings("hints", required: false) ?? []
        if hints.count > 3 {
            typed.error("hints", "\(label) has \(hints.count) hints; give at most three (nudge, specific, worked example)")
        }
        var status: Interaction.Status?
        var difficulty: Interaction.Difficulty?
        var irt: IRTParameters?
        if kind == .item {
            status = typed.enumValue("status", Interaction.Status.self, required: false) ?? .pilot
            difficulty = typed.enumValue("difficulty", Interaction.Difficulty.self, required: false)
        }
        guard let type, let content = readContent(type, typed, label: label) else { return nil }
        if kind == .item { irt = readIRT(typed, content: content) }
        guard let id else { return nil }
        if let first = interactionSites[id] {
            typed.error("id", "id '\(id)' is used twice in this course (first at \(first))")
            return nil
        }
        interactionSites[id] = "\(source.file):\(typed.lineOf("id"))"
        return Interaction(
            id: InteractionID(rawValue: id), kind: kind, skills: skillList, prompt: prompt, explanation: explanation,
            hints: hints, content: content, status: status, difficulty: difficulty, irt: irt, file: source.file, line: typed.line
        )
    }

    static let typeKeys: [InteractionType: [String]] = [
        .singleChoice: ["options", "answer"],
        .multipleChoice: ["options", "answers"],
        .numeric: ["answer", "tolerance", "unit"],
        .ordering: ["options", "answer"],
        .matching: ["pairs_left", "pairs_right", "answer"],
        .shortText: ["rubric", "reference"],
        .promptWriting: ["scenario", "rubric", "reference"],
        .critique: ["material", "errors"],
        .redaction: ["material", "spans"],
    ]

    static let redactionKinds = ["name", "email", "phone", "address", "id_number", "date_of_birth", "account", "other"]

    func readInteractionSkills(_ fields: YAMLFields, skills: Set<SkillID>) -> [SkillID] {
        let key: String
        switch (fields.has("skill"), fields.has("skills")) {
        case (true, true):
            fields.error("skills", "\(fields.what) has both 'skill' and 'skills'; use one")
            return []
        case (false, false):
            fields.error(nil, "\(fields.what) is missing required key 'skill' (the skill id it gives evidence for)")
            return []
        case (true, false): key = "skill"
        case (false, true): key = "skills"
        }
        let names = fields.strings(key, allowSingle: key == "skill") ?? []
        var result: [SkillID] = []
        for name in names {
            let skill = SkillID(rawValue: name)
            if !skills.contains(skill) {
                fields.error(key, "\(fields.what) names skill '\(name)', which course.yaml does not define")
            }
            if result.contains(skill) {
                // One answer is one observation of a skill; counting it twice would trace it twice.
                fields.error(key, "\(fields.what) names skill '\(name)' twice; list each skill once")
                continue
            }
            result.append(skill)
        }
        return result
    }

    func readIRT(_ fields: YAMLFields, content: InteractionContent) -> IRTParameters? {
        guard let node = fields.node("irt", required: false), let irt = fields.source.fields(node, what: "the IRT parameters") else {
            return nil
        }
        irt.rejectUnknown(["model", "a", "b", "c"])
        let model = irt.enumValue("model", IRTParameters.Model.self)
        let a = irt.double("a")
        let c = irt.double("c", required: model == .threePL)
        if let a, a <= 0 { irt.error("a", "discrimination a must be positive, not \(a)") }
        if let c, !(0..<1).contains(c) { irt.error("c", "guessing c must be at least 0 and below 1, not \(c)") }
        if model == .twoPL, c != nil { irt.error("c", "a 2pl item has no guessing parameter; remove c or use model: 3pl") }
        let rubricPoints: Int? = switch content {
        case let .shortText(rubric, _), let .promptWriting(_, rubric, _): rubric.reduce(0) { $0 + $1.points }
        default: nil
        }
        var b: [Double]?
        if model == .graded {
            if c != nil { irt.error("c", "a grm item has no guessing parameter; remove c") }
            guard let points = rubricPoints else {
                irt.error("model", "grm is for rubric-scored items (short_text, prompt_writing); use 2pl or 3pl")
                return nil
            }
            if let nodes = irt.sequence("b") {
                let values = nodes.compactMap { $0.scalar.flatMap { Double($0.string) } }.filter(\.isFinite)
                if values.count != nodes.count {
                    irt.error("b", "every threshold in b must be a number")
                } else if values.count != points {
                    irt.error("b", "a grm item has one threshold per score step: \(points) for this rubric's \(points) points, not \(values.count)")
                } else if zip(values, values.dropFirst()).contains(where: { $0 >= $1 }) {
                    irt.error("b", "the thresholds in b must increase")
                } else {
                    b = values
                }
            }
        } else if let single = irt.double("b") {
            b = [single]
        }
        guard let model, let a, let b else { return nil }
        return IRTParameters(model: model, a: a, b: b, c: c)
    }

    func readChoices(_ fields: YAMLFields, _ key: String, minimum: Int) -> [Choice]? {
        guard let nodes = fields.sequence(key) else { return nil }
        var choices: [Choice] = []
        for node in nodes {
            guard let option = fields.source.fields(node, what: "an option of \(fields.what)") else { continue }
            option.rejectUnknown(["id", "text", "feedback"])
            guard let id = option.string("id"), let text = option.string("text") else { continue }
            if choices.contains(where: { $0.id == id }) {
                option.error("id", "option id '\(id)' is used twice in \(fields.what)")
                continue
            }
            choices.append(Choice(id: id, text: text, feedback: option.string("feedback", required: false)))
        }
        if choices.count < minimum {
            fields.error(key, "\(fields.what) needs at least \(minimum) entries in '\(key)', found \(choices.count)")
        }
        return choices
    }

    func readRubric(_ fields: YAMLFields) -> [RubricCriterion]? {
        guard let nodes = fields.sequence("rubric") else { return nil }
        var criteria: [RubricCriterion] = []
        for node in nodes {
            guard let criterion = fields.source.fields(node, what: "a rubric criterion of \(fields.what)") else { continue }
            criterion.rejectUnknown(["id", "description", "points", "check", "feedback_met", "feedback_unmet"])
            let id = criterion.string("id")
            let description = criterion.string("description")
            let points = criterion.int("points", in: 1...100)
            let check = readCheck(criterion)
            let met = criterion.string("feedback_met", required: false)
            let unmet = criterion.string("feedback_unmet", required: false)
            guard let id, let description, let points else { continue }
            if criteria.contains(where: { $0.id == id }) {
                criterion.error("id", "rubric criterion '\(id)' is used twice in \(fields.what)")
                continue
            }
            criteria.append(RubricCriterion(id: id, description: description, points: points, check: check, feedbackMet: met, feedbackUnmet: unmet))
        }
        return criteria
    }

    func readCheck(_ criterion: YAMLFields) -> RubricCheck? {
        guard let node = criterion.node("check", required: false), let check = criterion.source.fields(node, what: "a rubric check") else {
            return nil
        }
        let kinds = ["contains_any", "contains_all", "must_not_contain", "regex", "min_words", "max_words", "words_between", "no_personal_data"]
        check.rejectUnknown(kinds)
        let present = kinds.filter(check.has)
        guard present.count == 1, let kind = present.first else {
            check.error(nil, "a rubric check takes exactly one of: \(kinds.joined(separator: ", ")); found \(present.isEmpty ? "none" : present.joined(separator: ", "))")
            return nil
        }
        switch kind {
        case "contains_any": return check.strings(kind).map(RubricCheck.containsAny)
        case "contains_all": return check.strings(kind).map(RubricCheck.containsAll)
        case "must_not_contain": return check.strings(kind).map(RubricCheck.mustNotContain)
        case "regex":
            guard let pattern = check.string(kind) else { return nil }
            do {
                _ = try NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
            } catch {
                check.error(kind, "regex '\(pattern)' does not compile; check its brackets and escapes (write \\\\b for \\b in double quotes)")
                return nil
            }
            return .regex(pattern)
        case "min_words": return check.int(kind, in: 0...100_000).map(RubricCheck.minWords)
        case "max_words": return check.int(kind, in: 1...100_000).map(RubricCheck.maxWords)
        case "no_personal_data":
            guard check.string(kind) == "true" else {
                check.error(kind, "no_personal_data takes the value true")
                return nil
            }
            return .noPersonalData
        default:
            let texts = check.strings(kind) ?? []
            let bounds = texts.compactMap { Int($0) }
            guard texts.count == 2, bounds.count == 2, bounds[0] <= bounds[1] else {
                check.error(kind, "words_between takes two whole numbers [MIN, MAX] with MIN <= MAX")
                return nil
            }
            return .wordsBetween(bounds[0], bounds[1])
        }
    }

    func readSpans(_ fields: YAMLFields, _ key: String, material: String?, labelKey: String, allowedLabels: [String]?) -> [QuotedSpan]? {
        guard let nodes = fields.sequence(key) else { return nil }
        var spans: [QuotedSpan] = []
        for node in nodes {
            guard let span = fields.source.fields(node, what: "an entry of '\(key)' in \(fields.what)") else { continue }
            span.rejectUnknown(["quote", labelKey])
            guard let quote = span.string("quote"), let label = span.string(labelKey) else { continue }
            if let material, !material.contains(quote) {
                span.error("quote", "quote '\(quote)' is not verbatim in the material of \(fields.what); copy it exactly")
                continue
            }
            if let allowedLabels, !allowedLabels.contains(label) {
                span.error(labelKey, "\(labelKey) '\(label)' is not one of: \(allowedLabels.joined(separator: ", "))")
                continue
            }
            spans.append(QuotedSpan(quote: quote, label: label))
        }
        return spans
    }

    func readContent(_ type: InteractionType, _ fields: YAMLFields, label: String) -> InteractionContent? {
        switch type {
        case .singleChoice:
            guard let options = readChoices(fields, "options", minimum: 2), let answer = fields.string("answer") else { return nil }
            guard options.contains(where: { $0.id == answer }) else {
                fields.error("answer", "answer '\(answer)' of \(label) names no option; options are: \(options.map(\.id).joined(separator: ", "))")
                return nil
            }
            return .singleChoice(options: options, answer: answer)
        case .multipleChoice:
            guard let options = readChoices(fields, "options", minimum: 2), let answers = fields.strings("answers") else { return nil }
            if Set(answers).count != answers.count {
                fields.error("answers", "answers of \(label) list an option twice")
                return nil
            }
            for answer in answers where !options.contains(where: { $0.id == answer }) {
                fields.error("answers", "answer '\(answer)' of \(label) names no option; options are: \(options.map(\.id).joined(separator: ", "))")
                return nil
            }
            return .multipleChoice(options: options, answers: answers)
        case .numeric:
            guard let answer = fields.double("answer"), let tolerance = fields.double("tolerance") else { return nil }
            guard tolerance >= 0 else {
                fields.error("tolerance", "tolerance of \(label) must be zero or more, not \(tolerance)")
                return nil
            }
            return .numeric(answer: answer, tolerance: tolerance, unit: fields.string("unit", required: false))
        case .ordering:
            guard let options = readChoices(fields, "options", minimum: 2), let answer = fields.strings("answer") else { return nil }
            guard answer.sorted() == options.map(\.id).sorted() else {
                fields.error("answer", "answer of \(label) must list every option id exactly once, in the right order")
                return nil
            }
            return .ordering(options: options, answer: answer)
        case .matching:
            guard let left = readChoices(fields, "pairs_left", minimum: 2), let right = readChoices(fields, "pairs_right", minimum: 2),
                  let node = fields.node("answer")
            else { return nil }
            guard let mapping = node.mapping else {
                fields.error("answer", "answer of \(label) must map each left id to a right id, e.g. {a: x, b: y}")
                return nil
            }
            var answer: [String: String] = [:]
            for (key, value) in mapping {
                guard let l = key.scalar?.string, let r = value.scalar?.string else {
                    fields.error("answer", "answer of \(label) must map ids to ids, one pair per line")
                    continue
                }
                if answer[l] != nil {
                    fields.error("answer", "answer of \(label) maps '\(l)' twice")
                }
                if !left.contains(where: { $0.id == l }) { fields.error("answer", "answer of \(label) maps '\(l)', which is not in pairs_left") }
                if !right.contains(where: { $0.id == r }) { fields.error("answer", "answer of \(label) maps to '\(r)', which is not in pairs_right") }
                answer[l] = r
            }
            for entry in left where answer[entry.id] == nil {
                fields.error("answer", "answer of \(label) does not say what '\(entry.id)' matches")
            }
            return .matching(left: left, right: right, answer: answer)
        case .shortText:
            guard let rubric = readRubric(fields), let reference = fields.string("reference") else { return nil }
            return .shortText(rubric: rubric, reference: reference)
        case .promptWriting:
            guard let scenario = fields.string("scenario"), let rubric = readRubric(fields), let reference = fields.string("reference") else {
                return nil
            }
            return .promptWriting(scenario: scenario, rubric: rubric, reference: reference)
        case .critique:
            let material = fields.string("material")
            guard let errors = readSpans(fields, "errors", material: material, labelKey: "reason", allowedLabels: nil), let material else {
                return nil
            }
            return .critique(material: material, errors: errors)
        case .redaction:
            let material = fields.string("material")
            guard let spans = readSpans(fields, "spans", material: material, labelKey: "kind", allowedLabels: Self.redactionKinds),
                  let material
            else { return nil }
            return .redaction(material: material, spans: spans)
        }
    }
}

/// Splits a lesson file into front matter, prose and interactive blocks.
private struct LessonParser {
    let path: String
    let sink: DiagnosticSink
    let reader: CourseReader

    func parse(_ text: String, skills: Set<SkillID>, expectedID: String) -> Lesson? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---" else {
            sink.error(path, 1, "a lesson must start with YAML front matter between '---' lines (id, title, skills, minutes, objectives)")
            return nil
        }
        guard let end = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }) else {
            sink.error(path, 1, "the front matter is not closed; end it with a line holding only '---'")
            return nil
        }
        let source = YAMLSource(file: path, lineOffset: 1, sink: sink)
        guard let node = source.parse(lines[1..<end].joined(separator: "\n"), what: "the front matter"),
              let fields = source.fields(node, what: "the lesson front matter")
        else { return nil }
        fields.rejectUnknown(["id", "title", "skills", "minutes", "objectives", "summary"])
        let id = reader.checkedID(fields, "id", what: "lesson")
        if let id, id != expectedID {
            fields.error("id", "lesson id '\(id)' must equal the file name '\(expectedID)'")
        }
        let title = fields.string("title") ?? ""
        let lessonSkills = (fields.strings("skills", allowSingle: true) ?? []).map { SkillID(rawValue: $0) }
        for skill in lessonSkills where !skills.contains(skill) {
            fields.error("skills", "lesson names skill '\(skill)', which course.yaml does not define")
        }
        let minutes = fields.int("minutes", in: 1...240) ?? 0
        let objectives = fields.strings("objectives") ?? []
        let summary = fields.string("summary", required: false)

        let blocks = parseBody(lines, from: end + 1, skills: skills)
        guard let id else { return nil }
        if !blocks.contains(where: { if case let .markdown(text) = $0 { !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } else { false } }) {
            sink.warning(path, end + 2, "lesson '\(id)' has no text, only interactive blocks")
        }
        let relative = "lessons/" + URL(fileURLWithPath: path).lastPathComponent
        return Lesson(
            id: LessonID(rawValue: id), title: title, skills: lessonSkills, minutes: minutes, objectives: objectives,
            summary: summary, blocks: blocks, sourcePath: path.isEmpty ? relative : path
        )
    }

    /// Walks the Markdown body; ```check and ```task fences become interactions.
    private func parseBody(_ lines: [String], from start: Int, skills: Set<SkillID>) -> [LessonBlock] {
        var blocks: [LessonBlock] = []
        var prose: [String] = []
        var index = start
        func flushProse() {
            let text = prose.joined(separator: "\n")
            if !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { blocks.append(.markdown(text)) }
            prose = []
        }
        while index < lines.count {
            let line = lines[index]
            guard let fence = Fence(line) else {
                prose.append(line)
                index += 1
                continue
            }
            // Find the closing fence: same character, at least as long, nothing after it.
            var close = index + 1
            while close < lines.count, !fence.isClosedBy(lines[close]) { close += 1 }
            guard close < lines.count else {
                sink.error(path, index + 1, "the \(fence.info.isEmpty ? "code" : "'\(fence.info)'") block opened here is never closed; end it with \(fence.marker)")
                return blocks
            }
            let kind: Interaction.Kind? = fence.info == "check" ? .check : fence.info == "task" ? .task : nil
            if let kind {
                flushProse()
                let yaml = lines[(index + 1)..<close].joined(separator: "\n")
                let source = YAMLSource(file: path, lineOffset: index + 1, sink: sink)
                if let node = source.parse(yaml, what: "the \(kind.rawValue) block"),
                   let interaction = reader.readInteraction(node, kind: kind, source: source, skills: skills) {
                    blocks.append(.interaction(interaction))
                }
            } else {
                prose.append(contentsOf: lines[index...close])
            }
            index = close + 1
        }
        flushProse()
        return blocks
    }
}

/// An opening code fence: three or more backticks or tildes and an info word.
private struct Fence {
    let character: Character
    let length: Int
    let info: String
    var marker: String { String(repeating: character, count: length) }

    init?(_ line: String) {
        let trimmed = line.drop { $0 == " " }
        guard line.count - trimmed.count <= 3, let first = trimmed.first, first == "`" || first == "~" else { return nil }
        let run = trimmed.prefix { $0 == first }
        guard run.count >= 3 else { return nil }
        character = first
        length = run.count
        info = trimmed.dropFirst(run.count).trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
    }

    func isClosedBy(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.count >= length && trimmed.allSatisfy { $0 == character }
    }
}

