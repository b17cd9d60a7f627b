import CairnCore
import Foundation
import Logging

/// Sign-up, log-in, log-out and administrator accounts.
public struct AccountService: Sendable {
    public static let minimumPasswordLength = 10
    public static let maximumPasswordLength = 128
    /// How long a log-in lasts without activity.
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

    /// Creates an account with `role`; fails with `.emailTaken` if the address is in use.
    public func createUser(email: String, password: String, displayName: String, role: Role) async throws -> User {
        guard let address = EmailAddress(email) else {
            throw AppError.invalidField(field: "email", message: "'\(email.prefix(100))' is not an e-mail address; enter one like name@example.org.")
        }
        try Self.validatePassword(password)
        let name = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else {
            throw AppError.invalidField(field: "name", message: "Enter your name (1 to 100 characters).")
        }
        let hash = try await hasher.hash(password)
        let user = User(id: .random(), email: address, displayName: name, role: role, createdAt: clock.now())
        do {
            try await store.insertUser(user, passwordHash: hash)
        } catch StoreError.conflict {
            throw AppError.emailTaken
        }
        return user
    }

    public static func validatePassword(_ password: String) throws {
        guard password.count >= minimumPasswordLength else {
            throw AppError.invalidField(field: "password", message: "Use at least \(minimumPasswordLength) characters.")
        }
        guard password.count <= maximumPasswordLength else {
            throw AppError.invalidField(field: "password", message: "Use at most \(maximumPasswordLength) characters.")
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

    /// Opens a session for a user whose identity was just established (log-in or sign-up).
    public func startSession(for user: User) async throws -> StoredSession {
        let now = clock.now()
        let session = StoredSession(id: Self.newSessionToken(), userID: user.id, createdAt: now, expiresAt: now + Self.sessionLifetime)
        try await store.insertSession(session)
        // Log-ins are rare next to page views: a good moment to sweep expired sessions (indexed).
        try await store.deleteSessions(expiredBefore: now)
        return session
    }

    public func logOut(session: SessionID) async throws {
        try await store.deleteSession(id: session)
    }

    /// The signed-in user for a session token, or nil when it is unknown or expired.
    public func user(forSession id: SessionID) async throws -> User? {
        guard let session = try await store.session(id: id) else { return nil }
        guard session.expiresAt > clock.now() else {
            try await store.deleteSession(id: id)
            return nil
        }
        return try await store.user(id: session.userID)
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
            let (user, _) = try await logIn(email: email, password: password)
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
