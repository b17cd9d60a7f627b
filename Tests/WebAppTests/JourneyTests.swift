import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import WebApp

@Suite("Web app, in process")
struct JourneyTests {
    @Test("sign up, log out, log in, open the catalogue and the course, and learn a lesson in the chat")
    func learnerJourney() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = Browser(client: client)

            let home = try await browser.get("/")
            #expect(home.status == .ok)
            #expect(home.text.contains("Sample Course"))

            let form = try await browser.get("/signup")
            #expect(form.status == .ok)
            #expect(form.text.contains("name=\"password\""))

            let signUp = try await browser.postForm("/signup", ["name": "Ada Lovelace", "email": "ada@example.org", "password": "correct horse battery", "next": "/courses"])
            #expect(signUp.status == .seeOther)
            #expect(signUp.headers[.location] == "/courses")
            let setCookie = try #require(signUp.headers[values: .setCookie].first { $0.hasPrefix("cairn_session=") })
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Lax"))
            #expect(!setCookie.contains("Secure"), "Secure only when served over TLS")
            #expect(browser.cookie != nil)

            try await browser.send("/logout", .post, body: nil)
            #expect(browser.cookie == nil)
            let lockedOut = try await browser.get("/courses/sample-course/lessons/first-lesson")
            #expect(lockedOut.status == .found)
            #expect(lockedOut.headers[.location] == "/login?next=/courses/sample-course/lessons/first-lesson")

            let wrongPassword = try await browser.postForm("/login", ["email": "ada@example.org", "password": "not the password"])
            #expect(wrongPassword.status == .unauthorized)
            #expect(wrongPassword.text.contains("do not match an account"))
            #expect(wrongPassword.text.contains("value=\"ada@example.org\""), "the address is kept in the form")

            let logIn = try await browser.postForm("/login", ["email": "ADA@example.org", "password": "correct horse battery", "next": "/courses/sample-course/lessons/first-lesson"])
            #expect(logIn.status == .seeOther)
            #expect(logIn.headers[.location] == "/courses/sample-course/lessons/first-lesson")

            let catalogue = try await browser.get("/courses")
            #expect(catalogue.status == .ok)
            #expect(catalogue.text.contains("Ada Lovelace"))
            #expect(catalogue.text.contains("href=\"/courses/sample-course\""))

            let coursePage = try await browser.get("/courses/sample-course")
            #expect(coursePage.status == .ok)
            #expect(coursePage.text.contains("The first lesson"))
            #expect(coursePage.text.contains("coming soon"), "a planned module is shown as coming soon")
            #expect(coursePage.text.contains("Start this course"))

            let enrol = try await browser.send("/courses/sample-course/enrol", .post, body: nil)
            #expect(enrol.headers[.location] == "/courses/sample-course/lessons/first-lesson")

            let chat = "/courses/sample-course/lessons/first-lesson/chat"
            let lesson = try await browser.get("/courses/sample-course/lessons/first-lesson")
            #expect(lesson.status == .ok)
            #expect(lesson.text.contains("Let&#39;s work through") || lesson.text.contains("Let's work through"), "the tutor welcomes the learner")
            #expect(lesson.text.contains("<strong>Markdown</strong>"), "the first step is rendered from Markdown")
            #expect(!lesson.text.contains("Which option is right?"), "the check comes after its section, not at once")

            // Continue: the next section and its check, as a widget with a button per option.
            #expect(try await browser.postForm(chat, ["action": "continue"]).status == .seeOther)
            var page = try await browser.get("/courses/sample-course/lessons/first-lesson")
            #expect(page.text.contains("Which option is right?"))
            #expect(page.text.contains("name=\"choice\" value=\"b\""), "options are buttons inside the chat")
            #expect(!page.text.contains("B is right because"), "explanations stay hidden until the tutor grades an attempt")
            #expect(!page.text.contains("That one is the distractor"), "option feedback stays hidden")

            // Moving on before trying is refused politely.
            _ = try await browser.postForm(chat, ["action": "continue"])
            page = try await browser.get("/courses/sample-course/lessons/first-lesson")
            #expect(page.text.contains("Have a go at the task above first"))

            // A wrong answer gets the misconception-specific reply, and the key stays hidden.
            _ = try await browser.postForm(chat, ["interaction": "first-check", "choice": "a"])
            page = try await browser.get("/courses/sample-course/lessons/first-lesson")
            #expect(page.text.contains("That one is the distractor."))
            #expect(page.text.contains("Not yet."))
            #expect(!page.text.contains("B is right because"))

            // A hint, then the right answer with "why this works".
            _ = try await browser.postForm(chat, ["action": "hint", "interaction": "first-check"])
            page = try await browser.get("/courses/sample-course/lessons/first-lesson")
            #expect(page.text.contains("Hint 1 of 3"))
            #expect(page.text.contains("Think about it."))
            _ = try await browser.postForm(chat, ["interaction": "first-check", "choice": "b"])
            page = try await browser.get("/courses/sample-course/lessons/first-lesson")
            #expect(page.text.contains("Why this works"))
            #expect(page.text.contains("B is right because the fixture says so."))
            #expect(page.text.contains("1 of 1 tasks passed"))

            // The closing text, then the end of the lesson with the next step.
            _ = try await browser.postForm(chat, ["action": "continue"])
            _ = try await browser.postForm(chat, ["action": "continue"])
            page = try await browser.get("/courses/sample-course/lessons/first-lesson")
            #expect(page.text.contains("Some closing text."))
            #expect(page.text.contains("You&#39;ve finished The first lesson") || page.text.contains("You've finished The first lesson"))
            #expect(page.text.contains("second-lesson"), "the next step links onward")

            let after = try await browser.get("/courses/sample-course")
            #expect(after.text.contains("You have completed 1 of 2 lessons"))
            #expect(after.text.contains("Your mastery"))
            #expect(after.text.contains("aria-label=\"Basics: "), "mastery is listed per skill")

            let progress = try await browser.get("/api/v1/courses/sample-course/progress")
            #expect(progress.status == .ok)
            #expect(progress.text.contains("\"completed\":1"))
        }
    }

    @Test("signing up twice with one address is refused, and the first account still works")
    func duplicateSignUp() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = Browser(client: client)
            try await browser.postForm("/signup", ["name": "First", "email": "dup@example.org", "password": "first password 1"])
            var other = Browser(client: client)
            let second = try await other.postForm("/signup", ["name": "Second", "email": "dup@example.org", "password": "second password 2"])
            #expect(second.status == .conflict)
            #expect(second.text.contains("already exists"))
            #expect(other.cookie == nil)
            let login = try await other.postForm("/login", ["email": "dup@example.org", "password": "first password 1"])
            #expect(login.status == .seeOther)
        }
    }

    @Test("a weak password or a bad address is explained on the form", arguments: [
        (["name": "A", "email": "a@example.org", "password": "short"], "at least 10 characters"),
        (["name": "A", "email": "not-an-address", "password": "long enough password"], "is not an e-mail address"),
        (["name": "", "email": "b@example.org", "password": "long enough password"], "Enter your name"),
    ])
    func signUpValidation(fields: [String: String], message: String) async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = Browser(client: client)
            let response = try await browser.postForm("/signup", fields)
            #expect(response.status == .unprocessableContent)
            #expect(response.text.contains(message))
            #expect(browser.cookie == nil)
        }
    }

    @Test("the JSON API: sign up, log in, me, courses, enrol")
    func jsonAPI() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var api = Browser(client: client)
            let created = try await api.postJSON("/api/v1/accounts", #"{"email":"api@example.org","password":"a long password","name":"Api User"}"#)
            #expect(created.status == .created)
            #expect(created.text.contains("\"role\":\"learner\""))
            #expect(!created.text.contains("password"))

            let anonymous = try await api.get("/api/v1/me")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.text.contains("\"code\":\"not_signed_in\""))

            let session = try await api.postJSON("/api/v1/sessions", #"{"email":"api@example.org","password":"a long password"}"#)
            #expect(session.status == .ok)
            let me = try await api.get("/api/v1/me")
            #expect(me.text.contains("api@example.org"))

            let courses = try await api.get("/api/v1/courses")
            #expect(courses.text.contains("\"id\":\"sample-course\""))
            let course = try await api.get("/api/v1/courses/sample-course")
            #expect(course.text.contains("\"credential\""))

            let enrolled = try await api.postJSON("/api/v1/courses/sample-course/enrolment", "")
            #expect(enrolled.status == .created)
            let list = try await api.get("/api/v1/me/enrolments")
            #expect(list.text.contains("\"course\":\"sample-course\""))

            let missing = try await api.postJSON("/api/v1/courses/no-such-course/enrolment", "")
            #expect(missing.status == .notFound)

            try await api.send("/api/v1/sessions/current", .delete, body: nil)
            #expect(try await api.get("/api/v1/me").status == .unauthorized)
        }
    }
}

@Suite("Bad input")
struct BadInputTests {
    @Test("malformed JSON, a missing field and a wrong type name the field", arguments: [
        (#"{"email": "x@example.org", "password": "#, "body", "not valid JSON"),
        (#"{"email": "x@example.org", "password": "long enough pw"}"#, "name", "required"),
        (#"{"email": 42, "password": "long enough pw", "name": "X"}"#, "email", "Expected text"),
        ("", "body", "no body"),
    ])
    func malformedJSON(body: String, field: String, message: String) async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var api = Browser(client: client)
            let response = try await api.postJSON("/api/v1/accounts", body)
            #expect(response.status == .unprocessableContent)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(response.text.contains("\"field\":\"\(field)\""), "\(response.text)")
            #expect(response.text.contains(message))
            #expect(response.text.contains("\"request_id\""))
            // Nothing was stored: the address is still free.
            let retry = try await api.postJSON("/api/v1/accounts", #"{"email":"x@example.org","password":"long enough pw","name":"X"}"#)
            #expect(retry.status == .created)
        }
    }

    @Test("an oversized body is refused with 413")
    func oversizedBody() async throws {
        var config = Fixtures.config()
        config.maxBodyBytes = 2048
        let app = try await buildApplication(config: config)
        try await app.test(.router) { client in
            var api = Browser(client: client)
            let huge = #"{"email":"big@example.org","password":"long enough pw","name":""# + String(repeating: "x", count: 10_000) + #""}"#
            let response = try await api.postJSON("/api/v1/accounts", huge)
            #expect(response.status == .contentTooLarge)
            #expect(response.text.contains("\"code\":\"body_too_large\""))
            let form = try await api.postForm("/signup", ["name": String(repeating: "y", count: 5000), "email": "big@example.org", "password": "long enough pw"])
            #expect(form.status == .contentTooLarge)
            #expect(form.headers[.contentType]?.hasPrefix("text/html") == true)
        }
    }

    @Test("unknown routes: HTML for pages, JSON for the API")
    func unknownRoutes() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = Browser(client: client)
            let page = try await browser.get("/no/such/page")
            #expect(page.status == .notFound)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("Page not found"))
            let api = try await browser.get("/api/v1/nothing-here")
            #expect(api.status == .notFound)
            #expect(api.text.contains("\"code\":\"not_found\""))
            let course = try await browser.get("/courses/no-such-course")
            #expect(course.status == .notFound)
            #expect(course.text.contains("no-such-course"))
            // Error pages carry the same security headers as every page.
            #expect(page.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            #expect(api.headers[.xContentTypeOptions] == "nosniff")
        }
    }

    @Test("a wrong method is refused")
    func wrongMethod() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/courses", method: .delete)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "GET")
            #expect(String(buffer: response.body).contains("\"code\":\"method_not_allowed\""))
            let page = try await client.execute(uri: "/signup", method: .put)
            #expect(page.status == .methodNotAllowed)
            #expect(page.headers[.allow] == "GET, POST")
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let parameterised = try await client.execute(uri: "/courses/sample-course/enrol", method: .get)
            #expect(parameterised.status == .methodNotAllowed)
            #expect(parameterised.headers[.allow] == "POST")
        }
    }

    @Test("a form posted after the session ended leads to log-in, not to a GET of the form's address")
    func expiredSessionPost() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/courses/sample-course/enrol", method: .post)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/login")
            let page = try await client.execute(uri: "/courses/sample-course/lessons/first-lesson?step=2", method: .get)
            #expect(page.headers[.location] == "/login?next=/courses/sample-course/lessons/first-lesson%3Fstep%3D2")
        }
    }

    @Test("a password longer than bcrypt reads (72 bytes) is refused, not cut")
    func longPassword() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var api = Browser(client: client)
            let password = String(repeating: "p", count: 73)
            let response = try await api.postJSON("/api/v1/accounts", #"{"email":"long@example.org","password":"\#(password)","name":"L"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(response.text.contains("\"field\":\"password\""))
        }
    }

    @Test("a forged or malformed session cookie is ignored")
    func forgedCookie() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            for cookie in ["cairn_session=" + String(repeating: "a", count: 64), "cairn_session=../../etc", "cairn_session="] {
                let response = try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: cookie])
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("a redirect after log-in never leaves the site")
    func openRedirect() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            var browser = Browser(client: client)
            let response = try await browser.postForm("/signup", ["name": "R", "email": "r@example.org", "password": "long enough pw", "next": "//evil.example/"])
            #expect(response.headers[.location] == "/courses")
            // Browsers drop tabs and newlines, turning "/\t/evil" into "//evil"; and no schemes or hosts.
            for next in ["/\t/evil.example", "/\n/evil.example", "/\\evil.example", "https://evil.example/", "/ok?x=1"] {
                let page = try await browser.get("/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
                #expect(page.headers[.location] == (next == "/ok?x=1" ? "/ok?x=1" : "/courses"), "next=\(next.debugDescription)")
            }
        }
    }
}

@Suite("Operations")
struct OperationsTests {
    @Test("healthz, readyz, metrics, security headers and request ids")
    func operations() async throws {
        let app = try await buildApplication(config: Fixtures.config())
        try await app.test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(String(buffer: ready.body).contains("\"database\":\"ok\""))
            #expect(String(buffer: ready.body).contains("\"courses\":1"))
            _ = try await client.execute(uri: "/courses", method: .get)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            let text = String(buffer: metrics.body)
            #expect(text.contains("hb_requests"), "\(text.prefix(500))")
            #expect(text.contains("http_server_request_duration"))
            #expect(health.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            #expect(health.headers[.xContentTypeOptions] == "nosniff")
            #expect(health.headers[HTTPField.Name("X-Request-ID")!]?.isEmpty == false)
        }
    }

    @Test("Secure cookies when served over TLS")
    func secureCookie() async throws {
        var config = Fixtures.config()
        config.publicURL = "https://learn.example.org"
        let app = try await buildApplication(config: config)
        try await app.test(.router) { client in
            var browser = Browser(client: client)
            let response = try await browser.postForm("/signup", ["name": "S", "email": "s@example.org", "password": "long enough pw"])
            let cookie = try #require(response.headers[values: .setCookie].first)
            #expect(cookie.contains("Secure"))
        }
    }

    @Test("the server refuses to start on invalid content and prints the validator's report")
    func invalidContent() async throws {
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-broken-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: broken.appendingPathComponent("bad-course"), withIntermediateDirectories: true)
        try "id: bad-course\ntitle: [unclosed\n".write(to: broken.appendingPathComponent("bad-course/course.yaml"), atomically: true, encoding: .utf8)
        await #expect {
            _ = try await buildApplication(config: Fixtures.config(courses: broken.path))
        } throws: { error in
            guard case let StartupError.invalidContent(report) = error else { return false }
            return report.contains("bad-course/course.yaml:") && report.contains("error: bad YAML")
        }
    }
}
