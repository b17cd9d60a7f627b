import AppServices
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresKit
import PostgresNIO

/// A PostgreSQL database named by a URL, as `--database-url` and `CAIRN_DATABASE_URL` take it:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE][&search_path=SCHEMA]`.
///
/// `search_path` keeps Cairn's tables in a schema of their own (created if missing), for a
/// database shared with other applications, or several Cairns in one database.
///
/// `sslmode` is `disable`, `prefer` (the default: TLS when the server offers it, its
/// certificate unchecked, as libpq does), or `require` / `verify-ca` / `verify-full`, which
/// all insist on TLS with the server's certificate checked against the system's trusted
/// roots and its host name. (libpq's `require` skips the check; Cairn never talks to a
/// database it cannot verify once TLS is asked for.) PostgresKit has a URL reader too, but its errors say only "bad URL"; this one
/// says which part is wrong and what to write instead.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public let host: String
    public let port: Int
    public let username: String
    let password: String?
    public let database: String
    public let tls: TLSMode
    /// The schema Cairn's tables live in; PostgreSQL's default (`public`) when nil.
    public let schema: String?

    public init(_ text: String) throws(PostgresURLError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme else {
            throw PostgresURLError("'\(Self.redacted(text))' is not a URL; write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        guard ["postgres", "postgresql"].contains(scheme.lowercased()) else {
            throw PostgresURLError("the scheme is '\(scheme)'; a PostgreSQL URL starts with postgres:// (SQLite needs no URL: leave it out and use --data)")
        }
        guard let host = url.host, !host.isEmpty else {
            throw PostgresURLError("the URL names no host; write postgres://USER@HOST/DATABASE, e.g. postgres://cairn@127.0.0.1/cairn")
        }
        guard let user = url.user, !user.isEmpty else {
            throw PostgresURLError("the URL names no user; write postgres://USER@\(host)/DATABASE")
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresURLError("the URL names no database; end it with /DATABASE, e.g. postgres://\(user)@\(host)/cairn")
        }
        var tls = TLSMode.prefer
        var schema: String?
        for item in url.queryItems ?? [] {
            switch item.name.lowercased() {
            case "sslmode":
                switch item.value?.lowercased() {
                case "disable": tls = .disable
                case "allow", "prefer": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default:
                    throw PostgresURLError("sslmode is '\(item.value ?? "")'; use disable, prefer, require, verify-ca or verify-full")
                }
            case "search_path":
                guard let name = item.value, !name.isEmpty, name.count <= 63, name.first.map({ $0.isLetter || $0 == "_" }) == true,
                      name.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" })
                else {
                    throw PostgresURLError("search_path is '\(item.value ?? "")'; name one schema: letters, digits and _, starting with a letter")
                }
                schema = name.lowercased()
            default:
                throw PostgresURLError("the URL has an unknown parameter '\(item.name)'; Cairn reads sslmode and search_path (pool size and time-outs have their own settings)")
            }
        }
        self.host = host
        port = url.port ?? 5432
        // URLComponents has already decoded them (%40 is @).
        username = user
        password = url.password
        self.database = database
        self.tls = tls
        self.schema = schema
    }

    /// The URL without its password, for messages and logs.
    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)" + (schema.map { "&search_path=\($0)" } ?? "")
    }

    /// The text with everything between the user's name and the last @ replaced by "…".
    private static func redacted(_ text: String) -> String {
        guard let start = text.range(of: "//")?.upperBound, let at = text[start...].lastIndex(of: "@"),
              let colon = text[start ..< at].firstIndex(of: ":")
        else { return text }
        return text[..<colon] + ":…" + text[at...]
    }

    /// `prefer` encrypts when the server offers TLS but, like libpq, does not check its
    /// certificate (a stock server's is self-signed); `require` checks it.
    static var unverified: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return configuration
    }

    func clientConfiguration(poolSize: Int, statementTimeout: Duration) -> PostgresClient.Configuration {
        let tlsConfiguration: PostgresClient.Configuration.TLS = switch tls {
        case .disable: .disable
        case .prefer: .prefer(Self.unverified)
        case .require: .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tlsConfiguration
        )
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = startupParameters(statementTimeout: statementTimeout)
        return configuration
    }

    func connectionConfiguration(statementTimeout: Duration) throws -> PostgresConnection.Configuration {
        let tlsConfiguration: PostgresConnection.Configuration.TLS = switch tls {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: Self.unverified))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tlsConfiguration
        )
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = startupParameters(statementTimeout: statementTimeout)
        return configuration
    }

    /// Settings sent when each connection starts: a statement that runs longer than the
    /// time-out is cancelled (the request fails instead of holding a connection), and so is
    /// a transaction left idle for a minute by a node that stopped midway.
    private func startupParameters(statementTimeout: Duration) -> [(String, String)] {
        let milliseconds = statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000
        return [
            ("application_name", "cairn"),
            ("statement_timeout", "\(milliseconds)"),
            ("idle_in_transaction_session_timeout", "60000"),
        ] + (schema.map { [("search_path", $0)] } ?? [])
    }
}

/// A `--database-url` that cannot be used, and why.
public struct PostgresURLError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The PostgreSQL side of `Database`: a connection pool (PostgresNIO's `PostgresClient`)
/// and the task that runs it.
final class PostgresConnections: Sendable {
    let client: PostgresClient
    let url: PostgresURL
    private let runner: Task<Void, Never>

    private init(client: PostgresClient, url: PostgresURL) {
        self.client = client
        self.url = url
        runner = Task { await client.run() }
    }

    /// Lets the pool's run loop start before the first lease (a lease before it works,
    /// but PostgresNIO logs a warning for it).
    func started() async -> PostgresConnections {
        try? await Task.sleep(for: .milliseconds(20))
        return self
    }

    /// Connects once to check that the database answers, then starts the pool.
    static func open(_ url: PostgresURL, poolSize: Int, statementTimeout: Duration, logger: Logger) async throws -> PostgresConnections {
        let probe: PostgresConnection
        do {
            probe = try await PostgresConnection.connect(
                configuration: try url.connectionConfiguration(statementTimeout: statementTimeout), id: 0, logger: logger
            )
        } catch {
            throw StoreError.unavailable("cannot reach PostgreSQL at \(url): \(describe(error)); check --database-url (or CAIRN_DATABASE_URL) and that the server is running")
        }
        do {
            let version = try await probe.query("SHOW server_version_num", logger: logger).collect().first?.decode(String.self)
            if let version, let number = Int(version), number < 130_000 {
                throw StoreError.unavailable("PostgreSQL at \(url) is version \(number / 10_000); Cairn needs 13 or newer")
            }
            if let schema = url.schema {
                // The name was checked to be letters, digits and _ only.
                try await probe.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
            }
            try await probe.close()
        } catch {
            try? await probe.close()
            if error is StoreError { throw error }
            throw StoreError.unavailable("PostgreSQL at \(url) answered, but: \(describe(error)); check that the user may use the database\(url.schema.map { " and create schema \($0)" } ?? "")")
        }
        return await PostgresConnections(
            client: PostgresClient(configuration: url.clientConfiguration(poolSize: poolSize, statementTimeout: statementTimeout), backgroundLogger: logger),
            url: url
        ).started()
    }

    func shutdown() async {
        runner.cancel()
        await runner.value
    }
}

/// What went wrong talking to PostgreSQL, in words: PostgresNIO's own description hides
/// the details (they may hold data), so the server's message and SQLSTATE are read from
/// the error itself.
func describe(_ error: any Error) -> String {
    guard let error = error as? PSQLError else { return "\(error)" }
    if let info = error.serverInfo {
        // The message and SQLSTATE only: the DETAIL field quotes values ("Key (email)=(…)
        // already exists"), which may be personal data and would end up in logs.
        var text = info[.message] ?? "error"
        if let state = info[.sqlState] { text += " [SQLSTATE \(state)]" }
        return text
    }
    if let underlying = error.underlying { return "\(error.code): \(underlying)" }
    return "\(error.code)"
}

extension PSQLError {
    var sqlState: String? { serverInfo?[.sqlState] }
    /// Another transaction's writes overlapped this one (SERIALIZABLE), or a deadlock: run it again.
    var mustRetry: Bool { sqlState == "40001" || sqlState == "40P01" }
}
