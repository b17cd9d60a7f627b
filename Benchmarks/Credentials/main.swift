import Credentials
import Foundation

// Credential throughput on one core (issue 7): signing AchievementCredentials as VC-JWT
// (ES256) and verifying them (signature, key, issuer, schema, dates; the status list is
// read once and held, as a verifier caches it for its time-to-live), then the same for the
// JSON form's Data Integrity proof (eddsa-rdfc-2022: JSON-LD, RDFC-1.0, Ed25519) on a
// tenth as many. Each line of output is one measurement. Usage: credentials-bench [COUNT]

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20_000 : 20_000
let identity = IssuerIdentity(baseURL: "https://learn.example.org")
let key = IssuerKey.generate(name: "key-1")
let document = DIDDocument(identity: identity, keys: [(key.name, key.publicJWK(kid: identity.keyID(key.name)))])
let signer = CredentialSigner(identity: identity, key: key)
let listURL = "https://learn.example.org/status/revocation"

func credential(_ number: Int) -> AchievementCredential {
    let issuer = Profile(id: identity.did, name: "Cairn", url: identity.baseURL)
    let achievement = Achievement(
        id: "https://learn.example.org/achievements/ai-foundations", achievementType: "Badge", name: "AI Foundations",
        description: "Uses generative AI safely and well at work.", criteria: Criteria(narrative: "Pass the AI Foundations exam."),
        image: nil, creator: issuer,
        alignment: (1 ... 9).map { Alignment(targetName: "Skill \($0)", targetUrl: "https://learn.example.org/skills/\($0)", targetDescription: nil, targetType: "ceasn:Competency", targetCode: nil) },
        resultDescription: nil
    )
    let now = Date()
    return AchievementCredential(
        id: "https://learn.example.org/badges/\(number)", issuer: issuer, validFrom: CredentialDate.string(now),
        validUntil: CredentialDate.string(now.addingTimeInterval(365 * 86_400)), awardedDate: CredentialDate.string(now), name: "AI Foundations",
        description: "Awarded for passing the AI Foundations exam.", image: nil,
        credentialSubject: AchievementSubject(identifier: [IdentityHash.email("learner\(number)@example.org", salt: "salt\(number)")], achievement: achievement, result: nil),
        evidence: nil, credentialStatus: CredentialStatus(statusListCredential: listURL, purpose: "revocation", index: number % 131_072)
    )
}

struct CachedList: StatusResolver {
    let bits: StatusBitstring
    func isSet(_ status: CredentialStatus) async throws -> Bool { bits[Int(status.statusListIndex) ?? -1] }
}

let credentials = (0 ..< count).map(credential)
var tokens: [String] = []
tokens.reserveCapacity(count)
let signStart = Date()
for credential in credentials { tokens.append(try signer.sign(credential)) }
let signSeconds = Date().timeIntervalSince(signStart)
print(String(format: "cairn VC-JWT issuing (ES256, credential built and signed), %d credentials on one task: %.0f per second", count, Double(count) / signSeconds))

let keys = StaticKeys(document: document)
let list = CachedList(bits: try StatusBitstring(encoded: try StatusBitstring().encoded()))
let verifier = CredentialVerifier()

/// Verifies every token from a nonisolated task, as a server's request handler does: the
/// loop itself does not hop to the main actor between verifications.
nonisolated func verifyAll(_ tokens: [String], verifier: CredentialVerifier, keys: StaticKeys, list: CachedList) async -> (valid: Int, seconds: Double) {
    var valid = 0
    let start = Date()
    for token in tokens where await verifier.verify(jwt: token, keys: keys, status: list).isValid { valid += 1 }
    return (valid, Date().timeIntervalSince(start))
}

let (valid, verifySeconds) = await Task.detached { [tokens] in await verifyAll(tokens, verifier: verifier, keys: keys, list: list) }.value
print(String(format: "cairn VC-JWT verification (every check), %d credentials on one task: %.0f per second (%d valid)", count, Double(count) / verifySeconds, valid))

let dataIntegrityCount = max(count / 10, 1)
let dataIntegrityKey = DataIntegrityKey.generate(name: "ed25519-1")
let dataIntegrityDocument = DIDDocument(identity: identity, keys: [], multikeys: [(dataIntegrityKey.name, dataIntegrityKey.publicMultikey)])
var secured: [Data] = []
secured.reserveCapacity(dataIntegrityCount)
let diSignStart = Date()
for credential in credentials.prefix(dataIntegrityCount) {
    secured.append(try dataIntegrityKey.sign(credential.jsonData, identity: identity, created: Date()))
}
let diSignSeconds = Date().timeIntervalSince(diSignStart)
// One secured credential for the baseline in scripts/bench-credentials (pyld on the same document).
if let sample = ProcessInfo.processInfo.environment["CREDENTIALS_BENCH_SAMPLE"], let first = secured.first {
    try first.write(to: URL(fileURLWithPath: sample))
}
print(String(format: "cairn Data Integrity issuing (eddsa-rdfc-2022: JSON, JSON-LD, RDFC-1.0, Ed25519), %d credentials on one task: %.0f per second", dataIntegrityCount, Double(dataIntegrityCount) / diSignSeconds))
let diKeys = StaticKeys(document: dataIntegrityDocument)
nonisolated func verifyAll(_ documents: [Data], verifier: CredentialVerifier, keys: StaticKeys, list: CachedList) async -> (valid: Int, seconds: Double) {
    var valid = 0
    let start = Date()
    for json in documents where await verifier.verify(dataIntegrity: json, keys: keys, status: list).isValid { valid += 1 }
    return (valid, Date().timeIntervalSince(start))
}

let (diValid, diVerifySeconds) = await Task.detached { [secured] in await verifyAll(secured, verifier: verifier, keys: diKeys, list: list) }.value
print(String(format: "cairn Data Integrity verification (every check, and every term defined), %d credentials on one task: %.0f per second (%d valid)", dataIntegrityCount, Double(dataIntegrityCount) / diVerifySeconds, diValid))

