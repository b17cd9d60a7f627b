import CairnCore

// Every attempt stores its answer and its result as JSON; they are written here member by
// member (in the sorted order Cairn stores JSON in) rather than through `JSONEncoder`,
// which cost more than grading itself. The form is the one the `Codable` conformances read
// back, which `GradeJSONTests` checks.

extension GradeResult: JSONWritable {
    public func write(to out: inout JSONOutput) {
        out.object { out in
            out.member("criteria", criteria)
            out.member("maxScore", maxScore)
            out.member("overlap", overlap)
            out.member("passed", passed)
            out.member("score", score)
        }
    }
}

extension CriterionOutcome: JSONWritable {
    public func write(to out: inout JSONOutput) {
        out.object { out in
            out.member("awarded", awarded)
            out.member("description", description)
            out.member("evidence", evidence)
            out.member("feedback", feedback)
            out.member("id", id)
            out.member("points", points)
            out.member("status", status.rawValue)
        }
    }
}

extension Evidence: JSONWritable {
    public func write(to out: inout JSONOutput) {
        out.object { out in
            out.member("context", context)
            out.member("kind", kind.rawValue)
            out.member("span", span)
            out.member("text", text)
        }
    }
}

extension CharacterSpan: JSONWritable {
    public func write(to out: inout JSONOutput) {
        out.object { out in
            out.member("end", end)
            out.member("start", start)
        }
    }
}

extension SpanOverlap: JSONWritable {
    public func write(to out: inout JSONOutput) {
        out.object { out in
            out.member("f1", f1)
            out.member("precision", precision)
            out.member("recall", recall)
        }
    }
}

extension Answer: JSONWritable {
    public func write(to out: inout JSONOutput) {
        out.object { out in
            switch self {
            case let .choice(value): out.member("choice", value)
            case let .choices(values): out.member("choices", values)
            case let .number(value): out.member("number", value)
            case let .order(values): out.member("order", values)
            case let .matches(pairs):
                out.key("matches")
                out.object { out in
                    // In the order of their UTF-8 bytes, as JSONEncoder sorts keys.
                    for (left, right) in pairs.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) { out.member(left, right) }
                }
            case let .text(value): out.member("text", value)
            case let .spans(spans): out.member("spans", spans)
            }
        }
    }
}
