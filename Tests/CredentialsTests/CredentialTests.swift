import Credentials
import Foundation
import Testing

/// A status resolver over lists held in memory, signed as Cairn serves them.
struct ListsInMemory: StatusResolver {
    let lists: [String: String]
    let keys: StaticKeys

    func isSet(_ status: CredentialStatus) async throws -> Bool {
        guard let jwt = lists[status.statusListCredential] else { throw CredentialError.malformed("no list at \(status.statusListCredential)") }
        return try await StatusListReader().isSet(status, listJWT: jwt, keys: keys)
    }
}

enum Sample {
    static let identity = IssuerIdentity(baseURL: "https://learn.example.org/")
    static let validFrom = Date(timeIntervalSince1970: 1_800_000_000)
    static let listURL = "https://learn.example.org/status/revocation"

    static func credential(validUntil: Date? = Sample.validFrom.addingTimeInterval(365 * 86_400), index: Int = 7) -> AchievementCredential {
        let issuer = Profile(id: identity.did, name: "Cairn", url: identity.baseURL)
        let achievement = Achievement(
            id: "https://learn.example.org/achievements/ai-foundations", achievementType: "Badge", name: "AI Foundations",
            description: "Uses generative AI safely and well at work.",
            criteria: Criteria(narrative: "Pass the AI Foundations exam."), image: Image(id: "https://learn.example.org/badges/ai-foundations.png"),
            creator: issuer,
            alignment: [Alignment(targetName: "Prompting", targetUrl: "https://learn.example.org/courses/ai-foundations#skill-prompting",
                                  targetDescription: "Writes clear prompts.", targetType: "ceasn:Competency", targetCode: "prompting")],
            resultDescription: [ResultDescription(id: "urn:cairn:result:exam", name: "Exam score", resultType: "Percent",
                                                  valueMin: "0", valueMax: "100", requiredValue: "70")]
        )
        return AchievementCredential(
            id: "https://learn.example.org/badges/3f1c", issuer: issuer, validFrom: CredentialDate.string(validFrom),
            validUntil: validUntil.map(CredentialDate.string), awardedDate: CredentialDate.string(validFrom), name: "AI Foundations",
            description: "Awarded for passing the AI Foundations exam.", image: Image(id: "https://learn.example.org/badges/ai-foundations.png"),
            credentialSubject: AchievementSubject(
                identifier: [IdentityHash.email("ada@example.org", salt: "pepper")], achievement: achievement,
                result: [Result(resultDescription: "urn:cairn:result:exam", value: "83", status: nil)]
            ),
            evidence: [Evidence(id: nil, name: "Exam result", description: nil, narrative: "Passed with 83%.", genre: "Exam")],
            credentialStatus: CredentialStatus(statusListCredential: listURL, purpose: "revocation", index: index)
        )
    }

    static let suspensionURL = "https://learn.example.org/status/suspension"

    static func list(_ key: IssuerKey, revoked: [Int], url: String = listURL, purpose: String = "revocation") throws -> String {
        var bits = StatusBitstring()
        for index in revoked { bits[index] = true }
        let list = try StatusListCredential(id: url, issuer: identity.did, purpose: purpose, bits: bits, validFrom: validFrom, ttl: 300_000)
        return try CredentialSigner(identity: identity, key: key).sign(list)
    }
}

@Suite("Open Badges credentials")
struct CredentialTests {
    let key = IssuerKey.generate(name: "key-1")
    var document: DIDDocument { DIDDocument(identity: Sample.identity, keys: [(key.name, key.publicJWK(kid: Sample.identity.keyID(key.name)))]) }
    var now: Date { Sample.validFrom.addingTimeInterval(86_400) }

    func resolver(revoked: [Int] = []) throws -> ListsInMemory {
        ListsInMemory(lists: [Sample.listURL: try Sample.list(key, revoked: revoked)], keys: StaticKeys(document: document))
    }

    @Test("a signed credential verifies: every check passes and the credential comes back as issued")
    func roundTrip() async throws {
        let credential = Sample.credential()
        let jwt = try CredentialSigner(identity: Sample.identity, key: key).sign(credential)
        let report = await CredentialVerifier().verify(jwt: jwt, keys: StaticKeys(document: document), status: try resolver(), at: now)
        #expect(report.isValid, "\(report.checks)")
        #expect(report.checks.map(\.name) == ["format", "key", "signature", "issuer", "schema", "dates", "status"])
        #expect(report.credential == credential)
        #expect(try CredentialVerifier.unverifiedCredential(jwt) == credential)
        // The JOSE header names the algorithm, the type and the did:web key.
        let header = String(decoding: Data(Base64URL.decode(String(jwt.split(separator: ".")[0]))!), as: UTF8.self)
        #expect(header.contains("\"alg\":\"ES256\"") && header.contains("\"typ\":\"JWT\"") && header.contains("\"kid\":\"did:web:learn.example.org#key-1\""))
        // The payload carries the OB claims next to the credential's own properties.
        let payload = try JSONSerialization.jsonObject(with: Data(Base64URL.decode(String(jwt.split(separator: ".")[1]))!)) as? [String: Any]
        #expect(payload?["iss"] as? String == "did:web:learn.example.org")
        #expect(payload?["jti"] as? String == credential.id)
        #expect(payload?["nbf"] as? Int == 1_800_000_000)
        #expect(payload?["exp"] as? Int == 1_800_000_000 + 365 * 86_400)
        #expect((payload?["@context"] as? [String]) == AchievementCredential.contexts)
    }

    @Test("changing any part of the payload breaks the signature")
    func tampering() async throws {
        let jwt = try CredentialSigner(identity: Sample.identity, key: key).sign(Sample.credential())
        let parts = jwt.split(separator: ".").map(String.init)
        let payload = String(decoding: Data(Base64URL.decode(parts[1])!), as: UTF8.self)
        for (old, new) in [("AI Foundations", "AI Mastery"), ("\"83\"", "\"99\""), ("1800000000", "1700000000"), ("pepper", "salt!!")] {
            #expect(payload.contains(old))
            let forged = [parts[0], Base64URL.encode(Array(payload.replacingOccurrences(of: old, with: new).utf8)), parts[2]].joined(separator: ".")
            let report = await CredentialVerifier().verify(jwt: forged, keys: StaticKeys(document: document), status: nil, at: now)
            #expect(!report.isValid)
            #expect(report.checks.last?.name == "signature" && report.checks.last?.passed == false, "\(old) → \(new): \(report.checks)")
        }
    }

    @Test("a wrong key, an unknown kid and a mangled token are refused with the reason")
    func wrongKeys() async throws {
        let jwt = try CredentialSigner(identity: Sample.identity, key: key).sign(Sample.credential())
        let other = IssuerKey.generate(name: "key-1")
        let impostor = StaticKeys(key: other.publicJWK(kid: nil))
        let wrong = await CredentialVerifier().verify(jwt: jwt, keys: impostor, status: nil, at: now)
        #expect(wrong.checks.last == VerificationCheck("signature", false, "the signature does not match the content: the badge was altered or signed with another key"))

        let elsewhere = DIDDocument(identity: Sample.identity, keys: [("key-2", other.publicJWK(kid: nil))])
        let unknown = await CredentialVerifier().verify(jwt: jwt, keys: StaticKeys(document: elsewhere), status: nil, at: now)
        #expect(unknown.checks.last == VerificationCheck("key", false, "did:web:learn.example.org#key-1 is not one of the issuer's published keys"))

        let mangled = await CredentialVerifier().verify(jwt: "not.a-jwt", keys: StaticKeys(document: document), status: nil, at: now)
        #expect(mangled.checks == [VerificationCheck("format", false, "not a compact JWS (three base64url parts separated by dots)")])
    }

    @Test("dates: not yet valid before validFrom, expired from validUntil on, fine without an expiry")
    func dates() async throws {
        let signer = CredentialSigner(identity: Sample.identity, key: key)
        let jwt = try signer.sign(Sample.credential())
        let keys = StaticKeys(document: document)
        let early = await CredentialVerifier().verify(jwt: jwt, keys: keys, status: nil, at: Sample.validFrom.addingTimeInterval(-1))
        #expect(early.checks.first { $0.name == "dates" }?.detail.hasPrefix("not valid until") == true)
        let late = await CredentialVerifier().verify(jwt: jwt, keys: keys, status: nil, at: Sample.validFrom.addingTimeInterval(365 * 86_400))
        #expect(late.checks.first { $0.name == "dates" }?.detail.hasPrefix("expired on") == true)
        #expect(!late.isValid)
        let forever = try signer.sign(Sample.credential(validUntil: nil))
        let report = await CredentialVerifier().verify(jwt: forever, keys: keys, status: try resolver(), at: Sample.validFrom.addingTimeInterval(3650 * 86_400))
        #expect(report.isValid, "\(report.checks)")
    }

    @Test("revocation: the credential's bit in the signed status list turns verification to failed")
    func revocation() async throws {
        let jwt = try CredentialSigner(identity: Sample.identity, key: key).sign(Sample.credential(index: 4242))
        let keys = StaticKeys(document: document)
        let fine = await CredentialVerifier().verify(jwt: jwt, keys: keys, status: try resolver(revoked: [4241, 4243]), at: now)
        #expect(fine.isValid, "neighbouring bits do not touch this credential: \(fine.checks)")
        let revoked = await CredentialVerifier().verify(jwt: jwt, keys: keys, status: try resolver(revoked: [4242]), at: now)
        #expect(revoked.checks.last == VerificationCheck("status", false, "revoked by the issuer"))
        let offline = await CredentialVerifier().verify(jwt: jwt, keys: keys, status: nil, at: now)
        #expect(offline.checks.last?.passed == false && offline.checks.last?.detail.contains("unknown") == true, "offline cannot claim the status is fine")
    }

    @Test("suspension: the suspension list beside the revocation list suspends a credential, and lifting it restores it")
    func suspension() async throws {
        let credential = Sample.credential(index: 4242)
        #expect(credential.credentialStatus?.suspensionCompanion == CredentialStatus(statusListCredential: Sample.suspensionURL, purpose: "suspension", index: 4242))
        let jwt = try CredentialSigner(identity: Sample.identity, key: key).sign(credential)
        let keys = StaticKeys(document: document)
        func lists(suspended: [Int]) throws -> ListsInMemory {
            ListsInMemory(lists: [
                Sample.listURL: try Sample.list(key, revoked: []),
                Sample.suspensionURL: try Sample.list(key, revoked: suspended, url: Sample.suspensionURL, purpose: "suspension"),
            ], keys: keys)
        }
        let suspended = await CredentialVerifier().verify(jwt: jwt, keys: keys, status: try lists(suspended: [4242]), at: now)
        #expect(!suspended.isValid)
        #expect(suspended.checks.last == VerificationCheck("status", false, "suspended by the issuer"))
        let lifted = await CredentialVerifier().verify(jwt: jwt, keys: keys, status: try lists(suspended: [4241]), at: now)
        #expect(lifted.isValid, "\(lifted.checks)")
        #expect(lifted.checks.last?.detail.contains("not suspended (\(Sample.suspensionURL))") == true)
        // A revocation list served as if it were the suspension list is refused, not read as "not suspended".
        let swapped = ListsInMemory(lists: [Sample.listURL: try Sample.list(key, revoked: []), Sample.suspensionURL: try Sample.list(key, revoked: [])], keys: keys)
        let confused = await CredentialVerifier().verify(jwt: jwt, keys: keys, status: swapped, at: now)
        #expect(confused.checks.last?.detail.contains("no suspension list could be read") == true)
        // An issuer that publishes no suspension list: revocation alone decides, and the report says so.
        let revocationOnly = await CredentialVerifier().verify(jwt: jwt, keys: keys, status: try resolver(), at: now)
        #expect(revocationOnly.isValid && revocationOnly.checks.last?.detail.contains("no suspension list could be read") == true)
        // A credential that names a suspension entry itself is checked against that list.
        var named = Sample.credential(index: 9)
        named.credentialStatus = CredentialStatus(statusListCredential: Sample.suspensionURL, purpose: "suspension", index: 9)
        let namedJWT = try CredentialSigner(identity: Sample.identity, key: key).sign(named)
        let namedReport = await CredentialVerifier().verify(jwt: namedJWT, keys: keys, status: try lists(suspended: [9]), at: now)
        #expect(namedReport.checks.last == VerificationCheck("status", false, "suspended by the issuer"))
    }

    @Test("key rotation: a new key signs new badges and badges signed with the old key still verify")
    func rotation() async throws {
        let first = key
        let second = IssuerKey.generate(name: "key-2")
        let old = try CredentialSigner(identity: Sample.identity, key: first).sign(Sample.credential())
        let new = try CredentialSigner(identity: Sample.identity, key: second).sign(Sample.credential())
        let document = DIDDocument(identity: Sample.identity, keys: [
            (first.name, first.publicJWK(kid: Sample.identity.keyID(first.name))), (second.name, second.publicJWK(kid: Sample.identity.keyID(second.name))),
        ])
        for jwt in [old, new] {
            let report = await CredentialVerifier().verify(jwt: jwt, keys: StaticKeys(document: document), status: nil, at: now)
            #expect(report.checks.filter { $0.name != "status" }.allSatisfy { $0.passed }, "\(report.checks)")
        }
        let header = String(decoding: Data(Base64URL.decode(String(new.split(separator: ".")[0]))!), as: UTF8.self)
        #expect(header.contains("\"kid\":\"did:web:learn.example.org#key-2\""), "new badges name the new key")
        // A stored key reads back as the same key.
        let restored = try IssuerKey(name: second.name, pem: second.pem)
        #expect(restored.publicJWK(kid: nil) == second.publicJWK(kid: nil))
        #expect(throws: CredentialError.self) { try IssuerKey(name: "bad", pem: "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----") }
    }
}

@Suite("Status lists, identity hashes and did:web")
struct CredentialPartsTests {
    @Test("a status list is at least 16 KB of bits, index 0 is the left-most bit, and it round-trips through GZIP and base64url")
    func bitstring() throws {
        var bits = StatusBitstring()
        #expect(bits.count == 131_072)
        bits[0] = true
        bits[9] = true
        bits[131_071] = true
        #expect(bits.bytes[0] == 0x80 && bits.bytes[1] == 0x40 && bits.bytes.last == 0x01)
        let encoded = try bits.encoded()
        #expect(encoded.hasPrefix("u") && !encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
        #expect(encoded.count < 500, "an almost empty list compresses to a few hundred characters")
        let decoded = try StatusBitstring(encoded: encoded)
        #expect(decoded == bits && decoded[9] && !decoded[10])
        #expect(throws: CredentialError.self) { try StatusBitstring(encoded: "zABC") }
        #expect(throws: CredentialError.self) { try StatusBitstring(encoded: "u" + Base64URL.encode(Array("not gzip".utf8))) }
    }

    @Test("the identity hash is Open Badges' salted SHA-256 (the specification's own example)")
    func identityHash() {
        let identity = IdentityHash.email("a@example.com", salt: "Kosher")
        #expect(identity.identityHash == "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399")
        #expect(identity.hashed && identity.identityType == "emailAddress" && identity.salt == "Kosher")
        #expect(IdentityHash.matches(identity, address: "a@example.com"))
        #expect(!IdentityHash.matches(identity, address: "b@example.com"))
        #expect(IdentityHash.newSalt() != IdentityHash.newSalt())
    }

    @Test("did:web comes from the public address: host, port as %3A, path as colons")
    func didWeb() {
        #expect(IssuerIdentity(baseURL: "https://learn.example.org").did == "did:web:learn.example.org")
        #expect(IssuerIdentity(baseURL: "http://127.0.0.1:8080/").did == "did:web:127.0.0.1%3A8080")
        #expect(IssuerIdentity(baseURL: "https://example.org/cairn").did == "did:web:example.org:cairn")
        let identity = IssuerIdentity(baseURL: "https://learn.example.org")
        #expect(identity.keyID("key-3") == "did:web:learn.example.org#key-3")
        #expect(identity.keyURL("key-3") == "https://learn.example.org/keys/key-3.json")
    }
}

@Suite("Baked badges")
struct BakingTests {
    /// The badge image the server bakes into, as shipped.
    static let image: [UInt8] = Array(try! Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/WebApp/Resources/static/badge.png")))

    @Test("a baked PNG carries the VC-JWT in one uncompressed iTXt chunk, stays a valid PNG, and re-baking replaces it")
    func png() throws {
        let key = IssuerKey.generate(name: "key-1")
        let jwt = try CredentialSigner(identity: Sample.identity, key: key).sign(Sample.credential())
        let baked = try BakedBadge.png(Self.image, jwt: jwt)
        #expect(try BakedBadge.jwt(png: baked) == jwt, "extracted equals issued")
        #expect(try BakedBadge.jwt(png: Self.image) == nil)
        // Every chunk's CRC still holds; the credential sits before IEND, once.
        let rebaked = try BakedBadge.png(baked, jwt: "a.b.c")
        #expect(try BakedBadge.jwt(png: rebaked) == "a.b.c")
        let text = String(decoding: rebaked, as: UTF8.self)
        #expect(text.components(separatedBy: "openbadgecredential").count == 2, "one credential chunk after re-baking")
        #expect(Array(rebaked.suffix(12)) == BakingTests.iend)
        var damaged = baked
        damaged[40] ^= 0xFF
        #expect(throws: CredentialError.self) { try BakedBadge.jwt(png: damaged) }
        #expect(throws: CredentialError.self) { try BakedBadge.png(Array("GIF89a".utf8), jwt: jwt) }
    }

    /// An IEND chunk: zero length, the type, its CRC.
    static let iend: [UInt8] = [0, 0, 0, 0, 73, 69, 78, 68, 0xAE, 0x42, 0x60, 0x82]

    @Test("a baked SVG carries the VC-JWT in openbadges:credential verify, escaped, and extracts equal")
    func svg() throws {
        let key = IssuerKey.generate(name: "key-1")
        let jwt = try CredentialSigner(identity: Sample.identity, key: key).sign(Sample.credential())
        let svg = BakedBadge.svg(jwt: jwt, title: "AI <Foundations> & more")
        #expect(svg.contains("xmlns:openbadges=\"https://purl.imsglobal.org/ob/v3p0\""))
        #expect(svg.contains("<openbadges:credential verify=\"\(jwt)\"></openbadges:credential>"))
        #expect(svg.contains("AI &lt;Foundations&gt; &amp; more") && !svg.contains("<Foundations>"))
        #expect(BakedBadge.jwt(svg: svg) == jwt)
        #expect(BakedBadge.jwt(svg: "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>") == nil)
    }
}
