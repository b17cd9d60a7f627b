import AppServices
import Foundation
import Logging
@testable import Storage
import Testing

@Suite("PostgreSQL URLs and start-up")
struct PostgresURLTests {
    @Test("a full URL is read part by part; its description leaves the password out")
    func fullURL() throws {
        let url = try PostgresURL("postgres://cairn:s%40cret@db.example.org:6543/learning?sslmode=require&search_path=Cairn_2")
        #expect(url.host == "db.example.org")
        #expect(url.port == 6543)
        #expect(url.username == "cairn")
        #expect(url.database == "learning")
        #expect(url.tls == .require)
        #expect(url.schema == "cairn_2")
        #expect(url.description == "postgres://cairn@db.example.org:6543/learning?sslmode=require&search_path=cairn_2")
        #expect(!url.description.contains("cret"))
    }

    @Test("percent-escapes in the user and password are read once")
    func escapes() throws {
        let url = try PostgresURL("postgres://ana%40example:p%2541ss%3Aword@127.0.0.1/cairn")
        #expect(url.username == "ana@example")
        #expect(url.password == "p%41ss:word", "%25 is a literal percent sign, not the start of another escape")
    }

    @Test("defaults: port 5432, TLS when the server offers it, PostgreSQL's own schema")
    func defaults() throws {
        let url = try PostgresURL("postgresql://cairn@127.0.0.1/cairn")
        #expect(url.port == 5432)
        #expect(url.tls == .prefer)
        #expect(url.schema == nil)
        #expect(try PostgresURL("postgres://cairn@127.0.0.1/cairn?sslmode=verify-full").tls == .require)
        #expect(try PostgresURL("postgres://cairn@127.0.0.1/cairn?sslmode=disable").tls == .disable)
    }

    @Test("each wrong part is named, with what to write instead", arguments: [
        ("mysql://cairn@127.0.0.1/cairn", "the scheme is 'mysql'"),
        ("postgres:///cairn", "names no host"),
        ("postgres://127.0.0.1/cairn", "names no user"),
        ("postgres://cairn@127.0.0.1", "names no database"),
        ("postgres://cairn@127.0.0.1/", "names no database"),
        ("postgres://cairn@127.0.0.1/cairn?sslmode=always", "sslmode is 'always'; use disable, prefer, require"),
        ("postgres://cairn@127.0.0.1/cairn?pool=5", "unknown parameter 'pool'"),
        ("postgres://cairn@127.0.0.1/cairn?search_path=a;drop", "search_path is 'a;drop'"),
        ("postgres://cairn@127.0.0.1/cairn?search_path=1abc", "search_path is '1abc'"),
        ("not a url at all", "is not a URL"),
    ])
    func badURL(_ text: String, _ expected: String) {
        #expect {
            _ = try PostgresURL(text)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test("a URL that cannot be read is quoted without its password, even one with a colon in it", arguments: [
        "postgres://cairn:hunter2@exa mple.org/cairn", "postgres://cairn:hun:ter2@exa mple.org/cairn",
    ])
    func badURLHidesPassword(_ text: String) {
        #expect {
            _ = try PostgresURL(text)
        } throws: { error in
            !"\(error)".contains("hun") && !"\(error)".contains("ter2") && "\(error)".contains("postgres://cairn:…@exa mple.org")
        }
    }

    @Test("a server that does not answer is a clear start-up error naming the URL, never the password")
    func unreachable() async throws {
        // Port 1 on the loopback: nothing listens there.
        let url = try PostgresURL("postgres://cairn:hunter2@127.0.0.1:1/cairn?sslmode=disable")
        await #expect {
            _ = try await Database.openPostgreSQL(url: url, logger: Logger(label: "test"))
        } throws: { error in
            let text = "\(error)"
            return text.contains("cannot reach PostgreSQL at postgres://cairn@127.0.0.1:1/cairn") && text.contains("CAIRN_DATABASE_URL")
                && !text.contains("hunter2")
        }
    }
}
