import AppServices
import CairnCore
import Foundation
import SQLKit

/// Moving all of Cairn's data between databases (`cairn export-db`, `cairn import-db`):
/// SQLite to PostgreSQL when a pilot outgrows one machine, or back for a copy on a laptop.
///
/// The export is JSON Lines, one row per line, readable by any tool and independent of the
/// database it came from:
///
///     {"format":"cairn-export","version":1,"schema":15,"exported_at":"2026-11-22T10:00:00Z"}
///     {"table":"users","columns":["id","email",…]}
///     ["0b5f…","ada@example.org",…]
///     …
///     {"end":true,"tables":21,"rows":12345}
///
/// Values are typed by their column: text as strings, whole numbers, numbers, booleans
/// (SQLite's 0 and 1 become false and true) and null. Every table is read inside one read
/// transaction, so the export is one consistent moment even while Cairn serves. Rows come
/// in the source's primary-key order (its index order: byte order on SQLite, the database's
/// collation on PostgreSQL), so the same data exported from each gives the same lines,
/// within a table perhaps in another order.
public enum Transfer {
    public static let format = "cairn-export"
    public static let version = 1

    /// Every table, parents before the tables that refer to them (the order of creation).
    public static let tables = [
        "users", "sessions", "organisations", "memberships", "enrolments", "lesson_progress", "conversations", "chat_messages",
        "attempts", "hint_requests", "skill_mastery", "task_progress", "exam_sessions", "exam_responses", "exam_item_exposure",
        "exam_events", "issuer_keys", "badges", "capstone_work", "jobs", "calibration_runs",
    ]

    public struct Summary: Sendable, Equatable {
        public var rows: [String: Int] = [:]
        public var total: Int { rows.values.reduce(0, +) }
    }

    /// An export file that cannot be imported, and why: where, and what to do.
    public struct ImportError: Error, CustomStringConvertible {
        public let description: String
    }

    enum ColumnType {
        case text, integer, real, boolean

        init(declared: String) throws {
            switch declared.uppercased() {
            case "TEXT": self = .text
            case "INTEGER", "BIGINT": self = .integer
            case "DOUBLE PRECISION", "DOUBLE", "REAL", "FLOAT": self = .real
            case "BOOLEAN": self = .boolean
            default: throw StoreError.unavailable("a column of type \(declared), which Cairn does not use")
            }
        }
    }

    struct Column {
        let name: String
        let type: ColumnType
    }

    struct Table {
        let name: String
        let columns: [Column]
        /// Positions (in `columns`) of the primary key, in key order.
        let key: [Int]
    }

    static let pageSize = 1_000

    /// One value of a row line. JSON's own types tell them apart: `true` is not 1, and 1.5
    /// is not a whole number.
    enum Cell: Decodable, CustomStringConvertible {
        case text(String), integer(Int), real(Double), boolean(Bool), null

        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer()
            if value.decodeNil() { self = .null }
            else if let flag = try? value.decode(Bool.self) { self = .boolean(flag) }
            else if let number = try? value.decode(Int.self) { self = .integer(number) }
            else if let number = try? value.decode(Double.self) { self = .real(number) }
            else { self = .text(try value.decode(String.self)) }
        }

        var description: String {
            switch self {
            case let .text(text): "\"\(text.prefix(40))\""
            case let .integer(number): "\(number)"
            case let .real(number): "\(number)"
            case let .boolean(flag): "\(flag)"
            case .null: "null"
            }
        }
    }
}

extension Database {
    /// Writes every row of every table to `path` (replacing it); returns the rows per table.
    public func export(to path: String, at date: Date = Date()) async throws -> Transfer.Summary {
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw StoreError.unavailable("cannot write \(path); name a file in a folder you can write to")
        }
        defer { try? file.close() }
        let schema = try await schemaVersion()
        return try await store.withReadTransaction { db in
            var out = JSONOutput(capacity: 1 << 20)
            func flush(force: Bool = false) throws {
                guard force || out.bytes.count > 1 << 20 else { return }
                try file.write(contentsOf: out.bytes)
                out = JSONOutput(capacity: 1 << 20)
            }
            out.object {
                $0.member("format", Transfer.format)
                $0.member("version", Transfer.version)
                $0.member("schema", schema)
                $0.member("exported_at", ISO8601DateFormatter().string(from: date))
            }
            out.bytes.append(0x0A)
            // A table the list leaves out would be lost on the way: refuse rather than drop it.
            let missing = Set(try await Self.tableNames(db)).subtracting(Transfer.tables + ["schema_migrations"])
            guard missing.isEmpty else {
                throw StoreError.unavailable("export-db does not know the tables \(missing.sorted().joined(separator: ", ")); add them to Transfer.tables")
            }
            var summary = Transfer.Summary()
            for name in Transfer.tables {
                let table = try await Self.describe(name, db)
                out.object {
                    $0.member("table", name)
                    $0.member("columns", table.columns.map(\.name))
                }
                out.bytes.append(0x0A)
                var count = 0
                var last: StatementRow?
                while true {
                    let page = try await db.rows(Self.page(table, after: last != nil),
                                                 try last.map { row in try table.key.map { try Self.value(row, $0, table.columns[$0].type) } } ?? [])
                    for row in page {
                        let values = try table.columns.indices.map { try Self.value(row, $0, table.columns[$0].type) }
                        out.array(values) { out, value in
                            switch value {
                            case let .text(text): out.string(text)
                            case let .integer(number): out.int(number)
                            case let .real(number): out.double(number)
                            case let .boolean(flag): out.bool(flag)
                            case .null: out.null()
                            }
                        }
                        out.bytes.append(0x0A)
                        try flush()
                    }
                    count += page.count
                    last = page.last
                    if page.count < Transfer.pageSize { break }
                }
                summary.rows[name] = count
            }
            out.object {
                $0.member("end", true)
                $0.member("tables", Transfer.tables.count)
                $0.member("rows", summary.total)
            }
            out.bytes.append(0x0A)
            try flush(force: true)
            return summary
        }
    }

    /// Reads an export made by `export(to:)` into this database, which must be migrated to the
    /// same schema and empty. All or nothing: one transaction, so a bad line stores nothing.
    public func importExport(from path: String) async throws -> Transfer.Summary {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw Transfer.ImportError(description: "cannot read \(path); name an export made with cairn export-db")
        }
        let schema = try await schemaVersion()
        return try await store.withTransaction { db in
            var summary = Transfer.Summary()
            var tables: [String: Transfer.Table] = [:]
            for name in Transfer.tables {
                let table = try await Self.describe(name, db)
                tables[name] = table
                summary.rows[name] = 0
                let rows = try await db.rows(Statement("SELECT COUNT(*) AS n FROM \(name)"))
                if let count = try rows.first?.int(0), count > 0 {
                    throw Transfer.ImportError(description: "\(location) already holds data (\(count) rows in \(name)); import into a new, empty database")
                }
            }
            var reader = try LineReader(path: path)
            let decoder = JSONDecoder()
            var lineNumber = 0
            func fail(_ message: String) -> Transfer.ImportError {
                Transfer.ImportError(description: "\(path), line \(lineNumber): \(message)")
            }
            func object(_ line: [UInt8]) -> [String: Any]? {
                (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
            }
            guard let first = try reader.next() else { throw fail("the file is empty; it is not an export of cairn export-db") }
            lineNumber = 1
            guard let header = object(first), header["format"] as? String == Transfer.format else {
                throw fail("this is not an export of cairn export-db (the first line names no \"format\": \"\(Transfer.format)\")")
            }
            guard header["version"] as? Int == Transfer.version else {
                throw fail("export format version \(header["version"] ?? "none"); this cairn reads version \(Transfer.version)")
            }
            guard let exported = header["schema"] as? Int, exported == schema else {
                throw fail("the export is at migration \(header["schema"] ?? "none"), this database at \(schema); export and import with the same cairn")
            }
            var current: (table: Transfer.Table, order: [Int])?
            var pending: [[StatementValue]] = []
            var seen: Set<String> = []
            var ended = false
            func insertPending() async throws {
                guard let (table, order) = current, !pending.isEmpty else { return }
                let columns = order.map { table.columns[$0].name }.joined(separator: ", ")
                let placeholders = "(" + Array(repeating: "?", count: order.count).joined(separator: ", ") + ")"
                let sql = "INSERT INTO \(table.name) (\(columns)) VALUES " + Array(repeating: placeholders, count: pending.count).joined(separator: ", ")
                try await db.run(Statement(sql), pending.flatMap { $0 })
                summary.rows[table.name, default: 0] += pending.count
                pending.removeAll(keepingCapacity: true)
            }
            while let line = try reader.next() {
                lineNumber += 1
                if ended { throw fail("there is more after the end line; the file was joined to something else") }
                if line.first == UInt8(ascii: "[") {
                    guard let (table, order) = current else { throw fail("a row before any table line") }
                    guard let values = try? decoder.decode([Transfer.Cell].self, from: Data(line)) else {
                        throw fail("a row of \(table.name) that is not a JSON array of values")
                    }
                    guard values.count == order.count else {
                        throw fail("a row of \(table.name) with \(values.count) values for its \(order.count) columns")
                    }
                    var row: [StatementValue] = []
                    row.reserveCapacity(values.count)
                    for (value, position) in zip(values, order) {
                        let column = table.columns[position]
                        guard let converted = Self.convert(value, to: column.type) else {
                            throw fail("\(table.name).\(column.name) holds \(value), not \(column.type)")
                        }
                        row.append(converted)
                    }
                    pending.append(row)
                    // Well under both databases' limits on bound values per statement.
                    if pending.count * order.count >= 20_000 || pending.count >= 500 { try await insertPending() }
                    continue
                }
                guard let fields = object(line) else { throw fail("a line that is neither a row nor a table") }
                try await insertPending()
                if fields["end"] as? Bool == true {
                    guard seen.count == Transfer.tables.count else {
                        throw fail("the end line comes before the tables \(Transfer.tables.filter { !seen.contains($0) }.joined(separator: ", "))")
                    }
                    guard fields["rows"] as? Int == summary.total else {
                        throw fail("the end line counts \(fields["rows"] ?? "no") rows, but \(summary.total) were read; export again")
                    }
                    ended = true
                    continue
                }
                guard let name = fields["table"] as? String, let table = tables[name] else {
                    throw fail("table \(fields["table"] ?? "none") is not one of Cairn's")
                }
                guard !seen.contains(name) else { throw fail("table \(name) a second time") }
                guard let names = fields["columns"] as? [String] else { throw fail("table \(name) lists no columns") }
                let known = table.columns.map(\.name)
                guard Set(names) == Set(known), names.count == known.count else {
                    throw fail("table \(name) has columns \(names.joined(separator: ", ")); this database's are \(known.joined(separator: ", "))")
                }
                seen.insert(name)
                current = (table, names.map { known.firstIndex(of: $0)! })
            }
            guard ended else {
                throw fail("the file ends without its end line, so it is cut short; export again")
            }
            return summary
        }
    }

    /// The schema's tables. On PostgreSQL a partitioned table counts once: its partitions
    /// (docs/scaling.md partitions `attempts` by month) are read through it.
    static func tableNames(_ db: any SQLDatabase) async throws -> [String] {
        let sql = db.dialect.name == "postgresql"
            ? """
              SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
              """
            : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
        return try await db.rows(Statement(sql)).map { try $0.string(0) }
    }

    /// The table's columns (in their order) and primary key, read from the database itself.
    static func describe(_ name: String, _ db: any SQLDatabase) async throws -> Transfer.Table {
        var columns: [Transfer.Column] = []
        var key: [(order: Int, position: Int)] = []
        if db.dialect.name == "postgresql" {
            for row in try await db.rows(Statement("""
                SELECT c.column_name::text AS name, c.data_type::text AS type, COALESCE((
                    SELECT k.ordinal_position FROM information_schema.table_constraints t
                    JOIN information_schema.key_column_usage k
                      ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema AND k.table_name = t.table_name
                    WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema AND t.table_name = c.table_name
                      AND k.column_name = c.column_name), 0)::bigint AS pk
                FROM information_schema.columns c
                WHERE c.table_schema = current_schema() AND c.table_name = ?
                ORDER BY c.ordinal_position
                """), [.text(name)]) {
                columns.append(Transfer.Column(name: try row.string(0), type: try Transfer.ColumnType(declared: try row.string(1))))
                if try row.int(2) > 0 { key.append((try row.int(2), columns.count - 1)) }
            }
        } else {
            // PRAGMA takes no bound values; the name comes from Transfer.tables.
            for row in try await db.rows(Statement("SELECT name, type, pk FROM pragma_table_info('\(name)')")) {
                columns.append(Transfer.Column(name: try row.string(0), type: try Transfer.ColumnType(declared: try row.string(1))))
                if try row.int(2) > 0 { key.append((try row.int(2), columns.count - 1)) }
            }
        }
        guard !columns.isEmpty else { throw StoreError.unavailable("the database has no table \(name); migrate it first") }
        guard !key.isEmpty else { throw StoreError.unavailable("table \(name) has no primary key") }
        return Transfer.Table(name: name, columns: columns, key: key.sorted { $0.order < $1.order }.map(\.position))
    }

    /// One page of rows in key order, after the last row of the page before: each page is
    /// one walk along the primary key's index, however large the table.
    static func page(_ table: Transfer.Table, after: Bool) -> Statement {
        let list = table.key.map { table.columns[$0].name }.joined(separator: ", ")
        let condition = after ? " WHERE (\(list)) > (\(Array(repeating: "?", count: table.key.count).joined(separator: ", ")))" : ""
        return Statement("SELECT \(table.columns.map(\.name).joined(separator: ", ")) FROM \(table.name)\(condition) ORDER BY \(list) LIMIT \(Transfer.pageSize)")
    }

    static func value(_ row: StatementRow, _ index: Int, _ type: Transfer.ColumnType) throws -> StatementValue {
        switch type {
        case .text: try row.optional(index, row.string).map(StatementValue.text) ?? .null
        case .integer: try row.optional(index, row.int).map(StatementValue.integer) ?? .null
        case .real: try row.optional(index, row.double).map(StatementValue.real) ?? .null
        case .boolean: try row.optional(index, row.bool).map(StatementValue.boolean) ?? .null
        }
    }

    static func convert(_ value: Transfer.Cell, to type: Transfer.ColumnType) -> StatementValue? {
        switch (value, type) {
        case (.null, _): .null
        case let (.text(text), .text): .text(text)
        case let (.integer(number), .integer): .integer(number)
        case let (.integer(number), .real): .real(Double(number))
        case let (.real(number), .real): .real(number)
        case let (.boolean(flag), .boolean): .boolean(flag)
        default: nil
        }
    }
}

/// Reads a file line by line in large chunks, so an export of any size is never held whole.
struct LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreError.unavailable("cannot read \(path)") }
        self.handle = handle
    }

    /// The next line without its newline; nil at the end.
    mutating func next() throws -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start ..< newline])
                start = newline + 1
                return line
            }
            if finished {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                return line
            }
            buffer.removeFirst(start)
            start = 0
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { finished = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}
