import AppServices
import CairnCore
import Curriculum
import Foundation
import Grading
import Tutoring

/// Escapes text for HTML element content and attribute values.
enum HTML {
    /// Escapes `& < > " '`. Works on UTF-8 bytes: the five are ASCII, and no byte of a
    /// multi-byte UTF-8 sequence is ASCII. Text without them (most of it) comes back as is.
    static func escape(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 16)
        for byte in utf8 {
            switch byte {
            case 0x26: out += Array("&amp;".utf8)
            case 0x3C: out += Array("&lt;".utf8)
            case 0x3E: out += Array("&gt;".utf8)
            case 0x22: out += Array("&quot;".utf8)
            case 0x27: out += Array("&#39;".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Renders chat messages to HTML fragments: the same fragment goes into the page and into
/// the server-sent events that append a reply. Learner text is escaped everywhere; only
/// course Markdown (written and reviewed by authors) is rendered as Markdown.
///
/// Written in Swift rather than a template because messages are recursive structures
/// (blocks of inline pieces) and each task type has its own widget.
struct ChatRenderer {
    let course: Course
    let lesson: Lesson
    let tasks: [InteractionID: LearningService.TaskStatus]
    let markdown = LessonRenderer()

    var chatAction: String { Paths.chat(course.id, lesson.id) }

    /// The kinds of message a language model writes (shown after the built-in feedback, with no actions).
    static let modelKinds: Set<TutorMessage.Kind> = [.coaching, .practice]

    func html(_ entry: LearningService.Entry, showActions: Bool) -> String {
        let message = entry.message
        let author = entry.record.author == .tutor ? "tutor" : "learner"
        var out = "<li class=\"msg \(author) kind-\(message.kind.rawValue)\" id=\"m\(entry.record.sequence)\" data-seq=\"\(entry.record.sequence)\">"
        out += "<p class=\"who\">\(author == "tutor" ? "Tutor" : "You")</p><div class=\"bubble\">"
        for block in message.blocks { out += html(block) }
        if message.kind == .task, let id = message.interaction, let interaction = lesson.interactions.first(where: { $0.id == id }) {
            out += widget(interaction, prefix: "m\(entry.record.sequence)")
        }
        out += "</div>"
        // A task's widget has its own hint button, and the composer always offers Continue.
        let actions = message.actions.filter { $0 != .continue && ($0 != .hint || message.kind != .task) }
        if showActions, !actions.isEmpty {
            out += "<div class=\"actions\">"
            for action in actions { out += button(action, interaction: message.interaction) }
            out += "</div>"
        }
        out += "</li>"
        return out
    }

    func button(_ action: Action, interaction: InteractionID?) -> String {
        let label: String
        switch action {
        case .continue: label = "Continue"
        case .hint: label = "Get a hint"
        case .showText: label = "Show the lesson text"
        }
        var form = "<form method=\"post\" action=\"\(chatAction)\" data-chat class=\"inline\">"
        form += "<input type=\"hidden\" name=\"action\" value=\"\(action.rawValue)\">"
        if let interaction { form += "<input type=\"hidden\" name=\"interaction\" value=\"\(HTML.escape(interaction.rawValue))\">" }
        form += "<button type=\"submit\" class=\"\(action == .continue ? "button" : "button secondary")\">\(label)</button></form>"
        return form
    }

    func html(_ block: Block) -> String {
        switch block {
        case let .courseMarkdown(text):
            return "<div class=\"prose\">" + Self.anchoredHeadings(markdown.html(text)) + "</div>"
        case let .paragraph(inlines):
            return "<p>" + inlines.map(html).joined() + "</p>"
        case let .bullets(items):
            return "<ul>" + items.map { "<li>" + $0.map(html).joined() + "</li>" }.joined() + "</ul>"
        case let .heading(text):
            return "<h3>" + HTML.escape(text) + "</h3>"
        }
    }

    func html(_ inline: Inline) -> String {
        switch inline {
        case let .text(text): HTML.escape(text)
        case let .strong(text): "<strong>" + HTML.escape(text) + "</strong>"
        case let .learnerWords(text): "<q class=\"learner-words\">" + HTML.escape(text) + "</q>"
        case let .lessonLink(title, lesson, anchor):
            "<a href=\"" + HTML.escape(Paths.lessonText(course.id, lesson) + (anchor.map { "#" + $0 } ?? "")) + "\">" + HTML.escape(title) + "</a>"
        case let .practiceLink(title, lesson, interaction):
            "<a href=\"" + HTML.escape(Paths.lesson(course.id, lesson) + "?practise=" + interaction.rawValue) + "\">" + HTML.escape(title) + "</a>"
        }
    }

    /// Gives each `<h2>` of rendered course text the id that links from tutor replies point to.
    static func anchoredHeadings(_ html: String) -> String {
        var out = ""
        var rest = Substring(html)
        while let open = rest.range(of: "<h2>") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "</h2>") else { break }
            let inner = rest[open.upperBound..<close.lowerBound]
            let text = inner.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
            out += "<h2 id=\"" + CourseIndex.slug(decodeEntities(text)) + "\">" + inner + "</h2>"
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    static func decodeEntities(_ text: String) -> String {
        text.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
    }

    // MARK: task widgets

    func widget(_ interaction: Interaction, prefix: String) -> String {
        let status = tasks[interaction.id]
        let kind = interaction.kind == .check ? "Check" : "Task"
        var out = "<form method=\"post\" action=\"\(chatAction)\" data-chat class=\"widget \(interaction.type.rawValue)\">"
        out += "<input type=\"hidden\" name=\"interaction\" value=\"\(HTML.escape(interaction.id.rawValue))\">"
        out += "<p class=\"kind\"><span class=\"tag\">\(kind)</span> \(HTML.escape(interaction.type.displayName))"
        if let status {
            out += status.passed ? " <span class=\"done\">✓ passed</span>"
                : " <span class=\"tries\">\(status.attempts) \(status.attempts == 1 ? "try" : "tries") so far</span>"
        }
        out += "</p>"
        let check = "<button type=\"submit\" name=\"action\" value=\"answer\" class=\"button\">Check my answer</button>"
        var previous: String?
        if case let .text(text)? = tasks[interaction.id]?.lastAnswer { previous = text }
        let fields = AnswerFields(markdown: markdown).html(interaction, prefix: prefix, previousText: previous, choicesSubmit: true)
        out += fields.html
        out += "<div class=\"widget-actions\">"
        if fields.needsSubmit { out += check }
        if !interaction.hints.isEmpty {
            out += "<button type=\"submit\" name=\"action\" value=\"hint\" formnovalidate class=\"button secondary\">Get a hint</button>"
        }
        out += "</div></form>"
        return out
    }
}

/// The inputs of a task's answer form, for every task type: shared by the chat's task
/// widgets and the exam's item page. Holds no keys: only what the learner must see.
struct AnswerFields {
    let markdown: LessonRenderer

    /// - Parameters:
    ///   - previousText: a written answer to put back in the text area for revision.
    ///   - choicesSubmit: single-choice options are submit buttons (one click answers);
    ///     otherwise radio buttons, answered with the form's own submit button.
    /// - Returns: the HTML, and whether the form needs a submit button of its own.
    func html(_ interaction: Interaction, prefix: String, previousText: String?, choicesSubmit: Bool) -> (html: String, needsSubmit: Bool) {
        var out = ""
        var needsSubmit = true
        switch interaction.content {
        case let .singleChoice(options, _):
            if choicesSubmit {
                needsSubmit = false
                out += "<div class=\"choices\" role=\"group\" aria-label=\"Options\">"
                for option in options {
                    out += "<button type=\"submit\" name=\"choice\" value=\"\(HTML.escape(option.id))\" class=\"option\">\(HTML.escape(option.text))</button>"
                }
                out += "</div>"
            } else {
                out += "<fieldset class=\"radios\"><legend>Your answer</legend>"
                for option in options {
                    let id = "\(prefix)-\(option.id)"
                    out += "<div class=\"check\"><input type=\"radio\" required id=\"\(HTML.escape(id))\" name=\"choice\" value=\"\(HTML.escape(option.id))\">"
                    out += "<label for=\"\(HTML.escape(id))\">\(HTML.escape(option.text))</label></div>"
                }
                out += "</fieldset>"
            }
        case let .multipleChoice(options, _):
            out += "<fieldset class=\"checks\"><legend>Tick all that apply</legend>"
            for option in options {
                let id = "\(prefix)-\(option.id)"
                out += "<div class=\"check\"><input type=\"checkbox\" id=\"\(HTML.escape(id))\" name=\"choice\" value=\"\(HTML.escape(option.id))\">"
                out += "<label for=\"\(HTML.escape(id))\">\(HTML.escape(option.text))</label></div>"
            }
            out += "</fieldset>"
        case let .numeric(_, _, unit):
            let id = "\(prefix)-number"
            out += "<p class=\"field\"><label for=\"\(id)\">Your answer\(unit.map { " (in \(HTML.escape($0)))" } ?? "")</label>"
            out += "<input type=\"text\" inputmode=\"decimal\" autocomplete=\"off\" id=\"\(id)\" name=\"number\" maxlength=\"100\" required></p>"
        case let .ordering(options, _):
            out += "<fieldset class=\"ordering\"><legend>Number them from 1 (first) to \(options.count) (last)</legend><ol class=\"order-list\">"
            for (index, option) in options.enumerated() {
                let id = "\(prefix)-pos-\(option.id)"
                out += "<li class=\"order-item\" draggable=\"true\"><select id=\"\(HTML.escape(id))\" name=\"position.\(HTML.escape(option.id))\" aria-label=\"Position of: \(HTML.escape(option.text))\">"
                for position in 1...max(1, options.count) {
                    out += "<option value=\"\(position)\"\(position == index + 1 ? " selected" : "")>\(position)</option>"
                }
                out += "</select> <label for=\"\(HTML.escape(id))\">\(HTML.escape(option.text))</label></li>"
            }
            out += "</ol></fieldset>"
        case let .matching(left, right, _):
            out += "<fieldset class=\"matching\"><legend>Match each item</legend>"
            for item in left {
                let id = "\(prefix)-match-\(item.id)"
                out += "<div class=\"pair\"><label for=\"\(HTML.escape(id))\">\(HTML.escape(item.text))</label>"
                out += "<select id=\"\(HTML.escape(id))\" name=\"match.\(HTML.escape(item.id))\"><option value=\"\">Choose…</option>"
                for target in right { out += "<option value=\"\(HTML.escape(target.id))\">\(HTML.escape(target.text))</option>" }
                out += "</select></div>"
            }
            out += "</fieldset>"
        case .shortText:
            out += textArea(prefix: prefix, label: "Your answer", rows: 5, previous: previousText)
        case let .promptWriting(scenario, _, _):
            out += "<div class=\"scenario\"><p class=\"label\">Scenario</p>" + markdown.html(scenario) + "</div>"
            out += textArea(prefix: prefix, label: "Your prompt", rows: 8, previous: previousText)
        case let .critique(material, _), let .redaction(material, _):
            let isRedaction = interaction.type == .redaction
            out += "<p class=\"instructions\">\(isRedaction ? "Click every word to remove; click again to unmark." : "Click the words that are wrong; click again to unmark.")</p>"
            out += "<div class=\"material tokens \(isRedaction ? "redact" : "critique")\" role=\"group\" aria-label=\"The text: select words to mark\">"
            out += tokens(material, prefix: prefix)
            out += "</div>"
            let id = "\(prefix)-quotes"
            out += "<details class=\"fallback\"><summary>Or type the phrases instead</summary>"
            out += "<label for=\"\(id)\">One phrase per line, copied from the text</label>"
            out += "<textarea id=\"\(id)\" name=\"quotes\" rows=\"4\" maxlength=\"20000\"></textarea></details>"
        }
        return (out, needsSubmit)
    }

    func textArea(prefix: String, label: String, rows: Int, previous: String?) -> String {
        let id = "\(prefix)-text"
        let previous = previous ?? ""
        return "<p class=\"field\"><label for=\"\(id)\">\(label)\(previous.isEmpty ? "" : " (your last attempt, ready to revise)")</label>"
            + "<textarea id=\"\(id)\" name=\"text\" rows=\"\(rows)\" maxlength=\"\(Grader.maxAnswerLength)\">\(HTML.escape(previous))</textarea></p>"
    }

    /// Each word is a checkbox styled as text, so marking works without JavaScript and by keyboard.
    func tokens(_ material: String, prefix: String) -> String {
        let characters = Array(material)
        var out = ""
        var cursor = 0
        for (index, token) in Material.tokens(material).enumerated() {
            if token.span.start > cursor { out += HTML.escape(String(characters[cursor..<token.span.start])) }
            let id = "\(prefix)-w\(index)"
            out += "<input type=\"checkbox\" class=\"tok\" id=\"\(id)\" name=\"token\" value=\"\(index)\"><label for=\"\(id)\">\(HTML.escape(token.text))</label>"
            cursor = token.span.end
        }
        if cursor < characters.count { out += HTML.escape(String(characters[cursor...])) }
        return out
    }
}
