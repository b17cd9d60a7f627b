import Foundation
import Hummingbird
import Mustache

/// The page templates, loaded once at start from the module's resources.
/// Templates only render; handlers build a page model and pick the template.
struct Templates: Sendable {
    let library: MustacheLibrary
    let stylesheet: ByteBuffer
    let chatScript: ByteBuffer
    let examScript: ByteBuffer
    /// The badge image that credentials are baked into.
    let badgeImage: [UInt8]

    static func load() async throws -> Templates {
        guard let resources = Bundle.module.url(forResource: "Resources", withExtension: nil) else {
            throw StartupError.invalidContent("the page templates are missing from the build (Resources/templates)")
        }
        let library = try await MustacheLibrary(directory: resources.appendingPathComponent("templates").path)
        let css = try Data(contentsOf: resources.appendingPathComponent("static/cairn.css"))
        let script = try Data(contentsOf: resources.appendingPathComponent("static/chat.js"))
        let exam = try Data(contentsOf: resources.appendingPathComponent("static/exam.js"))
        let badge = try Data(contentsOf: resources.appendingPathComponent("static/badge.png"))
        return Templates(
            library: library, stylesheet: ByteBuffer(bytes: css), chatScript: ByteBuffer(bytes: script), examScript: ByteBuffer(bytes: exam),
            badgeImage: Array(badge)
        )
    }

    func render(_ page: some Any, template: String) -> String {
        guard let html = library.render(page, withTemplate: template) else {
            preconditionFailure("no template named \(template)")
        }
        return html
    }

    func response(_ page: some Any, template: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: render(page, template: template)))
        )
    }
}
