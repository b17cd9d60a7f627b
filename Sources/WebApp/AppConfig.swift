import Foundation
import LanguageModel
import Logging
import Storage

/// Every setting Cairn reads at start, typed. Precedence: flags > environment > defaults;
/// the `cairn` command fills it in, tests build it directly.
public struct AppConfig: Sendable {
    public enum LogFormat: String, Sendable, CaseIterable { case text, json }

    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// Folder for the SQLite database (created on first start).
    public var dataDirectory: String = "./cairn-data"
    /// Folder of courses to serve.
    public var coursesDirectory: String = "./courses"
    /// The address people reach Cairn at; an https address makes cookies Secure.
    public var publicURL: String?
    public var logLevel: Logger.Level = .info
    public var logFormat: LogFormat = .text
    /// Largest request body accepted, in bytes.
    public var maxBodyBytes: Int = 1 << 20
    /// bcrypt work factor (4...31); 12 in production, lower only in tests.
    public var bcryptCost: Int = 12
    /// Read-only SQLite connections beside the single write connection (SQLite allows one
    /// writer at a time; WAL lets readers run alongside it).
    public var databaseReaders: Int = 4
    /// A PostgreSQL database (`postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=…`) to use
    /// instead of SQLite under `dataDirectory`.
    public var databaseURL: String?
    /// Connections each node keeps to PostgreSQL at most.
    public var databasePoolSize: Int = 10
    /// A PostgreSQL statement running longer than this is cancelled, in seconds.
    public var statementTimeoutSeconds: Int = 30
    /// Whether this node takes background jobs. On by default (every node does); off for
    /// nodes that should only serve requests while others do the background work.
    public var runsJobs: Bool = true
    /// The language model behind the tutor, if one is configured; without one the built-in
    /// tutor answers alone.
    public var model: ModelEndpoint?

    public init() {}

    /// Whether cookies get the Secure attribute: when Cairn is served over TLS.
    var servedOverTLS: Bool { publicURL?.lowercased().hasPrefix("https://") ?? false }
}

extension AppConfig {
    /// The configured database: PostgreSQL when `databaseURL` is set, else SQLite in the data
    /// folder. Not migrated yet.
    public func openDatabase(logger: Logger) async throws -> Database {
        guard let databaseURL else {
            return try await Database.openSQLite(directory: dataDirectory, logger: logger, readers: databaseReaders)
        }
        let url: PostgresURL
        do {
            url = try PostgresURL(databaseURL)
        } catch {
            throw ConfigError(setting: "--database-url / CAIRN_DATABASE_URL", message: error.description)
        }
        return try await Database.openPostgreSQL(
            url: url, poolSize: databasePoolSize, statementTimeout: .seconds(statementTimeoutSeconds), logger: logger
        )
    }
}

/// A setting with a bad value: names it and says what to set.
public struct ConfigError: Error, CustomStringConvertible {
    public let setting: String
    public let message: String

    public init(setting: String, message: String) {
        self.setting = setting
        self.message = message
    }

    public var description: String { "\(setting): \(message)" }
}
