import CairnCore

// A chat message is stored as JSON each time the tutor or the learner says something; it
// is written here member by member (in the sorted order Cairn stores JSON in) rather than
// through `JSONEncoder`, which took a fifth of a graded answer's time. The form is the one
// the synthesized `Codable` conformances read back, which `TutorMessageJSONTests` checks.

extension TutorMessage: JSONWritable {
    public func write(to out: inout JSONOutput) {
        out.object { out in
            out.key("actions")
            out.array(actions) { $0.string($1.rawValue) }
            out.key("blocks")
            out.array(blocks) { $1.write(to: &$0) }
            out.member("interaction", interaction)
            out.member("kind", kind.rawValue)
        }
    }
}

extension Block: JSONWritable {
    public func write(to out: inout JSONOutput) {
        switch self {
        case let .courseMarkdown(text): out.enumCase("courseMarkdown") { $0.member("_0", text) }
        case let .paragraph(inlines): out.enumCase("paragraph") { $0.member("_0", inlines) }
        case let .bullets(items):
            out.enumCase("bullets") { out in
                out.key("_0")
                out.array(items) { out, item in out.array(item) { $1.write(to: &$0) } }
            }
        case let .heading(text): out.enumCase("heading") { $0.member("_0", text) }
        }
    }
}

extension Inline: JSONWritable {
    public func write(to out: inout JSONOutput) {
        switch self {
        case let .text(text): out.enumCase("text") { $0.member("_0", text) }
        case let .strong(text): out.enumCase("strong") { $0.member("_0", text) }
        case let .learnerWords(text): out.enumCase("learnerWords") { $0.member("_0", text) }
        case let .lessonLink(title, lesson, anchor):
            out.enumCase("lessonLink") { out in
                out.member("anchor", anchor)
                out.member("lesson", lesson)
                out.member("title", title)
            }
        case let .practiceLink(title, lesson, interaction):
            out.enumCase("practiceLink") { out in
                out.member("interaction", interaction)
                out.member("lesson", lesson)
                out.member("title", title)
            }
        }
    }
}
