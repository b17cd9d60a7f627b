import AppServices
import CairnCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging

/// Applies per-request settings from the configuration.
struct ContextSetupMiddleware: RouterMiddleware {
    typealias Context = CairnRequestContext
    let uploadLimit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.uploadLimit = uploadLimit
        var response = try await next(request, context)
        response.headers[.xRequestID] = context.id
        return response
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-ID")!
    static let lastEventID = Self("Last-Event-ID")!
}

/// Headers every response carries. A strict policy: no inline scripts, nothing from other
/// origins, no framing. The one exception is a policy listed in `documentPolicies`: a
/// stored document served as it is (a calibration report) keeps the policy its route set,
/// which allows its inline styles but nothing else (no scripts, nothing loaded). Any other
/// policy a route sets is replaced by the strict one.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = CairnRequestContext

    static let strictPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    static let documentPolicies: Set<String> = [CalibrationRoutes.reportPolicy]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if !(response.headers[.contentSecurityPolicy].map(Self.documentPolicies.contains) ?? false) {
            response.headers[.contentSecurityPolicy] = Self.strictPolicy
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicyHeader] = "same-origin"
        response.headers[.xFrameOptions] = "DENY"
        return response
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicyHeader = Self("Referrer-Policy")!
}

/// Turns every error into a response in one place: a safe message for the person, the
/// request id and the detail in the log, never the raw error on a page.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = CairnRequestContext
    let templates: Templates
    let allowedMethods: AllowedMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Problem(error)
            if problem.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            } else {
                context.logger.info("request refused", metadata: ["status": "\(problem.status.code)", "reason": "\(problem.message)"])
            }
            // No route took the request: if the path exists for other methods, say so.
            var allow: String?
            if problem.status == .notFound {
                let methods = allowedMethods.methods(for: request.uri.path)
                if !methods.isEmpty, !methods.contains(request.method) {
                    problem = Problem(HTTPError(.methodNotAllowed))
                    allow = methods.map(\.rawValue).sorted().joined(separator: ", ")
                }
            }
            var response = respond(problem, request: request, context: context)
            if let allow { response.headers[.allow] = allow }
            return response
        }
    }

    private func respond(_ problem: Problem, request: Request, context: Context) -> Response {
        if wantsJSON(request) {
            return problem.jsonResponse(requestID: context.id)
        }
        if problem.status == .unauthorized {
            // A page that needs a log-in sends the person to log in, then back to it. A form
            // post cannot be replayed as a GET, so after one the person lands on the catalogue.
            guard request.method == .get || request.method == .head else { return .redirect(to: Paths.logIn, type: .normal) }
            let back = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return .redirect(to: "\(Paths.logIn)?next=\(back.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "/-_.~"))) ?? "/")", type: .found)
        }
        let page = ErrorPage(
            status: Int(problem.status.code), title: problem.title, message: problem.message, requestID: context.id,
            user: context.identity.map(NavUser.init)
        )
        return templates.response(page, template: "error", status: problem.status)
    }

    private func wantsJSON(_ request: Request) -> Bool {
        if request.uri.path.hasPrefix("/api/") { return true }
        let accept = request.headers[.accept] ?? ""
        // A script reading a stream (the chat) gets errors it can read: a JSON problem, even
        // when not signed in, instead of a redirect to the log-in page.
        if accept.contains("text/event-stream") { return true }
        return accept.contains("application/json") && !accept.contains("text/html")
    }
}

/// An error as the person sees it.
struct Problem {
    var status: HTTPResponse.Status
    var code: String
    var field: String?
    var message: String

    var title: String {
        switch status.code {
        case 400: "That request could not be read"
        case 401: "Please log in"
        case 403: "Not allowed"
        case 404: "Page not found"
        case 405: "Method not allowed"
        case 409: "Already exists"
        case 413: "Too large"
        case 422: "Please check the form"
        default: status.code >= 500 ? "Something went wrong on our side" : status.reasonPhrase
        }
    }

    init(_ error: any Error) {
        switch error {
        case let error as AppError:
            message = error.description
            switch error {
            case let .invalidField(field, _):
                status = .unprocessableContent; code = "invalid_field"; self.field = field
            case .emailTaken: status = .conflict; code = "email_taken"
            case .invalidCredentials: status = .unauthorized; code = "invalid_credentials"
            case .notSignedIn: status = .unauthorized; code = "not_signed_in"
            case .forbidden: status = .forbidden; code = "forbidden"
            case .notFound: status = .notFound; code = "not_found"
            case .conflict: status = .conflict; code = "conflict"
            }
        case let error as any HTTPResponseError:
            status = error.status
            code = Self.code(for: error.status)
            switch error.status {
            case .notFound: message = "There is nothing at this address. Check the link, or start from the course catalogue."
            case .methodNotAllowed: message = "This address does not accept that method."
            case .contentTooLarge: message = "The request body is too large. Send less data."
            default:
                if let httpError = error as? HTTPError, let body = httpError.body, status.code < 500 {
                    message = body
                } else {
                    message = status.code >= 500 ? "Please try again; if it keeps happening, tell the operator the request id." : status.reasonPhrase
                }
            }
        case StoreError.conflict:
            status = .conflict
            code = "conflict"
            message = "That was changed by another request at the same time. Reload the page and try again."
        case is StoreError:
            status = .serviceUnavailable
            code = "database_unavailable"
            message = "The database is not available right now. Please try again in a moment." 
        default:
            status = .internalServerError
            code = "internal_error"
            message = "Please try again; if it keeps happening, tell the operator the request id."
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "not_signed_in"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 413: "body_too_large"
        default: status.code >= 500 ? "internal_error" : "error"
        }
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            let status: Int
            let code: String
            let field: String?
            let message: String
        }
        let error: Detail
        let requestID: String

        enum CodingKeys: String, CodingKey {
            case error
            case requestID = "request_id"
        }
    }

    func jsonResponse(requestID: String) -> Response {
        let body = Body(error: .init(status: Int(status.code), code: code, field: field, message: message), requestID: requestID)
        let data = (try? JSONEncoder().encode(body)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure when served over TLS.
struct SessionCookies: Sendable {
    static let name = "cairn_session"
    let secure: Bool

    func set(_ session: StoredSession) -> Cookie {
        Cookie(
            name: Self.name, value: session.id.rawValue, maxAge: Int(AccountService.sessionLifetime), path: "/",
            secure: secure, httpOnly: true, sameSite: .lax
        )
    }

    func clear() -> Cookie {
        Cookie(name: Self.name, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }
}

/// Finds the signed-in user from the session cookie.
struct SessionAuthenticator: RouterMiddleware {
    typealias Context = CairnRequestContext
    let accounts: AccountService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let token = Self.sessionToken(in: request.headers) {
            do {
                if let user = try await accounts.user(forSession: SessionID(rawValue: token)) {
                    context.identity = user
                    context.sessionID = SessionID(rawValue: token)
                }
            } catch {
                // The session store failed: carry on as anonymous; a page that needs the
                // learner then asks them to log in, and that step reports the outage.
                context.logger.error("session lookup failed", metadata: ["error": "\(error)"])
            }
        }
        return try await next(request, context)
    }

    /// The well-formed session token of the request's cookies, found by reading the Cookie
    /// headers' bytes for `cairn_session=` (parsing every cookie, twice, cost more than
    /// looking the session up). The first session cookie counts, as in Hummingbird's parser.
    static func sessionToken(in headers: HTTPFields) -> String? {
        let name = Array((SessionCookies.name + "=").utf8)
        for header in headers[values: .cookie] {
            let bytes = Array(header.utf8)
            var start = 0
            while start < bytes.count {
                // One "name=value" pair, up to the next ';'.
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: ";") { end += 1 }
                var first = start
                while first < end, bytes[first] == UInt8(ascii: " ") || bytes[first] == UInt8(ascii: "\t") { first += 1 }
                if end - first >= name.count, bytes[first ..< first + name.count].elementsEqual(name) {
                    var last = end
                    while last > first + name.count, bytes[last - 1] == UInt8(ascii: " ") || bytes[last - 1] == UInt8(ascii: "\t") { last -= 1 }
                    let token = String(decoding: bytes[(first + name.count) ..< last], as: UTF8.self)
                    return isWellFormed(token) ? token : nil
                }
                start = end + 1
            }
        }
        return nil
    }

    /// Tokens are 64 hex digits; anything else is not looked up.
    static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 64 && token.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}
