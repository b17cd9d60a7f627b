import Foundation

// The Open Badges 3.0 data model (1EdTech), in its W3C Verifiable Credentials Data Model
// 2.0 form: the parts of it Cairn issues. Property names are spelled as the specification
// spells them, so `JSONEncoder` produces the credential as it is published.

/// An AchievementCredential: one earner, one achievement.
public struct AchievementCredential: Codable, Sendable, Equatable {
    /// The VC 2.0 context first, then the Open Badges 3.0 context: both required, in this order.
    public static let contexts = [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    public static let types = ["VerifiableCredential", "OpenBadgeCredential"]
    /// The official schema this credential validates against. Its type is the VC 2.0
    /// context's `JsonSchema` (W3C VC JSON Schema): 1EdTech's `1EdTechJsonSchemaValidator2019`
    /// is defined by neither context, so a Data Integrity proof would not cover it.
    public static let schema = CredentialSchema(
        id: "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
        type: "JsonSchema"
    )

    public var context: [String]
    public var id: String
    public var type: [String]
    public var issuer: Profile
    /// RFC 3339 UTC timestamps (`2026-11-22T10:00:00Z`).
    public var validFrom: String
    public var validUntil: String?
    /// When the achievement was first awarded; kept when a credential is re-issued.
    public var awardedDate: String?
    public var name: String
    public var description: String?
    public var image: Image?
    public var credentialSubject: AchievementSubject
    public var evidence: [Evidence]?
    public var credentialStatus: CredentialStatus?
    public var credentialSchema: [CredentialSchema]?
    /// The Data Integrity proof, in the credential's JSON form (not in its VC-JWT).
    public var proof: DataIntegrityProof?

    enum CodingKeys: String, CodingKey {
        case context = "@context"
        case id, type, issuer, validFrom, validUntil, awardedDate, name, description, image, credentialSubject, evidence
        case credentialStatus, credentialSchema, proof
    }

    public init(
        id: String, issuer: Profile, validFrom: String, validUntil: String?, awardedDate: String?, name: String, description: String?,
        image: Image?, credentialSubject: AchievementSubject, evidence: [Evidence]?, credentialStatus: CredentialStatus?
    ) {
        context = Self.contexts
        self.id = id
        type = Self.types
        self.issuer = issuer
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.awardedDate = awardedDate
        self.name = name
        self.description = description
        self.image = image
        self.credentialSubject = credentialSubject
        self.evidence = evidence
        self.credentialStatus = credentialStatus
        credentialSchema = [Self.schema]
    }
}

/// The issuer (or creator) of a credential.
public struct Profile: Codable, Sendable, Equatable {
    public var id: String
    public var type: [String]
    public var name: String
    public var url: String?
    public var description: String?
    public var image: Image?

    public init(id: String, name: String, url: String?, description: String? = nil, image: Image? = nil) {
        self.id = id
        type = ["Profile"]
        self.name = name
        self.url = url
        self.description = description
        self.image = image
    }
}

public struct Image: Codable, Sendable, Equatable {
    public var id: String
    public var type: String
    public var caption: String?

    public init(id: String, caption: String? = nil) {
        self.id = id
        type = "Image"
        self.caption = caption
    }
}

/// Who earned it. Cairn identifies the earner by a salted hash of their e-mail address
/// (`identifier`), never by name or plain address.
public struct AchievementSubject: Codable, Sendable, Equatable {
    public var id: String?
    public var type: [String]
    public var identifier: [IdentityObject]?
    public var achievement: Achievement
    public var result: [Result]?

    public init(identifier: [IdentityObject], achievement: Achievement, result: [Result]?) {
        id = nil
        type = ["AchievementSubject"]
        self.identifier = identifier
        self.achievement = achievement
        self.result = result
    }
}

public struct IdentityObject: Codable, Sendable, Equatable {
    public var type: String
    public var hashed: Bool
    /// `sha256$` and the hex SHA-256 of the identity followed by the salt.
    public var identityHash: String
    public var identityType: String
    public var salt: String?

    public init(hashed: Bool, identityHash: String, identityType: String, salt: String?) {
        type = "IdentityObject"
        self.hashed = hashed
        self.identityHash = identityHash
        self.identityType = identityType
        self.salt = salt
    }
}

public struct Achievement: Codable, Sendable, Equatable {
    public var id: String
    public var type: [String]
    public var achievementType: String?
    public var name: String
    public var description: String
    public var criteria: Criteria
    public var image: Image?
    public var creator: Profile?
    /// The skills the achievement stands for.
    public var alignment: [Alignment]?
    public var resultDescription: [ResultDescription]?

    public init(
        id: String, achievementType: String?, name: String, description: String, criteria: Criteria, image: Image?, creator: Profile?,
        alignment: [Alignment]?, resultDescription: [ResultDescription]?
    ) {
        self.id = id
        type = ["Achievement"]
        self.achievementType = achievementType
        self.name = name
        self.description = description
        self.criteria = criteria
        self.image = image
        self.creator = creator
        self.alignment = alignment
        self.resultDescription = resultDescription
    }
}

public struct Criteria: Codable, Sendable, Equatable {
    public var id: String?
    public var narrative: String?

    public init(id: String? = nil, narrative: String?) {
        self.id = id
        self.narrative = narrative
    }
}

public struct Alignment: Codable, Sendable, Equatable {
    public var type: [String]
    public var targetName: String
    public var targetUrl: String
    public var targetDescription: String?
    public var targetType: String?
    public var targetCode: String?

    public init(targetName: String, targetUrl: String, targetDescription: String?, targetType: String?, targetCode: String?) {
        type = ["Alignment"]
        self.targetName = targetName
        self.targetUrl = targetUrl
        self.targetDescription = targetDescription
        self.targetType = targetType
        self.targetCode = targetCode
    }
}

public struct ResultDescription: Codable, Sendable, Equatable {
    public var id: String
    public var type: [String]
    public var name: String
    public var resultType: String
    public var valueMin: String?
    public var valueMax: String?
    public var requiredValue: String?

    public init(id: String, name: String, resultType: String, valueMin: String?, valueMax: String?, requiredValue: String?) {
        self.id = id
        type = ["ResultDescription"]
        self.name = name
        self.resultType = resultType
        self.valueMin = valueMin
        self.valueMax = valueMax
        self.requiredValue = requiredValue
    }
}

public struct Result: Codable, Sendable, Equatable {
    public var type: [String]
    public var resultDescription: String?
    public var value: String?
    public var status: String?

    public init(resultDescription: String?, value: String?, status: String?) {
        type = ["Result"]
        self.resultDescription = resultDescription
        self.value = value
        self.status = status
    }
}

public struct Evidence: Codable, Sendable, Equatable {
    public var id: String?
    public var type: [String]
    public var name: String?
    public var description: String?
    public var narrative: String?
    public var genre: String?

    public init(id: String?, name: String?, description: String?, narrative: String?, genre: String?) {
        self.id = id
        type = ["Evidence"]
        self.name = name
        self.description = description
        self.narrative = narrative
        self.genre = genre
    }
}

/// A W3C Bitstring Status List entry: this credential's bit in the issuer's list.
public struct CredentialStatus: Codable, Sendable, Equatable {
    public var id: String
    public var type: String
    /// "revocation" or "suspension".
    public var statusPurpose: String
    /// The bit's index, as a decimal string (the specification's form).
    public var statusListIndex: String
    /// The URL of the status list credential.
    public var statusListCredential: String

    public init(statusListCredential: String, purpose: String, index: Int) {
        id = "\(statusListCredential)#\(index)"
        type = "BitstringStatusListEntry"
        statusPurpose = purpose
        statusListIndex = String(index)
        self.statusListCredential = statusListCredential
    }

    /// The suspension entry that goes with this revocation entry, by Cairn's convention: an
    /// issuer whose revocation list is at `…/status/revocation` publishes its suspension list
    /// at `…/status/suspension`, with the same index. Open Badges 3.0 allows a credential one
    /// `credentialStatus`, so the credential names its revocation entry and verifiers that
    /// know the convention also read the suspension list.
    public var suspensionCompanion: CredentialStatus? {
        let suffix = "/status/revocation"
        guard statusPurpose == "revocation", statusListCredential.hasSuffix(suffix), let index = Int(statusListIndex) else { return nil }
        return CredentialStatus(statusListCredential: String(statusListCredential.dropLast(suffix.count)) + "/status/suspension", purpose: "suspension", index: index)
    }
}

public struct CredentialSchema: Codable, Sendable, Equatable {
    public var id: String
    public var type: String
}

/// Timestamps as Open Badges and VC-JWT write them.
public enum CredentialDate {
    /// RFC 3339 in UTC with seconds: `2026-11-22T10:00:00Z`.
    public static func string(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        return Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601)
    }

    public static func date(_ string: String) -> Date? {
        try? Date(string, strategy: .iso8601)
    }
}
