import CairnCore
import Credentials
import Curriculum
import Foundation

/// Where a learner stands on a pathway to a full certification: each step done or not,
/// and what is left.
public struct PathwayProgress: Sendable {
    public enum State: Sendable, Equatable {
        /// The badge is held and in force, or the capstone passed.
        case done
        /// The badge was held but has expired: re-certify to count it again.
        case expired
        /// The badge is suspended by the issuer for now.
        case suspended
        /// The course is offered and its badge not yet earned.
        case toEarn
        /// The pathway names a course Cairn does not offer yet.
        case notOffered
        /// No capstone work handed in yet.
        case toHandIn
        /// Work handed in, waiting for people to score it.
        case waiting
        /// The capstone was scored below the pass mark; it can be handed in again.
        case belowPass(score: Int)
    }

    public struct Step: Sendable {
        public var step: Pathway.Step
        public var title: String
        public var state: State
        /// The badge that fulfils the step (also when expired or suspended).
        public var badge: IssuedBadge?
        /// The capstone work that decides the step: the passing one, else the latest.
        public var work: CapstoneWork?
    }

    public var pathway: Pathway
    public var steps: [Step]
    /// The pathway's certification, when the learner holds one (the newest).
    public var certification: IssuedBadge?

    public var doneCount: Int { steps.filter { $0.state == .done }.count }
    /// The titles of the steps not done yet, in order.
    public var left: [String] { steps.filter { $0.state != .done }.map(\.title) }
    public var isComplete: Bool { doneCount == steps.count }
}

extension BadgeService {
    /// A badge counts while it is neither revoked, suspended nor expired.
    func inForce(_ badge: IssuedBadge, at now: Date) -> Bool {
        badge.revokedAt == nil && badge.suspendedAt == nil && (badge.validUntil.map { $0 > now } ?? true)
    }

    /// Every pathway, with this learner's progress (none when `user` is nil).
    public func pathways(for user: UserID?) async throws -> [PathwayProgress] {
        let (badges, results) = try await records(of: user)
        return catalog.pathways.map { progress($0, badges: badges, results: results) }
    }

    public func pathway(_ id: PathwayID, for user: UserID?) async throws -> PathwayProgress {
        let pathway = try catalog.pathway(id)
        let (badges, results) = try await records(of: user)
        return progress(pathway, badges: badges, results: results)
    }

    func records(of user: UserID?) async throws -> ([IssuedBadge], [CapstoneWork]) {
        guard let user else { return ([], []) }
        return (try await store.badges(user: user), try await store.capstoneWork(user: user))
    }

    func progress(_ pathway: Pathway, badges: [IssuedBadge], results: [CapstoneWork]) -> PathwayProgress {
        let now = clock.now()
        let steps = pathway.steps.map { step -> PathwayProgress.Step in
            switch step {
            case let .badge(courseID):
                let course = catalog.catalog.course(courseID)
                // A course not offered yet is named from its id: machine-learning-foundations → "Machine Learning Foundations badge".
                let title = course?.credential.title
                    ?? courseID.rawValue.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ") + " badge"
                // Badges come newest first: prefer one in force, then the newest not revoked.
                let held = badges.filter { $0.courseID == courseID && $0.pathwayID == nil && $0.revokedAt == nil }
                if let current = held.first(where: { inForce($0, at: now) }) {
                    return .init(step: step, title: title, state: .done, badge: current)
                }
                if let suspended = held.first(where: { $0.suspendedAt != nil }) {
                    return .init(step: step, title: title, state: .suspended, badge: suspended)
                }
                if let expired = held.first {
                    return .init(step: step, title: title, state: .expired, badge: expired)
                }
                return .init(step: step, title: title, state: course == nil ? .notOffered : .toEarn)
            case let .capstone(capstone):
                let handedIn = results.filter { $0.pathwayID == pathway.id && $0.capstoneID == capstone.id }
                if let passed = handedIn.first(where: \.passed) {
                    return .init(step: step, title: capstone.title, state: .done, work: passed)
                }
                guard let latest = handedIn.first else { return .init(step: step, title: capstone.title, state: .toHandIn) }
                if let score = latest.score { return .init(step: step, title: capstone.title, state: .belowPass(score: score), work: latest) }
                return .init(step: step, title: capstone.title, state: .waiting, work: latest)
            }
        }
        let certification = badges.first { $0.pathwayID == pathway.id && $0.revokedAt == nil }
        return PathwayProgress(pathway: pathway, steps: steps, certification: certification)
    }

    /// The learner hands in a link to their capstone work. Work still waiting to be scored
    /// is replaced by the new link rather than queued twice.
    @discardableResult
    public func handIn(pathway pathwayID: PathwayID, capstone capstoneID: String, user: UserID, url: String, title: String) async throws -> CapstoneWork {
        let (pathway, capstone) = try capstone(capstoneID, in: pathwayID)
        let (link, name) = try Self.work(url: url, title: title, default: capstone.title)
        let now = clock.now()
        let earlier = try await store.capstoneWork(user: user).filter { $0.pathwayID == pathway.id && $0.capstoneID == capstone.id }
        if earlier.contains(where: \.passed) {
            throw AppError.conflict("Your \(capstone.title) has passed already; there is nothing more to hand in.")
        }
        if let waiting = earlier.first(where: { $0.score == nil }) {
            try await store.replaceCapstoneWork(id: waiting.id, url: link, title: name, at: now)
            return CapstoneWork(id: waiting.id, userID: user, pathwayID: pathway.id, capstoneID: capstone.id, workURL: link, workTitle: name, handedInAt: now)
        }
        let work = CapstoneWork(
            id: RandomUUID.string(), userID: user, pathwayID: pathway.id, capstoneID: capstone.id, workURL: link, workTitle: name, handedInAt: now
        )
        try await store.insertCapstoneWork(work)
        return work
    }

    /// People score handed-in work out of 100; the certification is issued when this was
    /// the last step left. Returns the certifications issued.
    @discardableResult
    public func score(
        work id: String, score: Int?, notes: String?, scorer: String, scorerID: UserID? = nil, handedInAt expected: Date? = nil
    ) async throws -> [IssuedBadge] {
        guard let work = try await store.capstoneWork(id: id) else { throw AppError.notFound("That capstone work") }
        if let scorerID, scorerID == work.userID { throw AppError.forbidden("Scoring your own capstone") }
        guard work.score == nil else { throw AppError.conflict("That work has been scored already.") }
        // The score is for the link the scorer opened: if the learner replaced it since, score again.
        func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        if let expected, milliseconds(expected) != milliseconds(work.handedInAt) {
            throw AppError.conflict("The learner replaced the link after this page was opened: open the new link, then score it.")
        }
        let (_, capstone) = try capstone(work.capstoneID, in: work.pathwayID)
        guard let score, (0 ... 100).contains(score) else {
            throw AppError.invalidField(field: "score", message: "Give the score as a whole number from 0 to 100.")
        }
        let cleanNotes = notes.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        guard try await store.scoreCapstoneWork(
            id: id, handedInAt: work.handedInAt, score: score, passed: score >= capstone.passScore, scorer: scorer, notes: cleanNotes, at: clock.now()
        ) else { throw AppError.conflict("That work has been scored already, or its link was replaced meanwhile.") }
        return try await certifyIfComplete(user: work.userID)
    }

    /// Work received outside Cairn, handed in and scored in one go by an administrator.
    @discardableResult
    public func scoreByHand(
        pathway pathwayID: PathwayID, capstone capstoneID: String, email: String, url: String, title: String, score: Int?, notes: String?,
        scorer: String
    ) async throws -> [IssuedBadge] {
        _ = try capstone(capstoneID, in: pathwayID)
        guard let address = EmailAddress(email) else {
            throw AppError.invalidField(field: "email", message: "'\(email)' is not an e-mail address.")
        }
        guard let (user, _) = try await store.userWithPasswordHash(email: address) else {
            throw AppError.invalidField(field: "email", message: "No account uses \(address.value); the learner signs up first.")
        }
        guard let score, (0 ... 100).contains(score) else {
            throw AppError.invalidField(field: "score", message: "Give the score as a whole number from 0 to 100.")
        }
        let work = try await handIn(pathway: pathwayID, capstone: capstoneID, user: user.id, url: url, title: title)
        return try await self.score(work: work.id, score: score, notes: notes, scorer: scorer)
    }

    /// Capstone work waiting to be scored, oldest first, with the learner's name and address.
    public func workWaiting(limit: Int = 50) async throws -> [(CapstoneWork, String, String)] {
        try await store.capstoneWorkWaiting(limit: limit)
    }

    func capstone(_ id: String, in pathwayID: PathwayID) throws -> (Pathway, Capstone) {
        let pathway = try catalog.pathway(pathwayID)
        guard let capstone = pathway.capstone(id) else {
            throw AppError.invalidField(field: "capstone", message: "\(pathway.title) has no capstone '\(id)'.")
        }
        return (pathway, capstone)
    }

    /// A checked link to the work (http or https) and its title.
    static func work(url: String, title: String, default fallback: String) throws -> (String, String) {
        let link = url.trimmingCharacters(in: .whitespacesAndNewlines)
        guard link.count <= 2000, let parsed = URL(string: link), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host?.isEmpty == false else {
            throw AppError.invalidField(field: "work_url", message: "Give the link to the work (starting http:// or https://), where the reviewers can open it.")
        }
        let name = title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard name.count <= 200 else { throw AppError.invalidField(field: "work_title", message: "Keep the title under 200 characters.") }
        return (link, name.isEmpty ? fallback : name)
    }

    /// Issues each pathway's certification whose steps are all done, unless the learner's
    /// newest one for it is still in force, or was revoked or suspended (then an
    /// administrator decides, not the next badge). An expired one is renewed.
    @discardableResult
    public func certifyIfComplete(user userID: UserID) async throws -> [IssuedBadge] {
        guard !catalog.pathways.isEmpty, let user = try await store.user(id: userID) else { return [] }
        let now = clock.now()
        var issued: [IssuedBadge] = []
        for progress in try await pathways(for: userID) where progress.isComplete {
            let pathway = progress.pathway
            let owner = CourseID(rawValue: pathway.id.rawValue)
            let certification = try await issueCredential(
                to: user, for: owner, pathway: pathway.id, session: nil, validForDays: pathway.credential.validForDays,
                skip: { store in
                    guard let newest = try await store.badges(user: userID).first(where: { $0.pathwayID == pathway.id }) else { return false }
                    return newest.revokedAt != nil || newest.suspendedAt != nil || (newest.validUntil.map { $0 > now } ?? true)
                }
            ) { id, awarded, validUntil, index in
                certificationCredential(
                    id: id, progress: progress, email: user.email.value, awarded: awarded, validUntil: validUntil, statusIndex: index
                )
            }
            if let certification { issued.append(certification) }
        }
        return issued
    }

    func certificationCredential(
        id: String, progress: PathwayProgress, email: String, awarded: Date, validUntil: Date?, statusIndex: Int
    ) -> AchievementCredential {
        let base = identity.baseURL
        let pathway = progress.pathway
        let definition = pathway.credential
        let capstoneWork = progress.steps.compactMap { $0.state == .done ? $0.work : nil }
        let resultDescriptions = pathway.capstones.map { capstone in
            ResultDescription(
                id: "\(base)/pathways/\(pathway.id.rawValue)#capstone-\(capstone.id)", name: capstone.title, resultType: "Percent",
                valueMin: "0", valueMax: "100", requiredValue: String(capstone.passScore)
            )
        }
        let achievement = Achievement(
            id: "\(base)/pathways/\(pathway.id.rawValue)#credential-\(definition.id.rawValue)", achievementType: "Certification",
            name: definition.title, description: definition.description, criteria: Criteria(narrative: definition.criteria),
            image: nil, creator: issuerProfile, alignment: nil, resultDescription: resultDescriptions.isEmpty ? nil : resultDescriptions
        )
        // The evidence: each badge the pathway asks for, and the capstone's work product.
        var evidence: [Evidence] = progress.steps.compactMap { step in
            guard case .badge = step.step, let badge = step.badge else { return nil }
            return Evidence(
                id: badgeURL(badge.id), name: step.title, description: nil,
                narrative: "Holds \(step.title), awarded \(CredentialDate.string(badge.awardedAt)).", genre: "Badge"
            )
        }
        for work in capstoneWork {
            let capstone = pathway.capstone(work.capstoneID)
            evidence.append(Evidence(
                id: work.workURL, name: work.workTitle, description: capstone?.brief,
                narrative: "Capstone \"\(capstone?.title ?? work.capstoneID)\" scored \(work.score ?? 0) of 100 (pass mark \(capstone?.passScore ?? 0)) "
                    + "by \(work.scorer ?? "the reviewers") on \(CredentialDate.string(work.scoredAt ?? awarded)), against the published rubric.",
                genre: "Capstone"
            ))
        }
        return AchievementCredential(
            id: badgeURL(id), issuer: issuerProfile, validFrom: CredentialDate.string(awarded), validUntil: validUntil.map(CredentialDate.string),
            awardedDate: CredentialDate.string(awarded), name: definition.title, description: definition.description, image: nil,
            credentialSubject: AchievementSubject(
                identifier: [IdentityHash.email(email, salt: IdentityHash.newSalt())], achievement: achievement,
                result: capstoneWork.isEmpty ? nil : capstoneWork.map {
                    Result(resultDescription: "\(base)/pathways/\(pathway.id.rawValue)#capstone-\($0.capstoneID)", value: String($0.score ?? 0), status: nil)
                }
            ),
            evidence: evidence,
            credentialStatus: CredentialStatus(statusListCredential: revocationListURL, purpose: "revocation", index: statusIndex)
        )
    }
}
