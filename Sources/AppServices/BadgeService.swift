import CairnCore
import Credentials
import Curriculum
import Foundation

/// Open Badges: issuing a signed credential when a learner passes, the issuer's published
/// keys, the revocation list, and verification against them.
public struct BadgeService: Sendable {
    /// How long verifiers may cache the revocation list: a revocation shows within this.
    public static let statusListTTL: TimeInterval = 300

    let catalog: CatalogService
    let store: any CairnStore
    let clock: Clock
    public let identity: IssuerIdentity
    let issuerName: String

    public init(catalog: CatalogService, store: any CairnStore, baseURL: String, issuerName: String = "Cairn", clock: Clock = .system) {
        self.catalog = catalog
        self.store = store
        self.clock = clock
        identity = IssuerIdentity(baseURL: baseURL)
        self.issuerName = issuerName
    }

    public var revocationListURL: String { identity.baseURL + "/status/revocation" }
    /// Beside the revocation list, by the convention `CredentialStatus.suspensionCompanion` reads.
    public var suspensionListURL: String { identity.baseURL + "/status/suspension" }
    public func badgeURL(_ id: String) -> String { identity.baseURL + "/badges/" + id }

    // MARK: keys

    /// The key new badges are signed with (VC-JWT, ES256), creating the first one on first use.
    public func signingKey() async throws -> IssuerKey {
        let keys = try await store.issuerKeys().filter { $0.name.hasPrefix(Self.p256Prefix) }
        if let active = keys.last(where: { $0.retiredAt == nil }) { return try IssuerKey(name: active.name, pem: active.privateKeyPEM) }
        return try await addKey(after: keys)
    }

    /// The Ed25519 key new badges' Data Integrity proofs are made with, created on first use.
    public func dataIntegrityKey() async throws -> DataIntegrityKey {
        let keys = try await store.issuerKeys().filter { $0.name.hasPrefix(Self.ed25519Prefix) }
        if let active = keys.last(where: { $0.retiredAt == nil }) { return try DataIntegrityKey(name: active.name, multibase: active.privateKeyPEM) }
        let number = (keys.compactMap { Int($0.name.dropFirst(Self.ed25519Prefix.count)) }.max() ?? 0) + 1
        let key = DataIntegrityKey.generate(name: Self.ed25519Prefix + String(number))
        do {
            try await store.insertIssuerKey(StoredIssuerKey(name: key.name, privateKeyPEM: key.multibase, createdAt: clock.now()))
            return key
        } catch StoreError.conflict {
            guard let theirs = try await store.issuerKeys().last(where: { $0.name.hasPrefix(Self.ed25519Prefix) && $0.retiredAt == nil }) else {
                throw StoreError.unavailable("no Ed25519 issuer key")
            }
            return try DataIntegrityKey(name: theirs.name, multibase: theirs.privateKeyPEM)
        }
    }

    /// P-256 keys are `key-N`; Ed25519 keys (kept as a multibase private key) are `ed25519-N`.
    static let p256Prefix = "key-"
    static let ed25519Prefix = "ed25519-"

    /// Retires the signing keys and makes a new one: new badges are signed with it, and the
    /// old keys stay published so the badges they signed still verify.
    @discardableResult
    public func rotateKey() async throws -> String {
        let keys = try await store.issuerKeys()
        for key in keys where key.retiredAt == nil { try await store.retireIssuerKey(name: key.name, at: clock.now()) }
        return try await addKey(after: keys.filter { $0.name.hasPrefix(Self.p256Prefix) }).name
    }

    func addKey(after keys: [StoredIssuerKey]) async throws -> IssuerKey {
        let number = (keys.compactMap { Int($0.name.dropFirst(Self.p256Prefix.count)) }.max() ?? 0) + 1
        let key = IssuerKey.generate(name: Self.p256Prefix + String(number))
        do {
            try await store.insertIssuerKey(StoredIssuerKey(name: key.name, privateKeyPEM: key.pem, createdAt: clock.now()))
            return key
        } catch StoreError.conflict {
            // Another node made it at the same moment: use theirs.
            guard let theirs = try await store.issuerKeys().last(where: { $0.name.hasPrefix(Self.p256Prefix) && $0.retiredAt == nil }) else {
                throw StoreError.unavailable("no issuer key")
            }
            return try IssuerKey(name: theirs.name, pem: theirs.privateKeyPEM)
        }
    }

    /// The did:web document: every key ever used, P-256 keys as JWKs and Ed25519 keys as Multikeys.
    public func didDocument() async throws -> DIDDocument {
        var stored = try await store.issuerKeys()
        if !stored.contains(where: { $0.name.hasPrefix(Self.p256Prefix) }) {
            _ = try await signingKey()
            stored = try await store.issuerKeys()
        }
        let keys = try stored.filter { $0.name.hasPrefix(Self.p256Prefix) }.map { stored -> (name: String, jwk: PublicJWK) in
            let key = try IssuerKey(name: stored.name, pem: stored.privateKeyPEM)
            return (stored.name, key.publicJWK(kid: identity.keyID(stored.name)))
        }
        let multikeys = try stored.filter { $0.name.hasPrefix(Self.ed25519Prefix) }.map { stored -> (name: String, multibase: String) in
            (stored.name, try DataIntegrityKey(name: stored.name, multibase: stored.privateKeyPEM).publicMultikey)
        }
        return DIDDocument(identity: identity, keys: keys, multikeys: multikeys)
    }

    public func publicKey(name: String) async throws -> PublicJWK? {
        guard name.hasPrefix(Self.p256Prefix), let stored = try await store.issuerKeys().first(where: { $0.name == name }) else { return nil }
        return try IssuerKey(name: stored.name, pem: stored.privateKeyPEM).publicJWK(kid: identity.keyID(name))
    }

    // MARK: issuing

    /// The badge for a passed exam sitting, issued once: asking again returns the same badge.
    @discardableResult
    public func issue(for session: ExamSession) async throws -> IssuedBadge? {
        guard session.result?.passed == true else { return nil }
        if let existing = try await store.badge(examSession: session.id) { return existing }
        let course = try catalog.course(session.courseID)
        do {
            return try await issue(course: course, user: session.userID, session: session)
        } catch StoreError.conflict {
            return try await store.badge(examSession: session.id)
        }
    }

    /// Issues the course's badge to a learner: on passing, or awarded by hand (no sitting).
    /// A pathway's certification follows when this badge was the last step left.
    public func issue(course: Course, user userID: UserID, session: ExamSession?) async throws -> IssuedBadge {
        guard let user = try await store.user(id: userID) else { throw AppError.notFound("That learner") }
        let issued = try await issueCredential(to: user, for: course.id, pathway: nil, session: session, validForDays: course.credential.validForDays) {
            credential(id: $0, course: course, email: user.email.value, session: session, awarded: $1, validUntil: $2, statusIndex: $3)
        }
        guard let badge = issued else { throw StoreError.unavailable("the badge was not issued") }
        try await certifyIfComplete(user: userID)
        return badge
    }

    /// Signs and stores a credential built by `build(id, awarded, validUntil, statusIndex)`.
    /// `owner` is the course (or, for a certification, the pathway) the badge is for.
    /// `skip`, checked inside the write transaction, can decline to issue (nil is returned):
    /// two requests that race to issue the same certification issue it once.
    func issueCredential(
        to user: User, for owner: CourseID, pathway: PathwayID?, session: ExamSession?, validForDays: Int?,
        skip: (@Sendable (any CairnStore) async throws -> Bool)? = nil,
        build: @Sendable (String, Date, Date?, Int) -> AchievementCredential
    ) async throws -> IssuedBadge? {
        let key = try await signingKey()
        let signer = CredentialSigner(identity: identity, key: key)
        let dataIntegrity = try await dataIntegrityKey()
        let now = clock.now()
        let id = RandomUUID.string()
        let validUntil = validForDays.map { now.addingTimeInterval(TimeInterval($0) * 86_400) }
        // Re-certification: a renewed badge keeps the date the achievement was first awarded.
        let firstAwarded = try await store.badges(user: user.id).filter { $0.courseID == owner && $0.revokedAt == nil }.map(\.awardedAt).min()
        return try await store.transaction { store in
            if let skip, try await skip(store) { return nil }
            let index = try await store.nextStatusIndex()
            var credential = build(id, now, validUntil, index)
            if let firstAwarded { credential.awardedDate = CredentialDate.string(firstAwarded) }
            // The JSON form carries a Data Integrity proof (for wallets); the VC-JWT is the same credential, signed ES256.
            let json = try dataIntegrity.sign(credential.jsonData, identity: identity, created: now)
            let badge = IssuedBadge(
                id: id, userID: user.id, courseID: owner, examSessionID: session?.id, statusIndex: index,
                json: String(decoding: json, as: UTF8.self), jwt: try signer.sign(credential),
                keyName: key.name, awardedAt: now, validUntil: validUntil, pathwayID: pathway
            )
            try await store.insertBadge(badge)
            Self.keepCopy(badge)
            return badge
        }
    }

    /// When `CAIRN_CREDENTIAL_COPIES` names a folder, each issued credential's JSON is also
    /// written there (`scripts/test` validates every one against the Open Badges schema).
    static func keepCopy(_ badge: IssuedBadge) {
        guard let folder = ProcessInfo.processInfo.environment["CAIRN_CREDENTIAL_COPIES"], !folder.isEmpty else { return }
        let url = URL(fileURLWithPath: folder, isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try? Data(badge.json.utf8).write(to: url.appendingPathComponent("\(badge.id).json"))
    }

    /// The issuer as its credentials name it: the DID as id, the issuer's page as url.
    public var issuerProfile: Profile {
        Profile(id: identity.did, name: issuerName, url: identity.baseURL + "/issuer", description: "Open learning and certification for job-ready AI skills.")
    }

    /// One of the issuer's keys as its public page lists it (never the private key).
    public struct PublishedKey: Sendable {
        public var name: String
        /// "P-256 (VC-JWT, ES256)" or "Ed25519 (Data Integrity, eddsa-rdfc-2022)".
        public var use: String
        public var createdAt: Date
        public var retiredAt: Date?
    }

    /// The issuer's keys, oldest first, for its public page.
    public func keyHistory() async throws -> [PublishedKey] {
        _ = try await didDocument()
        return try await store.issuerKeys().map { key in
            PublishedKey(
                name: key.name, use: key.name.hasPrefix(Self.ed25519Prefix) ? "Ed25519 (Data Integrity proofs, eddsa-rdfc-2022)" : "P-256 (VC-JWT, ES256)",
                createdAt: key.createdAt, retiredAt: key.retiredAt
            )
        }
    }

    func credential(
        id: String, course: Course, email: String, session: ExamSession?, awarded: Date, validUntil: Date?, statusIndex: Int
    ) -> AchievementCredential {
        let base = identity.baseURL
        let definition = course.credential
        let skills = definition.skills.isEmpty ? course.skills.map(\.id) : definition.skills
        let alignments = skills.compactMap(course.skill).map { skill in
            Alignment(
                targetName: skill.title, targetUrl: "\(base)/courses/\(course.id.rawValue)#skill-\(skill.id.rawValue)",
                targetDescription: skill.description, targetType: "ceasn:Competency", targetCode: skill.id.rawValue
            )
        }
        let resultID = "\(base)/courses/\(course.id.rawValue)#exam-result"
        let achievement = Achievement(
            id: "\(base)/courses/\(course.id.rawValue)#credential-\(definition.id.rawValue)", achievementType: "Badge",
            name: definition.title, description: definition.description, criteria: Criteria(narrative: definition.criteria),
            image: nil, creator: issuerProfile, alignment: alignments,
            resultDescription: [ResultDescription(
                id: resultID, name: "\(course.title) exam", resultType: "Percent", valueMin: "0", valueMax: "100",
                requiredValue: String(course.exam.passPercent)
            )]
        )
        let outcome = session?.result
        let evidence: [Evidence] = if let outcome, let session {
            [Evidence(
                id: nil, name: "\(course.title) exam", description: nil,
                narrative: "Passed the \(course.title) exam (course version \(session.courseVersion)) on \(CredentialDate.string(session.finishedAt ?? awarded)): "
                    + "\(outcome.answered) items answered, \(outcome.percent)% of the marks"
                    + (session.mode == .adaptive ? ", adaptive exam decided on the ability scale." : "."),
                genre: "Exam"
            )]
        } else {
            [Evidence(id: nil, name: "Awarded by an administrator", description: nil, narrative: "Awarded by a Cairn administrator.", genre: "Assessment")]
        }
        return AchievementCredential(
            id: badgeURL(id), issuer: issuerProfile, validFrom: CredentialDate.string(awarded), validUntil: validUntil.map(CredentialDate.string),
            awardedDate: CredentialDate.string(awarded), name: definition.title, description: definition.description, image: nil,
            credentialSubject: AchievementSubject(
                identifier: [IdentityHash.email(email, salt: IdentityHash.newSalt())], achievement: achievement,
                result: outcome.map { [Result(resultDescription: resultID, value: String($0.percent), status: nil)] }
            ),
            evidence: evidence,
            credentialStatus: CredentialStatus(statusListCredential: revocationListURL, purpose: "revocation", index: statusIndex)
        )
    }

    // MARK: reading and checking

    public func badge(id: String) async throws -> IssuedBadge {
        guard let badge = try await store.badge(id: id) else { throw AppError.notFound("That badge") }
        return badge
    }

    public func badges(user: UserID) async throws -> [IssuedBadge] { try await store.badges(user: user) }

    /// The name the earner goes by, for the public page (never the e-mail address).
    public func earner(of badge: IssuedBadge) async throws -> String? {
        try await store.user(id: badge.userID)?.displayName
    }

    /// For platform administrators: the latest badges with their earners' names.
    public func recent(limit: Int = 50) async throws -> [(IssuedBadge, String)] {
        try await store.recentBadges(limit: limit)
    }

    /// Awards a course's badge by hand to the account with this address.
    public func award(course courseID: CourseID, email: String) async throws -> IssuedBadge {
        let course = try catalog.course(courseID)
        guard let address = EmailAddress(email) else {
            throw AppError.invalidField(field: "email", message: "'\(email)' is not an e-mail address.")
        }
        guard let (user, _) = try await store.userWithPasswordHash(email: address) else {
            throw AppError.invalidField(field: "email", message: "No account uses \(address.value); the learner signs up first.")
        }
        return try await issue(course: course, user: user.id, session: nil)
    }

    public func revoke(id: String, reason: String) async throws {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw AppError.invalidField(field: "reason", message: "Say why the badge is revoked; the reason is kept.") }
        _ = try await badge(id: id)
        try await store.setRevoked(badge: id, at: clock.now(), reason: reason)
    }

    /// Suspends a badge until it is reinstated (while a complaint or an exam review is open):
    /// it fails verification meanwhile. A reason is required and kept.
    public func suspend(id: String, reason: String) async throws {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw AppError.invalidField(field: "reason", message: "Say why the badge is suspended; the reason is kept.") }
        let badge = try await badge(id: id)
        guard badge.revokedAt == nil else { throw AppError.conflict("That badge is revoked for good; it cannot be suspended.") }
        try await store.setSuspended(badge: id, suspended: true, at: clock.now(), reason: reason)
    }

    /// Lifts a suspension: the badge verifies again once verifiers re-read the list.
    public func reinstate(id: String) async throws {
        let badge = try await badge(id: id)
        guard badge.suspendedAt != nil else { throw AppError.conflict("That badge is not suspended.") }
        try await store.setSuspended(badge: id, suspended: false, at: clock.now(), reason: nil)
        // A pathway may have been waiting for this badge.
        try await certifyIfComplete(user: badge.userID)
    }

    /// A status list, signed: what verifiers read. `purpose` is "revocation" or "suspension";
    /// the list is served at `/status/PURPOSE`.
    public func statusListJWT(purpose: String) async throws -> String {
        guard ["revocation", "suspension"].contains(purpose) else { throw AppError.notFound("That status list") }
        var bits = StatusBitstring()
        for index in try await store.statusIndexes(revoked: purpose == "revocation") { bits[index] = true }
        let list = try StatusListCredential(
            id: identity.baseURL + "/status/" + purpose, issuer: identity.did, purpose: purpose, bits: bits, validFrom: clock.now(),
            ttl: Int(Self.statusListTTL * 1000)
        )
        return try CredentialSigner(identity: identity, key: try await signingKey()).sign(list)
    }

    /// Every check of a credential's JSON form by its Data Integrity proof, against this server's keys and lists.
    public func verify(dataIntegrity json: String) async throws -> VerificationReport {
        let keys = StaticKeys(document: try await didDocument())
        return await CredentialVerifier().verify(dataIntegrity: Data(json.utf8), keys: keys, status: LocalStatus(service: self, keys: keys), at: clock.now())
    }

    /// Every check, against this server's own keys and revocation list: what the badge page shows.
    public func verify(jwt: String) async throws -> VerificationReport {
        let keys = StaticKeys(document: try await didDocument())
        let status = LocalStatus(service: self, keys: keys)
        return await CredentialVerifier().verify(jwt: jwt, keys: keys, status: status, at: clock.now())
    }

    struct LocalStatus: StatusResolver {
        let service: BadgeService
        let keys: StaticKeys

        func isSet(_ status: CredentialStatus) async throws -> Bool {
            let purpose = switch status.statusListCredential {
            case service.revocationListURL: "revocation"
            case service.suspensionListURL: "suspension"
            default: throw CredentialError.malformed("\(status.statusListCredential) is not a list this server publishes")
            }
            return try await StatusListReader().isSet(status, listJWT: try await service.statusListJWT(purpose: purpose), keys: keys)
        }
    }
}
