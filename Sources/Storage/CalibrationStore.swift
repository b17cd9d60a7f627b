import AppServices
import CairnCore
import Foundation
import SQLKit

/// Calibration runs. Listing leaves the files out (a report is tens of kilobytes); they are
/// read one run at a time.
extension SQLStore {
    static let calibrationRunColumns = """
        r.id, r.course_id, r.requested_by, (SELECT u.display_name FROM users u WHERE u.id = r.requested_by), r.requested_at, r.status, \
        r.finished_at, r.examinees, r.items, r.flagged_items, r.bank_version, r.message
        """

    public func insertCalibrationRun(_ run: CalibrationRun) async throws {
        try await withDatabase { db in
            try await db.run(Statement("""
                INSERT INTO calibration_runs (id, course_id, requested_by, requested_at, status, finished_at, examinees, items, flagged_items, bank_version, message,
                    report_html, parameters_csv, bank_yaml)
                VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
                """), [
                    .text(run.id), .text(run.courseID.rawValue), .text(run.requestedBy?.rawValue),
                    .integer(Int(run.requestedAt.epochMilliseconds)), .text(run.status.rawValue),
                ])
        }
    }

    public func queuedCalibrationRun(course: CourseID) async throws -> CalibrationRun? {
        try await withReader { db in
            try await db.rows(Statement("""
                SELECT \(Self.calibrationRunColumns) FROM calibration_runs r
                WHERE r.course_id = ? AND r.status = 'queued' ORDER BY r.requested_at LIMIT 1
                """), [.text(course.rawValue)]).first.map(Self.calibrationRun)
        }
    }

    public func calibrationRun(id: String) async throws -> CalibrationRun? {
        try await withReader { db in
            try await db.rows(Statement("SELECT \(Self.calibrationRunColumns) FROM calibration_runs r WHERE r.id = ?"), [.text(id)])
                .first.map(Self.calibrationRun)
        }
    }

    public func calibrationRuns(limit: Int) async throws -> [CalibrationRun] {
        try await withReader { db in
            try await db.rows(Statement("SELECT \(Self.calibrationRunColumns) FROM calibration_runs r ORDER BY r.requested_at DESC, r.id LIMIT ?"),
                              [.integer(limit)]).map(Self.calibrationRun)
        }
    }

    public func calibrationFiles(run id: String) async throws -> CalibrationFiles? {
        try await withReader { db in
            try await db.rows(Statement("""
                SELECT report_html, parameters_csv, bank_yaml FROM calibration_runs
                WHERE id = ? AND status = 'done' AND report_html IS NOT NULL
                """), [.text(id)]).first.map { row in
                CalibrationFiles(reportHTML: try row.string(0), parametersCSV: try row.string(1), bankYAML: try row.string(2))
            }
        }
    }

    public func finishCalibrationRun(_ run: CalibrationRun, files: CalibrationFiles?) async throws -> Bool {
        try await withDatabase { db in
            try await !db.rows(Statement("""
                UPDATE calibration_runs SET status = ?, finished_at = ?, examinees = ?, items = ?, flagged_items = ?, bank_version = ?, message = ?,
                    report_html = ?, parameters_csv = ?, bank_yaml = ?
                WHERE id = ? AND status = 'queued'
                RETURNING id
                """), [
                    .text(run.status.rawValue), run.finishedAt.map { .integer(Int($0.epochMilliseconds)) } ?? .null,
                    run.examinees.map { .integer($0) } ?? .null, run.items.map { .integer($0) } ?? .null,
                    run.flaggedItems.map { .integer($0) } ?? .null, .text(run.bankVersion), .text(run.message),
                    .text(files?.reportHTML), .text(files?.parametersCSV), .text(files?.bankYAML),
                    .text(run.id),
                ]).isEmpty
        }
    }

    static func calibrationRun(_ row: StatementRow) throws -> CalibrationRun {
        guard let status = CalibrationRunStatus(rawValue: try row.string(5)) else {
            throw StoreError.unavailable("calibration_runs.status holds '\(try row.string(5))'")
        }
        return CalibrationRun(
            id: try row.string(0), courseID: CourseID(rawValue: try row.string(1)), requestedBy: try row.optional(2, row.string).map(UserID.init(rawValue:)),
            requesterName: try row.optional(3, row.string), requestedAt: Date(epochMilliseconds: try row.int64(4)), status: status,
            finishedAt: try row.optional(6, row.int64).map { Date(epochMilliseconds: $0) },
            examinees: try row.optional(7, row.int), items: try row.optional(8, row.int), flaggedItems: try row.optional(9, row.int),
            bankVersion: try row.optional(10, row.string), message: try row.optional(11, row.string)
        )
    }
}
