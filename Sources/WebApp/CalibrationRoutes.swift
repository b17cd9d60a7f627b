import AppServices
import CairnCore
import Curriculum
import Foundation
import HTTPTypes
import Hummingbird

/// Calibration in the administration pages: ask for a course's exam to be calibrated from
/// its stored sittings, follow the run (a background job on whichever node takes it), then
/// read the report and download the parameters and the new bank, the files `cairn
/// calibrate` writes. Platform administrators only.
struct CalibrationRoutes {
    let environment: CairnEnvironment
    let templates: Templates

    var calibration: CalibrationRunService { environment.calibration }

    /// The report is a document of its own with inline styles and SVG: no scripts, nothing
    /// loaded, no forms, no framing.
    static let reportPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; form-action 'none'; base-uri 'none'"

    func add(to router: Router<CairnRequestContext>) {
        router.get("/admin/calibration") { request, context in
            let admin = try context.requireAdmin("calibration")
            let requested = request.uri.queryParameters["requested"].map(String.init)
            let waiting = request.uri.queryParameters["waiting"].map(String.init)
            let notice = requested.map { _ in "Calibration requested. A node takes it within seconds; this page updates until it is done." }
                ?? waiting.map { _ in "A calibration of this course is already waiting to run; this page updates until it is done." }
            return templates.response(try await page(admin, notice: notice, error: nil), template: "admin-calibration")
        }
        router.post("/admin/calibration") { request, context in
            let admin = try context.requireAdmin("calibration")
            let form = FormFields(String(buffer: try await request.body.collect(upTo: 16_384)))
            do {
                let (run, queued) = try await calibration.request(course: CourseID(rawValue: form.first("course") ?? ""), by: admin.id)
                return Response.redirect(to: "/admin/calibration?\(queued ? "requested" : "waiting")=\(run.id)", type: .normal)
            } catch let error as AppError {
                return templates.response(try await page(admin, notice: nil, error: error.description), template: "admin-calibration", status: Problem(error).status)
            }
        }
        // The report opens in the browser; the parameters and the bank are downloads.
        router.get("/admin/calibration/:run/:file") { _, context in
            _ = try context.requireAdmin("calibration")
            let name = try context.parameters.require("file")
            let (run, files) = try await calibration.files(run: try context.parameters.require("run"))
            let download: HTTPFields = [.contentDisposition: "attachment; filename=\"\(run.courseID.rawValue)-\(run.bankVersion ?? run.id)-\(name)\""]
            let (content, type, headers): (String, String, HTTPFields) = switch name {
            case "report.html": (files.reportHTML, "text/html; charset=utf-8", [.contentSecurityPolicy: Self.reportPolicy])
            case "parameters.csv": (files.parametersCSV, "text/csv; charset=utf-8", download)
            case "bank.yaml": (files.bankYAML, "application/yaml; charset=utf-8", download)
            default: throw AppError.notFound("That file")
            }
            var fields = headers
            fields[.contentType] = type
            fields[.cacheControl] = "private, no-store"
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(string: content)))
        }
    }

    func page(_ admin: User, notice: String?, error: String?) async throws -> CalibrationPage {
        let titles = Dictionary(environment.courses.courses.map { ($0.id, $0.title) }, uniquingKeysWith: { first, _ in first })
        let runs = try await calibration.runs()
        let now = Date()
        var rows: [CalibrationRow] = []
        for (run, job) in runs {
            var state = run.status.rawValue
            if let job {
                // The job says whether a node has the run now, and why it stopped if it did.
                switch job.status {
                case .running where job.gaveUp(at: now): state = "stopped: the node running it stopped during its last attempt; ask again to queue a new run"
                case .running: state = "running (attempt \(job.attempts) of \(job.maxAttempts))"
                case .queued where job.attempts > 0: state = "waiting to retry: \(job.lastError ?? "")"
                case .failed: state = "failed: \(job.lastError ?? ""); ask again to queue a new run"
                default: break
                }
            }
            let base = "/admin/calibration/\(run.id)/"
            rows.append(CalibrationRow(
                course: titles[run.courseID] ?? run.courseID.rawValue, requested: ExamRoutes.date(run.requestedAt),
                requester: run.requesterName ?? "a deleted account", status: state, done: run.status == .done, failed: run.status == .failed,
                finished: run.finishedAt.map(ExamRoutes.date),
                summary: run.status == .done
                    ? "\(run.items ?? 0) items, \(run.examinees ?? 0) examinees, \(run.flaggedItems ?? 0) flagged; bank version \(run.bankVersion ?? "?")" : nil,
                message: run.message,
                reportHref: run.status == .done ? base + "report.html" : nil,
                parametersHref: run.status == .done ? base + "parameters.csv" : nil,
                bankHref: run.status == .done ? base + "bank.yaml" : nil
            ))
        }
        return CalibrationPage(
            title: "Calibration", user: NavUser(admin), notice: notice, error: error,
            courses: calibration.courses.map { CourseOption(id: $0.id.rawValue, title: $0.title) },
            hasCourses: !calibration.courses.isEmpty, runs: rows, hasRuns: !rows.isEmpty,
            refresh: runs.contains { run in run.run.status == .queued && !(run.job?.gaveUp(at: now) ?? false) }
        )
    }
}

struct CalibrationPage {
    let title: String
    let user: NavUser
    let notice: String?
    let error: String?
    let courses: [CourseOption]
    let hasCourses: Bool
    let runs: [CalibrationRow]
    let hasRuns: Bool
    /// A run is still waiting: the page reloads itself every few seconds.
    let refresh: Bool
}

struct CalibrationRow {
    let course: String
    let requested: String
    let requester: String
    let status: String
    let done: Bool
    let failed: Bool
    let finished: String?
    let summary: String?
    let message: String?
    let reportHref: String?
    let parametersHref: String?
    let bankHref: String?
}
