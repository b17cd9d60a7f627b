import AppServices
import CairnCore
import Curriculum
import Foundation
import Hummingbird

/// Pathways to a full certification: the public page with the learner's progress and the
/// capstone hand-in, and the scoring of capstone work by platform administrators.
struct PathwayRoutes {
    let environment: CairnEnvironment
    let templates: Templates

    var badges: BadgeService { environment.badges }
    var courses: CatalogService { environment.courses }

    func add(to router: Router<CairnRequestContext>) {
        router.get("/pathways/:pathway") { request, context in
            let id = PathwayID(rawValue: try context.parameters.require("pathway"))
            let notice = request.uri.queryParameters["done"] == "handed-in"
                ? "Your work is handed in. Reviewers score it against the rubric; the result appears here." : nil
            return templates.response(try await page(id, user: context.identity, notice: notice, error: nil), template: "pathway")
        }
        router.post("/pathways/:pathway/capstones/:capstone") { request, context in
            let user = try context.requireUser()
            let id = PathwayID(rawValue: try context.parameters.require("pathway"))
            let form = FormFields(String(buffer: try await request.body.collect(upTo: 16_384)))
            do {
                try await badges.handIn(
                    pathway: id, capstone: try context.parameters.require("capstone"), user: user.id,
                    url: form.first("work_url") ?? "", title: form.first("work_title") ?? ""
                )
                return Response.redirect(to: Paths.pathway(id) + "?done=handed-in#capstones", type: .normal)
            } catch let error as AppError {
                return templates.response(try await page(id, user: user, notice: nil, error: error.description), template: "pathway", status: Problem(error).status)
            }
        }
        router.post("/admin/capstones/:work/score") { request, context in
            let admin = try context.requireAdmin("capstone scoring")
            let form = FormFields(String(buffer: try await request.body.collect(upTo: 16_384)))
            // The form carries when the work it shows was handed in, so a replaced link is not scored blind.
            let handedIn = form.first("handed_in").flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) }
            return try await scored(admin) {
                try await badges.score(
                    work: try context.parameters.require("work"), score: Self.score(form), notes: form.first("notes"), scorer: admin.displayName,
                    scorerID: admin.id, handedInAt: handedIn
                )
            }
        }
        router.post("/admin/capstones/score") { request, context in
            let admin = try context.requireAdmin("capstone scoring")
            let form = FormFields(String(buffer: try await request.body.collect(upTo: 16_384)))
            // The capstone is chosen as "PATHWAY/CAPSTONE".
            let choice = (form.first("capstone") ?? "").split(separator: "/", maxSplits: 1).map(String.init)
            return try await scored(admin) {
                try await badges.scoreByHand(
                    pathway: PathwayID(rawValue: choice.first ?? ""), capstone: choice.count > 1 ? choice[1] : "", email: form.first("email") ?? "",
                    url: form.first("work_url") ?? "", title: form.first("work_title") ?? "", score: Self.score(form), notes: form.first("notes"),
                    scorer: admin.displayName
                )
            }
        }
    }

    static func score(_ form: FormFields) -> Int? {
        form.first("score").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Runs a scoring and goes back to the badge administration page, saying whether a
    /// certification was issued.
    func scored(_ admin: User, _ body: () async throws -> [IssuedBadge]) async throws -> Response {
        do {
            let issued = try await body()
            return Response.redirect(to: "/admin/badges?done=" + (issued.first.map { "certified-\($0.id)" } ?? "scored-capstone"), type: .normal)
        } catch let error as AppError {
            let page = try await BadgeRoutes(environment: environment, templates: templates).adminPage(admin, notice: nil, error: error.description)
            return templates.response(page, template: "admin-badges", status: Problem(error).status)
        }
    }

    func page(_ id: PathwayID, user: User?, notice: String?, error: String?) async throws -> PathwayPage {
        let progress = try await badges.pathway(id, for: user?.id)
        let pathway = progress.pathway
        let steps = progress.steps.enumerated().map { index, step in
            PathwayStepLine(progress: step, number: index + 1, pathway: pathway, signedIn: user != nil)
        }
        let certification = progress.certification
        return PathwayPage(
            title: pathway.title, user: user.map(NavUser.init), summary: pathway.summary, credentialTitle: pathway.credential.title,
            criteria: pathway.credential.criteria, validYears: pathway.credential.validForDays.map { String(format: "%.0f", Double($0) / 365) },
            signedIn: user != nil, doneCount: progress.doneCount, stepCount: progress.steps.count,
            leftText: progress.left.isEmpty ? nil : "Left to do: " + progress.left.joined(separator: "; ") + ".",
            certificationHref: certification.map { "/badges/\($0.id)" }, certificationDate: certification.map { ExamRoutes.date($0.awardedAt) },
            steps: steps, notice: notice, error: error, signUpHref: "/signup?next=" + Paths.pathway(id)
        )
    }
}

struct PathwayPage {
    let title: String
    let user: NavUser?
    let summary: String
    let credentialTitle: String
    let criteria: String
    let validYears: String?
    let signedIn: Bool
    let doneCount: Int
    let stepCount: Int
    let leftText: String?
    let certificationHref: String?
    let certificationDate: String?
    let steps: [PathwayStepLine]
    let notice: String?
    let error: String?
    let signUpHref: String
}

/// One step of a pathway as the page shows it: what it is, where the learner stands, and
/// what to do next.
struct PathwayStepLine {
    let number: Int
    let title: String
    let kind: String
    let done: Bool
    let status: String
    let href: String?
    let linkText: String?
    let isCapstone: Bool
    let brief: String
    let rubric: [String]
    let passScore: Int
    /// The hand-in form, when the learner can hand in (signed in, not passed yet).
    let handInAction: String?
    let handedInURL: String?
    let scoreNotes: String?

    init(progress step: PathwayProgress.Step, number: Int, pathway: Pathway, signedIn: Bool) {
        self.number = number
        title = step.title
        done = step.state == .done
        switch step.step {
        case let .badge(course):
            kind = "Badge"
            isCapstone = false
            brief = ""
            rubric = []
            passScore = 0
            handInAction = nil
            handedInURL = nil
            scoreNotes = nil
            let badgeHref = step.badge.map { "/badges/\($0.id)" }
            switch step.state {
            case .done:
                status = "Earned " + (step.badge.map { ExamRoutes.date($0.awardedAt) } ?? "") + "."
                (href, linkText) = (badgeHref, "See the badge")
            case .expired:
                status = "Expired" + (step.badge?.validUntil.map { " on " + ExamRoutes.date($0) } ?? "") + ": pass the exam again to renew it."
                (href, linkText) = (Paths.exam(course), "Renew it")
            case .suspended:
                status = "Suspended by the issuer for now; it counts again once reinstated."
                (href, linkText) = (badgeHref, "See the badge")
            case .notOffered:
                status = "The course for this badge is coming soon."
                (href, linkText) = (nil, nil)
            default:
                status = signedIn ? "Not earned yet: take the course and pass its exam." : "Take the course and pass its exam."
                (href, linkText) = (Paths.course(course), "Go to the course")
            }
        case let .capstone(capstone):
            kind = "Capstone, scored by people"
            isCapstone = true
            brief = capstone.brief
            rubric = capstone.rubric
            passScore = capstone.passScore
            href = nil
            linkText = nil
            handedInURL = step.work?.workURL
            scoreNotes = step.work?.notes
            let action = "/pathways/\(pathway.id.rawValue)/capstones/\(capstone.id)"
            switch step.state {
            case .done:
                status = "Passed with \(step.work?.score ?? 0) of 100."
                handInAction = nil
            case .waiting:
                status = "Handed in " + (step.work.map { ExamRoutes.date($0.handedInAt) } ?? "") + "; waiting to be scored. You can still replace the link."
                handInAction = action
            case let .belowPass(score):
                status = "Scored \(score) of 100; \(capstone.passScore) passes. Improve the work and hand it in again."
                handInAction = action
            default:
                status = signedIn ? "Not handed in yet." : "Sign up to hand in your work."
                handInAction = signedIn ? action : nil
            }
        }
    }
}
