import AppServices
import CairnCore
import Curriculum
import Foundation
import Hummingbird

/// The JSON API under /api/v1 (described in openapi.yaml).
struct APIRoutes {
    let environment: CairnEnvironment
    let cookies: SessionCookies

    var courses: CatalogService { environment.courses }
    var accounts: AccountService { environment.accounts }

    // MARK: DTOs

    struct SignUpRequest: Decodable {
        let email: String
        let password: String
        let name: String
    }

    struct LogInRequest: Decodable {
        let email: String
        let password: String
    }

    struct UserDTO: ResponseEncodable {
        let id: String
        let email: String
        let name: String
        let role: String

        init(_ user: User) {
            id = user.id.rawValue
            email = user.email.value
            name = user.displayName
            role = user.role.rawValue
        }
    }

    struct CourseSummaryDTO: Encodable {
        let id: String
        let title: String
        let version: String
        let summary: String
        let level: String
        let lessons: Int

        init(_ course: Course) {
            id = course.id.rawValue
            title = course.title
            version = course.version
            summary = course.summary
            level = course.level.rawValue
            lessons = course.orderedLessons.count
        }
    }

    struct CourseListDTO: ResponseEncodable {
        let courses: [CourseSummaryDTO]
    }

    struct CourseDTO: ResponseEncodable {
        struct SkillDTO: Encodable { let id: String; let title: String; let description: String }
        struct LessonDTO: Encodable { let id: String; let title: String; let minutes: Int }
        struct ModuleDTO: Encodable { let id: String; let title: String; let status: String; let lessons: [LessonDTO] }
        struct CredentialDTO: Encodable { let id: String; let title: String; let description: String }

        let id: String
        let title: String
        let version: String
        let summary: String
        let skills: [SkillDTO]
        let modules: [ModuleDTO]
        let credential: CredentialDTO

        init(_ course: Course) {
            id = course.id.rawValue
            title = course.title
            version = course.version
            summary = course.summary
            skills = course.skills.map { SkillDTO(id: $0.id.rawValue, title: $0.title, description: $0.description) }
            modules = course.modules.map { module in
                ModuleDTO(
                    id: module.id.rawValue, title: module.title, status: module.status.rawValue,
                    lessons: module.lessonIDs.compactMap { course.lessons[$0] }.map { LessonDTO(id: $0.id.rawValue, title: $0.title, minutes: $0.minutes) }
                )
            }
            credential = CredentialDTO(id: course.credential.id.rawValue, title: course.credential.title, description: course.credential.description)
        }
    }

    struct EnrolmentDTO: ResponseEncodable {
        let course: String
        let courseVersion: String
        let enrolledAt: Date

        init(_ enrolment: Enrolment) {
            course = enrolment.courseID.rawValue
            courseVersion = enrolment.courseVersion
            enrolledAt = enrolment.enrolledAt
        }
    }

    struct EnrolmentListDTO: ResponseEncodable {
        let enrolments: [EnrolmentDTO]
    }

    struct ProgressDTO: ResponseEncodable {
        struct LessonDTO: Encodable { let lesson: String; let status: String; let startedAt: Date; let completedAt: Date? }
        let course: String
        let completed: Int
        let total: Int
        let lessons: [LessonDTO]
    }

    // MARK: routes

    func add(to router: Router<CairnRequestContext>) {
        let api = router.group("/api/v1")
        ChatAPI(environment: environment).add(to: api)
        api.post("/accounts") { request, context -> EditedResponse<UserDTO> in
            let body = try await decodeJSON(SignUpRequest.self, request, context)
            let user = try await accounts.signUp(email: body.email, password: body.password, displayName: body.name)
            return EditedResponse(status: .created, response: UserDTO(user))
        }
        api.post("/sessions") { request, context -> Response in
            let body = try await decodeJSON(LogInRequest.self, request, context)
            let (user, session) = try await accounts.logIn(email: body.email, password: body.password)
            var response = try UserDTO(user).response(from: request, context: context)
            response.setCookie(cookies.set(session))
            return response
        }
        api.delete("/sessions/current") { _, context -> Response in
            if let session = context.sessionID { try await accounts.logOut(session: session) }
            var response = Response(status: .noContent)
            response.setCookie(cookies.clear())
            return response
        }
        api.get("/me") { _, context in
            UserDTO(try context.requireUser())
        }
        api.get("/me/enrolments") { _, context in
            let user = try context.requireUser()
            return EnrolmentListDTO(enrolments: try await courses.enrolments(of: user.id).map(EnrolmentDTO.init))
        }
        api.get("/courses") { _, _ in
            CourseListDTO(courses: courses.courses.map(CourseSummaryDTO.init))
        }
        api.get("/courses/:course") { _, context in
            CourseDTO(try courses.course(try context.parameters.courseID()))
        }
        api.post("/courses/:course/enrolment") { _, context -> EditedResponse<EnrolmentDTO> in
            let user = try context.requireUser()
            let enrolment = try await courses.enrol(user.id, in: try context.parameters.courseID())
            return EditedResponse(status: .created, response: EnrolmentDTO(enrolment))
        }
        api.get("/courses/:course/progress") { _, context in
            let user = try context.requireUser()
            let course = try courses.course(try context.parameters.courseID())
            let progress = try await courses.progress(of: user.id, in: course.id)
            let lessons = course.orderedLessons.compactMap { lesson in
                progress[lesson.id].map {
                    ProgressDTO.LessonDTO(lesson: lesson.id.rawValue, status: $0.status.rawValue, startedAt: $0.startedAt, completedAt: $0.completedAt)
                }
            }
            return ProgressDTO(
                course: course.id.rawValue, completed: lessons.filter { $0.status == "completed" }.count,
                total: course.orderedLessons.count, lessons: lessons
            )
        }
    }
}

/// Decodes a JSON body, turning decoding failures into errors that name the field.
func decodeJSON<T: Decodable>(_ type: T.Type, _ request: Request, _ context: CairnRequestContext) async throws -> T {
    var request = request
    let buffer = try await request.collectBody(upTo: context.maxUploadSize)
    guard buffer.readableBytes > 0 else {
        throw AppError.invalidField(field: "body", message: "The request has no body; send a JSON object.")
    }
    do {
        return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
    } catch let DecodingError.keyNotFound(key, context) {
        throw AppError.invalidField(field: fieldPath(context.codingPath + [key]), message: "This field is required.")
    } catch let DecodingError.typeMismatch(expected, context) {
        throw AppError.invalidField(field: fieldPath(context.codingPath), message: "Expected \(jsonTypeName(expected)).")
    } catch let DecodingError.valueNotFound(expected, context) {
        throw AppError.invalidField(field: fieldPath(context.codingPath), message: "Expected \(jsonTypeName(expected)), found null.")
    } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
        throw AppError.invalidField(field: fieldPath(context.codingPath), message: context.debugDescription.prefix(1).uppercased() + context.debugDescription.dropFirst() + ".")
    } catch {
        throw AppError.invalidField(field: "body", message: "The body is not valid JSON; send a JSON object.")
    }
}

private func fieldPath(_ path: [any CodingKey]) -> String {
    path.isEmpty ? "body" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
}

private func jsonTypeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "text"
    case is Int.Type, is Double.Type: "a number"
    case is Bool.Type: "true or false"
    default: "a JSON object"
    }
}

import NIOFoundationCompat
