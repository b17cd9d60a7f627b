import CairnCore
import Foundation
import Testing
@testable import Credentials

/// The hand-written JSON of credentials and their VC-JWT claims against Foundation's
/// `JSONEncoder`: the same values, key by key, for credentials with and without every
/// optional part and with text that needs escaping.
@Suite("Credential JSON")
struct JSONWritingTests {
    static func variants() -> [AchievementCredential] {
        var full = Sample.credential()
        full.image = Image(id: "https://learn.example.org/badge.png", caption: "A cairn")
        full.credentialSubject.result = [Result(resultDescription: "https://learn.example.org/r", value: "85", status: "Completed")]
        full.credentialSubject.achievement.resultDescription = [
            ResultDescription(id: "https://learn.example.org/r", name: "Exam", resultType: "Percent", valueMin: "0", valueMax: "100", requiredValue: "70"),
        ]
        full.credentialSubject.achievement.image = Image(id: "https://learn.example.org/a.png")
        full.proof = DataIntegrityProof(cryptosuite: "eddsa-rdfc-2022", created: "2026-11-22T10:00:00Z", verificationMethod: "did:web:x#ed25519-1", proofValue: "z123")
        var bare = Sample.credential(validUntil: nil)
        bare.description = nil
        bare.evidence = nil
        bare.credentialStatus = nil
        bare.credentialSchema = nil
        bare.awardedDate = nil
        bare.issuer = Profile(id: "did:web:learn.example.org", name: "Cairn", url: nil)
        var awkward = Sample.credential()
        awkward.name = "Quotes \" and \\ back-slashes, tabs\t, new\nlines, a bell \u{07}, slashes / and <b>markup</b>"
        awkward.description = "Ünïcödé — 日本語 🙂 and an emoji flag 🇬🇧"
        awkward.credentialSubject.achievement.criteria = Criteria(id: nil, narrative: "line one\r\nline two\u{0C}\u{08}")
        return [Sample.credential(), full, bare, awkward]
    }

    @Test("each credential's JSON is the same value JSONEncoder gives, and decodes to the credential")
    func credentials() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        for credential in Self.variants() {
            let written = credential.jsonData
            #expect(try JSON(data: written) == JSON(data: encoder.encode(credential)), "\(String(decoding: written, as: UTF8.self))")
            #expect(try JSONDecoder().decode(AchievementCredential.self, from: written) == credential)
        }
    }

    @Test("the VC-JWT claims are the credential's members with iss, jti, nbf, sub and exp beside them")
    func claims() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        for credential in Self.variants() {
            let claims = CredentialClaims(credential)
            let written = Data(claims.jsonBytes)
            #expect(try JSON(data: written) == JSON(data: encoder.encode(claims)))
            #expect(try JSONDecoder().decode(CredentialClaims.self, from: written) == claims)
        }
    }
}
