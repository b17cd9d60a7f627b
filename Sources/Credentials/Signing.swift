import CairnCore
import Crypto
import Foundation

/// The issuer's identity on the web: `did:web` derived from the address Cairn is reached at.
public struct IssuerIdentity: Sendable, Equatable {
    /// `did:web:learn.example.org` (a port is written `%3A8080`, a path with colons).
    public let did: String
    /// The public base URL, without a trailing slash.
    public let baseURL: String

    /// - Parameter baseURL: e.g. `https://learn.example.org` or `http://127.0.0.1:8080`.
    public init(baseURL: String) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        let components = URLComponents(string: base)
        var host = components?.host ?? "localhost"
        if let port = components?.port { host += "%3A\(port)" }
        let path = (components?.path ?? "").split(separator: "/").map(String.init)
        did = (["did:web:" + host] + path).joined(separator: ":")
    }

    /// The key's full identifier, as the JWS header's `kid`: `did:web:…#key-1`.
    public func keyID(_ name: String) -> String { "\(did)#\(name)" }
    /// The single-JWK address of a key.
    public func keyURL(_ name: String) -> String { "\(baseURL)/keys/\(name).json" }
}

/// A P-256 public key as a JSON Web Key (RFC 7517).
public struct PublicJWK: Codable, Sendable, Equatable {
    public var kty: String
    public var crv: String
    public var x: String
    public var y: String
    public var kid: String?
    public var alg: String?
    public var use: String?

    public init(x: String, y: String, kid: String?) {
        kty = "EC"
        crv = "P-256"
        self.x = x
        self.y = y
        self.kid = kid
        alg = "ES256"
        use = "sig"
    }
}

/// One of the issuer's signing keys. Only this target holds private keys.
public struct IssuerKey: Sendable {
    /// The short name in the issuer's key list (`key-1`); the JWS `kid` is `did#name`.
    public let name: String
    let privateKey: P256.Signing.PrivateKey

    /// A new random key.
    public static func generate(name: String) -> IssuerKey {
        IssuerKey(name: name, privateKey: P256.Signing.PrivateKey())
    }

    /// A key as stored (its PEM).
    public init(name: String, pem: String) throws {
        do {
            self.init(name: name, privateKey: try P256.Signing.PrivateKey(pemRepresentation: pem))
        } catch {
            throw CredentialError.invalidKey("the stored key \(name) is not a P-256 private key in PEM form")
        }
    }

    init(name: String, privateKey: P256.Signing.PrivateKey) {
        self.name = name
        self.privateKey = privateKey
    }

    /// For storage; never shown.
    public var pem: String { privateKey.pemRepresentation }

    public func publicJWK(kid: String?) -> PublicJWK {
        // The raw public key is x ‖ y, 32 bytes each.
        let raw = Array(privateKey.publicKey.rawRepresentation)
        return PublicJWK(x: Base64URL.encode(Array(raw[0 ..< 32])), y: Base64URL.encode(Array(raw[32 ..< 64])), kid: kid)
    }
}

extension PublicJWK {
    /// The key for checking signatures; nil unless it is a well-formed P-256 key.
    var signingKey: P256.Signing.PublicKey? {
        guard kty == "EC", crv == "P-256", let x = Base64URL.decode(x), let y = Base64URL.decode(y), x.count == 32, y.count == 32 else { return nil }
        return try? P256.Signing.PublicKey(rawRepresentation: x + y)
    }
}

/// The did:web document listing every key the issuer has signed with: retired keys stay,
/// so credentials they signed still verify.
public struct DIDDocument: Codable, Sendable, Equatable {
    /// A P-256 key as a JWK (for VC-JWT, ES256) or an Ed25519 key as a Multikey (for
    /// eddsa-rdfc-2022 Data Integrity proofs).
    public struct VerificationMethod: Codable, Sendable, Equatable {
        public var id: String
        public var type: String
        public var controller: String
        public var publicKeyJwk: PublicJWK?
        public var publicKeyMultibase: String?
    }

    public var context: [String]
    public var id: String
    public var verificationMethod: [VerificationMethod]
    public var assertionMethod: [String]

    enum CodingKeys: String, CodingKey {
        case context = "@context"
        case id, verificationMethod, assertionMethod
    }

    public init(identity: IssuerIdentity, keys: [(name: String, jwk: PublicJWK)], multikeys: [(name: String, multibase: String)] = []) {
        context = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"]
            + (multikeys.isEmpty ? [] : ["https://w3id.org/security/multikey/v1"])
        id = identity.did
        verificationMethod = keys.map { key in
            VerificationMethod(id: identity.keyID(key.name), type: "JsonWebKey2020", controller: identity.did, publicKeyJwk: key.jwk)
        } + multikeys.map { key in
            VerificationMethod(id: identity.keyID(key.name), type: "Multikey", controller: identity.did, publicKeyMultibase: key.multibase)
        }
        assertionMethod = verificationMethod.map(\.id)
    }

    /// The key a `kid` names, if this document lists it.
    public func key(_ kid: String) -> PublicJWK? {
        verificationMethod.first { $0.id == kid }?.publicKeyJwk
    }

    /// The Ed25519 key (`z6Mk…`) a verification method id names, if this document lists it.
    public func multikey(_ id: String) -> String? {
        verificationMethod.first { $0.id == id }?.publicKeyMultibase
    }
}

public enum CredentialError: Error, Equatable, CustomStringConvertible {
    case invalidKey(String)
    case malformed(String)

    public var description: String {
        switch self {
        case let .invalidKey(message), let .malformed(message): message
        }
    }
}

/// What a VC-JWT's claims repeat from the credential it carries.
public protocol JWTClaimSource: Codable, Sendable, Equatable {
    var claimIssuer: String { get }
    var claimID: String { get }
    var claimValidFrom: String { get }
    var claimValidUntil: String? { get }
    var claimSubject: String? { get }
}

extension AchievementCredential: JWTClaimSource {
    public var claimIssuer: String { issuer.id }
    public var claimID: String { id }
    public var claimValidFrom: String { validFrom }
    public var claimValidUntil: String? { validUntil }
    public var claimSubject: String? { credentialSubject.id }
}

extension StatusListCredential: JWTClaimSource {
    public var claimIssuer: String { issuer }
    public var claimID: String { id }
    public var claimValidFrom: String { validFrom }
    public var claimValidUntil: String? { validUntil }
    public var claimSubject: String? { nil }
}

/// A VC-JWT payload: the credential's own properties at the top level, plus the JWT claims
/// Open Badges 3.0 asks for (iss, jti, nbf, sub, exp), taken from the credential.
public struct SignedClaims<Credential: JWTClaimSource>: Codable, Sendable, Equatable {
    public var credential: Credential
    public var iss: String
    public var jti: String
    public var nbf: Int
    public var sub: String?
    public var exp: Int?

    enum ClaimKeys: String, CodingKey { case iss, jti, nbf, sub, exp }

    public init(_ credential: Credential) {
        self.credential = credential
        iss = credential.claimIssuer
        jti = credential.claimID
        nbf = Int((CredentialDate.date(credential.claimValidFrom) ?? Date()).timeIntervalSince1970)
        sub = credential.claimSubject
        exp = credential.claimValidUntil.flatMap(CredentialDate.date).map { Int($0.timeIntervalSince1970) }
    }

    public init(from decoder: any Decoder) throws {
        credential = try Credential(from: decoder)
        let claims = try decoder.container(keyedBy: ClaimKeys.self)
        iss = try claims.decode(String.self, forKey: .iss)
        jti = try claims.decode(String.self, forKey: .jti)
        nbf = try claims.decode(Int.self, forKey: .nbf)
        sub = try claims.decodeIfPresent(String.self, forKey: .sub)
        exp = try claims.decodeIfPresent(Int.self, forKey: .exp)
    }

    public func encode(to encoder: any Encoder) throws {
        try credential.encode(to: encoder)
        var claims = encoder.container(keyedBy: ClaimKeys.self)
        try claims.encode(iss, forKey: .iss)
        try claims.encode(jti, forKey: .jti)
        try claims.encode(nbf, forKey: .nbf)
        try claims.encodeIfPresent(sub, forKey: .sub)
        try claims.encodeIfPresent(exp, forKey: .exp)
    }
}

public typealias CredentialClaims = SignedClaims<AchievementCredential>
public typealias StatusListClaims = SignedClaims<StatusListCredential>

/// Signs credentials as compact JWS (RFC 7515) with ES256: base64url(header) "."
/// base64url(payload) "." base64url(r ‖ s), the signature by swift-crypto's P-256 ECDSA over
/// SHA-256 of the first two parts. Written here rather than through a JWT library because
/// a VC-JWT's payload is the credential itself, and the library tried (jwt-kit) decoded and
/// re-encoded it on every check, which kept verification at a quarter of the target speed.
public struct CredentialSigner: Sendable {
    let identity: IssuerIdentity
    let key: IssuerKey
    let encodedHeader: String

    public init(identity: IssuerIdentity, key: IssuerKey) {
        self.identity = identity
        self.key = key
        let header = JOSEHeader(alg: "ES256", kid: identity.keyID(key.name), typ: "JWT")
        encodedHeader = Base64URL.encode(Array((try? JSONEncoder().encode(header)) ?? Data()))
    }

    public var keyID: String { identity.keyID(key.name) }

    public func sign(_ credential: AchievementCredential) throws -> String {
        try sign(payload: CredentialClaims(credential).jsonBytes)
    }

    public func sign(_ statusList: StatusListCredential) throws -> String {
        try sign(StatusListClaims(statusList))
    }

    func sign(_ payload: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try sign(payload: Array(try encoder.encode(payload)))
    }

    func sign(payload: [UInt8]) throws -> String {
        let signingInput = encodedHeader + "." + Base64URL.encode(payload)
        let signature = try key.privateKey.signature(for: Data(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(Array(signature.rawRepresentation))
    }
}

/// The protected header of a compact JWS.
struct JOSEHeader: Codable {
    var alg: String?
    var kid: String?
    var typ: String?
}
