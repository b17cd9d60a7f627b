import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
// The SQLite library SQLiteNIO is built with (its C target). Using the same copy matters:
// two SQLite libraries in one process would not see each other's POSIX locks on the file.
import VaporCSQLite

/// One SQLite connection whose statements run in the calling task.
///
/// SQLiteNIO runs every statement on a thread pool, so each statement costs two thread
/// hand-offs; a graded submission runs about fifteen and spent most of its time waiting
/// for them. An SQLite statement on an open WAL database takes microseconds, less than
/// one hand-off, so here it runs where it is called. Prepared statements are kept per SQL
/// text, since SQLKit's builders give the same text for the same query shape.
///
/// Blocking: a statement waits only for another *process* holding the write lock (within
/// one process the pool hands the connection to one task at a time), and then at most
/// the busy timeout.
///
/// `@unchecked Sendable`: the pool hands a handle to one task at a time, and SQLite's
/// serialized mode (`SQLITE_OPEN_FULLMUTEX`) guards the C handle besides.
final class SQLiteHandle: @unchecked Sendable {
    private var db: OpaquePointer?
    private var statements: [String: PreparedStatement] = [:]
    private static let maxCachedStatements = 256
    let logger: Logger

    /// Opens (creating if needed) the database at `path` with Cairn's connection settings.
    /// A read-only connection refuses every write (`PRAGMA query_only`), so a write routed
    /// to a reader fails loudly instead of racing the writer.
    init(path: String, readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = 5000, logger: Logger) throws {
        Self.initializeLibrary
        self.logger = logger
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite_nio_sqlite3_close(handle)
            throw SQLiteFailure(code: status, message: "cannot open \(path): \(message)")
        }
        db = handle
        do {
            // busy_timeout: another process holding the write lock (cairn migrate while
            // serve runs) makes a writer wait up to 5 s, then fail with a clear error.
            try execute("PRAGMA busy_timeout = \(busyTimeoutMilliseconds)")
            try execute("PRAGMA foreign_keys = ON")
            try execute("PRAGMA synchronous = NORMAL")
            // Savepoints (group commit gives each answer one) and statement journals keep
            // the pages they may roll back in memory, not in a temporary file opened,
            // written and deleted each time.
            try execute("PRAGMA temp_store = MEMORY")
            if readOnly {
                try execute("PRAGMA query_only = ON")
            } else {
                // Checkpoints run in the background (SQLiteCheckpointer); a commit does one
                // itself only if the log has grown far beyond SQLite's usual 1,000 pages.
                try execute("PRAGMA wal_autocheckpoint = \(SQLiteCheckpointer.safetyPages)")
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private static let initializeLibrary: Void = { _ = sqlite_nio_sqlite3_initialize() }()

    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement.pointer) }
        statements = [:]
        if let db { sqlite_nio_sqlite3_close_v2(db) }
        db = nil
    }

    /// Runs one statement, calling `onRow` for each row it returns.
    func execute(_ sql: String, _ binds: [SQLiteData] = [], onRow: (SQLiteResultRow) -> Void = { _ in }) throws {
        guard let db else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the database connection is closed") }
        let statement = try prepared(sql, db: db)
        let pointer = statement.pointer
        // Every parameter is bound again on each use, so the bindings are not cleared:
        // clearing them would also expire a plan that depends on a bound value.
        defer { sqlite_nio_sqlite3_reset(pointer) }
        for (index, value) in binds.enumerated() {
            try check(bind(value, at: Int32(index + 1), to: pointer), db: db)
        }
        while true {
            let status = sqlite_nio_sqlite3_step(pointer)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw failure(status, db: db) }
            var values: [SQLiteData] = []
            values.reserveCapacity(statement.columns.names.count)
            for column in 0 ..< Int32(statement.columns.names.count) {
                values.append(try value(of: pointer, at: column))
            }
            onRow(SQLiteResultRow(columns: statement.columns, values: values))
        }
    }

    private func prepared(_ sql: String, db: OpaquePointer) throws -> PreparedStatement {
        if let statement = statements[sql] { return statement }
        var pointer: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard status == SQLITE_OK, let pointer else { throw failure(status, db: db) }
        let count = sqlite_nio_sqlite3_column_count(pointer)
        let names = (0 ..< count).map { column in
            sqlite_nio_sqlite3_column_name(pointer, column).map { String(cString: $0) } ?? ""
        }
        let statement = PreparedStatement(pointer: pointer, columns: SQLiteColumns(names: names))
        if statements.count >= Self.maxCachedStatements {
            for old in statements.values { sqlite_nio_sqlite3_finalize(old.pointer) }
            statements = [:]
        }
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: SQLiteData, at index: Int32, to statement: OpaquePointer) -> Int32 {
        switch value {
        case let .integer(number):
            return sqlite_nio_sqlite3_bind_int64(statement, index, Int64(number))
        case let .float(number):
            return sqlite_nio_sqlite3_bind_double(statement, index, number)
        case let .text(text):
            var text = text
            return text.withUTF8 { bytes in
                sqlite_nio_sqlite3_bind_text64(statement, index, bytes.baseAddress, UInt64(bytes.count), sqliteTransient, UInt8(SQLITE_UTF8))
            }
        case let .blob(buffer):
            return buffer.withUnsafeReadableBytes { bytes in
                sqlite_nio_sqlite3_bind_blob64(statement, index, bytes.baseAddress, UInt64(bytes.count), sqliteTransient)
            }
        case .null:
            return sqlite_nio_sqlite3_bind_null(statement, index)
        }
    }

    private func value(of statement: OpaquePointer, at column: Int32) throws -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(SQLiteInt64(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            let bytes = sqlite_nio_sqlite3_column_text(statement, column)
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard let bytes else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: count))
            }
            return .blob(buffer)
        default:
            return .null
        }
    }

    private func check(_ status: Int32, db: OpaquePointer) throws {
        guard status == SQLITE_OK else { throw failure(status, db: db) }
    }

    private func failure(_ status: Int32, db: OpaquePointer) -> SQLiteFailure {
        SQLiteFailure(code: sqlite_nio_sqlite3_extended_errcode(db), message: String(cString: sqlite_nio_sqlite3_errmsg(db)))
    }

    /// The SQLKit view of this connection.
    func sql(queryLogLevel: Logger.Level? = .trace) -> any SQLDatabase {
        SQLiteHandleDatabase(handle: self, queryLogLevel: queryLogLevel)
    }
}

private struct PreparedStatement {
    let pointer: OpaquePointer
    let columns: SQLiteColumns
}

/// SQLite's "copy this value before returning" destructor.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// An SQLite error with its extended result code.
struct SQLiteFailure: Error, CustomStringConvertible {
    let code: Int32
    let message: String

    var primaryCode: Int32 { code & 0xFF }
    // Extended result codes (sqlite.org/rescode.html); the C macros are expressions Swift does not import.
    var isUniqueViolation: Bool { code == 2067 /* CONSTRAINT_UNIQUE */ || code == 1555 /* CONSTRAINT_PRIMARYKEY */ }
    var isForeignKeyViolation: Bool { code == 787 /* CONSTRAINT_FOREIGNKEY */ }
    var description: String { "SQLite error \(code): \(message)" }
}

/// The column names of one prepared statement, shared by all its rows.
final class SQLiteColumns: Sendable {
    let names: [String]
    private let index: [String: Int]

    init(names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        // The first column of a name wins, as in SQLiteNIO.
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.index = index
    }

    func position(of name: String) -> Int? { index[name] }
}

/// One result row, read through SQLiteKit's decoder.
struct SQLiteResultRow: SQLRow {
    let columns: SQLiteColumns
    let values: [SQLiteData]

    /// Shared: each decoder holds a JSONDecoder, too costly to make per value.
    static let decoder = SQLiteDataDecoder()

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.position(of: column) != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let position = columns.position(of: column) else { return true }
        return values[position] == .null
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let position = columns.position(of: column) else {
            throw DecodingError.keyNotFound(
                SQLiteColumnKey(stringValue: column),
                .init(codingPath: [], debugDescription: "no column '\(column)' in the row (columns: \(columns.names.joined(separator: ", ")))")
            )
        }
        let value = values[position]
        // The column types Cairn reads, straight from the value; anything else (and any
        // mismatch, to get its error) through SQLiteKit's decoder.
        switch value {
        case let .text(text):
            if D.self == String.self { return text as! D }
            if D.self == String?.self { return Optional(text) as! D }
        case let .integer(number):
            if D.self == Int.self { return number as! D }
            if D.self == Int64.self { return Int64(number) as! D }
            if D.self == Bool.self { return (number != 0) as! D }
            if D.self == Int?.self { return Optional(number) as! D }
            if D.self == Int64?.self { return Optional(Int64(number)) as! D }
            if D.self == Double.self { return Double(number) as! D }
        case let .float(number):
            if D.self == Double.self { return number as! D }
        case .null:
            if D.self == String?.self { return String?.none as! D }
            if D.self == Int?.self { return Int?.none as! D }
            if D.self == Int64?.self { return Int64?.none as! D }
        case .blob:
            break
        }
        return try SQLiteResultRow.decoder.decode(D.self, from: value)
    }
}

private struct SQLiteColumnKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// `SQLDatabase` over a `SQLiteHandle`: SQLKit builds and serialises the query, SQLiteKit's
/// dialect and encoder shape it for SQLite, and the handle runs it in place.
struct SQLiteHandleDatabase: SQLDatabase {
    let handle: SQLiteHandle
    let queryLogLevel: Logger.Level?
    private static let encoder = SQLiteDataEncoder()

    /// A bound value as SQLite data: the column types Cairn stores directly, anything else
    /// through SQLiteKit's encoder (which would reach the same result for these, more slowly).
    private static func data(_ value: any Encodable & Sendable) throws -> SQLiteData {
        switch value {
        case let text as String: .text(text)
        case let number as Int: .integer(number)
        case let number as Int64: .integer(SQLiteInt64(number))
        case let number as Double: .float(number)
        case let flag as Bool: .integer(flag ? 1 : 0)
        case let optional as String?: optional.map(SQLiteData.text) ?? .null
        default: try encoder.encode(value)
        }
    }

    var logger: Logger { handle.logger }
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var dialect: any SQLDialect { SQLiteDialect() }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try run(query, onRow)
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> Void) throws {
        let (sql, rawBinds) = serialize(query)
        if let queryLogLevel, handle.logger.logLevel <= queryLogLevel {
            handle.logger.log(level: queryLogLevel, "Executing query", metadata: ["sql": .string(sql)])
        }
        let binds = try rawBinds.map(Self.data)
        try handle.execute(sql, binds) { onRow($0) }
    }
}
