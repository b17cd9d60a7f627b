import AppServices
import CairnCore
import Foundation
import Storage
import Testing

// The calibration runs' contract, on SQLite and (in scripts/test's PostgreSQL run) PostgreSQL.
// `Backend`, `makeUser` and `t0` come from StoreContractTests.swift.

@Suite("Calibration run store contract")
struct CalibrationStoreTests {
    @Test("a run is stored queued, found as the course's waiting run, finished once with its files, and listed newest first", arguments: Backend.allCases)
    func lifecycle(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let admin = makeUser("calibrator@example.org", role: .platformAdmin)
            try await store.insertUser(admin, passwordHash: "h")
            let course = CourseID(rawValue: "ai-foundations")
            let first = CalibrationRun(id: "run-1", courseID: course, requestedBy: admin.id, requestedAt: t0)
            try await store.insertCalibrationRun(first)
            #expect(try await store.queuedCalibrationRun(course: course)?.id == "run-1")
            #expect(try await store.queuedCalibrationRun(course: CourseID(rawValue: "other")) == nil)
            let read = try #require(try await store.calibrationRun(id: "run-1"))
            #expect(read.status == .queued && read.requesterName == admin.displayName && read.requestedAt == t0 && read.message == nil)
            #expect(try await store.calibrationFiles(run: "run-1") == nil, "nothing to read before it is done")

            var done = first
            done.status = .done
            done.finishedAt = t0 + 30
            done.examinees = 412
            done.items = 24
            done.flaggedItems = 2
            done.bankVersion = "2026-11-22"
            done.message = "converged"
            let files = CalibrationFiles(reportHTML: "<h1>Report ✓</h1>", parametersCSV: "item,a,b\nq1,1.2,-0.3\n", bankYAML: "items:\n  - id: q1\n")
            #expect(try await store.finishCalibrationRun(done, files: files))
            var late = done
            late.status = .failed
            late.message = "a second worker's outcome"
            #expect(try await !store.finishCalibrationRun(late, files: nil), "a run is finished once; the first outcome stays")
            var expected = done
            expected.requesterName = admin.displayName
            #expect(try await store.calibrationRun(id: "run-1") == expected)
            #expect(try await store.calibrationFiles(run: "run-1") == files)
            #expect(try await store.queuedCalibrationRun(course: course) == nil)

            try await store.insertCalibrationRun(CalibrationRun(id: "run-2", courseID: course, requestedBy: admin.id, requestedAt: t0 + 60))
            #expect(try await store.calibrationRuns(limit: 10).map(\.id) == ["run-2", "run-1"])
            #expect(try await store.calibrationRuns(limit: 1).map(\.id) == ["run-2"])
        }
    }

    @Test("a failed run keeps its reason and has no files; a run with no requester left reads back without one", arguments: Backend.allCases)
    func failedRun(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let run = CalibrationRun(id: "run-f", courseID: CourseID(rawValue: "c"), requestedBy: nil, requestedAt: t0)
            try await store.insertCalibrationRun(run)
            var failed = run
            failed.status = .failed
            failed.finishedAt = t0 + 1
            failed.message = "every examinee scored 1 on q1"
            #expect(try await store.finishCalibrationRun(failed, files: nil))
            #expect(try await store.calibrationRun(id: "run-f") == failed)
            #expect(try await store.calibrationFiles(run: "run-f") == nil)
        }
    }
}
