import AppServices
import CairnCore
import Foundation
import SQLKit

struct IssuerKeyRow: Codable {
    var name: String
    var private_key: String
    var created_at: Int64
    var retired_at: Int64?

    func domain() -> StoredIssuerKey {
        StoredIssuerKey(
            name: name, privateKeyPEM: private_key, createdAt: Date(epochMilliseconds: created_at),
            retiredAt: retired_at.map(Date.init(epochMilliseconds:))
        )
    }
}

struct BadgeRow: Codable {
    var id: String
    var user_id: String
    var course_id: String
    var exam_session_id: String?
    var status_index: Int
    var json: String
    var jwt: String
    var key_name: String
    var awarded_at: Int64
    var valid_until: Int64?
    var revoked_at: Int64?
    var revocation_reason: String?
    var suspended_at: Int64?
    var suspension_reason: String?
    var pathway_id: String?

    init(_ badge: IssuedBadge) {
        pathway_id = badge.pathwayID?.rawValue
        id = badge.id
        user_id = badge.userID.rawValue
        course_id = badge.courseID.rawValue
        exam_session_id = badge.examSessionID?.rawValue
        status_index = badge.statusIndex
        json = badge.json
        jwt = badge.jwt
        key_name = badge.keyName
        awarded_at = badge.awardedAt.epochMilliseconds
        valid_until = badge.validUntil?.epochMilliseconds
        revoked_at = badge.revokedAt?.epochMilliseconds
        revocation_reason = badge.revocationReason
        suspended_at = badge.suspendedAt?.epochMilliseconds
        suspension_reason = badge.suspensionReason
    }

    func domain() -> IssuedBadge {
        IssuedBadge(
            id: id, userID: UserID(rawValue: user_id), courseID: CourseID(rawValue: course_id),
            examSessionID: exam_session_id.map(ExamSessionID.init(rawValue:)), statusIndex: status_index, json: json, jwt: jwt,
            keyName: key_name, awardedAt: Date(epochMilliseconds: awarded_at), validUntil: valid_until.map(Date.init(epochMilliseconds:)),
            revokedAt: revoked_at.map(Date.init(epochMilliseconds:)), revocationReason: revocation_reason,
            suspendedAt: suspended_at.map(Date.init(epochMilliseconds:)), suspensionReason: suspension_reason,
            pathwayID: pathway_id.map(PathwayID.init(rawValue:))
        )
    }
}

struct CapstoneWorkRow: Codable {
    var id: String
    var user_id: String
    var pathway_id: String
    var capstone_id: String
    var work_url: String
    var work_title: String
    var handed_in_at: Int64
    var score: Int?
    var passed: Bool
    var scorer: String?
    var notes: String?
    var scored_at: Int64?

    init(_ work: CapstoneWork) {
        id = work.id
        user_id = work.userID.rawValue
        pathway_id = work.pathwayID.rawValue
        capstone_id = work.capstoneID
        work_url = work.workURL
        work_title = work.workTitle
        handed_in_at = work.handedInAt.epochMilliseconds
        score = work.score
        passed = work.passed
        scorer = work.scorer
        notes = work.notes
        scored_at = work.scoredAt?.epochMilliseconds
    }

    func domain() -> CapstoneWork {
        CapstoneWork(
            id: id, userID: UserID(rawValue: user_id), pathwayID: PathwayID(rawValue: pathway_id), capstoneID: capstone_id, workURL: work_url,
            workTitle: work_title, handedInAt: Date(epochMilliseconds: handed_in_at), score: score, passed: passed, scorer: scorer, notes: notes,
            scoredAt: scored_at.map(Date.init(epochMilliseconds:))
        )
    }
}

extension SQLStore {
    public func insertCapstoneWork(_ work: CapstoneWork) async throws {
        let row = CapstoneWorkRow(work)
        try await withDatabase { db in try await db.insert(into: "capstone_work").model(row).run() }
    }

    public func scoreCapstoneWork(id: String, handedInAt: Date, score: Int, passed: Bool, scorer: String, notes: String?, at date: Date) async throws -> Bool {
        struct Changed: Decodable { var id: String }
        return try await withDatabase { db in
            try await db.raw("""
                UPDATE capstone_work SET score = \(bind: score), passed = \(bind: passed), scorer = \(bind: scorer), notes = \(bind: notes),
                scored_at = \(bind: date.epochMilliseconds)
                WHERE id = \(bind: id) AND score IS NULL AND handed_in_at = \(bind: handedInAt.epochMilliseconds) RETURNING id
                """).first(decoding: Changed.self) != nil
        }
    }

    public func replaceCapstoneWork(id: String, url: String, title: String, at date: Date) async throws {
        try await withDatabase { db in
            try await db.raw("""
                UPDATE capstone_work SET work_url = \(bind: url), work_title = \(bind: title), handed_in_at = \(bind: date.epochMilliseconds)
                WHERE id = \(bind: id) AND score IS NULL
                """).run()
        }
    }

    public func capstoneWork(id: String) async throws -> CapstoneWork? {
        try await withReader { db in
            try await db.raw("SELECT * FROM capstone_work WHERE id = \(bind: id)").first(decoding: CapstoneWorkRow.self)?.domain()
        }
    }

    public func capstoneWork(user: UserID) async throws -> [CapstoneWork] {
        try await withReader { db in
            try await db.raw("SELECT * FROM capstone_work WHERE user_id = \(bind: user.rawValue) ORDER BY handed_in_at DESC, id")
                .all(decoding: CapstoneWorkRow.self).map { $0.domain() }
        }
    }

    public func capstoneWorkWaiting(limit: Int) async throws -> [(CapstoneWork, String, String)] {
        try await withReader { db in
            try await db.raw("""
                SELECT capstone_work.*, users.display_name AS learner, users.email AS learner_email
                FROM capstone_work JOIN users ON users.id = capstone_work.user_id
                WHERE capstone_work.score IS NULL ORDER BY capstone_work.handed_in_at, capstone_work.id LIMIT \(bind: limit)
                """).all().map { row in
                (try row.decode(model: CapstoneWorkRow.self).domain(), try row.decode(column: "learner", as: String.self),
                 try row.decode(column: "learner_email", as: String.self))
            }
        }
    }

    public func issuerKeys() async throws -> [StoredIssuerKey] {
        try await withReader { db in
            try await db.raw("SELECT * FROM issuer_keys ORDER BY created_at, name").all(decoding: IssuerKeyRow.self).map { $0.domain() }
        }
    }

    public func insertIssuerKey(_ key: StoredIssuerKey) async throws {
        let row = IssuerKeyRow(
            name: key.name, private_key: key.privateKeyPEM, created_at: key.createdAt.epochMilliseconds,
            retired_at: key.retiredAt?.epochMilliseconds
        )
        try await withDatabase { db in try await db.insert(into: "issuer_keys").model(row).run() }
    }

    public func retireIssuerKey(name: String, at date: Date) async throws {
        try await withDatabase { db in
            try await db.raw("UPDATE issuer_keys SET retired_at = \(bind: date.epochMilliseconds) WHERE name = \(bind: name) AND retired_at IS NULL").run()
        }
    }

    public func nextStatusIndex() async throws -> Int {
        struct Next: Decodable { var next: Int? }
        return try await withDatabase { db in
            try await db.raw("SELECT MAX(status_index) + 1 AS next FROM badges").first(decoding: Next.self)?.next ?? 0
        }
    }

    public func insertBadge(_ badge: IssuedBadge) async throws {
        let row = BadgeRow(badge)
        try await withDatabase { db in try await db.insert(into: "badges").model(row).run() }
    }

    public func badge(id: String) async throws -> IssuedBadge? {
        try await withReader { db in
            try await db.raw("SELECT * FROM badges WHERE id = \(bind: id)").first(decoding: BadgeRow.self)?.domain()
        }
    }

    public func badge(examSession: ExamSessionID) async throws -> IssuedBadge? {
        try await withReader { db in
            try await db.raw("SELECT * FROM badges WHERE exam_session_id = \(bind: examSession.rawValue)").first(decoding: BadgeRow.self)?.domain()
        }
    }

    public func badges(user: UserID) async throws -> [IssuedBadge] {
        try await withReader { db in
            try await db.raw("SELECT * FROM badges WHERE user_id = \(bind: user.rawValue) ORDER BY awarded_at DESC, id")
                .all(decoding: BadgeRow.self).map { $0.domain() }
        }
    }

    public func recentBadges(limit: Int) async throws -> [(IssuedBadge, String)] {
        try await withReader { db in
            try await db.raw("""
                SELECT badges.*, users.display_name AS earner FROM badges JOIN users ON users.id = badges.user_id
                ORDER BY badges.awarded_at DESC, badges.id LIMIT \(bind: limit)
                """).all().map { row in (try row.decode(model: BadgeRow.self).domain(), try row.decode(column: "earner", as: String.self)) }
        }
    }

    public func setRevoked(badge id: String, at date: Date, reason: String) async throws {
        try await withDatabase { db in
            try await db.raw("""
                UPDATE badges SET revoked_at = \(bind: date.epochMilliseconds), revocation_reason = \(bind: reason)
                WHERE id = \(bind: id) AND revoked_at IS NULL
                """).run()
        }
    }

    public func setSuspended(badge id: String, suspended: Bool, at date: Date, reason: String?) async throws {
        try await withDatabase { db in
            if suspended {
                try await db.raw("""
                    UPDATE badges SET suspended_at = \(bind: date.epochMilliseconds), suspension_reason = \(bind: reason) WHERE id = \(bind: id)
                    """).run()
            } else {
                try await db.raw("UPDATE badges SET suspended_at = NULL, suspension_reason = NULL WHERE id = \(bind: id)").run()
            }
        }
    }

    public func statusIndexes(revoked: Bool) async throws -> [Int] {
        struct Index: Decodable { var status_index: Int }
        return try await withReader { db in
            let column = revoked ? "revoked_at" : "suspended_at"
            return try await db.raw("SELECT status_index FROM badges WHERE \(unsafeRaw: column) IS NOT NULL ORDER BY status_index")
                .all(decoding: Index.self).map(\.status_index)
        }
    }
}
