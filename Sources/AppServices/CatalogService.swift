import CairnCore
import Curriculum
import Foundation

/// The courses Cairn offers and a learner's way through them.
public struct CatalogService: Sendable {
    public let catalog: Catalog
    let store: any CairnStore
    let clock: Clock

    public init(catalog: Catalog, store: any CairnStore, clock: Clock = .system) {
        self.catalog = catalog
        self.store = store
        self.clock = clock
    }

    public var courses: [Course] { catalog.courses }
    public var pathways: [Pathway] { catalog.pathways }

    public func pathway(_ id: PathwayID) throws -> Pathway {
        guard let pathway = catalog.pathway(id) else { throw AppError.notFound("The pathway '\(id)'") }
        return pathway
    }

    /// What a badge is for: its course's credential, or its pathway's certification.
    public func credentialTitle(of badge: IssuedBadge) -> String {
        if let pathwayID = badge.pathwayID { return catalog.pathway(pathwayID)?.credential.title ?? pathwayID.rawValue }
        return catalog.course(badge.courseID)?.credential.title ?? badge.courseID.rawValue
    }

    public func course(_ id: CourseID) throws -> Course {
        guard let course = catalog.course(id) else { throw AppError.notFound("The course '\(id)'") }
        return course
    }

    public func lesson(_ lesson: LessonID, in courseID: CourseID) throws -> (Course, Lesson) {
        let course = try course(courseID)
        guard let found = course.lessons[lesson], course.module(containing: lesson) != nil else {
            throw AppError.notFound("The lesson '\(lesson)' in \(course.title)")
        }
        return (course, found)
    }

    public func enrol(_ user: UserID, in courseID: CourseID) async throws -> Enrolment {
        let course = try course(courseID)
        return try await store.enrol(Enrolment(userID: user, courseID: course.id, courseVersion: course.version, enrolledAt: clock.now()))
    }

    public func enrolments(of user: UserID) async throws -> [Enrolment] {
        try await store.enrolments(of: user)
    }

    /// Opens a lesson for a learner: enrols them if needed and records the start.
    public func openLesson(_ lesson: LessonID, in courseID: CourseID, for user: UserID) async throws -> (Course, Lesson) {
        let (course, found) = try self.lesson(lesson, in: courseID)
        let now = clock.now()
        try await store.transaction { store in
            try await Self.recordStart(of: found, in: course, for: user, at: now, store: store)
        }
        return (course, found)
    }

    /// Enrols the learner if needed and records the lesson as started (the first start is kept).
    static func recordStart(of lesson: Lesson, in course: Course, for user: UserID, at now: Date, store: any CairnStore) async throws {
        _ = try await store.enrol(Enrolment(userID: user, courseID: course.id, courseVersion: course.version, enrolledAt: now))
        try await store.recordLessonStarted(LessonProgress(
            userID: user, courseID: course.id, lessonID: lesson.id, courseVersion: course.version,
            status: .started, startedAt: now, completedAt: nil
        ))
    }

    public func completeLesson(_ lesson: LessonID, in courseID: CourseID, for user: UserID) async throws {
        let (course, found) = try self.lesson(lesson, in: courseID)
        _ = try await openLesson(found.id, in: course.id, for: user)
        try await store.recordLessonCompleted(user: user, course: course.id, lesson: found.id, at: clock.now())
    }

    public func progress(of user: UserID, in courseID: CourseID) async throws -> [LessonID: LessonProgress] {
        let rows = try await store.lessonProgress(user: user, course: courseID)
        return Dictionary(rows.map { ($0.lessonID, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
