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
    public static func random() -> Self { Self(rawValue: RandomUUID.string()) }
}

/// Random (version 4) UUIDs as lower-case text, from the system's generator (`getrandom`
/// on Linux). Foundation's `UUID()` opened, read and closed /dev/urandom for each one:
/// three system calls on every graded answer.
public enum RandomUUID {
    private static let hex = Array("0123456789abcdef".utf8)

    public static func string() -> String {
        var generator = SystemRandomNumberGenerator()
        return string(high: generator.next(), low: generator.next())
    }

    /// A time-ordered (version 7) UUID: the milliseconds since 1970 in the first 48 bits, then
    /// 74 random bits. Rows keyed by it are appended at the end of their index instead of
    /// landing on a random page: for attempts, one index page written per commit instead of
    /// one per attempt. Not for secrets (sessions use 256 random bits).
    public static func timeOrdered(at date: Date) -> String {
        var generator = SystemRandomNumberGenerator()
        // Rounded as stored times are, so an attempt's id carries its `created_at`.
        let milliseconds = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded()))
        let high = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | (generator.next() & 0xFFFF)
        return string(high: high, low: generator.next(), version: 7)
    }

    /// The UUID whose 128 bits are `high` then `low`, with the version and variant bits set.
    static func string(high: UInt64, low: UInt64, version: UInt64 = 4) -> String {
        let high = (high & ~0xF000) | (version << 12) // the version in bits 48–51
        let low = (low & ~(0xC000 << 48)) | (0x8000 << 48) // variant 10 in the top bits
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var position = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[position] = hex[Int((value >> UInt64(shift)) & 0xF)]
                    position += 1
                }
            }
            func dash() {
                buffer[position] = UInt8(ascii: "-")
                position += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put(high >> 16, nibbles: 4)
            dash()
            put(high, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low, nibbles: 12)
            return position
        }
    }
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
