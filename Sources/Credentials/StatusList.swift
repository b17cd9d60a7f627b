import CompressNIO
import Crypto
import Foundation
import NIOCore

/// A W3C Bitstring Status List: one bit per issued credential, set when the credential is
/// revoked (or, in a suspension list, suspended). Index 0 is the left-most bit of the
/// first byte. Published GZIP-compressed and base64url-encoded with the multibase prefix
/// `u`, at least 16 KB uncompressed so a list does not reveal how many were issued.
public struct StatusBitstring: Sendable, Equatable {
    /// 131,072 bits: the specification's minimum size.
    public static let minimumBits = 131_072

    public private(set) var bytes: [UInt8]

    public init(bits: Int = StatusBitstring.minimumBits) {
        bytes = [UInt8](repeating: 0, count: (max(bits, Self.minimumBits) + 7) / 8)
    }

    public var count: Int { bytes.count * 8 }

    public subscript(index: Int) -> Bool {
        get {
            guard index >= 0, index < count else { return false }
            return bytes[index / 8] & (0x80 >> UInt8(index % 8)) != 0
        }
        set {
            guard index >= 0, index < count else { return }
            if newValue {
                bytes[index / 8] |= 0x80 >> UInt8(index % 8)
            } else {
                bytes[index / 8] &= ~(0x80 >> UInt8(index % 8))
            }
        }
    }

    /// `u` + base64url (no padding) of the GZIP-compressed bits.
    public func encoded() throws -> String {
        var buffer = ByteBuffer(bytes: bytes)
        let compressed: ByteBuffer
        do {
            compressed = try buffer.compress(with: .gzip)
        } catch {
            throw CredentialError.malformed("the status list could not be compressed: \(error)")
        }
        return "u" + Base64URL.encode(Array(compressed.readableBytesView))
    }

    public init(encoded: String) throws {
        guard encoded.hasPrefix("u"), let compressed = Base64URL.decode(String(encoded.dropFirst())) else {
            throw CredentialError.malformed("encodedList must be 'u' followed by base64url (multibase)")
        }
        var buffer = ByteBuffer(bytes: compressed)
        let bits: ByteBuffer
        do {
            bits = try buffer.decompress(with: .gzip)
        } catch {
            throw CredentialError.malformed("encodedList is not GZIP-compressed: \(error)")
        }
        bytes = Array(bits.readableBytesView)
    }
}

/// The status list credential (BitstringStatusListCredential) Cairn serves and signs.
public struct StatusListCredential: Codable, Sendable, Equatable {
    public struct Subject: Codable, Sendable, Equatable {
        public var id: String
        public var type: String
        public var statusPurpose: String
        public var encodedList: String
        /// Milliseconds a verifier may cache the list before reading it again.
        public var ttl: Int?
    }

    public var context: [String]
    public var id: String
    public var type: [String]
    public var issuer: String
    public var validFrom: String
    public var validUntil: String?
    public var credentialSubject: Subject

    enum CodingKeys: String, CodingKey {
        case context = "@context"
        case id, type, issuer, validFrom, validUntil, credentialSubject
    }

    /// - Parameter ttl: how long (milliseconds) verifiers may cache the list.
    public init(id: String, issuer: String, purpose: String, bits: StatusBitstring, validFrom: Date, ttl: Int) throws {
        context = ["https://www.w3.org/ns/credentials/v2"]
        self.id = id
        type = ["VerifiableCredential", "BitstringStatusListCredential"]
        self.issuer = issuer
        self.validFrom = CredentialDate.string(validFrom)
        validUntil = CredentialDate.string(validFrom.addingTimeInterval(TimeInterval(ttl) / 1000))
        credentialSubject = Subject(id: "\(id)#list", type: "BitstringStatusList", statusPurpose: purpose, encodedList: try bits.encoded(), ttl: ttl)
    }
}

/// base64url without padding (RFC 4648 §5), as JOSE and multibase `u` use it.
/// Foundation's base64 with the two characters swapped byte by byte (string replacement
/// went through NSString and cost more than the signature).
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        var encoded = Array(Data(bytes).base64EncodedData())
        while encoded.last == UInt8(ascii: "=") { encoded.removeLast() }
        for index in encoded.indices {
            switch encoded[index] {
            case UInt8(ascii: "+"): encoded[index] = UInt8(ascii: "-")
            case UInt8(ascii: "/"): encoded[index] = UInt8(ascii: "_")
            default: break
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var bytes = Array(text.utf8)
        for index in bytes.indices {
            switch bytes[index] {
            case UInt8(ascii: "-"): bytes[index] = UInt8(ascii: "+")
            case UInt8(ascii: "_"): bytes[index] = UInt8(ascii: "/")
            case UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="): return nil
            default: break
            }
        }
        while bytes.count % 4 != 0 { bytes.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(bytes)).map(Array.init)
    }
}

/// The earner's identity as Open Badges hashes it: `sha256$` and the lower-case hex SHA-256
/// of the e-mail address followed by the salt.
public enum IdentityHash {
    public static func email(_ address: String, salt: String) -> IdentityObject {
        let digest = SHA256.hash(data: Data((address + salt).utf8))
        return IdentityObject(hashed: true, identityHash: "sha256$" + hex(Array(digest)), identityType: "emailAddress", salt: salt)
    }

    /// Whether `address` is the one hashed in `identity` (for a holder proving a badge is theirs).
    public static func matches(_ identity: IdentityObject, address: String) -> Bool {
        identity.hashed && email(address, salt: identity.salt ?? "").identityHash.lowercased() == identity.identityHash.lowercased()
    }

    /// A random salt for a new credential.
    public static func newSalt() -> String {
        var generator = SystemRandomNumberGenerator()
        return hex((0 ..< 16).map { _ in UInt8.random(in: 0 ... 255, using: &generator) })
    }

    /// Lower-case hex, two digits a byte.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
