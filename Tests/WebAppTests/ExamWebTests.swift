import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Storage
import CairnCore
import HummingbirdTesting
import Testing
@testable import WebApp

/// The exam pages over HTTP, in process, with the exam fixture course.
@Suite("Exam pages")
struct ExamWebTests {
    static let exam = "/courses/exam-course/exam"
    static let examCourses = Fixtures.testsFolder.appendingPathComponent("Fixtures/exam-courses").path

    /// Signs up and completes the course's only module (its one check answered right).
    static func readyLearner(_ client: any TestClientProtocol, _ name: String) async throws -> Browser {
        var browser = Browser(client: client)
        try await browser.postForm("/signup", ["name": name, "email": "\(name)@example.org", "password": "a long exam password"])
        try await browser.get("/courses/exam-course/lessons/intro")
        try await browser.postForm("/courses/exam-course/lessons/intro/chat", ["interaction": "intro-check", "choice": "b"])
        return browser
    }

    @Test("locked until the module is done; then one item at a time, answers recorded once, a result only its learner can read")
    func examOverHTTP() async throws {
        let app = try await buildApplication(config: Fixtures.config(courses: Self.examCourses))
        try await app.test(.router) { client in
            var anonymous = Browser(client: client)
            let away = try await anonymous.get(Self.exam)
            #expect(away.status == .found && away.headers[.location] == "/login?next=\(Self.exam)")

            var early = Browser(client: client)
            try await early.postForm("/signup", ["name": "early", "email": "early@example.org", "password": "a long exam password"])
            let locked = try await early.get(Self.exam)
            #expect(locked.status == .ok && locked.text.contains("unlocks when you have completed") && !locked.text.contains("Start the exam"))
            let refused = try await early.send(Self.exam + "/start", .post, body: nil)
            #expect(refused.status == .forbidden)
            #expect(refused.text.contains("complete “The only module” first"))

            var ada = try await Self.readyLearner(client, "ada")
            #expect(try await ada.get("/courses/exam-course").text.contains("Take the exam"))
            let start = try await ada.send(Self.exam + "/start", .post, body: nil)
            #expect(start.status == .seeOther && start.headers[.location] == Self.exam)
            let item = try await ada.get(Self.exam)
            #expect(item.text.contains("name=\"position\" value=\"1\""))
            #expect(item.text.contains("value=\"o1\"") && !item.text.contains("value=\"a\""), "options carry the sitting's own ids")
            #expect(!item.text.contains("Get a hint") && !item.text.contains("Ask the tutor"))

            let answer = try await ada.postForm(Self.exam + "/answer", ["position": "1", "choice": "o1"])
            #expect(answer.status == .seeOther && answer.headers[.location] == Self.exam)
            let again = try await ada.postForm(Self.exam + "/answer", ["position": "1", "choice": "o2"])
            #expect(again.headers[.location] == Self.exam + "?notice=already-answered")
            let second = try await ada.get(again.headers[.location] ?? Self.exam)
            #expect(second.text.contains("had already been recorded") && second.text.contains("name=\"position\" value=\"2\""))

            let empty = try await ada.postForm(Self.exam + "/answer", ["position": "2"])
            #expect(empty.status == .unprocessableContent)
            #expect(empty.text.contains("Choose one of the options.") && empty.text.contains("name=\"position\" value=\"2\""))
            let unseen = try await ada.postForm(Self.exam + "/answer", ["position": "7", "choice": "o1"])
            #expect(unseen.status == .unprocessableContent && unseen.text.contains("Item 7 is not the one in front of you"))

            #expect(try await ada.postForm(Self.exam + "/events", ["kind": "focus_lost", "detail": "page hidden"]).status == .noContent)
            #expect(try await ada.postForm(Self.exam + "/events", ["kind": "answer"]).status == .unprocessableContent)

            let submit = try await ada.send(Self.exam + "/submit", .post, body: nil)
            let resultPath = try #require(submit.headers[.location])
            #expect(submit.status == .seeOther && resultPath.hasPrefix(Self.exam + "/results/"))
            let result = try await ada.get(resultPath)
            #expect(result.status == .ok)
            #expect(result.text.contains("By skill area") && result.text.contains("Reading outputs"))
            #expect(result.text.contains("You finished the exam before the last item"))

            let late = try await ada.postForm(Self.exam + "/answer", ["position": "2", "choice": "o1"])
            #expect(late.headers[.location] == Self.exam + "?notice=ended")
            #expect(try await ada.get(Self.exam + "?notice=ended").text.contains("The exam had ended, so that answer was not recorded."))

            var bo = try await Self.readyLearner(client, "bo")
            #expect(try await bo.get(resultPath).status == .notFound, "another learner cannot read the result")
            #expect(try await anonymous.get(resultPath).status == .found, "nor can someone signed out")
        }
    }
}

@Suite("Exam review")
struct ExamReviewWebTests {
    @Test("platform admins see each sitting's items and event log, with lost focus and refusals counted; learners cannot")
    func review() async throws {
        let config = Fixtures.config(courses: ExamWebTests.examCourses)
        let app = try await buildApplication(config: config)
        try await app.test(.router) { client in
            var learner = try await ExamWebTests.readyLearner(client, "rev")
            try await learner.send(ExamWebTests.exam + "/start", .post, body: nil)
            try await learner.get(ExamWebTests.exam)
            try await learner.get(ExamWebTests.exam)
            try await learner.postForm(ExamWebTests.exam + "/events", ["kind": "focus_lost", "detail": "page hidden"])
            try await learner.postForm(ExamWebTests.exam + "/answer", ["position": "1", "choice": "o1"])
            try await learner.postForm(ExamWebTests.exam + "/answer", ["position": "1", "choice": "o2"])
            #expect(try await learner.get("/admin/exams").status == .forbidden)

            var admin = Browser(client: client)
            try await admin.postForm("/signup", ["name": "Ada Admin", "email": "ada@example.org", "password": "a long admin password"])
            let database = try await config.openDatabase(logger: Logger(label: "test"))
            let (adminUser, _) = try #require(try await database.store.userWithPasswordHash(email: EmailAddress("ada@example.org")!))
            try await database.store.setRole(.platformAdmin, for: adminUser.id)
            await database.shutdown()

            let list = try await admin.get("/admin/exams")
            #expect(list.status == .ok && list.text.contains("rev") && list.text.contains("adaptive, active") && list.text.contains("class=\"flagged\""))
            let link = try #require(list.text.range(of: "/admin/exams/[0-9a-f-]{36}", options: .regularExpression).map { String(list.text[$0]) })
            let detail = try await admin.get(link)
            #expect(detail.status == .ok)
            for kind in ["start", "resume", "focus lost", "answer", "refused"] {
                #expect(detail.text.contains("<strong>\(kind)</strong>"), "the log shows \(kind)")
            }
            #expect(detail.text.contains("repeated answer to item 1") && detail.text.contains("page hidden"))
            #expect(try await admin.get("/admin/exams/00000000-0000-0000-0000-000000000000").status == .notFound)
        }
    }
}

@Suite("Badge administration")
struct AdminBadgeWebTests {
    @Test("a platform admin awards a badge by hand and revokes it with a reason; learners cannot reach the page")
    func awardAndRevoke() async throws {
        let config = Fixtures.config(courses: ExamWebTests.examCourses)
        let app = try await buildApplication(config: config)
        try await app.test(.router) { client in
            var learner = Browser(client: client)
            try await learner.postForm("/signup", ["name": "Lee Learner", "email": "lee@example.org", "password": "a long exam password"])
            #expect(try await learner.get("/admin/badges").status == .forbidden)
            #expect(try await learner.postForm("/admin/badges/award", ["course": "exam-course", "email": "lee@example.org"]).status == .forbidden)

            var admin = Browser(client: client)
            try await admin.postForm("/signup", ["name": "Ada Admin", "email": "ada@example.org", "password": "a long admin password"])
            let database = try await config.openDatabase(logger: Logger(label: "test"))
            let (adminUser, _) = try #require(try await database.store.userWithPasswordHash(email: EmailAddress("ada@example.org")!))
            try await database.store.setRole(.platformAdmin, for: adminUser.id)
            await database.shutdown()

            let page = try await admin.get("/admin/badges")
            #expect(page.status == .ok && page.text.contains("Award a badge by hand") && page.text.contains("No badges issued yet."))
            let unknown = try await admin.postForm("/admin/badges/award", ["course": "exam-course", "email": "nobody@example.org"])
            #expect(unknown.status == .unprocessableContent && unknown.text.contains("No account uses nobody@example.org"))
            let awarded = try await admin.postForm("/admin/badges/award", ["course": "exam-course", "email": "lee@example.org"])
            let location = try #require(awarded.headers[.location])
            #expect(awarded.status == .seeOther && location.hasPrefix("/admin/badges?done=awarded-"))
            let id = String(location.dropFirst("/admin/badges?done=awarded-".count))
            let listed = try await admin.get(location)
            #expect(listed.text.contains("Badge awarded") && listed.text.contains("Lee Learner") && listed.text.contains("by hand"))
            #expect(try await learner.get("/me/badges").text.contains("/badges/\(id)"), "the learner's wallet lists it")
            var visitor = Browser(client: client)
            #expect(try await visitor.get("/badges/\(id)").text.contains("Verified: this badge is authentic"))

            #expect(try await learner.postForm("/admin/badges/\(id)/suspend", ["reason": "not theirs to suspend"]).status == .forbidden)
            let suspended = try await admin.postForm("/admin/badges/\(id)/suspend", ["reason": "a complaint is being looked into"])
            #expect(suspended.status == .seeOther && suspended.headers[.location] == "/admin/badges?done=suspended-\(id)")
            let whileSuspended = try await admin.get("/admin/badges?done=suspended-\(id)")
            #expect(whileSuspended.text.contains("Badge suspended") && whileSuspended.text.contains("suspended: a complaint is being looked into"))
            #expect(try await visitor.get("/badges/\(id)").text.contains("This badge does not verify: the issuer has suspended it for now."))
            #expect(try await learner.get("/me/badges").text.contains("· suspended"))
            let list = try await visitor.get("/status/suspension")
            #expect(list.status == .ok && list.headers[.contentType] == "application/vc+jwt" && list.headers[.cacheControl] == "public, max-age=300")
            #expect(try await visitor.get("/status/other").status == .notFound)
            #expect(try await admin.postForm("/admin/badges/\(id)/reinstate", [:]).headers[.location] == "/admin/badges?done=reinstated-\(id)")
            #expect(try await visitor.get("/badges/\(id)").text.contains("Verified: this badge is authentic"))
            let again = try await admin.postForm("/admin/badges/\(id)/reinstate", [:])
            #expect(again.status == .conflict && again.text.contains("That badge is not suspended."))

            let noReason = try await admin.postForm("/admin/badges/\(id)/revoke", ["reason": " "])
            #expect(noReason.status == .unprocessableContent && noReason.text.contains("Say why the badge is revoked"))
            let revoked = try await admin.postForm("/admin/badges/\(id)/revoke", ["reason": "awarded to the wrong person"])
            #expect(revoked.status == .seeOther)
            #expect(try await admin.get("/admin/badges").text.contains("revoked: awarded to the wrong person"))
            let publicPage = try await visitor.get("/badges/\(id)")
            #expect(publicPage.text.contains("This badge does not verify: it has been revoked by the issuer."))
        }
    }
}
