import Foundation

/// What a person may do. A user has one platform-wide role and, per organisation,
/// a membership role; the stronger of the two applies inside that organisation.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case learner
    case orgAdmin = "org_admin"
    case author
    case platformAdmin = "platform_admin"

    private var rank: Int {
        switch self {
        case .learner: 0
        case .author: 1
        case .orgAdmin: 2
        case .platformAdmin: 3
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    public var displayName: String {
        switch self {
        case .learner: "Learner"
        case .orgAdmin: "Organisation admin"
        case .author: "Author"
        case .platformAdmin: "Platform admin"
        }
    }
}

/// An e-mail address, trimmed and lower-cased so that one person has one account.
public struct EmailAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String

    /// Returns nil when the text is not a plausible address (one `@`, a dot in the domain, no spaces).
    public init?(_ text: String) {
        // Stored addresses are already in this form; checking the bytes spares Foundation's
        // trimming and lower-casing on every signed-in request.
        let normalised = text.utf8.allSatisfy { $0 > 32 && $0 < 127 && !($0 >= 65 && $0 <= 90) }
        let trimmed = normalised ? text : text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !trimmed.contains(where: { $0.isWhitespace }), trimmed.count <= 254
        else { return nil }
        self.value = trimmed
    }

    /// An address as stored: it was checked when the account was made, so it is not
    /// checked again on every signed-in request.
    public init(stored value: String) {
        self.value = value
    }

    public var description: String { value }
}

public struct User: Sendable, Equatable, Codable {
    public var id: UserID
    public var email: EmailAddress
    public var displayName: String
    public var role: Role
    public var createdAt: Date

    public init(id: UserID, email: EmailAddress, displayName: String, role: Role, createdAt: Date) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.role = role
        self.createdAt = createdAt
    }
}

public struct Organisation: Sendable, Equatable, Codable {
    public var id: OrganisationID
    public var name: String
    public var createdAt: Date

    public init(id: OrganisationID, name: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

public struct Membership: Sendable, Equatable, Codable {
    public var organisationID: OrganisationID
    public var userID: UserID
    public var role: Role
    public var createdAt: Date

    public init(organisationID: OrganisationID, userID: UserID, role: Role, createdAt: Date) {
        self.organisationID = organisationID
        self.userID = userID
        self.role = role
        self.createdAt = createdAt
    }
}

public struct Enrolment: Sendable, Equatable, Codable {
    public var userID: UserID
    public var courseID: CourseID
    /// The course version the learner enrolled against.
    public var courseVersion: String
    public var enrolledAt: Date

    public init(userID: UserID, courseID: CourseID, courseVersion: String, enrolledAt: Date) {
        self.userID = userID
        self.courseID = courseID
        self.courseVersion = courseVersion
        self.enrolledAt = enrolledAt
    }
}

public enum LessonStatus: String, Sendable, Codable {
    case started
    case completed
}

public struct LessonProgress: Sendable, Equatable, Codable {
    public var userID: UserID
    public var courseID: CourseID
    public var lessonID: LessonID
    public var courseVersion: String
    public var status: LessonStatus
    public var startedAt: Date
    public var completedAt: Date?

    public init(
        userID: UserID, courseID: CourseID, lessonID: LessonID, courseVersion: String,
        status: LessonStatus, startedAt: Date, completedAt: Date?
    ) {
        self.userID = userID
        self.courseID = courseID
        self.lessonID = lessonID
        self.courseVersion = courseVersion
        self.status = status
        self.startedAt = startedAt
        self.completedAt = completedAt
    }
}
