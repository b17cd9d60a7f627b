import Crypto
import Foundation

/// One check of a verification, with why it passed or failed, in words a verifier can act on.
public struct VerificationCheck: Codable, Sendable, Equatable {
    public var name: String
    public var passed: Bool
    public var detail: String

    public init(_ name: String, _ passed: Bool, _ detail: String) {
        self.name = name
        self.passed = passed
        self.detail = detail
    }
}

public struct VerificationReport: Sendable {
    public var checks: [VerificationCheck]
    /// The signed payload, once its signature checked out (nil before that).
    public var payload: Data?

    public init(checks: [VerificationCheck], payload: Data?) {
        self.checks = checks
        self.payload = payload
    }

    public var isValid: Bool { !checks.isEmpty && checks.allSatisfy(\.passed) }

    /// The credential, once its signature checked out: decoded on demand, since the checks
    /// need only a few of its properties and decoding all of it is most of their cost.
    public var credential: AchievementCredential? {
        payload.flatMap { try? JSONDecoder().decode(AchievementCredential.self, from: $0) }
    }
}

/// What the checks read of a VC-JWT payload, and nothing more.
struct CheckedClaims: Decodable {
    struct Named: Decodable {
        var id: String
        var name: String?
    }

    struct Subject: Decodable {
        struct Achievement: Decodable {
            var id: String
            var type: [String]
            var name: String
        }

        struct Present: Decodable {}

        var id: String?
        var type: [String]
        var identifier: [Present]?
        var achievement: Achievement
    }

    var context: [String]
    var id: String
    var type: [String]
    var issuer: Named
    var validFrom: String
    var validUntil: String?
    var name: String
    var credentialSubject: Subject
    var credentialStatus: CredentialStatus?
    /// The VC-JWT claims; absent in a JSON credential with a Data Integrity proof.
    var iss: String?
    var jti: String?
    var nbf: Int?

    enum CodingKeys: String, CodingKey {
        case context = "@context"
        case id, type, issuer, validFrom, validUntil, name, credentialSubject, credentialStatus, iss, jti, nbf
    }
}

/// Finds the public key a JWS header's `kid` names: from the issuer's did:web document, or
/// from a key file given offline.
public protocol KeyResolver: Sendable {
    func key(for kid: String) async throws -> PublicJWK?
    /// The Ed25519 key (a Multikey, `z6Mk…`) a Data Integrity proof's verification method names.
    func multikey(for id: String) async throws -> String?
}

extension KeyResolver {
    public func multikey(for id: String) async throws -> String? { nil }
}

/// Reads a credential's bit in a status list; nil when the list cannot be read.
public protocol StatusResolver: Sendable {
    func isSet(_ status: CredentialStatus) async throws -> Bool
}

/// Keys known in advance (a DID document already fetched, or `--key FILE`).
public struct StaticKeys: KeyResolver {
    public let keys: [String: PublicJWK]
    public let multikeys: [String: String]
    /// When set, any kid is answered with this one key (a single JWK file names no kid).
    public let only: PublicJWK?
    /// When set, any verification method is answered with this Ed25519 key (`--key` with a Multikey).
    public let onlyMultikey: String?

    public init(document: DIDDocument) {
        keys = Dictionary(document.verificationMethod.compactMap { method in method.publicKeyJwk.map { (method.id, $0) } }, uniquingKeysWith: { first, _ in first })
        multikeys = Dictionary(document.verificationMethod.compactMap { method in method.publicKeyMultibase.map { (method.id, $0) } }, uniquingKeysWith: { first, _ in first })
        only = nil
        onlyMultikey = nil
    }

    public init(key: PublicJWK) {
        keys = [:]
        multikeys = [:]
        only = key
        onlyMultikey = nil
    }

    public init(multikey: String) {
        keys = [:]
        multikeys = [:]
        only = nil
        onlyMultikey = multikey
    }

    public func key(for kid: String) async throws -> PublicJWK? { only ?? keys[kid] }

    public func multikey(for id: String) async throws -> String? { onlyMultikey ?? multikeys[id] }
}

/// Verifies VC-JWT Open Badges: every check is run and reported, not only the first to fail.
public struct CredentialVerifier: Sendable {
    public init() {}

    public func verify(jwt: String, keys: any KeyResolver, status: (any StatusResolver)?, at now: Date = Date()) async -> VerificationReport {
        var checks: [VerificationCheck] = []
        let token = Self.trimmed(jwt)
        let parts = Self.parts(token)
        guard parts.count == 3, let headerBytes = Base64URL.decode(String(parts[0])),
              let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes))
        else {
            return VerificationReport(checks: [VerificationCheck("format", false, "not a compact JWS (three base64url parts separated by dots)")], payload: nil)
        }
        guard header.alg == "ES256" else {
            return VerificationReport(checks: [VerificationCheck("format", false, "signed with \(header.alg ?? "no algorithm"), not ES256")], payload: nil)
        }
        checks.append(VerificationCheck("format", true, "compact JWS signed with ES256"))

        guard let kid = header.kid else {
            checks.append(VerificationCheck("key", false, "the header names no key (kid)"))
            return VerificationReport(checks: checks, payload: nil)
        }
        let jwk: PublicJWK?
        do {
            jwk = try await keys.key(for: kid)
        } catch {
            checks.append(VerificationCheck("key", false, "the issuer's keys could not be read for \(kid): \(error)"))
            return VerificationReport(checks: checks, payload: nil)
        }
        guard let jwk else {
            checks.append(VerificationCheck("key", false, "\(kid) is not one of the issuer's published keys"))
            return VerificationReport(checks: checks, payload: nil)
        }
        guard let publicKey = jwk.signingKey else {
            checks.append(VerificationCheck("key", false, "\(kid) is not a P-256 public key (JWK kty EC, crv P-256)"))
            return VerificationReport(checks: checks, payload: nil)
        }
        checks.append(VerificationCheck("key", true, "\(kid) resolves to a P-256 key"))

        guard Self.hasValidSignature(token, parts: parts, key: publicKey) else {
            checks.append(VerificationCheck("signature", false, "the signature does not match the content: the badge was altered or signed with another key"))
            return VerificationReport(checks: checks, payload: nil)
        }
        let claims: CheckedClaims
        let payload: Data
        do {
            guard let bytes = Base64URL.decode(String(parts[1])) else { throw CredentialError.malformed("the payload is not base64url") }
            payload = Data(bytes)
            claims = try JSONDecoder().decode(CheckedClaims.self, from: payload)
        } catch {
            checks.append(VerificationCheck("signature", false, "signed, but the payload is not an Open Badges credential: \(error)"))
            return VerificationReport(checks: checks, payload: nil)
        }
        checks.append(VerificationCheck("signature", true, "signed by \(kid)"))
        let credential = claims

        let issuerDID = kid.split(separator: "#").first.map(String.init) ?? kid
        let issuerMatches = credential.issuer.id == issuerDID && claims.iss == issuerDID
        checks.append(VerificationCheck("issuer", issuerMatches, issuerMatches
            ? "issued by \(credential.issuer.name ?? issuerDID) (\(issuerDID))"
            : "the key belongs to \(issuerDID) but the credential names \(credential.issuer.id) as issuer"))

        checks.append(Self.shape(claims, jwt: true))
        checks.append(Self.dates(validFrom: claims.validFrom, validUntil: claims.validUntil, at: now))

        if let entry = credential.credentialStatus {
            checks.append(await Self.status(entry, resolver: status))
        }
        return VerificationReport(checks: checks, payload: payload)
    }

    /// Verifies a credential in its JSON form by its Data Integrity proof (eddsa-rdfc-2022):
    /// the same checks as a VC-JWT, with the proof's verification method as the key, and
    /// a check that every property is defined by the credential's contexts (a property the
    /// contexts do not define would be signed only as an issuer-dependent term).
    public func verify(dataIntegrity json: Data, keys: any KeyResolver, status: (any StatusResolver)?, at now: Date = Date()) async -> VerificationReport {
        var checks: [VerificationCheck] = []
        let document: [String: JSON]
        let secured: EddsaRdfc2022.SecuredProof
        do {
            guard case let .object(object) = try JSON(data: json) else { throw JSONLDError("not a JSON object") }
            document = object
            secured = try EddsaRdfc2022.securedProof(in: object)
        } catch {
            return VerificationReport(checks: [VerificationCheck("format", false, "not a credential with a Data Integrity proof: \(error)")], payload: nil)
        }
        let proof = secured.proof
        // The checks below read the JSON; the proof covers its RDF. Only the plain form
        // Cairn issues, where each key is a term of the two contexts, reads the same both ways.
        if let problem = Self.nonPlainForm(document) {
            return VerificationReport(checks: [VerificationCheck("format", false, problem)], payload: nil)
        }
        checks.append(VerificationCheck("format", true, "JSON credential with a DataIntegrityProof (eddsa-rdfc-2022)"))
        let key: Curve25519.Signing.PublicKey?
        do {
            key = try await keys.multikey(for: proof.verificationMethod).flatMap(Multikey.publicKey)
        } catch {
            checks.append(VerificationCheck("key", false, "the issuer's keys could not be read for \(proof.verificationMethod): \(error)"))
            return VerificationReport(checks: checks, payload: nil)
        }
        guard let key else {
            checks.append(VerificationCheck("key", false, "\(proof.verificationMethod) is not one of the issuer's published Ed25519 keys"))
            return VerificationReport(checks: checks, payload: nil)
        }
        checks.append(VerificationCheck("key", true, "\(proof.verificationMethod) resolves to an Ed25519 key"))
        let undefined: [String]
        do {
            let outcome = try EddsaRdfc2022.check(document, secured, key: key)
            guard outcome.valid else {
                checks.append(VerificationCheck("signature", false, "the proof does not match the content: the badge was altered or signed with another key"))
                return VerificationReport(checks: checks, payload: nil)
            }
            undefined = outcome.undefined
        } catch {
            checks.append(VerificationCheck("signature", false, "the credential could not be canonicalized: \(error)"))
            return VerificationReport(checks: checks, payload: nil)
        }
        checks.append(VerificationCheck("signature", true, "signed by \(proof.verificationMethod) (RDFC-1.0, Ed25519)"))
        let claims: CheckedClaims
        do {
            claims = try JSONDecoder().decode(CheckedClaims.self, from: json)
        } catch {
            checks.append(VerificationCheck("schema", false, "signed, but not an Open Badges credential: \(error)"))
            return VerificationReport(checks: checks, payload: json)
        }
        let issuerDID = proof.verificationMethod.split(separator: "#").first.map(String.init) ?? proof.verificationMethod
        checks.append(VerificationCheck("issuer", claims.issuer.id == issuerDID, claims.issuer.id == issuerDID
            ? "issued by \(claims.issuer.name ?? issuerDID) (\(issuerDID))"
            : "the key belongs to \(issuerDID) but the credential names \(claims.issuer.id) as issuer"))
        var shape = Self.shape(claims, jwt: false)
        if !undefined.isEmpty {
            shape = VerificationCheck("schema", false, (shape.passed ? "" : shape.detail + "; ")
                + "properties no context defines: \(undefined.joined(separator: ", "))")
        }
        checks.append(shape)
        checks.append(Self.dates(validFrom: claims.validFrom, validUntil: claims.validUntil, at: now))
        if let entry = claims.credentialStatus { checks.append(await Self.status(entry, resolver: status)) }
        return VerificationReport(checks: checks, payload: json)
    }

    /// Why a JSON credential is not in the plain compact form whose JSON reads as its signed
    /// RDF does: exactly the VC 2.0 and Open Badges 3.0.3 contexts, no other `@` keyword, no
    /// key written as an IRI or compact IRI (`…:…`), which would name the same property as a
    /// term the checks read, and every `id` an absolute IRI. Nil when it is plain.
    static func nonPlainForm(_ document: [String: JSON]) -> String? {
        guard document["@context"] == .array(AchievementCredential.contexts.map(JSON.string)) else {
            return "@context must be exactly the VC 2.0 and Open Badges 3.0.3 contexts"
        }
        func check(_ value: JSON, path: String) -> String? {
            switch value {
            case let .object(members):
                for (key, member) in members {
                    if key.hasPrefix("@"), !(path.isEmpty && key == "@context") { return "\(path)\(key): keywords other than the top-level @context are not accepted" }
                    if key.contains(":") { return "\(path)\(key): properties must be written as the contexts' terms, not as IRIs" }
                    // A node whose id is not an absolute IRI has no RDF: nothing about it would be signed.
                    if key == "id", case let .string(id) = member, !isAbsoluteIRI(id) { return "\(path)id: '\(id)' is not an absolute IRI" }
                    if path.isEmpty, key == "@context" { continue }
                    if let problem = check(member, path: path + key + ".") { return problem }
                }
                return nil
            case let .array(items):
                for item in items { if let problem = check(item, path: path) { return problem } }
                return nil
            default:
                return nil
            }
        }
        return check(.object(document), path: "")
    }

    /// The credential's status: its own entry and, when the issuer follows Cairn's
    /// convention, the suspension list beside its revocation list (a suspension list that
    /// cannot be read counts only when the credential names it itself).
    static func status(_ entry: CredentialStatus, resolver: (any StatusResolver)?) async -> VerificationCheck {
        guard let resolver else {
            return VerificationCheck("status", false, "the status list was not checked (offline); its revocation state is unknown")
        }
        let set: Bool
        do {
            set = try await resolver.isSet(entry)
        } catch {
            return VerificationCheck("status", false, "the status list \(entry.statusListCredential) could not be read: \(error)")
        }
        if set { return VerificationCheck("status", false, entry.statusPurpose == "suspension" ? "suspended by the issuer" : "revoked by the issuer") }
        var detail = "not \(entry.statusPurpose == "suspension" ? "suspended" : "revoked") (\(entry.statusListCredential), index \(entry.statusListIndex))"
        if let companion = entry.suspensionCompanion {
            do {
                if try await resolver.isSet(companion) { return VerificationCheck("status", false, "suspended by the issuer") }
                detail += "; not suspended (\(companion.statusListCredential))"
            } catch {
                detail += "; no suspension list could be read at \(companion.statusListCredential)"
            }
        }
        return VerificationCheck("status", true, detail)
    }

    /// What the Open Badges 3.0 data model requires of an AchievementCredential, checked
    /// property by property; the JWT claims must repeat the credential's.
    static func shape(_ credential: CheckedClaims, jwt: Bool) -> VerificationCheck {
        let claims = credential
        var problems: [String] = []
        if Array(credential.context.prefix(2)) != AchievementCredential.contexts {
            problems.append("@context must start with the VC 2.0 and Open Badges 3.0 contexts, in that order")
        }
        if !credential.type.contains("VerifiableCredential") || !(credential.type.contains("OpenBadgeCredential") || credential.type.contains("AchievementCredential")) {
            problems.append("type must include VerifiableCredential and OpenBadgeCredential")
        }
        if credential.id.isEmpty { problems.append("id is empty") }
        if credential.name.isEmpty { problems.append("name is empty") }
        if CredentialDate.date(credential.validFrom) == nil { problems.append("validFrom is not a date-time") }
        if let until = credential.validUntil, CredentialDate.date(until) == nil { problems.append("validUntil is not a date-time") }
        let achievement = credential.credentialSubject.achievement
        if !achievement.type.contains("Achievement") || achievement.id.isEmpty || achievement.name.isEmpty {
            problems.append("credentialSubject.achievement needs an id, a name and the type Achievement")
        }
        if !credential.credentialSubject.type.contains("AchievementSubject") { problems.append("credentialSubject.type must include AchievementSubject") }
        if credential.credentialSubject.id == nil, credential.credentialSubject.identifier?.isEmpty ?? true {
            problems.append("credentialSubject needs an id or an identifier")
        }
        if jwt {
            if claims.jti != credential.id { problems.append("jti differs from the credential's id") }
            if let from = CredentialDate.date(credential.validFrom), claims.nbf != Int(from.timeIntervalSince1970) {
                problems.append("nbf differs from validFrom")
            }
        }
        return problems.isEmpty
            ? VerificationCheck("schema", true, "an Open Badges 3.0 AchievementCredential with every required property")
            : VerificationCheck("schema", false, problems.joined(separator: "; "))
    }

    static func dates(validFrom: String, validUntil: String?, at now: Date) -> VerificationCheck {
        guard let from = CredentialDate.date(validFrom) else { return VerificationCheck("dates", false, "validFrom is not a date-time") }
        if now < from { return VerificationCheck("dates", false, "not valid until \(validFrom)") }
        if let until = validUntil.flatMap(CredentialDate.date), now >= until {
            return VerificationCheck("dates", false, "expired on \(validUntil ?? "")")
        }
        return VerificationCheck("dates", true, "valid from \(validFrom)" + (validUntil.map { " until \($0)" } ?? ", no expiry"))
    }

    /// ES256: the signature (r ‖ s, 64 bytes) over SHA-256 of `header.payload` as sent.
    static func hasValidSignature(_ token: String, parts: [Substring], key: P256.Signing.PublicKey) -> Bool {
        guard parts.count == 3, let bytes = Base64URL.decode(String(parts[2])), bytes.count == 64,
              let signature = try? P256.Signing.ECDSASignature(rawRepresentation: bytes)
        else { return false }
        let signingInput = Data(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        return key.isValidSignature(signature, for: signingInput)
    }

    /// The token without surrounding white space (a pasted token often ends in a newline);
    /// cheap when there is none, which is the usual case.
    static func trimmed(_ text: String) -> String {
        guard let first = text.utf8.first, let last = text.utf8.last,
              first <= 0x20 || last <= 0x20
        else { return text }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The dot-separated parts of a compact JWS, split on its UTF-8 bytes.
    static func parts(_ token: String) -> [Substring] {
        var parts: [Substring] = []
        var start = token.utf8.startIndex
        var index = start
        while index != token.utf8.endIndex {
            if token.utf8[index] == UInt8(ascii: ".") {
                parts.append(Substring(token.utf8[start ..< index]))
                start = token.utf8.index(after: index)
            }
            index = token.utf8.index(after: index)
        }
        parts.append(Substring(token.utf8[start ..< token.utf8.endIndex]))
        return parts
    }

    struct Header: Decodable {
        var alg: String?
        var kid: String?
        var typ: String?
    }

    /// The credential inside a JWT, without checking anything (for display before verifying).
    public static func unverifiedCredential(_ jwt: String) throws -> AchievementCredential {
        let parts = parts(trimmed(jwt))
        guard parts.count == 3, let payload = Base64URL.decode(String(parts[1])) else {
            throw CredentialError.malformed("not a compact JWS")
        }
        do {
            return try JSONDecoder().decode(AchievementCredential.self, from: Data(payload))
        } catch {
            throw CredentialError.malformed("the payload is not an Open Badges credential: \(error)")
        }
    }
}

/// Reads status lists from their VC-JWTs, verified with the issuer's keys.
public struct StatusListReader: Sendable {
    public init() {}

    /// The bit at `entry`'s index in the list carried by `jwt`, after checking its signature.
    public func isSet(_ entry: CredentialStatus, listJWT jwt: String, keys: any KeyResolver) async throws -> Bool {
        let parts = CredentialVerifier.parts(CredentialVerifier.trimmed(jwt))
        guard parts.count == 3, let headerBytes = Base64URL.decode(String(parts[0])),
              let header = try? JSONDecoder().decode(CredentialVerifier.Header.self, from: Data(headerBytes)), let kid = header.kid,
              let jwk = try await keys.key(for: kid), let publicKey = jwk.signingKey
        else { throw CredentialError.malformed("the status list is not a VC-JWT signed with a published key") }
        let token = CredentialVerifier.trimmed(jwt)
        guard CredentialVerifier.hasValidSignature(token, parts: parts, key: publicKey), let payload = Base64URL.decode(String(parts[1])) else {
            throw CredentialError.malformed("the status list's signature does not match its content")
        }
        let claims = try JSONDecoder().decode(StatusListClaims.self, from: Data(payload))
        guard claims.credential.credentialSubject.statusPurpose == entry.statusPurpose else {
            throw CredentialError.malformed("the list is for \(claims.credential.credentialSubject.statusPurpose), the entry for \(entry.statusPurpose)")
        }
        guard let index = Int(entry.statusListIndex) else { throw CredentialError.malformed("statusListIndex is not a number") }
        return try StatusBitstring(encoded: claims.credential.credentialSubject.encodedList)[index]
    }
}
