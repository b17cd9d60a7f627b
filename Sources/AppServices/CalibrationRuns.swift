import CairnCore
import Curriculum
import Dispatch
import Foundation

public enum CalibrationRunStatus: String, Sendable, CaseIterable {
    /// Requested; a node's job runner will take it.
    case queued
    /// Calibrated: the report and the new bank are stored with the run.
    case done
    /// Could not be calibrated; `message` says why and what to do.
    case failed
}

/// A calibration requested from the administration pages and run as a background job on
/// whichever node takes it, from the course's finished exam sittings.
public struct CalibrationRun: Sendable, Equatable {
    public var id: String
    public var courseID: CourseID
    /// Who asked (nil once their account is deleted), and their name when read back.
    public var requestedBy: UserID?
    public var requesterName: String?
    public var requestedAt: Date
    public var status: CalibrationRunStatus
    public var finishedAt: Date?
    /// What was calibrated (once done).
    public var examinees: Int?
    public var items: Int?
    public var flaggedItems: Int?
    public var bankVersion: String?
    /// Once finished: the summary of a run that is done, the reason of one that failed.
    public var message: String?

    public init(id: String, courseID: CourseID, requestedBy: UserID?, requesterName: String? = nil, requestedAt: Date, status: CalibrationRunStatus = .queued, finishedAt: Date? = nil,
                examinees: Int? = nil, items: Int? = nil, flaggedItems: Int? = nil, bankVersion: String? = nil, message: String? = nil) {
        self.id = id
        self.courseID = courseID
        self.requestedBy = requestedBy
        self.requesterName = requesterName
        self.requestedAt = requestedAt
        self.status = status
        self.finishedAt = finishedAt
        self.examinees = examinees
        self.items = items
        self.flaggedItems = flaggedItems
        self.bankVersion = bankVersion
        self.message = message
    }
}

/// What a run that is done produced: the files `cairn calibrate` writes.
public struct CalibrationFiles: Sendable, Equatable {
    public var reportHTML: String
    public var parametersCSV: String
    public var bankYAML: String

    public init(reportHTML: String, parametersCSV: String, bankYAML: String) {
        self.reportHTML = reportHTML
        self.parametersCSV = parametersCSV
        self.bankYAML = bankYAML
    }
}

/// Calibration runs: the record of each request, its outcome and its files.
public protocol CalibrationRepository: Sendable {
    func insertCalibrationRun(_ run: CalibrationRun) async throws
    /// The course's run still waiting to be taken, if any.
    func queuedCalibrationRun(course: CourseID) async throws -> CalibrationRun?
    func calibrationRun(id: String) async throws -> CalibrationRun?
    /// The latest runs, newest first.
    func calibrationRuns(limit: Int) async throws -> [CalibrationRun]
    func calibrationFiles(run id: String) async throws -> CalibrationFiles?
    /// Records the outcome of a run still queued (with its files when done); false when the
    /// run was finished already (another worker got there first), and nothing is changed.
    func finishCalibrationRun(_ run: CalibrationRun, files: CalibrationFiles?) async throws -> Bool
}

/// Calibration as background work: an administrator asks for it, any node's job runner does
/// it (the responses of a whole pilot can take minutes to fit), and the outcome is kept with
/// the request for the administration page, where the report and the new bank are read.
public struct CalibrationRunService: Sendable {
    let catalog: CatalogService
    let store: any CairnStore
    let clock: Clock

    public init(catalog: CatalogService, store: any CairnStore, clock: Clock = .system) {
        self.catalog = catalog
        self.store = store
        self.clock = clock
    }

    /// The courses whose exams can be calibrated: those with exam items.
    public var courses: [Course] { catalog.courses.filter { !$0.items.isEmpty } }

    /// Asks for a calibration of `course` from its stored sittings. A run of the course still
    /// waiting is returned rather than a second one queued (a double click, two
    /// administrators), so the answer says whether this request queued a new one.
    public func request(course courseID: CourseID, by admin: UserID) async throws -> (run: CalibrationRun, queued: Bool) {
        guard let course = courses.first(where: { $0.id == courseID }) else {
            throw AppError.invalidField(field: "course", message: "'\(courseID.rawValue)' is not a course with an exam; pick one from the list.")
        }
        let now = clock.now()
        let run = CalibrationRun(id: RandomUUID.string(), courseID: course.id, requestedBy: admin, requestedAt: now)
        do {
            return try await store.transaction { store in
                if let waiting = try await store.queuedCalibrationRun(course: course.id) {
                    // A run whose job gave up (failed, or its worker stopped during the last
                    // attempt) would wait for ever: it is closed as failed, and this request
                    // queues a new one.
                    guard let job = try await store.job(key: Self.jobKey(waiting.id)), job.gaveUp(at: now) else { return (waiting, false) }
                    _ = try await store.finishCalibrationRun(failed(waiting, "the calibration could not be run: \(job.failure)"), files: nil)
                }
                try await store.insertCalibrationRun(run)
                try await store.enqueueJob(NewJob(
                    kind: JobRunner.Kind.calibrate, payload: run.id, key: Self.jobKey(run.id),
                    runAt: now, maxAttempts: 3, createdAt: now
                ))
                return (run, true)
            }
        } catch StoreError.conflict {
            // Another request queued one at the same moment (one queued run per course).
            guard let waiting = try await store.queuedCalibrationRun(course: course.id) else { throw StoreError.unavailable("calibration request raced; try again") }
            return (waiting, false)
        }
    }

    /// The latest runs, newest first; a run still queued comes with its job, which says
    /// whether a node has it now and why an attempt failed.
    public func runs(limit: Int = 50) async throws -> [(run: CalibrationRun, job: JobRecord?)] {
        var runs: [(run: CalibrationRun, job: JobRecord?)] = []
        for run in try await store.calibrationRuns(limit: limit) {
            runs.append((run, run.status == .queued ? try await store.job(key: Self.jobKey(run.id)) : nil))
        }
        return runs
    }

    static func jobKey(_ run: String) -> String { "\(JobRunner.Kind.calibrate):\(run)" }

    /// The files of a run that is done.
    public func files(run id: String) async throws -> (CalibrationRun, CalibrationFiles) {
        guard let run = try await store.calibrationRun(id: id), let files = try await store.calibrationFiles(run: id) else {
            throw AppError.notFound("That calibration report")
        }
        return (run, files)
    }

    /// The job's work (idempotent): calibrates a run still queued and records the outcome. A
    /// run finished already, by this or another worker, is left as it is. What the data
    /// cannot support (too few sittings, an item everyone got right) is the run's outcome,
    /// not an error to retry; the database failing is retried, and recorded on the last attempt.
    public func perform(_ job: JobRecord) async throws {
        guard let run = try await store.calibrationRun(id: job.payload) else {
            throw JobError.permanent("no calibration run \(job.payload)")
        }
        guard run.status == .queued else { return }
        do {
            let (finished, files) = try await calibrate(run)
            _ = try await store.finishCalibrationRun(finished, files: files)
        } catch where job.attempts >= job.maxAttempts && !(error is CancellationError) {
            _ = try? await store.finishCalibrationRun(failed(run, "the calibration could not be run: \(error)"), files: nil)
            throw error
        }
    }

    private func calibrate(_ run: CalibrationRun) async throws -> (CalibrationRun, CalibrationFiles?) {
        guard let course = courses.first(where: { $0.id == run.courseID }) else {
            return (failed(run, "the node that took this run does not serve \(run.courseID.rawValue); check that every node has the same courses"), nil)
        }
        let service = CalibrationService()
        let read: (responses: [CalibrationService.Response], unknownItems: Int)
        let examinees: Int
        do {
            // The stored rows are let go once turned into responses: a big pilot's are many.
            let stored = try await store.calibrationResponses(course: course.id)
            examinees = Set(stored.map(\.response.sessionID)).count
            read = try service.responses(stored: stored, course: course)
        }
        do {
            guard !read.responses.isEmpty else {
                return (failed(run, "\(course.title) has no finished exam sittings yet; calibrate once learners have taken the exam"), nil)
            }
            // Fitting a pilot's sittings is seconds of every core's work: on Dispatch's
            // threads, so the node's requests keep Swift Concurrency's threads meanwhile.
            let responses = read.responses
            let now = clock.now()
            let report = try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global(qos: .utility).async {
                    continuation.resume(with: Result { try service.calibrate(course: course, responses: responses, at: now) })
                }
            }
            var done = run
            done.status = .done
            done.finishedAt = clock.now()
            done.examinees = report.examinees
            done.items = report.items.count
            done.flaggedItems = report.items.filter { !$0.flags.isEmpty }.count
            done.bankVersion = report.bankVersion
            done.message = "\(report.responses) responses; \(report.converged ? "converged" : "NOT converged") after \(report.iterations) EM cycles; "
                + "marginal reliability \(String(format: "%.3f", report.marginalReliability))"
                + (read.unknownItems > 0 ? "; left out \(read.unknownItems) response(s) to items the course no longer has" : "")
            return (done, CalibrationFiles(
                reportHTML: CalibrationReportWriter.html(report),
                parametersCSV: CalibrationReportWriter.parametersCSV(report),
                bankYAML: CalibrationReportWriter.bankYAML(report)
            ))
        } catch let error as CalibrationService.InputError {
            return (failed(run, Self.reason(error, examinees: examinees)), nil)
        }
    }

    /// Why the stored sittings cannot be calibrated, in a sentence or two. The rows are
    /// stored responses, not lines of a file, so no line numbers; items whose data falls short
    /// are named together (a small pilot has many), with what to do once.
    static func reason(_ error: CalibrationService.InputError, examinees: Int) -> String {
        let items = error.problems.filter { $0.item != nil }
        let others = error.problems.filter { $0.item == nil }.map(\.message)
        var parts: [String] = []
        if !items.isEmpty {
            let named = items.prefix(12).map { "\($0.item ?? "") (\($0.brief ?? "no spread"))" }.joined(separator: ", ")
                + (items.count > 12 ? " and \(items.count - 12) more" : "")
            parts.append("\(items.count) item\(items.count == 1 ? "" : "s") cannot be fitted from \(examinees) sitting\(examinees == 1 ? "" : "s"): \(named). "
                + "Calibrate again once more learners, across a range of ability, have taken the exam")
        }
        parts += others
        return "The stored sittings cannot be calibrated yet. " + parts.joined(separator: "; ") + "."
    }

    private func failed(_ run: CalibrationRun, _ message: String) -> CalibrationRun {
        var failed = run
        failed.status = .failed
        failed.finishedAt = clock.now()
        failed.message = message
        return failed
    }
}
