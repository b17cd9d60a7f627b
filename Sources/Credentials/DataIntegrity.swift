import Crypto
import Foundation

/// A W3C Data Integrity proof (`DataIntegrityProof`), as embedded in a credential's JSON.
public struct DataIntegrityProof: Codable, Sendable, Equatable {
    public var type: String
    public var cryptosuite: String
    public var created: String
    public var verificationMethod: String
    public var proofPurpose: String
    public var proofValue: String?

    public init(cryptosuite: String, created: String, verificationMethod: String, proofPurpose: String = "assertionMethod", proofValue: String? = nil) {
        type = "DataIntegrityProof"
        self.cryptosuite = cryptosuite
        self.created = created
        self.verificationMethod = verificationMethod
        self.proofPurpose = proofPurpose
        self.proofValue = proofValue
    }
}

/// The eddsa-rdfc-2022 cryptosuite (W3C vc-di-eddsa): the document without its proof and
/// the proof's options are each canonicalized with RDFC-1.0 and hashed with SHA-256; the
/// Ed25519 signature over the two hashes (options first) is the proof value, multibase
/// base58btc.
public enum EddsaRdfc2022 {
    public static let name = "eddsa-rdfc-2022"

    /// The canonical N-Quads of a JSON-LD document (contexts from `BundledContexts` only).
    public static func canonicalForm(_ document: JSON) throws -> String {
        try canonicalize(document).nquads
    }

    /// The canonical N-Quads, and the keys and types no context defines, from one expansion.
    static func canonicalize(_ document: JSON) throws -> (nquads: String, undefined: [String]) {
        let (quads, dropped) = try RDFConverter.quadsAndDropped(of: document)
        return (try Canonicalizer.canonicalize(quads), DefinedTerms.undefined(quads: quads, dropped: dropped))
    }

    /// SHA-256 of the canonical proof options followed by SHA-256 of the canonical document,
    /// over the proof options as they stand: every member the proof carries (but
    /// `proofValue`) is signed, not only the ones Cairn knows. Also the document's undefined
    /// terms, from the same canonicalization.
    static func hashData(document: [String: JSON], options: [String: JSON]) throws -> (data: [UInt8], undefined: [String]) {
        var unsecured = document
        unsecured["proof"] = nil
        var config = options
        config["proofValue"] = nil
        config["@context"] = document["@context"]
        let proofHash = SHA256.hash(data: Data(try canonicalForm(.object(config)).utf8))
        let (nquads, undefined) = try canonicalize(.object(unsecured))
        return (Array(proofHash) + Array(SHA256.hash(data: Data(nquads.utf8))), undefined)
    }

    /// The document (JSON) with a proof added, signed with `key`.
    public static func sign(
        _ documentJSON: Data, key: Curve25519.Signing.PrivateKey, verificationMethod: String, created: Date
    ) throws -> Data {
        guard case var .object(document) = try JSON(data: documentJSON) else { throw JSONLDError("the credential is not a JSON object") }
        document["proof"] = nil
        var proof = DataIntegrityProof(cryptosuite: name, created: CredentialDate.string(created), verificationMethod: verificationMethod)
        let options = try JSON(data: JSONEncoder().encode(proof)).object ?? [:]
        let signature = try key.signature(for: Data(try hashData(document: document, options: options).data))
        proof.proofValue = "z" + Base58.encode(Array(signature))
        document["proof"] = try JSON(data: JSONEncoder().encode(proof))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(JSON.object(document))
    }

    /// A document's proof, read once: the decoded proof, its members as they stand, and the
    /// signature bytes.
    struct SecuredProof {
        let proof: DataIntegrityProof
        let options: [String: JSON]
        let signature: [UInt8]
    }

    /// The proof of a secured document, checked to be an eddsa-rdfc-2022 assertion proof.
    static func securedProof(in document: [String: JSON]) throws -> SecuredProof {
        guard let options = document["proof"]?.object else { throw JSONLDError("the credential has no proof") }
        let proof = try JSONDecoder().decode(DataIntegrityProof.self, from: JSONEncoder().encode(JSON.object(options)))
        guard proof.type == "DataIntegrityProof", proof.cryptosuite == name else {
            throw JSONLDError("the proof is \(proof.type) \(proof.cryptosuite), not DataIntegrityProof \(name)")
        }
        guard proof.proofPurpose == "assertionMethod" else { throw JSONLDError("the proof's purpose is \(proof.proofPurpose), not assertionMethod") }
        guard let value = proof.proofValue, value.hasPrefix("z"), let signature = Base58.decode(String(value.dropFirst())) else {
            throw JSONLDError("proofValue must be multibase base58btc ('z…')")
        }
        return SecuredProof(proof: proof, options: options, signature: signature)
    }

    /// Whether the proof holds for `key`, and the document's undefined terms.
    static func check(_ document: [String: JSON], _ secured: SecuredProof, key: Curve25519.Signing.PublicKey) throws -> (valid: Bool, undefined: [String]) {
        let (data, undefined) = try hashData(document: document, options: secured.options)
        return (key.isValidSignature(Data(secured.signature), for: Data(data)), undefined)
    }

    /// The proof in a secured document, and whether its signature holds for `key`.
    public static func verify(_ securedJSON: Data, key: Curve25519.Signing.PublicKey) throws -> (proof: DataIntegrityProof, valid: Bool) {
        guard case let .object(document) = try JSON(data: securedJSON) else { throw JSONLDError("the credential is not a JSON object") }
        let secured = try securedProof(in: document)
        return (secured.proof, try check(document, secured, key: key).valid)
    }
}

/// Multikey encodings of Ed25519 keys (multicodec ed25519-pub 0xed01, ed25519-priv 0x1300,
/// multibase base58btc): `z6Mk…` for a public key.
public enum Multikey {
    static let publicPrefix: [UInt8] = [0xED, 0x01]
    static let privatePrefix: [UInt8] = [0x80, 0x26]

    public static func encode(_ key: Curve25519.Signing.PublicKey) -> String {
        "z" + Base58.encode(publicPrefix + Array(key.rawRepresentation))
    }

    public static func publicKey(_ multibase: String) -> Curve25519.Signing.PublicKey? {
        guard multibase.hasPrefix("z"), let bytes = Base58.decode(String(multibase.dropFirst())), bytes.count == 34,
              Array(bytes.prefix(2)) == publicPrefix
        else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: bytes.dropFirst(2))
    }

    public static func privateKey(_ multibase: String) -> Curve25519.Signing.PrivateKey? {
        guard multibase.hasPrefix("z"), let bytes = Base58.decode(String(multibase.dropFirst())), bytes.count == 34,
              Array(bytes.prefix(2)) == privatePrefix
        else { return nil }
        return try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes.dropFirst(2))
    }

    public static func encodePrivate(_ key: Curve25519.Signing.PrivateKey) -> String {
        "z" + Base58.encode(privatePrefix + Array(key.rawRepresentation))
    }
}

/// Base58 with the Bitcoin alphabet (multibase `z`).
public enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    static let indexes: [UInt8: Int] = Dictionary(uniqueKeysWithValues: alphabet.enumerated().map { ($1, $0) })

    public static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        var digits: [Int] = []
        for byte in bytes {
            var carry = Int(byte)
            for index in digits.indices {
                carry += digits[index] << 8
                digits[index] = carry % 58
                carry /= 58
            }
            while carry > 0 {
                digits.append(carry % 58)
                carry /= 58
            }
        }
        return String(decoding: Array(repeating: alphabet[0], count: zeros) + digits.reversed().map { alphabet[$0] }, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        let zeros = characters.prefix { $0 == alphabet[0] }.count
        var bytes: [Int] = []
        for character in characters {
            guard var carry = indexes[character] else { return nil }
            for index in bytes.indices {
                carry += bytes[index] * 58
                bytes[index] = carry & 0xFF
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(carry & 0xFF)
                carry >>= 8
            }
        }
        return Array(repeating: 0, count: zeros) + bytes.reversed().map(UInt8.init)
    }
}

/// One of the issuer's Ed25519 keys, for Data Integrity proofs. Kept as its multibase
/// private key (`z3u2…`); the verification method is `did#name`.
public struct DataIntegrityKey: Sendable {
    public let name: String
    let privateKey: Curve25519.Signing.PrivateKey

    public static func generate(name: String) -> DataIntegrityKey {
        DataIntegrityKey(name: name, privateKey: Curve25519.Signing.PrivateKey())
    }

    init(name: String, privateKey: Curve25519.Signing.PrivateKey) {
        self.name = name
        self.privateKey = privateKey
    }

    public init(name: String, multibase: String) throws {
        guard let key = Multikey.privateKey(multibase) else { throw CredentialError.invalidKey("\(name) is not an Ed25519 private key in multibase form") }
        self.init(name: name, privateKey: key)
    }

    /// The private key to store.
    public var multibase: String { Multikey.encodePrivate(privateKey) }
    /// The public key to publish (`z6Mk…`).
    public var publicMultikey: String { Multikey.encode(privateKey.publicKey) }

    /// The credential JSON with an eddsa-rdfc-2022 proof added.
    public func sign(_ json: Data, identity: IssuerIdentity, created: Date) throws -> Data {
        try EddsaRdfc2022.sign(json, key: privateKey, verificationMethod: identity.keyID(name), created: created)
    }
}
