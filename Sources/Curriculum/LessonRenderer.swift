import Ink

/// Turns lesson Markdown into HTML.
///
/// Course text is written by the course's authors and reviewed like code, so raw HTML in
/// it is passed through; learner and model text never goes through here (it is escaped
/// by the templates).
public struct LessonRenderer: Sendable {
    public init() {}

    public func html(_ markdown: String) -> String {
        MarkdownParser().html(from: markdown)
    }
}
