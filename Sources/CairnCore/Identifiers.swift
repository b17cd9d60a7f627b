import Foundation

/// A typed identifier: every kind of thing Cairn stores has its own ID type, so a
/// `LearnerID` can never be passed where a `CourseID` is expected.
public protocol TypedID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    var rawValue: String { get }
    init(rawValue: String)
}

extension TypedID {
    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension TypedID {
    /// A new random identifier (a lower-case UUID), for things Cairn creates itself.
    public static func random() -> Self { Self(rawValue: UUID().uuidString.lowercased()) }
}

public struct UserID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct OrganisationID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct SessionID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct CourseID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct ModuleID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct LessonID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct SkillID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct InteractionID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct PathwayID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct CredentialID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct ConversationID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct AttemptID: TypedID { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
