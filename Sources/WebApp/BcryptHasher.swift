import AppServices
import HummingbirdBcrypt
import NIOPosix

/// bcrypt from hummingbird-auth, run off the event loops: hashing is deliberately slow.
struct BcryptHasher: PasswordHasher {
    let cost: UInt8

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
