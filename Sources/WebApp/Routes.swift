import AppServices
import CairnCore
import Curriculum
import Foundation
import Hummingbird
import Prometheus
import Storage

/// The addresses of Cairn's pages, in one place, so links never drift from routes.
enum Paths {
    static let home = "/"
    static let signUp = "/signup"
    static let logIn = "/login"
    static let logOut = "/logout"
    static let catalogue = "/courses"
    static func course(_ id: CourseID) -> String { "/courses/\(id.rawValue)" }
    static func enrol(_ id: CourseID) -> String { "/courses/\(id.rawValue)/enrol" }
    static func lesson(_ course: CourseID, _ lesson: LessonID) -> String { "/courses/\(course.rawValue)/lessons/\(lesson.rawValue)" }
    static func chat(_ courseID: CourseID, _ lessonID: LessonID) -> String { lesson(courseID, lessonID) + "/chat" }
    static func lessonText(_ courseID: CourseID, _ lessonID: LessonID) -> String { lesson(courseID, lessonID) + "/text" }
    static let stylesheet = "/assets/cairn.css"
    static let chatScript = "/assets/chat.js"
    static let examScript = "/assets/exam.js"
    static func pathway(_ id: PathwayID) -> String { "/pathways/\(id.rawValue)" }
    static func exam(_ course: CourseID) -> String { "/courses/\(course.rawValue)/exam" }
    static func examResult(_ course: CourseID, _ session: ExamSessionID) -> String { exam(course) + "/results/\(session.rawValue)" }

    /// Only local paths are followed after log-in, so a link cannot send people elsewhere.
    /// Browsers drop tabs and newlines from URLs ("/\t/evil" becomes "//evil"), so control
    /// characters, backslashes and anything with a scheme or host are refused.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"),
              !next.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }),
              let components = URLComponents(string: next), components.scheme == nil, components.host == nil
        else { return catalogue }
        return next
    }
}

extension Parameters {
    func courseID() throws -> CourseID { CourseID(rawValue: try require("course")) }
    func lessonID() throws -> LessonID { LessonID(rawValue: try require("lesson")) }
}

extension CairnRequestContext {
    func requireUser() throws -> User {
        guard let user = identity else { throw AppError.notSignedIn }
        return user
    }

    /// The signed-in platform administrator; anyone else is refused.
    func requireAdmin(_ what: String) throws -> User {
        let user = try requireUser()
        guard user.role == .platformAdmin else { throw AppError.forbidden("\(what) (platform administrators only)") }
        return user
    }
}

/// Health, readiness, metrics and the stylesheet.
struct OperationsRoutes {
    let environment: CairnEnvironment
    let registry: PrometheusCollectorRegistry

    struct Readiness: ResponseEncodable {
        let status: String
        let database: String
        let courses: Int
    }

    func add(to router: Router<CairnRequestContext>) {
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, _ -> EditedResponse<Readiness> in
            var databaseStatus = "ok"
            do { try await environment.database.store.ping() } catch { databaseStatus = "unreachable" }
            let courses = environment.catalog.courses.count
            let ready = databaseStatus == "ok" && courses > 0
            return EditedResponse(
                status: ready ? .ok : .serviceUnavailable,
                response: Readiness(status: ready ? "ready" : "not ready", database: databaseStatus, courses: courses)
            )
        }
        router.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
    }
}
