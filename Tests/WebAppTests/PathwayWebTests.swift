import AppServices
import CairnCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Storage
import Testing
@testable import WebApp

/// The pathway to a full certification over HTTP, with the exam fixture's pathway: the
/// Exam Practice Badge and a practice capstone scored by people.
@Suite("Pathway pages")
struct PathwayWebTests {
    static let page = "/pathways/exam-practitioner"
    static let handIn = "/pathways/exam-practitioner/capstones/practice-project"

    @Test("a learner sees what is left, hands in a capstone, an admin scores it, and the certification follows the last step")
    func wholeWay() async throws {
        let config = Fixtures.config(courses: ExamWebTests.examCourses)
        let app = try await buildApplication(config: config)
        try await app.test(.router) { client in
            var visitor = Browser(client: client)
            let catalogue = try await visitor.get("/courses")
            #expect(catalogue.text.contains("Certifications") && catalogue.text.contains("href=\"\(Self.page)\"") && catalogue.text.contains("1 badge and 1 scored capstone"))
            let anonymous = try await visitor.get(Self.page)
            #expect(anonymous.status == .ok && anonymous.text.contains("Exam Practitioner Certificate") && anonymous.text.contains("Sign up to track your way"))
            #expect(!anonymous.text.contains("name=\"work_url\""), "no hand-in form without an account")
            #expect(try await visitor.postForm(Self.handIn, ["work_url": "https://example.org/w"]).headers[.location] == "/login", "handing in needs an account")
            #expect(try await visitor.get("/pathways/no-such-pathway").status == .notFound)

            var learner = Browser(client: client)
            try await learner.postForm("/signup", ["name": "Pat Pathway", "email": "pat@example.org", "password": "a long pathway password"])
            var mine = try await learner.get(Self.page)
            #expect(mine.text.contains("0 of 2 steps done.") && mine.text.contains("Left to do: Exam Practice Badge; A practice project."))
            #expect(mine.text.contains("href=\"/courses/exam-course\""), "the badge step links to its course")
            let bad = try await learner.postForm(Self.handIn, ["work_url": "not a link", "work_title": ""])
            #expect(bad.status == .unprocessableContent && bad.text.contains("work_url: Give the link to the work"))
            let handedIn = try await learner.postForm(Self.handIn, ["work_url": "https://docs.example.org/pat", "work_title": "Three checks by Pat"])
            #expect(handedIn.status == .seeOther && handedIn.headers[.location] == Self.page + "?done=handed-in#capstones")
            mine = try await learner.get(Self.page + "?done=handed-in")
            #expect(mine.text.contains("Your work is handed in.") && mine.text.contains("waiting to be scored"))
            #expect(try await learner.get("/admin/badges").status == .forbidden)

            var admin = Browser(client: client)
            try await admin.postForm("/signup", ["name": "Ada Admin", "email": "ada@example.org", "password": "a long admin password"])
            let database = try await config.openDatabase(logger: Logger(label: "test"))
            let (adminUser, _) = try #require(try await database.store.userWithPasswordHash(email: EmailAddress("ada@example.org")!))
            try await database.store.setRole(.platformAdmin, for: adminUser.id)
            let work = try #require(try await database.store.capstoneWorkWaiting(limit: 10).first?.0)
            await database.shutdown()
            #expect(try await learner.postForm("/admin/capstones/\(work.id)/score", ["score": "100"]).status == .forbidden)

            let adminPage = try await admin.get("/admin/badges")
            #expect(adminPage.text.contains("Capstone work waiting to be scored") && adminPage.text.contains("Three checks by Pat")
                    && adminPage.text.contains("pat@example.org"))
            let outOfRange = try await admin.postForm("/admin/capstones/\(work.id)/score", ["score": "250"])
            #expect(outOfRange.status == .unprocessableContent && outOfRange.text.contains("score: Give the score as a whole number from 0 to 100."))
            let scored = try await admin.postForm("/admin/capstones/\(work.id)/score", ["score": "82", "notes": "Clear and careful."])
            #expect(scored.headers[.location] == "/admin/badges?done=scored-capstone", "the badge step is still open: no certification yet")
            #expect(try await admin.get("/admin/badges").text.contains("No capstone work is waiting."))
            mine = try await learner.get(Self.page)
            #expect(mine.text.contains("1 of 2 steps done.") && mine.text.contains("Passed with 82 of 100.") && mine.text.contains("Clear and careful."))

            // The badge, awarded by hand, is the last step: the certification is issued with it.
            let awarded = try await admin.postForm("/admin/badges/award", ["course": "exam-course", "email": "pat@example.org"])
            #expect(awarded.status == .seeOther)
            mine = try await learner.get(Self.page)
            #expect(mine.text.contains("2 of 2 steps done.") && mine.text.contains("You hold this certification"))
            let wallet = try await learner.get("/me/badges")
            #expect(wallet.text.contains("Exam Practitioner Certificate") && wallet.text.contains("Exam Practice Badge") && wallet.text.contains("held"))
            let certificationHref = try #require(mine.text.firstMatch(of: /href="(\/badges\/[0-9a-f-]+)">See and share it/)?.1)
            let certificationPage = try await visitor.get(String(certificationHref))
            #expect(certificationPage.text.contains("Verified: this badge is authentic and in force.") && certificationPage.text.contains("scored 82 of 100"))
            #expect(!certificationPage.text.contains("<h2>Skills</h2>"), "a certification aligns no skills of its own")
            let badgeHref = try #require(mine.text.firstMatch(of: /Earned [^<]*<a href="(\/badges\/[0-9a-f-]+)">See the badge/)?.1)
            #expect(try await visitor.get(String(badgeHref)).text.contains("A step toward the full certification <a href=\"\(Self.page)\">"))
            // The issuer's Profile page, linked from every badge page; JSON for machines.
            #expect(try await visitor.get(String(badgeHref)).text.contains("issued by <a href=\"/issuer\">Cairn</a>"))
            let issuer = try await visitor.get("/issuer")
            #expect(issuer.status == .ok && issuer.text.contains("did:web:") && issuer.text.contains("#key-1") && issuer.text.contains("#ed25519-1"))
            #expect(issuer.text.contains("Exam Practitioner Certificate (certification)") && issuer.text.contains("href=\"/status/suspension\""))
            #expect(!issuer.text.contains("PRIVATE KEY") && !issuer.text.contains("z3u"), "no private key on the page")
            let profile = try await visitor.get("/issuer", headers: [.accept: "application/json"])
            #expect(profile.headers[.contentType] == "application/json" && profile.text.contains("\"type\" : [\n    \"Profile\"\n  ]"))
            #expect(profile.text.contains("/issuer\""), "the profile's url is this page")
            let again = try await learner.postForm(Self.handIn, ["work_url": "https://docs.example.org/pat-2"])
            #expect(again.status == .conflict && again.text.contains("has passed already"))
        }
    }
}
