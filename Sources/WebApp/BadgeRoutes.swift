import AppServices
import CairnCore
import Credentials
import Curriculum
import Foundation
import Hummingbird

/// Badges and what anyone needs to check them: the public badge page, the credential as
/// JSON and as a VC-JWT, the issuer's did:web document and keys, the revocation list, the
/// verification API, and the learner's own wallet page.
struct BadgeRoutes {
    let environment: CairnEnvironment
    let templates: Templates

    var badges: BadgeService { environment.badges }
    var courses: CatalogService { environment.courses }

    func add(to router: Router<CairnRequestContext>) {
        router.get("/.well-known/did.json") { _, _ in
            try Self.json(try await badges.didDocument(), type: "application/did+json", maxAge: 300)
        }
        router.get("/issuer") { request, context in
            // The Open Badges Profile as JSON for machines; the page for people.
            if request.headers[.accept]?.contains("application/json") == true || request.headers[.accept]?.contains("application/ld+json") == true {
                return try Self.json(badges.issuerProfile, type: "application/json", maxAge: 300)
            }
            let profile = badges.issuerProfile
            let keys = try await badges.keyHistory().map { key in
                IssuerKeyLine(id: badges.identity.keyID(key.name), use: key.use, created: ExamRoutes.date(key.createdAt),
                              retired: key.retiredAt.map(ExamRoutes.date))
            }
            let offered = courses.courses.map { CourseOption(id: Paths.course($0.id), title: $0.credential.title) }
                + courses.pathways.map { CourseOption(id: Paths.pathway($0.id), title: $0.credential.title + " (certification)") }
            return templates.response(
                IssuerPage(
                    title: profile.name, user: context.identity.map(NavUser.init), description: profile.description ?? "", did: profile.id,
                    baseURL: badges.identity.baseURL, keys: keys, offered: offered
                ), template: "issuer"
            )
        }
        router.get("/keys/:file") { _, context in
            let file = try context.parameters.require("file")
            guard file.hasSuffix(".json"), let jwk = try await badges.publicKey(name: String(file.dropLast(5))) else {
                throw AppError.notFound("That key")
            }
            return try Self.json(jwk, type: "application/jwk+json", maxAge: 3600)
        }
        router.get("/status/:purpose") { _, context in
            let jwt = try await badges.statusListJWT(purpose: try context.parameters.require("purpose"))
            return Response(
                status: .ok,
                headers: [.contentType: "application/vc+jwt", .cacheControl: "public, max-age=\(Int(BadgeService.statusListTTL))"],
                body: .init(byteBuffer: ByteBuffer(string: jwt))
            )
        }
        router.get("/badges/:file") { _, context in
            let file = try context.parameters.require("file")
            if file.hasSuffix(".jwt") {
                let badge = try await badges.badge(id: String(file.dropLast(4)))
                return Response(
                    status: .ok, headers: [.contentType: "application/vc+jwt", .contentDisposition: "attachment; filename=\"badge-\(badge.id).jwt\""],
                    body: .init(byteBuffer: ByteBuffer(string: badge.jwt))
                )
            }
            if file.hasSuffix(".png") {
                let badge = try await badges.badge(id: String(file.dropLast(4)))
                return Response(
                    status: .ok, headers: [.contentType: "image/png", .contentDisposition: "attachment; filename=\"badge-\(badge.id).png\""],
                    body: .init(byteBuffer: ByteBuffer(bytes: try BakedBadge.png(templates.badgeImage, jwt: badge.jwt)))
                )
            }
            if file.hasSuffix(".svg") {
                let badge = try await badges.badge(id: String(file.dropLast(4)))
                let title = (try? courses.course(badge.courseID))?.credential.title ?? "Cairn badge"
                return Response(
                    status: .ok, headers: [.contentType: "image/svg+xml", .contentDisposition: "attachment; filename=\"badge-\(badge.id).svg\""],
                    body: .init(byteBuffer: ByteBuffer(string: BakedBadge.svg(jwt: badge.jwt, title: title)))
                )
            }
            if file.hasSuffix(".json") {
                let badge = try await badges.badge(id: String(file.dropLast(5)))
                return Response(
                    status: .ok, headers: [.contentType: "application/vc+ld+json", .contentDisposition: "attachment; filename=\"badge-\(badge.id).json\""],
                    body: .init(byteBuffer: ByteBuffer(string: badge.json))
                )
            }
            let badge = try await badges.badge(id: file)
            return templates.response(try await page(badge, viewer: context.identity), template: "badge")
        }
        router.get("/me/badges") { _, context in
            let user = try context.requireUser()
            let owned = try await badges.badges(user: user.id)
            let cards = owned.map { badge in
                WalletCard(title: courses.credentialTitle(of: badge), awarded: ExamRoutes.date(badge.awardedAt), href: "/badges/\(badge.id)",
                           revoked: badge.revokedAt != nil, suspended: badge.revokedAt == nil && badge.suspendedAt != nil)
            }
            let pathways = try await badges.pathways(for: user.id).map { progress in
                WalletPathway(title: progress.pathway.credential.title, href: Paths.pathway(progress.pathway.id),
                              done: progress.doneCount, steps: progress.steps.count, held: progress.certification != nil)
            }
            return templates.response(
                WalletPage(
                    title: "Your badges", user: NavUser(user), badges: cards, hasBadges: !cards.isEmpty, pathways: pathways, hasPathways: !pathways.isEmpty
                ), template: "wallet"
            )
        }
        router.get("/admin/badges") { request, context in
            let admin = try context.requireAdmin("the badge administration")
            let notice = request.uri.queryParameters["done"].map(String.init)
            return templates.response(try await adminPage(admin, notice: notice, error: nil), template: "admin-badges")
        }
        router.post("/admin/badges/award") { request, context in
            let admin = try context.requireAdmin("the badge administration")
            let form = FormFields(String(buffer: try await request.body.collect(upTo: 16_384)))
            do {
                let badge = try await badges.award(course: CourseID(rawValue: form.first("course") ?? ""), email: form.first("email") ?? "")
                return Response.redirect(to: "/admin/badges?done=awarded-\(badge.id)", type: .normal)
            } catch let error as AppError {
                return templates.response(try await adminPage(admin, notice: nil, error: error.description), template: "admin-badges", status: Problem(error).status)
            }
        }
        router.post("/admin/badges/:badge/:change") { request, context in
            let admin = try context.requireAdmin("the badge administration")
            let id = try context.parameters.require("badge")
            let change = try context.parameters.require("change")
            let form = FormFields(String(buffer: try await request.body.collect(upTo: 16_384)))
            do {
                switch change {
                case "revoke": try await badges.revoke(id: id, reason: form.first("reason") ?? "")
                case "suspend": try await badges.suspend(id: id, reason: form.first("reason") ?? "")
                case "reinstate": try await badges.reinstate(id: id)
                default: throw AppError.notFound("That page")
                }
                let done = change == "revoke" ? "revoked" : change == "suspend" ? "suspended" : "reinstated"
                return Response.redirect(to: "/admin/badges?done=\(done)-\(id)", type: .normal)
            } catch let error as AppError {
                return templates.response(try await adminPage(admin, notice: nil, error: error.description), template: "admin-badges", status: Problem(error).status)
            }
        }
        router.post("/api/v1/verify") { request, context in
            struct Body: Decodable {
                var jwt: String?
                var credential: JSON?
            }
            let body = try await request.decode(as: Body.self, context: context)
            let report: VerificationReport
            if let credential = body.credential, body.jwt == nil {
                guard case .object = credential else {
                    throw AppError.invalidField(field: "credential", message: "Send the credential as a JSON object (the .json download), with its proof.")
                }
                report = try await badges.verify(dataIntegrity: String(decoding: try JSONEncoder().encode(credential), as: UTF8.self))
            } else {
                guard let jwt = body.jwt, !jwt.isEmpty, body.credential == nil else {
                    throw AppError.invalidField(
                        field: "jwt", message: "Send the badge either as a VC-JWT (the .jwt download) in the field jwt, or as the JSON credential (the .json download) in the field credential."
                    )
                }
                report = try await badges.verify(jwt: jwt)
            }
            return try Self.json(VerifyResponse(valid: report.isValid, checks: report.checks, credential: report.credential?.id), type: "application/json", maxAge: nil)
        }
    }

    func adminPage(_ admin: User, notice: String?, error: String?) async throws -> AdminBadgesPage {
        let rows = try await badges.recent().map { badge, earner in
            AdminBadgeRow(
                id: badge.id, href: "/badges/\(badge.id)", earner: earner,
                course: courses.credentialTitle(of: badge),
                awarded: ExamRoutes.date(badge.awardedAt), how: badge.pathwayID != nil ? "pathway" : badge.examSessionID == nil ? "by hand" : "exam",
                revoked: badge.revokedAt != nil, reason: badge.revocationReason ?? "", revokeAction: "/admin/badges/\(badge.id)/revoke",
                suspended: badge.revokedAt == nil && badge.suspendedAt != nil, suspensionReason: badge.suspensionReason ?? "",
                suspendAction: "/admin/badges/\(badge.id)/suspend", reinstateAction: "/admin/badges/\(badge.id)/reinstate"
            )
        }
        let message: String? = notice.flatMap { notice in
            guard let dash = notice.firstIndex(of: "-") else { return nil }
            let id = notice[notice.index(after: dash)...]
            return switch notice[..<dash] {
            case "awarded": "Badge awarded: \(id)."
            case "revoked": "Badge revoked: \(id). Verifiers see it within five minutes."
            case "suspended": "Badge suspended: \(id). Verifiers see it within five minutes; reinstate it when the matter is settled."
            case "reinstated": "Badge reinstated: \(id). It verifies again within five minutes."
            case "scored": "Capstone scored. The certification is issued once every step of the pathway is done."
            case "certified": "Capstone scored, and it was the last step: certification \(id) issued."
            default: nil
            }
        }
        let waiting = try await badges.workWaiting().map { work, learner, email in
            let capstone = courses.catalog.pathway(work.pathwayID)?.capstone(work.capstoneID)
            return WaitingWork(
                id: work.id, learner: learner, email: email, capstone: capstone?.title ?? work.capstoneID, passScore: capstone?.passScore ?? 0,
                url: work.workURL, title: work.workTitle, handedIn: ExamRoutes.date(work.handedInAt), scoreAction: "/admin/capstones/\(work.id)/score",
                handedInMilliseconds: String(Int64((work.handedInAt.timeIntervalSince1970 * 1000).rounded()))
            )
        }
        let capstones = courses.pathways.flatMap { pathway in
            pathway.capstones.map { CourseOption(id: "\(pathway.id.rawValue)/\($0.id)", title: "\(pathway.title): \($0.title) (pass \($0.passScore))") }
        }
        return AdminBadgesPage(
            title: "Badges", user: NavUser(admin), courses: courses.courses.map { CourseOption(id: $0.id.rawValue, title: $0.credential.title) },
            rows: rows, hasRows: !rows.isEmpty, notice: message, error: error, waiting: waiting, hasWaiting: !waiting.isEmpty,
            capstones: capstones, hasCapstones: !capstones.isEmpty
        )
    }

    struct VerifyResponse: Encodable {
        var valid: Bool
        var checks: [VerificationCheck]
        var credential: String?
    }

    static func json(_ value: some Encodable, type: String, maxAge: Int?) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var headers: HTTPFields = [.contentType: type]
        headers[.cacheControl] = maxAge.map { "public, max-age=\($0)" } ?? "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Array(try encoder.encode(value)))))
    }

    func page(_ badge: IssuedBadge, viewer: User?) async throws -> BadgePage {
        let credential = try JSONDecoder().decode(AchievementCredential.self, from: Data(badge.json.utf8))
        let report = try await badges.verify(jwt: badge.jwt)
        // The JSON form's Data Integrity proof, checked too (badges issued before proofs were added have none).
        let dataIntegrity: VerificationReport? = credential.proof == nil ? nil : try await badges.verify(dataIntegrity: badge.json)
        let earner = try await badges.earner(of: badge)
        let course = try? courses.course(badge.courseID)
        let achievement = credential.credentialSubject.achievement
        let url = badges.badgeURL(badge.id)
        var linkedIn = URLComponents(string: "https://www.linkedin.com/profile/add")!
        let calendar = Calendar(identifier: .gregorian)
        let parts = calendar.dateComponents(in: TimeZone(identifier: "UTC")!, from: badge.awardedAt)
        linkedIn.queryItems = [
            URLQueryItem(name: "startTask", value: "CERTIFICATION_NAME"), URLQueryItem(name: "name", value: credential.name),
            URLQueryItem(name: "organizationName", value: credential.issuer.name),
            URLQueryItem(name: "issueYear", value: parts.year.map(String.init)), URLQueryItem(name: "issueMonth", value: parts.month.map(String.init)),
            URLQueryItem(name: "certUrl", value: url), URLQueryItem(name: "certId", value: badge.id),
        ]
        return BadgePage(
            title: credential.name, user: viewer.map(NavUser.init), earner: earner ?? "A Cairn learner",
            description: credential.description ?? "", awarded: ExamRoutes.date(badge.awardedAt),
            validUntil: badge.validUntil.map(ExamRoutes.date), criteria: achievement.criteria.narrative ?? "",
            skills: (achievement.alignment ?? []).map { SkillLine(name: $0.targetName, description: $0.targetDescription ?? "") },
            hasSkills: !(achievement.alignment ?? []).isEmpty,
            evidence: (credential.evidence ?? []).map { $0.narrative ?? $0.name ?? "" },
            valid: report.isValid, checks: report.checks.map { CheckLine(name: $0.name, passed: $0.passed, detail: $0.detail) },
            dataIntegrity: dataIntegrity.map { report in
                report.isValid ? "The JSON credential's Data Integrity proof (eddsa-rdfc-2022, for wallets) verifies too."
                    : "The JSON credential's Data Integrity proof does not verify: " + (report.checks.first { !$0.passed }?.detail ?? "")
            },
            revoked: badge.revokedAt != nil, suspended: badge.revokedAt == nil && badge.suspendedAt != nil, issuer: credential.issuer.name, issuerDID: credential.issuer.id,
            courseHref: course.map { Paths.course($0.id) }, jsonHref: "/badges/\(badge.id).json", jwtHref: "/badges/\(badge.id).jwt",
            pngHref: "/badges/\(badge.id).png", svgHref: "/badges/\(badge.id).svg",
            linkedInHref: linkedIn.url?.absoluteString ?? "", pageURL: url, isOwner: viewer?.id == badge.userID,
            towards: badge.pathwayID == nil
                ? courses.catalog.pathways(including: badge.courseID).map { CourseOption(id: Paths.pathway($0.id), title: $0.credential.title) } : []
        )
    }
}

struct BadgePage {
    let title: String
    let user: NavUser?
    let earner: String
    let description: String
    let awarded: String
    let validUntil: String?
    let criteria: String
    let skills: [SkillLine]
    let hasSkills: Bool
    let evidence: [String]
    let valid: Bool
    let checks: [CheckLine]
    let dataIntegrity: String?
    let revoked: Bool
    let suspended: Bool
    let issuer: String
    let issuerDID: String
    let courseHref: String?
    let jsonHref: String
    let jwtHref: String
    let pngHref: String
    let svgHref: String
    let linkedInHref: String
    let pageURL: String
    let isOwner: Bool
    /// The certifications this badge is a step toward (href in `id`).
    let towards: [CourseOption]
}

struct SkillLine {
    let name: String
    let description: String
}

struct CheckLine {
    let name: String
    let passed: Bool
    let detail: String
}

struct AdminBadgesPage {
    let title: String
    let user: NavUser?
    let courses: [CourseOption]
    let rows: [AdminBadgeRow]
    let hasRows: Bool
    let notice: String?
    let error: String?
    let waiting: [WaitingWork]
    let hasWaiting: Bool
    let capstones: [CourseOption]
    let hasCapstones: Bool
}

struct WaitingWork {
    let id: String
    let learner: String
    let email: String
    let capstone: String
    let passScore: Int
    let url: String
    let title: String
    let handedIn: String
    let scoreAction: String
    let handedInMilliseconds: String
}

struct CourseOption {
    let id: String
    let title: String
}

struct AdminBadgeRow {
    let id: String
    let href: String
    let earner: String
    let course: String
    let awarded: String
    let how: String
    let revoked: Bool
    let reason: String
    let revokeAction: String
    let suspended: Bool
    let suspensionReason: String
    let suspendAction: String
    let reinstateAction: String
}

struct WalletPage {
    let title: String
    let user: NavUser?
    let badges: [WalletCard]
    let hasBadges: Bool
    let pathways: [WalletPathway]
    let hasPathways: Bool
}

struct WalletPathway {
    let title: String
    let href: String
    let done: Int
    let steps: Int
    let held: Bool
}

struct WalletCard {
    let title: String
    let awarded: String
    let href: String
    let revoked: Bool
    let suspended: Bool
}

struct IssuerPage {
    let title: String
    let user: NavUser?
    let description: String
    let did: String
    let baseURL: String
    let keys: [IssuerKeyLine]
    let offered: [CourseOption]
}

struct IssuerKeyLine {
    let id: String
    let use: String
    let created: String
    let retired: String?
}
