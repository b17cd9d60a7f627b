import AppServices
import SQLKit
import SQLiteKit

/// A statement of the hot paths (the session look-up of every signed-in request, and what
/// a chat answer reads and writes): fixed SQL with `?` placeholders, and the values bound
/// to them.
///
/// On SQLite it runs straight from the connection's prepared-statement cache. Through SQLKit,
/// each call built the query from its interpolated pieces, serialised it, boxed every bound
/// value and decoded each row through `Decodable`: together as much time as SQLite took to
/// run the statement (`learning-bench`). Any other database gets the same statement through
/// SQLKit, with its own placeholders, so the SQL stays portable. Every `?` in the text is a
/// placeholder: write none inside string literals.
struct Statement: Sendable {
    let sql: String

    init(_ sql: String) {
        self.sql = sql
    }

    static let commit = Statement("COMMIT")
    static let rollback = Statement("ROLLBACK")

    /// The statement as an SQLKit expression: each `?` becomes a bound value.
    func expression(_ values: [StatementValue]) -> SQLQueryString {
        let parts = sql.split(separator: "?", omittingEmptySubsequences: false)
        precondition(parts.count == values.count + 1, "\(values.count) values for \(parts.count - 1) placeholders in \(sql)")
        var query = SQLQueryString(String(parts[0]))
        for (value, part) in zip(values, parts.dropFirst()) {
            if case .null = value {
                // A bound NULL would carry a type (text, from String?), which PostgreSQL
                // refuses for a number column; a literal NULL takes the column's type.
                query.appendLiteral("NULL")
            } else {
                query.appendInterpolation(bind: value.encodable)
            }
            query.appendLiteral(String(part))
        }
        return query
    }
}

/// What a transaction does, which decides how it begins on each database.
enum TransactionKind: Sendable {
    /// Reads only, every read from the same moment.
    case read
    /// Reads and writes, as if no other writer ran at the same time.
    case write
    /// Writes that guard themselves: every row they depend on is checked by the statement
    /// that writes it (a key that must be free, an UPDATE … WHERE the row still holds what
    /// was read), so they need no more isolation than each statement's own. On SQLite the
    /// same as `write`; on PostgreSQL READ COMMITTED, which spares SERIALIZABLE's tracking of
    /// every row read (an answer's write; see `SQLStore.recordAnswer`).
    case guardedWrite
    /// Schema changes and the migration table: one at a time across every node
    /// (`SQLStore.withSchemaLock` takes PostgreSQL's lock; SQLite's write lock is enough).
    case schema

    func begin(on dialect: String) -> Statement {
        switch (self, dialect == "postgresql") {
        // SQLite: a read transaction is a snapshot, and writers take turns. BEGIN IMMEDIATE
        // takes the write lock up front, so a second writer (another process) waits for it
        // under busy_timeout instead of failing midway through its transaction.
        case (.read, false): Statement("BEGIN")
        case (.write, false), (.guardedWrite, false), (.schema, false): Statement("BEGIN IMMEDIATE")
        // PostgreSQL: REPEATABLE READ gives the snapshot, and SERIALIZABLE gives what SQLite's
        // one writer gives (the outcome of writers taking turns), failing a transaction with
        // SQLSTATE 40001 instead where two overlap; SQLStore runs such a one again.
        case (.read, true): Statement("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        case (.write, true): Statement("BEGIN ISOLATION LEVEL SERIALIZABLE")
        // READ COMMITTED. For schema changes: each statement sees what the node before
        // committed, once the lock is held.
        case (.guardedWrite, true), (.schema, true): Statement("BEGIN")
        }
    }
}

/// A value bound to a statement: the column types Cairn stores.
enum StatementValue: Sendable {
    case text(String)
    case integer(Int)
    case real(Double)
    /// A flag: 1 or 0 on SQLite, a boolean where the database has them (PostgreSQL).
    case boolean(Bool)
    case null

    static func text(_ value: String?) -> Self { value.map(Self.text) ?? .null }

    var sqlite: SQLiteData {
        switch self {
        case let .text(text): .text(text)
        case let .integer(number): .integer(number)
        case let .real(number): .float(number)
        case let .boolean(flag): .integer(flag ? 1 : 0)
        case .null: .null
        }
    }

    var encodable: any Encodable & Sendable {
        switch self {
        case let .text(text): text
        case let .integer(number): number
        case let .real(number): number
        case let .boolean(flag): flag
        case .null: String?.none
        }
    }
}

/// One row a statement returned, read by column position (the order of the SELECT list).
/// Through SQLKit a position is read by its column's name, so a statement gives each
/// column a distinct name (alias the repeats).
struct StatementRow {
    private enum Storage {
        case sqlite([SQLiteData])
        case other(any SQLRow)
    }

    private let storage: Storage

    init(sqlite values: [SQLiteData]) { storage = .sqlite(values) }
    init(_ row: any SQLRow) { storage = .other(row) }

    func string(_ column: Int) throws -> String {
        switch storage {
        case let .sqlite(values):
            guard case let .text(text) = values[column] else { throw Self.mismatch(column, values[column], "text") }
            return text
        case let .other(row): return try row.decode(column: row.allColumns[column], as: String.self)
        }
    }

    func int(_ column: Int) throws -> Int {
        switch storage {
        case let .sqlite(values):
            guard case let .integer(number) = values[column] else { throw Self.mismatch(column, values[column], "an integer") }
            return number
        case let .other(row): return try row.decode(column: row.allColumns[column], as: Int.self)
        }
    }

    /// The column read with `read`, or nil when it holds NULL: `row.optional(8, row.int)`.
    func optional<T>(_ column: Int, _ read: (Int) throws -> T) throws -> T? {
        switch storage {
        case let .sqlite(values): if case .null = values[column] { return nil }
        case let .other(row): if try row.decodeNil(column: row.allColumns[column]) { return nil }
        }
        return try read(column)
    }

    func int64(_ column: Int) throws -> Int64 { Int64(try int(column)) }

    func bool(_ column: Int) throws -> Bool {
        switch storage {
        case .sqlite: return try int(column) != 0
        case let .other(row): return try row.decode(column: row.allColumns[column], as: Bool.self)
        }
    }

    func double(_ column: Int) throws -> Double {
        switch storage {
        case let .sqlite(values):
            switch values[column] {
            case let .float(number): return number
            case let .integer(number): return Double(number)
            default: throw Self.mismatch(column, values[column], "a number")
            }
        case let .other(row): return try row.decode(column: row.allColumns[column], as: Double.self)
        }
    }

    private static func mismatch(_ column: Int, _ value: SQLiteData, _ expected: String) -> StoreError {
        StoreError.unavailable("column \(column) holds \(value), not \(expected)")
    }
}

extension SQLDatabase {
    /// Runs the statement and returns its rows.
    @discardableResult
    func rows(_ statement: Statement, _ values: [StatementValue] = []) async throws -> [StatementRow] {
        if let sqlite = self as? SQLiteHandleDatabase {
            var rows: [StatementRow] = []
            try sqlite.handle.execute(statement.sql, values.map(\.sqlite)) { rows.append(StatementRow(sqlite: $0.values)) }
            return rows
        }
        return try await raw(statement.expression(values)).all().map(StatementRow.init)
    }

    /// Runs the statement for its effect.
    func run(_ statement: Statement, _ values: [StatementValue] = []) async throws {
        try await rows(statement, values)
    }

    /// Runs `body` on this connection inside a transaction of the given kind: committed if
    /// it returns, rolled back (and rethrown) if the body or the commit throws.
    nonisolated(nonsending) func inTransaction<T>(_ kind: TransactionKind, _ body: () async throws -> T) async throws -> T {
        try await run(kind.begin(on: dialect.name))
        do {
            let result = try await body()
            try await run(.commit)
            return result
        } catch {
            try? await run(.rollback)
            throw error
        }
    }
}
