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

/// Calibration in the administration pages: asked for by a platform admin, run as a job by
/// a node's runner, followed on the page, its report and files read there.
@Suite("Calibration administration")
struct CalibrationWebTests {
    @Test("an admin asks for a calibration, the job's outcome shows on the page, and a finished run's report and files are served to admins only")
    func calibrationPages() async throws {
        var config = Fixtures.config(courses: ExamWebTests.examCourses)
        // This node only serves requests (`--jobs off`); a second node's job runner, on the
        // same database, takes the work.
        config.runsJobs = false
        let app = try await buildApplication(config: config)
        let node = try await CairnEnvironment.open(config: config, logger: Logger(label: "test"))
        try await app.test(.router) { client in
            var learner = try await ExamWebTests.readyLearner(client, "cal")
            #expect(try await learner.get("/admin/calibration").status == .forbidden)
            #expect(try await learner.postForm("/admin/calibration", ["course": "exam-course"]).status == .forbidden)

            var admin = Browser(client: client)
            try await admin.postForm("/signup", ["name": "Ada Admin", "email": "ada@example.org", "password": "a long admin password"])
            let (adminUser, _) = try #require(try await node.database.store.userWithPasswordHash(email: EmailAddress("ada@example.org")!))
            try await node.database.store.setRole(.platformAdmin, for: adminUser.id)

            let empty = try await admin.get("/admin/calibration")
            #expect(empty.status == .ok && empty.text.contains("Calibrate from stored sittings") && empty.text.contains("<option value=\"exam-course\">"))
            #expect(empty.text.contains("No calibration has been run") && !empty.text.contains("http-equiv=\"refresh\""))
            #expect(empty.text.contains("<a href=\"/admin/calibration\">Calibration</a>"), "the admin navigation links to it")

            let unknown = try await admin.postForm("/admin/calibration", ["course": "no-such-course"])
            #expect(unknown.status == .unprocessableContent && unknown.text.contains("course: &#39;no-such-course&#39; is not a course with an exam"), "\(unknown.text)")

            let requested = try await admin.postForm("/admin/calibration", ["course": "exam-course"])
            let location = try #require(requested.headers[.location])
            #expect(requested.status == .seeOther && location.hasPrefix("/admin/calibration?requested="))
            let runID = String(location.dropFirst("/admin/calibration?requested=".count))
            let waiting = try await admin.get(location)
            #expect(waiting.text.contains("Calibration requested") && waiting.text.contains("<td class=\"run-status\">queued"))
            #expect(waiting.text.contains("<meta http-equiv=\"refresh\" content=\"3\">"), "the page follows the run until it is done")
            let twice = try await admin.postForm("/admin/calibration", ["course": "exam-course"])
            #expect(twice.headers[.location] == "/admin/calibration?waiting=\(runID)", "a second click finds the run waiting")

            #expect(try await node.jobs.runDue() == 1)
            let failed = try await admin.get("/admin/calibration")
            #expect(failed.text.contains("<td class=\"run-status\">failed") && failed.text.contains("has no finished exam sittings yet"))
            #expect(!failed.text.contains("http-equiv=\"refresh\""), "nothing left to wait for")
            #expect(try await admin.get("/admin/calibration/\(runID)/report.html").status == .notFound, "a failed run has no report")

            // A run that is done (from a pilot's worth of sittings, as the use-case tests make).
            let store = node.database.store
            let run = CalibrationRun(id: "run-done", courseID: CourseID(rawValue: "exam-course"), requestedBy: adminUser.id, requestedAt: Date())
            try await store.insertCalibrationRun(run)
            var done = run
            done.status = .done
            done.finishedAt = Date()
            done.examinees = 412
            done.items = 20
            done.flaggedItems = 2
            done.bankVersion = "2026-11-22.1"
            done.message = "8240 responses; converged after 31 EM cycles"
            let files = CalibrationFiles(
                reportHTML: "<!doctype html><html><head><style>h1{color:#123}</style></head><body><h1>Item calibration</h1></body></html>",
                parametersCSV: "item,skill,a,b\nr1,reading,1.2,-0.4\n", bankYAML: "bank_version: \"2026-11-22.1\"\n"
            )
            #expect(try await store.finishCalibrationRun(done, files: files))
            let page = try await admin.get("/admin/calibration")
            #expect(page.text.contains("20 items, 412 examinees, 2 flagged; bank version 2026-11-22.1") && page.text.contains("8240 responses"))
            #expect(page.text.contains("href=\"/admin/calibration/run-done/report.html\"") && page.text.contains("by Ada Admin"))

            let report = try await admin.get("/admin/calibration/run-done/report.html")
            #expect(report.status == .ok && report.text == files.reportHTML && report.headers[.contentType] == "text/html; charset=utf-8")
            #expect(report.headers[.contentSecurityPolicy] == CalibrationRoutes.reportPolicy, "the report's own inline styles, and nothing else")
            let parameters = try await admin.get("/admin/calibration/run-done/parameters.csv")
            #expect(parameters.text == files.parametersCSV && parameters.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(parameters.headers[.contentDisposition] == "attachment; filename=\"exam-course-2026-11-22.1-parameters.csv\"")
            let bank = try await admin.get("/admin/calibration/run-done/bank.yaml")
            #expect(bank.text == files.bankYAML && bank.headers[.contentDisposition] == "attachment; filename=\"exam-course-2026-11-22.1-bank.yaml\"")
            #expect(try await admin.get("/admin/calibration/run-done/secrets.txt").status == .notFound)
            #expect(try await learner.get("/admin/calibration/run-done/report.html").status == .forbidden)
            #expect(try await learner.get("/admin/calibration/run-done/bank.yaml").status == .forbidden)
            // Every other page keeps the strict policy.
            #expect(page.headers[.contentSecurityPolicy]?.contains("style-src 'self'") == true)
        }
        await node.database.shutdown()
    }
}
