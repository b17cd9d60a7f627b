import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Two real `cairn serve` processes share one database (the same SQLite folder, or, in the
/// PostgreSQL run of scripts/test, the same PostgreSQL schema), and one learner's requests
/// alternate between them, as behind a load balancer with no sticky sessions.
@Suite("Two nodes, one database")
struct TwoNodeTests {
    /// A client that reports redirects instead of following them, so each request goes to
    /// the node it names.
    final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }

    static let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)

    struct Reply {
        let status: Int
        let body: String
        let headers: [String: String]
        var location: String? { headers["Location"] }
    }

    /// One learner's browser: the session cookie and whichever node each request goes to.
    struct Learner {
        var cookie: String?

        mutating func send(_ url: String, method: String = "GET", form: [String: String]? = nil, headers: [String: String] = [:]) async throws -> Reply {
            var request = URLRequest(url: URL(string: url)!)
            request.httpMethod = method
            if let form {
                request.httpBody = Data(form.map { key, value in
                    "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
                }.joined(separator: "&").utf8)
                request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            }
            if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            let (data, response) = try await TwoNodeTests.session.data(for: request)
            let http = response as! HTTPURLResponse
            var fields: [String: String] = [:]
            for (name, value) in http.allHeaderFields { fields[String(describing: name)] = String(describing: value) }
            if let set = http.value(forHTTPHeaderField: "Set-Cookie"), set.hasPrefix("cairn_session=") {
                cookie = String(set.prefix { $0 != ";" })
            }
            return Reply(status: http.statusCode, body: String(decoding: data, as: UTF8.self), headers: fields)
        }
    }

    /// The number in the first `name="position" value="N"` of an exam page.
    static func position(in html: String) -> String? {
        guard let range = html.range(of: #"name="position" value="[0-9]+""#, options: .regularExpression) else { return nil }
        return String(html[range].dropFirst(#"name="position" value=""#.count).dropLast())
    }

    /// The message numbers (SSE ids) in a stream.
    static func eventIDs(in stream: String) -> [Int] {
        stream.split(separator: "\n").compactMap { line in line.hasPrefix("id: ") ? Int(line.dropFirst(4)) : nil }
    }

    @Test("sign-up, chat, a resumed reply and an exam go on seamlessly while requests alternate between two processes")
    func alternatingNodes() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: LiveServerTests.binary.path), "build the cairn executable first (swift build)")
        let database = LiveServerTests.databaseArguments()
        let courses = ExamWebTests.examCourses
        // The first node creates the schema; the second starts on the migrated database.
        let (first, a) = try await LiveServerTests.startServer(database, courses: courses)
        defer { if first.isRunning { first.terminate() } }
        let (second, b) = try await LiveServerTests.startServer(database, courses: courses)
        defer { if second.isRunning { second.terminate() } }
        #expect(a != b)

        // Signed up on one node, signed in on the other: the session lives in the database.
        var learner = Learner()
        let signUp = try await learner.send(a + "/signup", method: "POST", form: ["name": "Nomad", "email": "nomad@example.org", "password": "a long nomad password"])
        #expect(signUp.status == 303 && learner.cookie != nil)
        let lesson = try await learner.send(b + "/courses/exam-course/lessons/intro")
        #expect(lesson.status == 200 && lesson.body.contains("id=\"chat\""))

        // A wrong answer on A, streamed; then the same reply resumed from B.
        let chat = "/courses/exam-course/lessons/intro/chat"
        let wrong = try await learner.send(a + chat, method: "POST", form: ["interaction": "intro-check", "choice": "a"], headers: ["Accept": "text/event-stream"])
        #expect(wrong.status == 200 && wrong.body.contains("event: done"))
        let sent = Self.eventIDs(in: wrong.body)
        let firstSent = try #require(sent.first, "the reply carries messages")
        let resumed = try await learner.send(b + chat + "/events", headers: ["Last-Event-ID": String(firstSent)])
        #expect(resumed.status == 200 && resumed.headers["Content-Type"]?.hasPrefix("text/event-stream") == true)
        #expect(Self.eventIDs(in: resumed.body) == Array(sent.dropFirst()), "node B resumes after the message A sent first")
        #expect(resumed.body.contains("event: summary") && resumed.body.contains("event: done"))
        let everything = try await learner.send(b + chat + "/events?after=0")
        #expect(Self.eventIDs(in: everything.body).suffix(sent.count) == ArraySlice(sent))
        let badResume = try await learner.send(b + chat + "/events", headers: ["Last-Event-ID": "yesterday"])
        #expect(badResume.status == 422 && badResume.body.contains("Last-Event-ID"))

        // The right answer on B completes the module; A's course page knows.
        let right = try await learner.send(b + chat, method: "POST", form: ["interaction": "intro-check", "choice": "b"])
        #expect(right.status == 303)
        #expect(try await learner.send(a + "/courses/exam-course").body.contains("Take the exam"))

        // The exam: started on A, each item shown by one node and answered on the other, the
        // current item the same whichever node shows it.
        let exam = "/courses/exam-course/exam"
        let start = try await learner.send(a + exam + "/start", method: "POST")
        #expect(start.status == 303)
        var answered = 0
        var resultPath: String?
        for round in 0 ..< 12 {
            let (show, answer) = round.isMultiple(of: 2) ? (b, a) : (a, b)
            let page = try await learner.send(show + exam)
            guard let position = Self.position(in: page.body) else { break }
            let again = try await learner.send(answer + exam)
            #expect(Self.position(in: again.body) == position, "the other node resumes the same item")
            let reply = try await learner.send(answer + exam + "/answer", method: "POST", form: ["position": position, "choice": "o1"])
            answered += 1
            #expect(reply.status == 303, "item \(position) answered on the other node")
            // The last answer ends the sitting and leads to the result.
            if let location = reply.location, location.hasPrefix(exam + "/results/") {
                resultPath = location
                break
            }
            #expect(reply.location == exam, "\(reply.location ?? "no Location")")
        }
        #expect(answered >= 4, "the exam gives at least its minimum of items")
        if resultPath == nil {
            let submit = try await learner.send(a + exam + "/submit", method: "POST")
            resultPath = submit.location
        }
        let result = try await learner.send(b + (resultPath ?? exam))
        #expect(result.status == 200 && result.body.contains("By skill area"), "the result shows on the other node")

        for process in [first, second] {
            process.terminate()
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(process.terminationStatus == 0)
        }
    }
}
