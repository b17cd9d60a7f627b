import AppServices
import CairnCore
import Credentials
import Curriculum
import Foundation
import Storage
import Testing

// A pathway to a full certification over the exam fixture: the Exam Practice Badge and a
// practice capstone scored by people (Tests/Fixtures/exam-courses/pathways).

@Suite("Pathways")
struct PathwayTests {
    static let pathwayID = PathwayID(rawValue: "exam-practitioner")
    static let capstone = "practice-project"

    func states(_ progress: PathwayProgress) -> [PathwayProgress.State] { progress.steps.map(\.state) }

    @Test("the fixture's pathway loads: the course badge, then the capstone with its rubric and pass mark")
    func loaded() throws {
        let pathway = try #require(ExamRoom.fixtureCatalog.pathway(Self.pathwayID))
        #expect(pathway.badgeCourses == [ExamRoom.courseID])
        #expect(pathway.capstones.map(\.passScore) == [60])
        #expect(pathway.capstone(Self.capstone)?.rubric.count == 2)
        #expect(ExamRoom.fixtureCatalog.pathways(including: ExamRoom.courseID).map(\.id) == [Self.pathwayID])
    }

    @Test("a learner sees what is left; passing, handing in and a passing score issue the certification once")
    func wholeWay() async throws {
        let (room, badges, exams) = try await BadgeServiceTests.room()
        #expect(states(try await badges.pathway(Self.pathwayID, for: nil)) == [.toEarn, .toHandIn], "a visitor sees the steps")
        let user = try await room.readyLearner("ada")
        let badge = try #require(try await exams.badge(for: try await BadgeServiceTests.pass(room, exams, user)))
        var progress = try await badges.pathway(Self.pathwayID, for: user)
        #expect(states(progress) == [.done, .toHandIn] && progress.steps[0].badge == badge && progress.certification == nil)

        await #expect(throws: AppError.invalidField(field: "work_url", message: "Give the link to the work (starting http:// or https://), where the reviewers can open it.")) {
            try await badges.handIn(pathway: Self.pathwayID, capstone: Self.capstone, user: user, url: "javascript:alert(1)", title: "")
        }
        await #expect(throws: AppError.self) {
            try await badges.handIn(pathway: Self.pathwayID, capstone: "no-such-capstone", user: user, url: "https://example.org/a", title: "")
        }
        let first = try await badges.handIn(pathway: Self.pathwayID, capstone: Self.capstone, user: user, url: "https://docs.example.org/ada-v1", title: "")
        #expect(first.workTitle == "A practice project", "an empty title takes the capstone's")
        let replaced = try await badges.handIn(pathway: Self.pathwayID, capstone: Self.capstone, user: user, url: " https://docs.example.org/ada-v2 ", title: "Checks of three summaries")
        #expect(replaced.id == first.id, "work still waiting is replaced, not queued twice")
        let waiting = try await badges.workWaiting()
        #expect(waiting.count == 1 && waiting[0].0.workURL == "https://docs.example.org/ada-v2" && waiting[0].1 == "ada" && waiting[0].2 == "ada@example.org")
        #expect(states(try await badges.pathway(Self.pathwayID, for: user)) == [.done, .waiting])

        await #expect(throws: AppError.self) { try await badges.score(work: first.id, score: 101, notes: nil, scorer: "Rita Reviewer") }
        #expect(try await badges.score(work: first.id, score: 40, notes: "Only two outputs were checked.", scorer: "Rita Reviewer").isEmpty)
        await #expect(throws: AppError.conflict("That work has been scored already.")) {
            try await badges.score(work: first.id, score: 90, notes: nil, scorer: "Rita Reviewer")
        }
        progress = try await badges.pathway(Self.pathwayID, for: user)
        #expect(states(progress) == [.done, .belowPass(score: 40)] && progress.certification == nil)

        let second = try await badges.handIn(pathway: Self.pathwayID, capstone: Self.capstone, user: user, url: "https://docs.example.org/ada-v3", title: "Three outputs, checked")
        #expect(second.id != first.id, "a new hand-in after a score below the pass mark")
        let issued = try await badges.score(work: second.id, score: 85, notes: nil, scorer: "Rita Reviewer")
        #expect(issued.count == 1)
        let certification = try #require(issued.first)
        #expect(certification.pathwayID == Self.pathwayID)
        progress = try await badges.pathway(Self.pathwayID, for: user)
        #expect(progress.isComplete && progress.certification == certification)

        let report = try await badges.verify(jwt: certification.jwt)
        #expect(report.isValid, "\(report.checks)")
        let credential = try #require(report.credential)
        #expect(credential.name == "Exam Practitioner Certificate")
        #expect(credential.credentialSubject.achievement.achievementType == "Certification")
        #expect(credential.credentialSubject.result?.first?.value == "85")
        let evidence = credential.evidence ?? []
        #expect(evidence.map(\.id) == [badges.badgeURL(badge.id), "https://docs.example.org/ada-v3"], "the badge and the work product are the evidence")
        #expect(evidence.last?.narrative?.contains("scored 85 of 100 (pass mark 60) by Rita Reviewer") == true)
        #expect(credential.validUntil != nil, "the pathway's certification is valid for 730 days")

        #expect(try await badges.certifyIfComplete(user: user).isEmpty, "a certification in force is not issued twice")
        await #expect(throws: AppError.self) {
            try await badges.handIn(pathway: Self.pathwayID, capstone: Self.capstone, user: user, url: "https://docs.example.org/again", title: "")
        }
    }

    @Test("a suspended badge holds the certification back until it is reinstated")
    func suspendedBadge() async throws {
        let (room, badges, exams) = try await BadgeServiceTests.room()
        let user = try await room.readyLearner("bo")
        let badge = try #require(try await exams.badge(for: try await BadgeServiceTests.pass(room, exams, user)))
        try await badges.suspend(id: badge.id, reason: "an exam complaint is open")
        #expect(states(try await badges.pathway(Self.pathwayID, for: user)).first == .suspended)
        let issued = try await badges.scoreByHand(
            pathway: Self.pathwayID, capstone: Self.capstone, email: "bo@example.org", url: "https://files.example.org/bo.pdf", title: "Bo's checks",
            score: 70, notes: nil, scorer: "Rita Reviewer"
        )
        #expect(issued.isEmpty, "the badge step is not done while suspended")
        #expect(states(try await badges.pathway(Self.pathwayID, for: user)) == [.suspended, .done])
        try await badges.reinstate(id: badge.id)
        let progress = try await badges.pathway(Self.pathwayID, for: user)
        #expect(progress.isComplete && progress.certification != nil, "reinstating the last step issues the certification")
    }

    @Test("a revoked or suspended certification is not issued again by the next step; an administrator decides")
    func revokedCertification() async throws {
        let (room, badges, exams) = try await BadgeServiceTests.room()
        let user = try await room.readyLearner("di")
        _ = try #require(try await exams.badge(for: try await BadgeServiceTests.pass(room, exams, user)))
        let certification = try #require(try await badges.scoreByHand(
            pathway: Self.pathwayID, capstone: Self.capstone, email: "di@example.org", url: "https://files.example.org/di", title: "", score: 90,
            notes: nil, scorer: "Rita Reviewer"
        ).first)
        try await badges.revoke(id: certification.id, reason: "the capstone was someone else's work")
        #expect(try await badges.certifyIfComplete(user: user).isEmpty, "revoked: not re-issued automatically")
        let all = try await room.store.badges(user: user).filter { $0.pathwayID != nil }
        #expect(all.count == 1)
    }

    @Test("the score is for the link the scorer saw: a replaced link must be looked at again; nobody scores their own work")
    func replacedLink() async throws {
        let (room, badges, _) = try await BadgeServiceTests.room()
        let user = try await room.learner("el")
        let first = try await badges.handIn(pathway: Self.pathwayID, capstone: Self.capstone, user: user, url: "https://docs.example.org/el-1", title: "")
        room.world.clock.advance(by: 60)
        _ = try await badges.handIn(pathway: Self.pathwayID, capstone: Self.capstone, user: user, url: "https://docs.example.org/el-2", title: "")
        await #expect(throws: AppError.self) {
            try await badges.score(work: first.id, score: 80, notes: nil, scorer: "Rita Reviewer", handedInAt: first.handedInAt)
        }
        await #expect(throws: AppError.forbidden("Scoring your own capstone")) {
            try await badges.score(work: first.id, score: 100, notes: nil, scorer: "El", scorerID: user)
        }
        let waiting = try #require(try await badges.workWaiting().first?.0)
        #expect(waiting.workURL == "https://docs.example.org/el-2")
        try await badges.score(work: waiting.id, score: 80, notes: nil, scorer: "Rita Reviewer", handedInAt: waiting.handedInAt)
        #expect(try await badges.workWaiting().isEmpty)
    }

    @Test("scoring by hand names the field at fault and changes nothing")
    func scoreByHandErrors() async throws {
        let (room, badges, _) = try await BadgeServiceTests.room()
        _ = try await room.learner("cy")
        func attempt(_ email: String, _ url: String, _ score: Int?) async -> AppError? {
            do {
                _ = try await badges.scoreByHand(pathway: Self.pathwayID, capstone: Self.capstone, email: email, url: url, title: "", score: score, notes: nil, scorer: "R")
                return nil
            } catch { return error as? AppError }
        }
        guard case .invalidField("email", _)? = await attempt("not-an-address", "https://example.org/w", 80) else { Issue.record("bad address"); return }
        guard case .invalidField("email", _)? = await attempt("nobody@example.org", "https://example.org/w", 80) else { Issue.record("no account"); return }
        guard case .invalidField("score", _)? = await attempt("cy@example.org", "https://example.org/w", nil) else { Issue.record("no score"); return }
        guard case .invalidField("work_url", _)? = await attempt("cy@example.org", "ftp://example.org/w", 80) else { Issue.record("bad link"); return }
        #expect(try await badges.workWaiting().isEmpty, "nothing was stored")
        await #expect(throws: AppError.self) { try await badges.pathway(PathwayID(rawValue: "no-such-pathway"), for: nil) }
    }
}
