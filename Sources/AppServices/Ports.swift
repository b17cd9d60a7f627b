import CairnCore
import Foundation

// The protocols AppServices needs from the outside world. Storage implements the
// repositories; WebApp supplies the password hasher; tests use the real ones.

/// A stored login session: an opaque random token in the cookie, looked up here.
public struct StoredSession: Sendable, Equatable {
    public var id: SessionID
    public var userID: UserID
    public var createdAt: Date
    public var expiresAt: Date

    public init(id: SessionID, userID: UserID, createdAt: Date, expiresAt: Date) {
        self.id = id
        self.userID = userID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// Failures a store reports in terms the use cases can act on.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// A unique constraint was hit; `what` names it (e.g. "users.email").
    case conflict(String)
    /// A referenced row does not exist (a foreign key failed).
    case missingReference(String)
    /// The database could not be reached or answered with an error.
    case unavailable(String)
    /// The database was written by a newer Cairn.
    case schemaTooNew(database: Int, known: Int)

    public var description: String {
        switch self {
        case let .conflict(what): "already exists: \(what)"
        case let .missingReference(what): "refers to something that does not exist: \(what)"
        case let .unavailable(detail): "database unavailable: \(detail)"
        case let .schemaTooNew(database, known):
            "the database is at migration \(database), but this cairn knows migrations up to \(known); run a newer cairn"
        }
    }
}

public protocol UserRepository: Sendable {
    func insertUser(_ user: User, passwordHash: String) async throws
    func user(id: UserID) async throws -> User?
    /// The user with that address and their password hash.
    func userWithPasswordHash(email: EmailAddress) async throws -> (User, String)?
    func countUsers(role: Role) async throws -> Int
    func setRole(_ role: Role, for user: UserID) async throws
}

public protocol SessionRepository: Sendable {
    func insertSession(_ session: StoredSession) async throws
    func session(id: SessionID) async throws -> StoredSession?
    /// The session with its user, in one look-up: every signed-in request makes it.
    func sessionWithUser(id: SessionID) async throws -> (StoredSession, User)?
    func deleteSession(id: SessionID) async throws
    func deleteSessions(expiredBefore date: Date) async throws
}

public protocol OrganisationRepository: Sendable {
    func insertOrganisation(_ organisation: Organisation) async throws
    func organisation(id: OrganisationID) async throws -> Organisation?
    func insertMembership(_ membership: Membership) async throws
    func memberships(of user: UserID) async throws -> [Membership]
    func members(of organisation: OrganisationID) async throws -> [Membership]
}

public protocol EnrolmentRepository: Sendable {
    /// Enrols; enrolling again keeps the first enrolment and returns it.
    func enrol(_ enrolment: Enrolment) async throws -> Enrolment
    func enrolments(of user: UserID) async throws -> [Enrolment]
}

public protocol ProgressRepository: Sendable {
    /// Records that a lesson was opened; the first start is kept.
    func recordLessonStarted(_ progress: LessonProgress) async throws
    /// Marks a lesson completed; completing twice keeps the first completion time.
    func recordLessonCompleted(user: UserID, course: CourseID, lesson: LessonID, at date: Date) async throws
    func lessonProgress(user: UserID, course: CourseID) async throws -> [LessonProgress]
}

/// Conversations, graded attempts, hints and mastery: what the learning loop keeps.
public protocol LearningRepository: Sendable {
    /// The learner's conversation for a lesson, creating it from `proposed` when there is none.
    func openConversation(_ proposed: Conversation) async throws -> Conversation
    func conversation(user: UserID, course: CourseID, lesson: LessonID) async throws -> Conversation?
    /// The conversation with the sequence number of its last message (0 when it has none),
    /// in one look-up: every chat action needs both.
    func conversationWithLastSequence(user: UserID, course: CourseID, lesson: LessonID) async throws -> (Conversation, Int)?
    func setMode(_ mode: LearningMode, of conversation: ConversationID, at date: Date) async throws
    /// Messages after `sequence`, in order.
    func messages(in conversation: ConversationID, after sequence: Int) async throws -> [ChatMessageRecord]
    /// Appends messages; a sequence number already taken is a `StoreError.conflict`.
    func appendMessages(_ messages: [ChatMessageRecord]) async throws
    func lastSequence(in conversation: ConversationID) async throws -> Int

    /// Attempts are append-only: there is no update or delete.
    func insertAttempt(_ attempt: AttemptRecord) async throws
    func attempts(user: UserID, course: CourseID) async throws -> [AttemptRecord]
    func attempts(user: UserID, course: CourseID, interaction: InteractionID) async throws -> [AttemptRecord]
    /// Per task: how many attempts, and whether any passed (cheaper than loading attempts).
    func attemptTally(user: UserID, course: CourseID) async throws -> [InteractionID: AttemptTally]

    /// Records that hint `level` (from 1) was shown; showing it again changes nothing.
    func recordHint(user: UserID, course: CourseID, interaction: InteractionID, level: Int, at date: Date) async throws
    /// The highest hint level shown so far, 0 for none.
    func hintLevel(user: UserID, course: CourseID, interaction: InteractionID) async throws -> Int

    func mastery(user: UserID, course: CourseID) async throws -> [SkillMastery]
    /// Inserts or replaces the learner's mastery of each skill given.
    func saveMastery(_ mastery: [SkillMastery]) async throws

    /// What answering in a lesson needs to know, in one look-up: the conversation and its
    /// last sequence number, the learner's progress on each task of the course and their
    /// mastery. Nil when the learner has no conversation for the lesson.
    func chatSnapshot(user: UserID, course: CourseID, lesson: LessonID) async throws -> ChatSnapshot?
    /// Stores a graded answer: the attempt (counted in the task's progress), its messages
    /// and the new mastery, all or nothing. Refused with `StoreError.conflict`, storing
    /// nothing, when what it was computed from changed (the conversation gained a message,
    /// or a skill's mastery was updated by another answer): read again and recompute.
    /// Answers of different learners may be committed together in one transaction.
    func recordAnswer(_ write: AnswerWrite) async throws
}

/// A learner's conversation for a lesson with their record in its course, as read together.
public struct ChatSnapshot: Sendable {
    public var conversation: Conversation
    /// The sequence number of the conversation's last message, 0 when it has none.
    public var lastSequence: Int
    /// Per task of the course attempted: attempts and whether one passed.
    public var tally: [InteractionID: AttemptTally]
    /// Per task of the course: the highest hint level shown (tasks without hints left out).
    public var hintLevels: [InteractionID: Int]
    public var mastery: [SkillID: SkillMastery]

    public init(conversation: Conversation, lastSequence: Int, tally: [InteractionID: AttemptTally], hintLevels: [InteractionID: Int],
                mastery: [SkillID: SkillMastery]) {
        self.conversation = conversation
        self.lastSequence = lastSequence
        self.tally = tally
        self.hintLevels = hintLevels
        self.mastery = mastery
    }
}

/// The writes of one graded answer.
public struct AnswerWrite: Sendable {
    public var attempt: AttemptRecord
    /// The messages to append; the first must follow the conversation's last message.
    public var messages: [ChatMessageRecord]
    /// The new mastery of each skill practised. A skill's row must still hold
    /// `observations - 1` observations (none at all for 1), or the write is a conflict.
    public var mastery: [SkillMastery]

    public init(attempt: AttemptRecord, messages: [ChatMessageRecord], mastery: [SkillMastery]) {
        self.attempt = attempt
        self.messages = messages
        self.mastery = mastery
    }
}

/// Exam sittings, the items shown in them with their answers, and their event log.
public protocol ExamRepository: Sendable {
    /// Stores a new active sitting. A learner who already has an active sitting gets
    /// `StoreError.conflict`: one sitting at a time, enforced by the database.
    func insertExamSession(_ session: ExamSession) async throws
    func examSession(id: ExamSessionID) async throws -> ExamSession?
    /// The learner's active sitting, of any course.
    func activeExamSession(user: UserID) async throws -> ExamSession?
    /// The learner's sittings of a course's exam, oldest first.
    func examSessions(user: UserID, course: CourseID) async throws -> [ExamSession]
    /// Ends an active sitting with its outcome; false (and nothing changed) when it had
    /// already ended, so that two requests cannot both finish it.
    func finishExamSession(id: ExamSessionID, status: ExamStatus, result: ExamOutcome, at date: Date) async throws -> Bool
    /// Stores an item as shown; a position already taken is a `StoreError.conflict`.
    func insertExamResponse(_ response: ExamResponse) async throws
    /// Records the answer to the item at `position` once: true when recorded, false when
    /// that item was already answered (a double click or a retried request).
    func recordExamAnswer(_ answered: ExamResponse) async throws -> Bool
    /// The sitting's items in the order shown.
    func examResponses(session: ExamSessionID) async throws -> [ExamResponse]
    func appendExamEvent(_ event: ExamEvent) async throws
    /// The sitting's events, in order.
    func examEvents(session: ExamSessionID) async throws -> [ExamEvent]
    /// Every answered response of the course's finished sittings, in order, with the
    /// learner's organisation (for DIF): what `cairn calibrate` fits.
    func calibrationResponses(course: CourseID) async throws -> [StoredExamResponse]
    /// The most recent sittings of any course, newest first, with each learner's name and
    /// how many events of each kind were logged: the review list for administrators.
    func recentExamSessions(limit: Int) async throws -> [(ExamSession, String, [ExamEventKind: Int])]
    /// How many adaptive sittings of the course there have been and how often each item
    /// was shown in them: the exposure the adaptive engine caps.
    func adaptiveExposure(course: CourseID) async throws -> (sessions: Int, shown: [InteractionID: Int])
}

/// An issuer signing key as stored. The private key never leaves the server.
public struct StoredIssuerKey: Sendable, Equatable {
    /// `key-1`, `key-2`, …: the fragment of the key's did:web identifier.
    public var name: String
    public var privateKeyPEM: String
    public var createdAt: Date
    /// Set when a newer key took over signing; the key stays published so old badges verify.
    public var retiredAt: Date?

    public init(name: String, privateKeyPEM: String, createdAt: Date, retiredAt: Date? = nil) {
        self.name = name
        self.privateKeyPEM = privateKeyPEM
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }
}

/// Work a learner handed in for a pathway's capstone, and the score people gave it (out
/// of 100; nil while it waits to be scored).
public struct CapstoneWork: Sendable, Equatable {
    public var id: String
    public var userID: UserID
    public var pathwayID: PathwayID
    public var capstoneID: String
    /// Where the work product is (a link the learner handed in).
    public var workURL: String
    public var workTitle: String
    public var handedInAt: Date
    public var score: Int?
    public var passed: Bool
    /// Who scored it (the administrator's name).
    public var scorer: String?
    public var notes: String?
    public var scoredAt: Date?

    public init(
        id: String, userID: UserID, pathwayID: PathwayID, capstoneID: String, workURL: String, workTitle: String, handedInAt: Date,
        score: Int? = nil, passed: Bool = false, scorer: String? = nil, notes: String? = nil, scoredAt: Date? = nil
    ) {
        self.id = id
        self.userID = userID
        self.pathwayID = pathwayID
        self.capstoneID = capstoneID
        self.workURL = workURL
        self.workTitle = workTitle
        self.handedInAt = handedInAt
        self.score = score
        self.passed = passed
        self.scorer = scorer
        self.notes = notes
        self.scoredAt = scoredAt
    }
}

/// A badge Cairn issued: the signed credential and what Cairn keeps about it.
public struct IssuedBadge: Sendable, Equatable {
    /// The last part of the credential's URL (`/badges/ID`).
    public var id: String
    public var userID: UserID
    public var courseID: CourseID
    /// The exam sitting it was earned in; nil when awarded by hand.
    public var examSessionID: ExamSessionID?
    /// The credential's bit in the revocation and suspension lists.
    public var statusIndex: Int
    /// The credential as JSON, and signed as a VC-JWT.
    public var json: String
    public var jwt: String
    public var keyName: String
    public var awardedAt: Date
    public var validUntil: Date?
    public var revokedAt: Date?
    public var revocationReason: String?
    public var suspendedAt: Date?
    public var suspensionReason: String?
    /// Set for a pathway's certification (then `courseID` holds the pathway's id as well).
    public var pathwayID: PathwayID?

    public init(
        id: String, userID: UserID, courseID: CourseID, examSessionID: ExamSessionID?, statusIndex: Int, json: String, jwt: String,
        keyName: String, awardedAt: Date, validUntil: Date?, revokedAt: Date? = nil, revocationReason: String? = nil,
        suspendedAt: Date? = nil, suspensionReason: String? = nil, pathwayID: PathwayID? = nil
    ) {
        self.pathwayID = pathwayID
        self.id = id
        self.userID = userID
        self.courseID = courseID
        self.examSessionID = examSessionID
        self.statusIndex = statusIndex
        self.json = json
        self.jwt = jwt
        self.keyName = keyName
        self.awardedAt = awardedAt
        self.validUntil = validUntil
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
        self.suspendedAt = suspendedAt
        self.suspensionReason = suspensionReason
    }
}

/// Issuer keys and issued badges.
public protocol CredentialRepository: Sendable {
    /// Every key ever used, oldest first.
    func issuerKeys() async throws -> [StoredIssuerKey]
    /// Adds a key; a name already taken is a `StoreError.conflict` (two nodes raced).
    func insertIssuerKey(_ key: StoredIssuerKey) async throws
    func retireIssuerKey(name: String, at date: Date) async throws
    /// The next unused status list index.
    func nextStatusIndex() async throws -> Int
    /// Stores a badge; a second badge for the same exam sitting is a `StoreError.conflict`.
    func insertBadge(_ badge: IssuedBadge) async throws
    func badge(id: String) async throws -> IssuedBadge?
    func badge(examSession: ExamSessionID) async throws -> IssuedBadge?
    /// The learner's badges, newest first.
    func badges(user: UserID) async throws -> [IssuedBadge]
    /// The most recently issued badges, newest first, with their earners' names.
    func recentBadges(limit: Int) async throws -> [(IssuedBadge, String)]
    /// Revokes (for good) or suspends (reversibly, `suspended: false` lifts it), with a reason.
    func setRevoked(badge id: String, at date: Date, reason: String) async throws
    func setSuspended(badge id: String, suspended: Bool, at date: Date, reason: String?) async throws
    /// The status indexes of revoked badges, or of suspended ones.
    func statusIndexes(revoked: Bool) async throws -> [Int]

    func insertCapstoneWork(_ work: CapstoneWork) async throws
    /// Records the score of work not yet scored and still as handed in at `handedInAt`; false
    /// when it was scored already, replaced meanwhile, or is unknown.
    func scoreCapstoneWork(id: String, handedInAt: Date, score: Int, passed: Bool, scorer: String, notes: String?, at date: Date) async throws -> Bool
    /// Replaces the link of work still waiting to be scored.
    func replaceCapstoneWork(id: String, url: String, title: String, at date: Date) async throws
    func capstoneWork(id: String) async throws -> CapstoneWork?
    /// The learner's capstone work, newest first.
    func capstoneWork(user: UserID) async throws -> [CapstoneWork]
    /// Work waiting to be scored, oldest first, with the learners' names and e-mail addresses.
    func capstoneWorkWaiting(limit: Int) async throws -> [(CapstoneWork, String, String)]
}

/// An answered exam response with what calibration needs to know of its sitting.
public struct StoredExamResponse: Sendable, Equatable {
    public var response: ExamResponse
    public var userID: UserID
    /// The learner's organisation, when they belong to one (the first by id if several).
    public var organisation: OrganisationID?

    public init(response: ExamResponse, userID: UserID, organisation: OrganisationID?) {
        self.response = response
        self.userID = userID
        self.organisation = organisation
    }
}

/// How often a learner has tried a task, and whether they have passed it.
public struct AttemptTally: Sendable, Equatable {
    public var attempts: Int
    public var passed: Bool

    public init(attempts: Int, passed: Bool) {
        self.attempts = attempts
        self.passed = passed
    }
}

/// Background work kept in the database, so that any node can do it (see `JobRunner`).
public protocol JobRepository: Sendable {
    /// Stores a job unless one with the same key exists; says whether it was stored.
    @discardableResult
    func enqueueJob(_ job: NewJob) async throws -> Bool
    /// Takes one job of `kinds` (any kind when nil) that is due (or whose last worker's lease
    /// ran out) for `worker` until `leaseUntil`, counting the attempt; nil when none is due.
    /// Two workers never hold the same job at once.
    func claimJob(kinds: [String]?, worker: String, now: Date, leaseUntil: Date) async throws -> JobRecord?
    /// Extends the lease of a job `worker` still holds (a long job's heartbeat); false when
    /// it holds it no longer.
    @discardableResult
    func renewJobLease(id: String, worker: String, until date: Date) async throws -> Bool
    /// Puts a job `worker` holds back in the queue without counting the attempt (the node is
    /// shutting down mid-job).
    func releaseJob(id: String, worker: String) async throws
    /// Marks a job done, if `worker` still holds it; says whether it did.
    @discardableResult
    func completeJob(id: String, worker: String, at date: Date) async throws -> Bool
    /// Records a failed attempt: the job runs again at `retryAt`, or, when nil, has failed for good.
    func failJob(id: String, worker: String, error: String, retryAt: Date?, at date: Date) async throws
    /// Puts a failed job back in the queue, due at `date` with all its attempts again (its
    /// last error kept until it runs); nil when no failed job has this key.
    func retryJob(key: String, at date: Date) async throws -> JobRecord?
    /// Marks failed the jobs whose worker stopped during their last attempt (the lease ran
    /// out with no attempts left), so they do not stay "running" for ever.
    func failAbandonedJobs(at date: Date) async throws
    /// Deletes jobs done before `date` (failed ones stay for an administrator to see).
    func deleteJobs(doneBefore date: Date) async throws
    func job(key: String) async throws -> JobRecord?
    /// Jobs of this status (or all), newest first.
    func jobs(status: JobStatus?, limit: Int) async throws -> [JobRecord]
}

extension JobRepository {
    /// Takes one due job of any kind.
    public func claimJob(worker: String, now: Date, leaseUntil: Date) async throws -> JobRecord? {
        try await claimJob(kinds: nil, worker: worker, now: now, leaseUntil: leaseUntil)
    }
}

/// Everything AppServices stores, with transactions: a use case that writes more than
/// one row runs inside `transaction` so that a failure leaves nothing half-written.
public protocol CairnStore: UserRepository, SessionRepository, OrganisationRepository, EnrolmentRepository, ProgressRepository, LearningRepository,
    ExamRepository, CredentialRepository, JobRepository, CalibrationRepository {
    func transaction<T: Sendable>(_ body: @Sendable (any CairnStore) async throws -> T) async throws -> T
    /// Cheap round trip for readiness checks.
    func ping() async throws
}

/// Password hashing (bcrypt in the product).
public protocol PasswordHasher: Sendable {
    func hash(_ password: String) async throws -> String
    func verify(_ password: String, against hash: String) async throws -> Bool
}

/// The time, passed in so that use cases are testable.
public struct Clock: Sendable {
    public var now: @Sendable () -> Date
    public init(now: @escaping @Sendable () -> Date) { self.now = now }
    public static let system = Clock { Date() }
}
