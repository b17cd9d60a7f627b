import AppServices
import CairnCore
import Credentials
import Curriculum
import Foundation
import Grading
import Storage
import Testing

// Badges issued by the exam service on a pass, over a real migrated SQLite store.
// `ExamRoom` comes from ExamServiceTests.swift.

@Suite("Badges")
struct BadgeServiceTests {
    static func room() async throws -> (ExamRoom, BadgeService, ExamService) {
        let room = try await ExamRoom.make()
        let badges = BadgeService(catalog: room.catalog, store: room.store, baseURL: "https://learn.example.org", clock: room.world.clock.clock)
        let exams = ExamService(catalog: room.catalog, learning: room.learning, store: room.store, badges: badges, clock: room.world.clock.clock)
        return (room, badges, exams)
    }

    /// Sits the exam answering every item right; returns the finished sitting.
    static func pass(_ room: ExamRoom, _ exams: ExamService, _ user: UserID) async throws -> ExamSession {
        let session = try await exams.start(course: ExamRoom.courseID, user: user)
        while case let .item(item) = try await exams.current(course: ExamRoom.courseID, user: user) {
            guard case let .singleChoice(_, key) = item.item.content else { break }
            room.world.clock.advance(by: 20)
            try await exams.answer(course: ExamRoom.courseID, user: user, position: item.position, answer: .choice(key))
        }
        return try #require(try await room.store.examSession(id: session.id))
    }

    @Test("passing the exam issues one signed badge that verifies, carries no personal data, and names the exam as evidence")
    func issuedOnPass() async throws {
        let (room, badges, exams) = try await Self.room()
        let user = try await room.readyLearner("ada")
        let session = try await Self.pass(room, exams, user)
        let badge = try #require(try await exams.badge(for: session))
        #expect(try await exams.badge(for: session) == badge, "asking again returns the same badge")
        #expect(try await room.store.badges(user: user).count == 1)

        let report = try await badges.verify(jwt: badge.jwt)
        #expect(report.isValid, "\(report.checks)")
        let credential = try #require(report.credential)
        #expect(credential.id == "https://learn.example.org/badges/\(badge.id)")
        #expect(credential.issuer.id == "did:web:learn.example.org")
        #expect(credential.name == "Exam Practice Badge")
        #expect(Set(credential.credentialSubject.achievement.alignment?.map(\.targetName) ?? []) == ["Reading outputs", "Checking claims"])
        #expect(credential.evidence?.first?.narrative?.contains("Passed the Exam Practice exam") == true)
        #expect(credential.validUntil != nil, "the course's badge is valid for 365 days")
        #expect(!badge.json.contains("ada@example.org") && !badge.jwt.contains("ada"), "no plain e-mail in the badge")
        let identity = try #require(credential.credentialSubject.identifier?.first)
        #expect(IdentityHash.matches(identity, address: "ada@example.org"))
    }

    @Test("a pass leaves a badge job behind; the job issues a badge missing from a passed sitting, once however often it runs")
    func badgeJob() async throws {
        let (room, badges, exams) = try await Self.room()
        let store = room.store
        let clock = room.world.clock
        let runner = JobRunner(store: store, handlers: JobRunner.handlers(
            store: store, badges: badges, calibration: CalibrationRunService(catalog: room.world.courses, store: store, clock: clock.clock), clock: clock.clock), worker: "w", clock: clock.clock)

        // Issued at once on a pass; the job, due a minute later, finds it issued.
        let passed = try await Self.pass(room, exams, try await room.readyLearner("ada"))
        let job = try #require(try await store.job(key: "badge.issue:\(passed.id.rawValue)"))
        #expect(job.status == .queued && job.runAt == clock.now + 60)
        clock.advance(by: 61)
        #expect(try await runner.runDue() == 1)
        #expect(try await store.job(key: job.key)?.status == .done)
        #expect(try await store.badges(user: passed.userID).count == 1)

        // A sitting passed while issuing was out of reach (no badge service): the job issues
        // its badge, and running the same work again issues nothing more.
        let unbadged = ExamService(catalog: room.catalog, learning: room.learning, store: store, badges: nil, clock: clock.clock)
        let quiet = try await Self.pass(room, unbadged, try await room.readyLearner("bo"))
        #expect(try await store.badges(user: quiet.userID).isEmpty)
        for attempt in 0 ..< 2 {
            try await store.enqueueJob(NewJob(kind: JobRunner.Kind.issueBadge, payload: quiet.id.rawValue, key: "again-\(attempt)", runAt: clock.now, createdAt: clock.now))
            #expect(try await runner.runDue() == 1)
        }
        #expect(try await store.badges(user: quiet.userID).count == 1)
        #expect(try await store.jobs(status: .failed, limit: 10).isEmpty)
    }

    @Test("revoking turns verification to failed, with the reason kept; other badges stay valid")
    func revocation() async throws {
        let (room, badges, exams) = try await Self.room()
        let first = try #require(try await exams.badge(for: try await Self.pass(room, exams, try await room.readyLearner("bo"))))
        let second = try #require(try await exams.badge(for: try await Self.pass(room, exams, try await room.readyLearner("cy"))))
        #expect(first.statusIndex != second.statusIndex)
        await #expect(throws: AppError.self) { try await badges.revoke(id: first.id, reason: "  ") }
        try await badges.revoke(id: first.id, reason: "exam misconduct found on review")
        let revoked = try await badges.verify(jwt: first.jwt)
        #expect(revoked.checks.last == VerificationCheck("status", false, "revoked by the issuer"))
        #expect(try await badges.badge(id: first.id).revocationReason == "exam misconduct found on review")
        #expect(try await badges.verify(jwt: second.jwt).isValid)
    }

    @Test("suspending fails verification until the badge is reinstated; a revoked badge cannot be suspended")
    func suspension() async throws {
        let (room, badges, exams) = try await Self.room()
        let badge = try #require(try await exams.badge(for: try await Self.pass(room, exams, try await room.readyLearner("fa"))))
        let other = try #require(try await exams.badge(for: try await Self.pass(room, exams, try await room.readyLearner("gu"))))
        await #expect(throws: AppError.self) { try await badges.suspend(id: badge.id, reason: "") }
        await #expect(throws: AppError.self) { try await badges.reinstate(id: badge.id) }
        try await badges.suspend(id: badge.id, reason: "a complaint about the exam is being looked into")
        let suspended = try await badges.verify(jwt: badge.jwt)
        #expect(suspended.checks.last == VerificationCheck("status", false, "suspended by the issuer"))
        #expect(try await badges.badge(id: badge.id).suspensionReason == "a complaint about the exam is being looked into")
        #expect(try await badges.verify(jwt: other.jwt).isValid, "the neighbouring badge is untouched")
        // The published suspension list carries the bit; the revocation list does not.
        let list = try await badges.statusListJWT(purpose: "suspension")
        let keys = StaticKeys(document: try await badges.didDocument())
        let entry = try #require(CredentialVerifier.unverifiedCredential(badge.jwt).credentialStatus?.suspensionCompanion)
        #expect(entry.statusListCredential == badges.suspensionListURL)
        #expect(try await StatusListReader().isSet(entry, listJWT: list, keys: keys))
        let revocationEntry = try #require(CredentialVerifier.unverifiedCredential(badge.jwt).credentialStatus)
        #expect(try await !StatusListReader().isSet(revocationEntry, listJWT: try await badges.statusListJWT(purpose: "revocation"), keys: keys))
        try await badges.reinstate(id: badge.id)
        let restored = try await badges.verify(jwt: badge.jwt)
        #expect(restored.isValid, "\(restored.checks)")
        #expect(restored.checks.last?.detail.contains("not suspended") == true)
        try await badges.revoke(id: other.id, reason: "issued in error")
        await #expect(throws: AppError.self) { try await badges.suspend(id: other.id, reason: "too late") }
    }

    @Test("after a key rotation new badges use the new key, and badges signed before still verify")
    func rotation() async throws {
        let (room, badges, exams) = try await Self.room()
        let before = try #require(try await exams.badge(for: try await Self.pass(room, exams, try await room.readyLearner("di"))))
        let name = try await badges.rotateKey()
        #expect(name == "key-2")
        let after = try #require(try await exams.badge(for: try await Self.pass(room, exams, try await room.readyLearner("ed"))))
        #expect(before.keyName == "key-1" && after.keyName == "key-2")
        #expect(try await badges.verify(jwt: before.jwt).isValid)
        #expect(try await badges.verify(jwt: after.jwt).isValid)
        #expect(try await badges.verify(dataIntegrity: before.json).isValid, "the old Ed25519 key still verifies the old badge's proof")
        #expect(try await badges.verify(dataIntegrity: after.json).isValid)
        #expect(before.json.contains("#ed25519-1\"") && after.json.contains("#ed25519-2\""), "the rotation retired the Ed25519 key too")
        let document = try await badges.didDocument()
        #expect(document.verificationMethod.map(\.id) == [
            "did:web:learn.example.org#key-1", "did:web:learn.example.org#key-2",
            "did:web:learn.example.org#ed25519-1", "did:web:learn.example.org#ed25519-2",
        ])
        #expect(document.verificationMethod.filter { $0.type == "Multikey" }.allSatisfy { $0.publicKeyMultibase?.hasPrefix("z6Mk") == true })
        #expect(document.context.contains("https://w3id.org/security/multikey/v1"))
    }

    @Test("the JSON form carries an eddsa-rdfc-2022 proof that verifies, defines every property it uses, and breaks when altered")
    func dataIntegrity() async throws {
        let (room, badges, exams) = try await Self.room()
        let badge = try #require(try await exams.badge(for: try await Self.pass(room, exams, try await room.readyLearner("hu"))))
        let report = try await badges.verify(dataIntegrity: badge.json)
        #expect(report.isValid, "\(report.checks)")
        #expect(report.checks.map(\.name) == ["format", "key", "signature", "issuer", "schema", "dates", "status"])
        let credential = try #require(report.credential)
        #expect(credential.proof?.cryptosuite == "eddsa-rdfc-2022" && credential.proof?.verificationMethod == "did:web:learn.example.org#ed25519-1")
        #expect(credential.proof?.proofValue?.hasPrefix("z") == true)
        var unsecured = try JSON(data: Data(badge.json.utf8)).object ?? [:]
        unsecured["proof"] = nil
        #expect(try DefinedTerms.undefinedProperties(of: .object(unsecured)) == [], "every property is defined by the VC 2.0 or Open Badges 3.0 context")
        let jwtCredential = try CredentialVerifier.unverifiedCredential(badge.jwt)
        var withoutProof = credential
        withoutProof.proof = nil
        #expect(withoutProof == jwtCredential, "the JSON and the VC-JWT carry the same credential")
        for (old, new) in [("\"Exam Practice Badge\"", "\"Expert Badge\""), ("\"validFrom\":\"", "\"validFrom\":\"1"), ("sha256$", "sha256$0")] {
            #expect(badge.json.contains(old), "the credential has \(old)")
            let forged = try await badges.verify(dataIntegrity: badge.json.replacingOccurrences(of: old, with: new))
            #expect(!forged.isValid, "altering \(old)")
        }
        try await badges.revoke(id: badge.id, reason: "checking the status through the JSON form")
        let revoked = try await badges.verify(dataIntegrity: badge.json)
        #expect(revoked.checks.last == VerificationCheck("status", false, "revoked by the issuer"))
    }

    @Test("re-certification: the exam opens again 30 days before the badge expires, and the renewed badge keeps the first award date")
    func recertification() async throws {
        let (room, badges, exams) = try await Self.room()
        let user = try await room.readyLearner("gus")
        let first = try #require(try await exams.badge(for: try await Self.pass(room, exams, user)))
        #expect(try await exams.overview(course: ExamRoom.courseID, user: user).availability == .passed)
        room.world.clock.advance(by: 300 * 86_400)
        #expect(try await exams.overview(course: ExamRoom.courseID, user: user).availability == .passed, "65 days before expiry: not yet")
        room.world.clock.advance(by: 40 * 86_400)
        #expect(try await exams.overview(course: ExamRoom.courseID, user: user).availability == .available, "25 days before expiry: open")
        let renewed = try #require(try await exams.badge(for: try await Self.pass(room, exams, user)))
        #expect(renewed.id != first.id)
        let credential = try #require(try await badges.verify(jwt: renewed.jwt).credential)
        #expect(credential.awardedDate == CredentialDate.string(first.awardedAt), "awardedDate is the first award")
        #expect(credential.validFrom == CredentialDate.string(renewed.awardedAt))
        #expect(try #require(renewed.validUntil) > first.validUntil!)
    }

    @Test("a failed exam issues no badge")
    func noBadgeOnFail() async throws {
        let (room, _, exams) = try await Self.room()
        let user = try await room.readyLearner("fay")
        let session = try await exams.start(course: ExamRoom.courseID, user: user)
        try await room.answer(user, right: false)
        _ = try await exams.submit(course: ExamRoom.courseID, user: user)
        let finished = try #require(try await room.store.examSession(id: session.id))
        #expect(finished.result?.passed == false)
        #expect(try await exams.badge(for: finished) == nil)
        #expect(try await room.store.badges(user: user).isEmpty)
    }
}
