import AppServices
import CairnCore
import Foundation
import Logging
import NIOCore
import SQLKit
import SQLiteKit
@testable import Storage
import Testing

/// A dialect with numbered placeholders, as PostgreSQL writes them.
private struct NumberedDialect: SQLDialect {
    var name: String { "numbered" }
    var identifierQuote: any SQLExpression { SQLRaw("\"") }
    var literalStringQuote: any SQLExpression { SQLRaw("'") }
    var supportsAutoIncrement: Bool { false }
    var autoIncrementClause: any SQLExpression { SQLRaw("") }
    func bindPlaceholder(at position: Int) -> any SQLExpression { SQLRaw("$\(position)") }
    func literalBoolean(_ value: Bool) -> any SQLExpression { SQLRaw(value ? "TRUE" : "FALSE") }
}

/// SQLite through SQLKit alone: the same connection, but not recognisable as one, so
/// statements take the path every other database takes.
private struct ThroughSQLKit: SQLDatabase {
    let inner: any SQLDatabase
    var logger: Logger { inner.logger }
    var eventLoop: any EventLoop { inner.eventLoop }
    var dialect: any SQLDialect { inner.dialect }
    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        inner.execute(sql: query, onRow)
    }
}

@Suite("Fixed statements")
struct StatementTests {
    @Test("a statement's placeholders become the dialect's, with the values bound in order")
    func expression() {
        let statement = Statement("SELECT a FROM t WHERE b = ? AND c = ? OR d = ? OR e = ? OR f = ?")
        let database = ThroughSQLKitDialect(dialect: NumberedDialect())
        var serializer = SQLSerializer(database: database)
        statement.expression([.text("x"), .integer(2), .null, .boolean(true), .real(0.5)]).serialize(to: &serializer)
        // NULL is written into the SQL, untyped: PostgreSQL refuses a NULL bound as text for a
        // number column, and takes a literal NULL as the column's type.
        #expect(serializer.sql == "SELECT a FROM t WHERE b = $1 AND c = $2 OR d = NULL OR e = $3 OR f = $4")
        #expect(serializer.binds.count == 4)
        #expect(serializer.binds[0] as? String == "x")
        #expect(serializer.binds[1] as? Int == 2)
        // A flag stays a boolean for databases that have them.
        #expect(serializer.binds[2] as? Bool == true)
        #expect(serializer.binds[3] as? Double == 0.5)
    }

    @Test("rows read the same on SQLite directly and through SQLKit", arguments: [false, true])
    func sameRows(throughSQLKit: Bool) async throws {
        try await Backend.sqlite.withStore { store, _ in
            let user = makeUser("statement@example.org")
            try await store.insertUser(user, passwordHash: "h")
            let session = StoredSession(id: SessionID(rawValue: String(repeating: "a", count: 64)), userID: user.id, createdAt: t0, expiresAt: t0 + 3_600)
            try await store.insertSession(session)
            try await store.withDatabase { raw in
                let db: any SQLDatabase = throughSQLKit ? ThroughSQLKit(inner: raw) : raw
                let rows = try await db.rows(SQLStore.sessionWithUser, [.text(session.id.rawValue)])
                #expect(rows.count == 1)
                let row = try #require(rows.first)
                // Every column, in the order of the SELECT list, on both paths.
                #expect(try row.string(0) == session.id.rawValue)
                #expect(try row.string(1) == user.id.rawValue)
                #expect(try row.int64(2) == session.createdAt.epochMilliseconds)
                #expect(try row.int64(3) == session.expiresAt.epochMilliseconds)
                #expect(try row.string(4) == user.id.rawValue)
                #expect(try row.string(5) == "statement@example.org")
                #expect(try row.string(6) == user.displayName)
                #expect(try row.string(7) == user.role.rawValue)
                #expect(try row.int64(8) == user.createdAt.epochMilliseconds)
                let typed = try await db.rows(Statement("SELECT ? AS t, ? AS i, ? AS r, ? AS n, 1 = 1 AS b, ? AS f"),
                                              [.text("ü"), .integer(-7), .real(0.25), .null, .boolean(false)])
                let first = try #require(typed.first)
                #expect(try first.string(0) == "ü")
                #expect(try first.int(1) == -7)
                #expect(try first.double(2) == 0.25)
                #expect(try first.optional(3, first.string) == nil)
                #expect(try first.optional(3, first.int) == nil)
                #expect(try first.optional(1, first.int) == -7)
                #expect(try first.bool(4))
                #expect(try first.bool(5) == false)
                #expect(try await db.rows(SQLStore.sessionWithUser, [.text("missing")]).isEmpty)
            }
        }
    }
}

/// Only a dialect, for serialising.
private struct ThroughSQLKitDialect: SQLDatabase {
    let dialect: any SQLDialect
    var logger: Logger { Logger(label: "serialise") }
    var eventLoop: any EventLoop { fatalError("serialising only") }
    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        fatalError("serialising only")
    }
}
