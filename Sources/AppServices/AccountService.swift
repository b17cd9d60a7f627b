import CairnCore
import Foundation
import Logging

/// Sign-up, log-in, log-out and administrator accounts.
public struct AccountService: Sendable {
    public static let minimumPasswordLength = 10
    /// bcrypt reads only the first 72 bytes of a password; longer ones would be cut silently.
    public static let maximumPasswordBytes = 72
    /// How long a log-in lasts from the moment it starts.
    public static let sessionLifetime: TimeInterval = 14 * 24 * 3600

    let store: any CairnStore
    let hasher: any PasswordHasher
    let clock: Clock

    public init(store: any CairnStore, hasher: any PasswordHasher, clock: Clock = .system) {
        self.store = store
        self.hasher = hasher
        self.clock = clock
    }

    /// Creates a learner account and returns it.
    public func signUp(email: String, password: String, displayName: String) async throws -> User {
        try await createUser(email: email, password: password, displayName: displayName, role: .learner)
    }

    /// Creates a learner account and its first session together: both are stored or neither.
    public func signUpAndStartSession(email: String, password: String, displayName: String) async throws -> (User, StoredSession) {
        let (user, session) = try await createUser(email: email, password: password, displayName: displayName, role: .learner, startSession: true)
        guard let session else { preconditionFailure("createUser(startSession: true) returns a session") }
        return (user, session)
    }

    /// Creates an account with `role`; fails with `.emailTaken` if the address is in use.
    public func createUser(email: String, password: String, displayName: String, role: Role) async throws -> User {
        try await createUser(email: email, password: password, displayName: displayName, role: role, startSession: false).0
    }

    private func createUser(
        email: String, password: String, displayName: String, role: Role, startSession: Bool
    ) async throws -> (User, StoredSession?) {
        guard let address = EmailAddress(email) else {
            throw AppError.invalidField(field: "email", message: "'\(email.prefix(100))' is not an e-mail address; enter one like name@example.org.")
        }
        try Self.validatePassword(password)
        let name = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else {
            throw AppError.invalidField(field: "name", message: "Enter your name (1 to 100 characters).")
        }
        // Hash before the transaction: bcrypt is slow and must not hold the database.
        let hash = try await hasher.hash(password)
        let now = clock.now()
        let user = User(id: .random(), email: address, displayName: name, role: role, createdAt: now)
        let session = startSession ? Self.newSession(for: user.id, at: now) : nil
        do {
            try await store.transaction { store in
                try await store.insertUser(user, passwordHash: hash)
                if let session { try await store.insertSession(session) }
            }
        } catch StoreError.conflict {
            throw AppError.emailTaken
        }
        return (user, session)
    }

    public static func validatePassword(_ password: String) throws {
        guard password.count >= minimumPasswordLength else {
            throw AppError.invalidField(field: "password", message: "Use at least \(minimumPasswordLength) characters.")
        }
        guard password.utf8.count <= maximumPasswordBytes else {
            throw AppError.invalidField(field: "password", message: "Use at most \(maximumPasswordBytes) bytes (72 plain letters; accented letters and symbols count as 2 to 4).")
        }
    }

    /// Checks the password and opens a session.
    public func logIn(email: String, password: String) async throws -> (User, StoredSession) {
        guard let address = EmailAddress(email), let (user, hash) = try await store.userWithPasswordHash(email: address) else {
            // Hash anyway, at the same cost, so that a wrong address takes as long as a wrong password.
            _ = try? await hasher.hash(password)
            throw AppError.invalidCredentials
        }
        guard try await hasher.verify(password, against: hash) else { throw AppError.invalidCredentials }
        return (user, try await startSession(for: user))
    }

    /// Opens a session for a user whose identity was just established.
    func startSession(for user: User) async throws -> StoredSession {
        let now = clock.now()
        // Log-ins are rare next to page views: a good moment to sweep expired sessions
        // (indexed). Best effort: a failed sweep must not fail the log-in.
        try? await store.deleteSessions(expiredBefore: now)
        let session = Self.newSession(for: user.id, at: now)
        try await store.insertSession(session)
        return session
    }

    static func newSession(for user: UserID, at now: Date) -> StoredSession {
        StoredSession(id: newSessionToken(), userID: user, createdAt: now, expiresAt: now + sessionLifetime)
    }

    public func logOut(session: SessionID) async throws {
        try await store.deleteSession(id: session)
    }

    /// The signed-in user for a session token, or nil when it is unknown or expired.
    public func user(forSession id: SessionID) async throws -> User? {
        guard let (session, user) = try await store.sessionWithUser(id: id) else { return nil }
        guard session.expiresAt > clock.now() else {
            try await store.deleteSession(id: id)
            return nil
        }
        return user
    }

    /// Whether any platform administrator exists (the first start asks for one).
    public func hasPlatformAdmin() async throws -> Bool {
        try await store.countUsers(role: .platformAdmin) > 0
    }

    /// Creates a platform administrator, or promotes the existing account after
    /// checking its password.
    public func createPlatformAdmin(email: String, password: String, displayName: String) async throws -> User {
        do {
            return try await createUser(email: email, password: password, displayName: displayName, role: .platformAdmin)
        } catch AppError.emailTaken {
            guard let address = EmailAddress(email), let (user, hash) = try await store.userWithPasswordHash(email: address),
                  try await hasher.verify(password, against: hash)
            else { throw AppError.invalidCredentials }
            try await store.setRole(.platformAdmin, for: user.id)
            var promoted = user
            promoted.role = .platformAdmin
            return promoted
        }
    }

    /// 256 random bits from the system's secure generator, as hex.
    static func newSessionToken() -> SessionID {
        var generator = SystemRandomNumberGenerator()
        let words = (0..<4).map { _ in generator.next() as UInt64 }
        return SessionID(rawValue: words.map { String(format: "%016llx", $0) }.joined())
    }
}
