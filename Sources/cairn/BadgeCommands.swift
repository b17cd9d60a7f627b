import AppServices
import ArgumentParser
import CairnCore
import Credentials
import Curriculum
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Storage
import WebApp

struct Badges: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Issue and manage badges.", subcommands: [Award.self, ScoreCapstone.self, Revoke.self, Suspend.self, Reinstate.self, RotateKey.self])

    /// The badge service over the data folder's database, closed after `body`. What the
    /// service refuses (AppError) is reported as a usage error, with its message.
    static func withBadges<T>(
        data: DataOptions, catalog: Catalog = Catalog(courses: [], diagnostics: []), publicURL: String?, _ body: (BadgeService, SQLStore) async throws -> T
    ) async throws -> T {
        let baseURL = publicURL ?? ProcessInfo.processInfo.environment["CAIRN_PUBLIC_URL"] ?? "http://127.0.0.1:8080"
        do {
            return try await data.withStore { store, _ in
                let catalog = CatalogService(catalog: catalog, store: store)
                return try await body(BadgeService(catalog: catalog, store: store, baseURL: baseURL), store)
            }
        } catch let error as AppError {
            throw ValidationError(error.description)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a badge for good, with the reason (kept with the badge).",
            discussion: "The badge's bit is set in the revocation list; verifiers see it within the list's five-minute cache time."
        )

        @Argument(help: "The badge's id: the last part of its address, /badges/ID.")
        var badge: String

        @Option(help: "Why it is revoked.")
        var reason: String

        @OptionGroup var data: DataOptions

        func run() async throws {
            try await Badges.withBadges(data: data, publicURL: nil) { badges, _ in
                try await badges.revoke(id: badge, reason: reason)
            }
            print("revoked \(badge): \(reason)")
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suspend a badge while a matter is looked into, with the reason; `cairn badges reinstate` lifts it.",
            discussion: "The badge's bit is set in the suspension list (/status/suspension); verifiers see it within five minutes."
        )

        @Argument(help: "The badge's id: the last part of its address, /badges/ID.")
        var badge: String

        @Option(help: "Why it is suspended.")
        var reason: String

        @OptionGroup var data: DataOptions

        func run() async throws {
            try await Badges.withBadges(data: data, publicURL: nil) { badges, _ in
                try await badges.suspend(id: badge, reason: reason)
            }
            print("suspended \(badge): \(reason)")
        }
    }

    struct Reinstate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a badge's suspension: it verifies again within five minutes.")

        @Argument(help: "The badge's id: the last part of its address, /badges/ID.")
        var badge: String

        @Option(help: "The address Cairn is reached at (names the issuer of a certification this completes). Env: CAIRN_PUBLIC_URL.")
        var publicURL: String?

        @OptionGroup var data: DataOptions
        @OptionGroup var courses: CourseOptions

        func run() async throws {
            // With the pathways loaded, a certification waiting for this badge is issued.
            try await Badges.withBadges(data: data, catalog: courses.catalog(), publicURL: publicURL) { badges, _ in
                try await badges.reinstate(id: badge)
            }
            print("reinstated \(badge)")
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Start signing new badges with a new key; the old key stays published, so the badges it signed still verify."
        )

        @OptionGroup var data: DataOptions

        func run() async throws {
            let name = try await Badges.withBadges(data: data, publicURL: nil) { badges, _ in try await badges.rotateKey() }
            print("new badges are signed with \(name); earlier keys stay in /.well-known/did.json")
        }
    }

    struct Award: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Award a course's badge to a learner by hand (a capstone scored by people, a correction).",
            discussion: "Signs the badge with the issuer's current key, stores it, and writes it as a VC-JWT to --out."
        )

        @Argument(help: "The course id, e.g. ai-foundations.")
        var course: String

        @Argument(help: "The learner's e-mail address (they must have an account).")
        var email: String

        @Option(help: "File to write the badge (VC-JWT) to. Default: badge-ID.jwt")
        var out: String?

        @Option(help: "The address Cairn is reached at; it names the issuer (did:web). Env: CAIRN_PUBLIC_URL. Default: http://127.0.0.1:8080")
        var publicURL: String?

        @OptionGroup var data: DataOptions
        @OptionGroup var courses: CourseOptions

        func run() async throws {
            let catalog = courses.catalog()
            let found = try courses.course(course, in: catalog)
            guard let address = EmailAddress(email) else { throw ValidationError("'\(email)' is not an e-mail address") }
            try await Badges.withBadges(data: data, catalog: catalog, publicURL: publicURL) { badges, store in
                guard let (user, _) = try await store.userWithPasswordHash(email: address) else {
                    throw ValidationError("no account with the address \(email); the learner signs up first")
                }
                let badge = try await badges.issue(course: found, user: user.id, session: nil)
                let file = out ?? "badge-\(badge.id).jwt"
                try Data(badge.jwt.utf8).write(to: URL(fileURLWithPath: file))
                print("awarded \(found.credential.title) to \(user.displayName): \(badges.badgeURL(badge.id))")
                print("wrote \(file)")
                for certification in try await store.badges(user: user.id) where certification.pathwayID != nil && certification.awardedAt >= badge.awardedAt {
                    print("this completed a pathway: certification issued, \(badges.badgeURL(certification.id))")
                }
            }
        }
    }

    struct ScoreCapstone: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "score-capstone",
            abstract: "Record the score people gave a learner's capstone work (out of 100).",
            discussion: """
                CAPSTONE is PATHWAY/CAPSTONE, e.g. certified-ai-practitioner/workplace-ai-project. Work the learner handed in \
                and not yet scored is scored; otherwise the work at --url is recorded and scored. When it was the last step \
                of the pathway, the certification is issued. Prints what is left on the pathway.
                """
        )

        @Argument(help: "PATHWAY/CAPSTONE.")
        var capstone: String

        @Argument(help: "The learner's e-mail address (they must have an account).")
        var email: String

        @Option(help: "The score, a whole number from 0 to 100.")
        var score: Int

        @Option(help: "Link to the work (http or https), when it was not handed in through Cairn.")
        var url: String?

        @Option(help: "Title of the work.")
        var title: String = ""

        @Option(help: "Notes for the learner.")
        var notes: String?

        @Option(help: "Who scored it. Default: Cairn administrator")
        var scorer: String = "Cairn administrator"

        @Option(help: "The address Cairn is reached at; it names the issuer (did:web). Env: CAIRN_PUBLIC_URL. Default: http://127.0.0.1:8080")
        var publicURL: String?

        @OptionGroup var data: DataOptions
        @OptionGroup var courses: CourseOptions

        func run() async throws {
            let parts = capstone.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("name the capstone as PATHWAY/CAPSTONE, e.g. certified-ai-practitioner/workplace-ai-project") }
            let pathway = PathwayID(rawValue: parts[0])
            try await Badges.withBadges(data: data, catalog: courses.catalog(), publicURL: publicURL) { badges, store in
                guard let address = EmailAddress(email), let (user, _) = try await store.userWithPasswordHash(email: address) else {
                    throw ValidationError("no account with the address \(email); the learner signs up first")
                }
                let waiting = try await store.capstoneWork(user: user.id).first { $0.pathwayID == pathway && $0.capstoneID == parts[1] && $0.score == nil }
                let issued: [IssuedBadge]
                if let waiting, url == nil {
                    issued = try await badges.score(work: waiting.id, score: score, notes: notes, scorer: scorer)
                } else {
                    issued = try await badges.scoreByHand(
                        pathway: pathway, capstone: parts[1], email: email, url: url ?? "", title: title, score: score, notes: notes, scorer: scorer
                    )
                }
                let progress = try await badges.pathway(pathway, for: user.id)
                let passScore = progress.pathway.capstone(parts[1])?.passScore ?? 0
                print("scored \(score) of 100 for \(user.displayName) (\(score >= passScore ? "passes" : "below the pass mark of \(passScore)"))")
                for certification in issued { print("certification issued: \(badges.badgeURL(certification.id))") }
                print(progress.left.isEmpty ? "\(progress.pathway.title): every step done" : "\(progress.pathway.title): still left: " + progress.left.joined(separator: "; "))
            }
        }
    }
}

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify an Open Badge: signature, key, issuer, schema, dates and revocation, each reported.",
        discussion: """
            Reads a badge as a VC-JWT from a file or an http(s) address. Online, the issuer's key comes from its \
            did:web document and the revocation list from the address the badge names. With --offline --key FILE \
            (the issuer's JWK, from /keys/NAME.json) nothing is fetched and the revocation state is not checked. \
            Exits 0 when every check passes (offline: every check but revocation), 1 otherwise.
            """
    )

    @Argument(help: "The badge: a .jwt file, or its address.")
    var badge: String

    @Flag(help: "Fetch nothing; needs --key.")
    var offline = false

    @Option(help: "The issuer's public key as a JWK file, for --offline.")
    var key: String?

    func run() async throws {
        let bytes: Data
        do {
            bytes = try await Fetch.data(badge)
        } catch {
            throw ValidationError("cannot read \(badge): \(error)")
        }
        // A baked PNG or SVG carries the VC-JWT inside; otherwise the file is the VC-JWT.
        let token: String
        if bytes.starts(with: [137, 80, 78, 71]) {
            guard let baked = try BakedBadge.jwt(png: Array(bytes)) else { throw ValidationError("\(badge) is a PNG with no badge baked in") }
            token = baked
        } else if let text = String(data: bytes, encoding: .utf8), text.contains("<svg") {
            guard let baked = BakedBadge.jwt(svg: text) else { throw ValidationError("\(badge) is an SVG with no badge baked in") }
            token = baked
        } else {
            token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // A credential in its JSON form is checked by its Data Integrity proof.
        let dataIntegrity = token.hasPrefix("{")
        guard dataIntegrity || token.split(separator: ".").count == 3 else {
            throw ValidationError("\(badge) is not a VC-JWT, a JSON credential or a baked badge; download the badge with its .jwt, .json, .png or .svg link")
        }
        let keys: any KeyResolver
        var status: (any StatusResolver)?
        if offline {
            guard let key else {
                throw ValidationError("--offline needs --key: the issuer's key, a JWK file (from /keys/NAME.json) or, for a JSON credential, its Ed25519 Multikey (z6Mk…, from /.well-known/did.json)")
            }
            if key.hasPrefix("z6Mk") {
                keys = StaticKeys(multikey: key)
            } else {
                do {
                    keys = StaticKeys(key: try JSONDecoder().decode(PublicJWK.self, from: Data(contentsOf: URL(fileURLWithPath: key))))
                } catch {
                    throw ValidationError("\(key) is not a JWK file: \(error)")
                }
            }
        } else {
            let resolver = DIDWebResolver()
            keys = resolver
            status = WebStatus(keys: resolver)
        }
        let report = dataIntegrity
            ? await CredentialVerifier().verify(dataIntegrity: Data(token.utf8), keys: keys, status: status)
            : await CredentialVerifier().verify(jwt: token, keys: keys, status: status)
        for check in report.checks {
            if offline, check.name == "status" {
                print("status     not checked (offline): the revocation list was not fetched")
                continue
            }
            print("\(check.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(check.passed ? "pass" : "FAIL")  \(check.detail)")
        }
        let counted = report.checks.filter { !(offline && $0.name == "status") }
        let valid = !counted.isEmpty && counted.allSatisfy(\.passed)
        if let credential = report.credential {
            print("\(valid ? "VALID" : "NOT VALID"): \(credential.name), issued by \(credential.issuer.name) (\(credential.id))")
        } else {
            print("NOT VALID")
        }
        if !valid { throw ExitCode(1) }
    }
}

/// Reads a file, or fetches an http(s) address.
enum Fetch {
    static func data(_ location: String) async throws -> Data {
        if location.hasPrefix("https://") || location.hasPrefix("http://") {
            guard let url = URL(string: location) else { throw CredentialError.malformed("not an address: \(location)") }
            let (data, response) = try await URLSession.shared.data(from: url)
            if let http = response as? HTTPURLResponse, !(200 ..< 300).contains(http.statusCode) {
                throw CredentialError.malformed("\(location) answered HTTP \(http.statusCode)")
            }
            return data
        }
        return try Data(contentsOf: URL(fileURLWithPath: location))
    }

    static func text(_ location: String) async throws -> String {
        String(decoding: try await data(location), as: UTF8.self)
    }
}

/// Resolves `did:web:host[%3Aport][:path]#key` to the key in the host's DID document
/// (https, or http for a server on this machine).
struct DIDWebResolver: KeyResolver {
    func key(for kid: String) async throws -> PublicJWK? {
        try await document(for: kid).key(kid)
    }

    func multikey(for id: String) async throws -> String? {
        try await document(for: id).multikey(id)
    }

    func document(for kid: String) async throws -> DIDDocument {
        guard kid.hasPrefix("did:web:") else { throw CredentialError.malformed("\(kid) is not a did:web key") }
        let did = String(kid.split(separator: "#").first ?? Substring(kid))
        var segments = did.dropFirst("did:web:".count).split(separator: ":").map { String($0).removingPercentEncoding ?? String($0) }
        let host = segments.removeFirst()
        let local = host.hasPrefix("127.0.0.1") || host.hasPrefix("localhost")
        let address = (local ? "http://" : "https://") + host + (segments.isEmpty ? "/.well-known/did.json" : "/" + segments.joined(separator: "/") + "/did.json")
        let document = try JSONDecoder().decode(DIDDocument.self, from: Data(try await Fetch.text(address).utf8))
        guard document.id == did else { throw CredentialError.malformed("\(address) describes \(document.id), not \(did)") }
        return document
    }
}

/// Fetches the status list the credential names and reads its bit.
struct WebStatus: StatusResolver {
    let keys: any KeyResolver

    func isSet(_ status: CredentialStatus) async throws -> Bool {
        try await StatusListReader().isSet(status, listJWT: try await Fetch.text(status.statusListCredential), keys: keys)
    }
}
