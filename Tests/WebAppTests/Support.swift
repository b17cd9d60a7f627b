import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
@testable import WebApp

enum Fixtures {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let courses = testsFolder.appendingPathComponent("Fixtures/courses").path
    static let shippedCourses = testsFolder.deletingLastPathComponent().appendingPathComponent("courses").path

    /// A configuration with its own empty database and a cheap bcrypt cost (tests only).
    static func config(courses: String = Fixtures.courses) -> AppConfig {
        var config = AppConfig()
        config.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-web-\(UUID().uuidString)").path
        config.coursesDirectory = courses
        config.bcryptCost = 4
        config.port = 0
        config.logLevel = .warning
        if let url = newPostgresDatabase() {
            config.databaseURL = url
            config.databasePoolSize = 4
        }
        return config
    }

    /// The PostgreSQL server scripts/test's second run of the suite names, if any.
    static let postgresServer = ProcessInfo.processInfo.environment["CAIRN_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// In the PostgreSQL run, the URL of a new schema of its own on that server; nil otherwise.
    static func newPostgresDatabase() -> String? {
        guard let server = postgresServer else { return nil }
        let schema = "test_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
        return server + (server.contains("?") ? "&" : "?") + "search_path=" + schema
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The session cookie's value from Set-Cookie, if the response set one.
    var sessionCookie: String? {
        headers[values: .setCookie].compactMap { header -> String? in
            guard header.hasPrefix("cairn_session=") else { return nil }
            return String(header.dropFirst("cairn_session=".count).prefix { $0 != ";" })
        }.first
    }
}

/// A browser-like client over the in-process router: keeps the session cookie.
struct Browser {
    let client: any TestClientProtocol
    var cookie: String?

    @discardableResult
    mutating func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(uri, .get, headers: headers, body: nil)
    }

    @discardableResult
    mutating func postForm(_ uri: String, _ fields: [String: String]) async throws -> TestResponse {
        let body = fields.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }.joined(separator: "&")
        return try await send(uri, .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: body))
    }

    @discardableResult
    mutating func postJSON(_ uri: String, _ json: String, method: HTTPRequest.Method = .post) async throws -> TestResponse {
        try await send(uri, method, headers: [.contentType: "application/json"], body: ByteBuffer(string: json))
    }

    @discardableResult
    mutating func send(_ uri: String, _ method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if let cookie { headers[.cookie] = "cairn_session=\(cookie)" }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        if let set = response.sessionCookie { cookie = set.isEmpty ? nil : set }
        return response
    }
}
