import ArgumentParser
import CairnCore
import Curriculum
import Foundation
import LanguageModel
import Logging
import Storage
import WebApp

/// Settings shared by every command that touches data. Each reads flag > environment > default.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "Folder for the SQLite database; created on first start. Env: CAIRN_DATA. Default: ./cairn-data")
    var dataDirectory: String?

    @Option(help: "Use PostgreSQL instead of SQLite: postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=require]. Env: CAIRN_DATABASE_URL (not read when --data is given)")
    var databaseURL: String?

    @Option(help: "PostgreSQL connections this process keeps at most, 1 to 500. Env: CAIRN_DATABASE_POOL_SIZE. Default: 10")
    var databasePoolSize: String?

    @Option(help: "Seconds before PostgreSQL cancels a statement, 1 to 3600. Env: CAIRN_STATEMENT_TIMEOUT. Default: 30")
    var statementTimeout: String?

    func apply(to config: inout AppConfig, environment: [String: String]) throws {
        if let value = dataDirectory ?? environment["CAIRN_DATA"] { config.dataDirectory = value }
        // A --data flag means SQLite in that folder, even with CAIRN_DATABASE_URL set.
        if let value = databaseURL ?? (dataDirectory == nil ? environment["CAIRN_DATABASE_URL"] : nil), !value.isEmpty {
            do {
                _ = try PostgresURL(value)
            } catch {
                throw ConfigError(setting: "--database-url / CAIRN_DATABASE_URL", message: error.description)
            }
            config.databaseURL = value
        }
        if let value = databasePoolSize ?? environment["CAIRN_DATABASE_POOL_SIZE"] {
            config.databasePoolSize = try parseInt(value, setting: "--database-pool-size / CAIRN_DATABASE_POOL_SIZE", range: 1...500)
        }
        if let value = statementTimeout ?? environment["CAIRN_STATEMENT_TIMEOUT"] {
            config.statementTimeoutSeconds = try parseInt(value, setting: "--statement-timeout / CAIRN_STATEMENT_TIMEOUT", range: 1...3600)
        }
    }

    /// The configuration these options give, or an exit with the bad setting named.
    func config(environment: [String: String] = ProcessInfo.processInfo.environment) -> AppConfig {
        var config = AppConfig()
        do {
            try apply(to: &config, environment: environment)
        } catch {
            fail("\(error)")
        }
        return config
    }

    /// The configured database, migrated, for a command's `body`; closed afterwards
    /// whether `body` succeeds or throws. `body` also gets where the database lives.
    func withStore<T>(_ body: (SQLStore, String) async throws -> T) async throws -> T {
        try await withDatabase { database in try await body(database.store, database.location) }
    }

    /// The configured database, migrated unless `migrating` is false, for `body`; closed
    /// afterwards either way.
    func withDatabase<T>(migrating: Bool = true, _ body: (Database) async throws -> T) async throws -> T {
        let database = try await config().openDatabase(logger: Logger(label: "cairn"))
        do {
            if migrating { try await database.migrate() }
            let result = try await body(database)
            await database.shutdown()
            return result
        } catch {
            await database.shutdown()
            throw error
        }
    }
}

struct CourseOptions: ParsableArguments {
    @Option(name: .customLong("courses"), help: "Folder of courses to serve. Env: CAIRN_COURSES. Default: ./courses")
    var coursesDirectory: String?

    func apply(to config: inout AppConfig, environment: [String: String]) {
        if let value = coursesDirectory ?? environment["CAIRN_COURSES"] { config.coursesDirectory = value }
    }

    var directory: String {
        var config = AppConfig()
        apply(to: &config, environment: ProcessInfo.processInfo.environment)
        return config.coursesDirectory
    }

    /// The courses and pathways in the courses folder.
    func catalog() -> Catalog { CourseLoader.loadCatalog(at: directory) }

    /// The course with this id from the courses folder, or an error naming the courses there.
    func course(_ id: String, in catalog: Catalog? = nil) throws -> Course {
        let catalog = catalog ?? self.catalog()
        guard let found = catalog.courses.first(where: { $0.id.rawValue == id }) else {
            let known = catalog.courses.map(\.id.rawValue).joined(separator: ", ")
            throw ValidationError("no course '\(id)' in \(directory) (courses there: \(known.isEmpty ? "none" : known))")
        }
        return found
    }
}

struct LogOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Env: CAIRN_LOG_LEVEL. Default: info")
    var logLevel: String?

    @Option(help: "Log format: text or json (one JSON object per line). Env: CAIRN_LOG_FORMAT. Default: text")
    var logFormat: String?

    func apply(to config: inout AppConfig, environment: [String: String]) throws {
        if let value = logLevel ?? environment["CAIRN_LOG_LEVEL"] {
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw ConfigError(setting: "--log-level / CAIRN_LOG_LEVEL", message: "'\(value)' is not a level; use one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config.logLevel = level
        }
        if let value = logFormat ?? environment["CAIRN_LOG_FORMAT"] {
            guard let format = AppConfig.LogFormat(rawValue: value.lowercased()) else {
                throw ConfigError(setting: "--log-format / CAIRN_LOG_FORMAT", message: "'\(value)' is not a format; use text or json")
            }
            config.logFormat = format
        }
    }
}

/// Sets up logging once per process, in the configured format.
func bootstrapLogging(_ config: AppConfig) -> Logger {
    let format = config.logFormat
    LoggingSystem.bootstrap { label in
        switch format {
        case .json: JSONLogHandler(label: label)
        case .text: StreamLogHandler.standardError(label: label)
        }
    }
    var logger = Logger(label: "cairn")
    logger.logLevel = config.logLevel
    return logger
}

func parseInt(_ text: String, setting: String, range: ClosedRange<Int>) throws -> Int {
    guard let value = Int(text), range.contains(value) else {
        throw ConfigError(setting: setting, message: "'\(text)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
    return value
}

/// Prints a one-line error and exits with status 1, for failures a person can fix.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("cairn: \(message)\n".utf8))
    exit(1)
}

struct ModelOptions: ParsableArguments {
    @Option(help: "An OpenAI-compatible Chat Completions endpoint for the model-backed tutor, e.g. http://127.0.0.1:8081/v1 (scripts/local-model), an Ollama or vLLM server, or a hosted API; its key is read from CAIRN_MODEL_API_KEY. Env: CAIRN_MODEL_URL. Default: none (the built-in tutor alone)")
    var modelURL: String?

    @Option(help: "The model's name at that endpoint. Env: CAIRN_MODEL_NAME")
    var modelName: String?

    @Option(help: "Seconds one model reply may take in all, 5 to 600. Env: CAIRN_MODEL_TIMEOUT. Default: 120")
    var modelTimeout: String?

    /// The configured endpoint, nil when none is set; a half-given or bad setting is an error naming it.
    func endpoint(environment: [String: String]) throws -> ModelEndpoint? {
        let url = (modelURL ?? environment["CAIRN_MODEL_URL"]).flatMap { $0.isEmpty ? nil : $0 }
        let name = (modelName ?? environment["CAIRN_MODEL_NAME"]).flatMap { $0.isEmpty ? nil : $0 }
        guard let url else {
            if name != nil { throw ConfigError(setting: "--model-url / CAIRN_MODEL_URL", message: "a model name is set but no endpoint; give the endpoint's address too") }
            return nil
        }
        guard let name else {
            throw ConfigError(setting: "--model-name / CAIRN_MODEL_NAME", message: "give the model's name as \(url) knows it, e.g. smollm2 or gpt-4o-mini")
        }
        var endpoint: ModelEndpoint
        do {
            endpoint = try ModelEndpoint(baseURL: url, model: name, apiKey: environment["CAIRN_MODEL_API_KEY"])
        } catch {
            throw ConfigError(setting: error.setting, message: error.message)
        }
        if let value = modelTimeout ?? environment["CAIRN_MODEL_TIMEOUT"] {
            endpoint.totalTimeout = .seconds(try parseInt(value, setting: "--model-timeout / CAIRN_MODEL_TIMEOUT", range: 5...600))
        }
        return endpoint
    }
}
