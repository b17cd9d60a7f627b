import AppServices
import CairnCore
import Foundation

// Storage rows: one type per table, mapped to domain values at the edge.

struct UserRow: Codable {
    var id: String
    var email: String
    var display_name: String
    var role: String
    var password_hash: String
    var created_at: Int64

    init(_ user: User, passwordHash: String) {
        id = user.id.rawValue
        email = user.email.value
        display_name = user.displayName
        role = user.role.rawValue
        password_hash = passwordHash
        created_at = user.createdAt.epochMilliseconds
    }

    func domain() throws -> User {
        try UserProfileRow(id: id, email: email, display_name: display_name, role: role, created_at: created_at).domain()
    }
}

/// A user's columns without the password hash: what a session look-up reads.
struct UserProfileRow: Decodable {
    var id: String
    var email: String
    var display_name: String
    var role: String
    var created_at: Int64

    func domain() throws -> User {
        guard let role = Role(rawValue: role) else {
            throw StoreError.unavailable("users row \(id) holds an unknown role '\(role)'")
        }
        // The address was checked when the account was made (every insert goes through EmailAddress).
        return User(id: UserID(rawValue: id), email: EmailAddress(stored: email), displayName: display_name, role: role,
                    createdAt: .init(epochMilliseconds: created_at))
    }
}

struct SessionRow: Codable {
    var id: String
    var user_id: String
    var created_at: Int64
    var expires_at: Int64

    init(id: String, user_id: String, created_at: Int64, expires_at: Int64) {
        self.id = id
        self.user_id = user_id
        self.created_at = created_at
        self.expires_at = expires_at
    }

    init(_ session: StoredSession) {
        id = session.id.rawValue
        user_id = session.userID.rawValue
        created_at = session.createdAt.epochMilliseconds
        expires_at = session.expiresAt.epochMilliseconds
    }

    func domain() -> StoredSession {
        StoredSession(
            id: SessionID(rawValue: id), userID: UserID(rawValue: user_id),
            createdAt: .init(epochMilliseconds: created_at), expiresAt: .init(epochMilliseconds: expires_at)
        )
    }
}

struct OrganisationRow: Codable {
    var id: String
    var name: String
    var created_at: Int64

    init(_ organisation: Organisation) {
        id = organisation.id.rawValue
        name = organisation.name
        created_at = organisation.createdAt.epochMilliseconds
    }

    func domain() -> Organisation {
        Organisation(id: OrganisationID(rawValue: id), name: name, createdAt: .init(epochMilliseconds: created_at))
    }
}

struct MembershipRow: Codable {
    var organisation_id: String
    var user_id: String
    var role: String
    var created_at: Int64

    init(_ membership: Membership) {
        organisation_id = membership.organisationID.rawValue
        user_id = membership.userID.rawValue
        role = membership.role.rawValue
        created_at = membership.createdAt.epochMilliseconds
    }

    func domain() throws -> Membership {
        guard let role = Role(rawValue: role) else { throw StoreError.unavailable("membership of \(user_id) holds an invalid role") }
        return Membership(
            organisationID: OrganisationID(rawValue: organisation_id), userID: UserID(rawValue: user_id), role: role,
            createdAt: .init(epochMilliseconds: created_at)
        )
    }
}

struct EnrolmentRow: Codable {
    var user_id: String
    var course_id: String
    var course_version: String
    var enrolled_at: Int64

    init(_ enrolment: Enrolment) {
        user_id = enrolment.userID.rawValue
        course_id = enrolment.courseID.rawValue
        course_version = enrolment.courseVersion
        enrolled_at = enrolment.enrolledAt.epochMilliseconds
    }

    func domain() -> Enrolment {
        Enrolment(
            userID: UserID(rawValue: user_id), courseID: CourseID(rawValue: course_id), courseVersion: course_version,
            enrolledAt: .init(epochMilliseconds: enrolled_at)
        )
    }
}

struct LessonProgressRow: Codable {
    var user_id: String
    var course_id: String
    var lesson_id: String
    var course_version: String
    var status: String
    var started_at: Int64
    var completed_at: Int64?

    init(_ progress: LessonProgress) {
        user_id = progress.userID.rawValue
        course_id = progress.courseID.rawValue
        lesson_id = progress.lessonID.rawValue
        course_version = progress.courseVersion
        status = progress.status.rawValue
        started_at = progress.startedAt.epochMilliseconds
        completed_at = progress.completedAt?.epochMilliseconds
    }

    func domain() throws -> LessonProgress {
        guard let status = LessonStatus(rawValue: status) else { throw StoreError.unavailable("lesson progress holds status '\(status)'") }
        return LessonProgress(
            userID: UserID(rawValue: user_id), courseID: CourseID(rawValue: course_id), lessonID: LessonID(rawValue: lesson_id),
            courseVersion: course_version, status: status, startedAt: .init(epochMilliseconds: started_at),
            completedAt: completed_at.map { .init(epochMilliseconds: $0) }
        )
    }
}

extension Date {
    var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(epochMilliseconds: Int64) { self.init(timeIntervalSince1970: Double(epochMilliseconds) / 1000) }
}
