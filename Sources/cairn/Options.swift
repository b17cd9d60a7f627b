import ArgumentParser
import CairnCore
import Curriculum
import Foundation
import Logging
import Storage
import WebApp

/// Settings shared by every command that touches data. Each reads flag > environment > default.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "Folder for the SQLite database; created on first start. Env: CAIRN_DATA. Default: ./cairn-data")
    var dataDirectory: String?

    func apply(to config: inout AppConfig, environment: [String: String]) {
        if let value = dataDirectory ?? environment["CAIRN_DATA"] { config.dataDirectory = value }
    }

    /// The data folder's database, migrated, for a command's `body`; closed afterwards
    /// whether `body` succeeds or throws. `body` also gets where the database lives.
    func withStore<T>(_ body: (SQLStore, String) async throws -> T) async throws -> T {
        var config = AppConfig()
        apply(to: &config, environment: ProcessInfo.processInfo.environment)
        let database = try await Database.openSQLite(directory: config.dataDirectory, logger: Logger(label: "cairn"))
        do {
            try await database.migrate()
            let result = try await body(database.store, database.location)
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
