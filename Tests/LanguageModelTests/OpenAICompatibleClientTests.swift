import AppServices
import Foundation
import Logging
import Testing
@testable import LanguageModel

@Suite("OpenAI-compatible client against a scripted server")
struct OpenAICompatibleClientTests {
    static let question = ModelRequest(messages: [ModelMessage(.system, "Be brief."), ModelMessage(.user, "Say hello.")], temperature: 0, maxTokens: 32)

    /// A client for `script` on `server`, with short waits so failures show quickly.
    static func client(_ server: ScriptedModelServer, script: String, apiKey: String? = nil,
                       configure: (inout ModelEndpoint) -> Void = { _ in }) throws -> OpenAICompatibleClient {
        var endpoint = try ModelEndpoint(baseURL: server.baseURL, model: script, apiKey: apiKey)
        endpoint.retryDelay = .milliseconds(10)
        endpoint.firstByteTimeout = .seconds(5)
        endpoint.idleTimeout = .seconds(5)
        configure(&endpoint)
        return OpenAICompatibleClient(endpoint: endpoint, logger: Logger(label: "test"))
    }

    /// Runs `body` with a fresh server and client, shutting both down afterwards.
    static func with(_ script: String, apiKey: String? = nil, configure: (inout ModelEndpoint) -> Void = { _ in },
                     _ body: (OpenAICompatibleClient, ScriptedModelServer) async throws -> Void) async throws {
        let server = try await ScriptedModelServer.start()
        let client = try client(server, script: script, apiKey: apiKey, configure: configure)
        do {
            try await body(client, server)
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        try await client.shutdown()
        await server.stop()
    }

    /// Reads a whole stream: the text pieces and the finished reply.
    static func drain(_ stream: AsyncThrowingStream<ModelChunk, any Error>) async throws -> ([String], ModelReply?) {
        var pieces: [String] = []
        var reply: ModelReply?
        for try await chunk in stream {
            switch chunk {
            case let .text(text): pieces.append(text)
            case let .finished(finished): reply = finished
            }
        }
        return (pieces, reply)
    }

    @Test("a whole reply: text, usage, finish reason, and the request as the API wants it")
    func wholeReply() async throws {
        try await Self.with("ok", apiKey: "test-only-key") { client, server in
            let reply = try await client.complete(Self.question)
            #expect(reply == ModelReply(text: "Hello, learner!", usage: ModelUsage(promptTokens: 12, completionTokens: 4), finishReason: "stop"))
            let sent = try #require(server.requests.first)
            #expect(sent.authorization == "Bearer test-only-key")
            #expect(sent.body["stream"] as? Double == 0)
            #expect(sent.body["max_tokens"] as? Double == 32)
            #expect(sent.body["temperature"] as? Double == 0)
            let messages = try #require(sent.body["messages"] as? [any Sendable])
            #expect(messages.count == 2)
            #expect((messages[1] as? [String: any Sendable])?["content"] as? String == "Say hello.")
            #expect(sent.body["response_format"] == nil)
        }
    }

    @Test("no Authorization header without a key")
    func noKey() async throws {
        try await Self.with("ok") { client, server in
            _ = try await client.complete(Self.question)
            #expect(server.requests.first?.authorization == nil)
        }
    }

    @Test("a JSON reply is asked for with response_format")
    func jsonMode() async throws {
        try await Self.with("json-object") { client, server in
            var request = Self.question
            request.json = true
            let reply = try await client.complete(request)
            #expect(reply.text == #"{"score": 2}"#)
            let format = server.requests.first?.body["response_format"] as? [String: any Sendable]
            #expect(format?["type"] as? String == "json_object")
        }
    }

    @Test("a schema is sent as response_format json_schema, strict")
    func schemaMode() async throws {
        try await Self.with("json-object") { client, server in
            var request = Self.question
            request.schema = .object([("type", .string("object")), ("required", .array([.string("score")]))])
            _ = try await client.complete(request)
            let format = try #require(server.requests.first?.body["response_format"] as? [String: any Sendable])
            #expect(format["type"] as? String == "json_schema")
            let wrapped = try #require(format["json_schema"] as? [String: any Sendable])
            #expect(wrapped["strict"] as? Double == 1)
            let schema = try #require(wrapped["schema"] as? [String: any Sendable])
            #expect(schema["type"] as? String == "object")
            #expect((schema["required"] as? [any Sendable])?.first as? String == "score")
        }
    }

    @Test("a streamed reply: every piece in order, then the whole reply with usage")
    func streamed() async throws {
        try await Self.with("ok") { client, server in
            let (pieces, reply) = try await Self.drain(client.stream(Self.question))
            #expect(pieces == ["Hello", ", ", "learner", "!"])
            #expect(reply == ModelReply(text: "Hello, learner!", usage: ModelUsage(promptTokens: 12, completionTokens: 4), finishReason: "stop"))
            #expect(server.requests.first?.body["stream"] as? Double == 1)
            let options = server.requests.first?.body["stream_options"] as? [String: any Sendable]
            #expect(options?["include_usage"] as? Double == 1)
        }
    }

    @Test("a server that ignores stream and sends one completion is read all the same")
    func wholeWhenStreamed() async throws {
        try await Self.with("whole-when-streamed") { client, _ in
            let (pieces, reply) = try await Self.drain(client.stream(Self.question))
            #expect(pieces == ["all at once"])
            #expect(reply?.usage == ModelUsage(promptTokens: 3, completionTokens: 3))
        }
    }

    @Test("429 is retried after its Retry-After; the reply says how many retries it took")
    func rateLimitedThenServed() async throws {
        try await Self.with("rate-limited-twice") { client, server in
            let reply = try await client.complete(Self.question)
            #expect(reply.text == "after the wait")
            #expect(reply.retries == 2)
            #expect(server.requests(for: "rate-limited-twice").count == 3)
        }
    }

    @Test("a Retry-After that is not a number of seconds (nan) is ignored: the client pauses as usual and retries")
    func retryAfterNonsense() async throws {
        try await Self.with("rate-limited-nan") { client, _ in
            let reply = try await client.complete(Self.question)
            #expect(reply.text == "after a pause of our own")
            #expect(reply.retries == 1)
        }
    }

    @Test("429 with a Retry-After longer than allowed ends the call at once")
    func rateLimitedTooLong() async throws {
        try await Self.with("rate-limited-long") { client, server in
            await #expect(throws: ModelError.rateLimited(endpoint: server.baseURL, attempts: 1)) { try await client.complete(Self.question) }
            #expect(server.requests.count == 1)
        }
    }

    @Test("503 is retried maxRetries times, then reported with the endpoint's message")
    func unavailable() async throws {
        try await Self.with("unavailable") { client, server in
            await #expect(throws: ModelError.status(endpoint: server.baseURL, status: 503, message: "the model is loading", attempts: 3)) {
                try await client.complete(Self.question)
            }
            #expect(server.requests.count == 3)
        }
    }

    @Test("401 is not retried and says to set the key")
    func unauthorized() async throws {
        try await Self.with("bad-key", apiKey: "test-only-wrong-key") { client, server in
            let error = await #expect(throws: ModelError.self) { try await client.complete(Self.question) }
            #expect(error == .unauthorized(endpoint: server.baseURL, status: 401))
            #expect(error?.description.contains("CAIRN_MODEL_API_KEY") == true)
            #expect(error?.description.contains("test-only-wrong-key") == false, "the key is never shown")
            #expect(server.requests.count == 1)
        }
    }

    @Test("another error status is reported with the endpoint's own message, not retried")
    func badRequest() async throws {
        try await Self.with("bad-request") { client, server in
            await #expect(throws: ModelError.status(endpoint: server.baseURL, status: 400, message: "model 'bad-request' not found", attempts: 1)) {
                try await client.complete(Self.question)
            }
        }
    }

    @Test("a body that is not a chat completion is malformed", arguments: ["html", "garbage-event"])
    func malformed(script: String) async throws {
        try await Self.with(script) { client, _ in
            let whole = await #expect(throws: ModelError.self) { try await client.complete(Self.question) }
            guard case .malformed = whole else { Issue.record("expected malformed, got \(String(describing: whole))"); return }
            let streamed = await #expect(throws: ModelError.self) { try await Self.drain(client.stream(Self.question)) }
            guard case .malformed = streamed else { Issue.record("expected malformed, got \(String(describing: streamed))"); return }
        }
    }

    @Test("an error event inside the stream ends it with the endpoint's message")
    func errorInStream() async throws {
        try await Self.with("error-in-stream") { client, _ in
            let error = await #expect(throws: ModelError.self) { try await Self.drain(client.stream(Self.question)) }
            #expect(error?.description.contains("the context is full") == true)
        }
    }

    @Test("a stream that ends before the model finished is malformed, not a short reply")
    func cutStream() async throws {
        try await Self.with("cut-stream") { client, server in
            await #expect(throws: ModelError.malformed(endpoint: server.baseURL, detail: "the stream ended before the reply was finished")) {
                try await Self.drain(client.stream(Self.question))
            }
        }
    }

    @Test("a reply that does not start in time times out")
    func slowHead() async throws {
        try await Self.with("slow-head", configure: { $0.firstByteTimeout = .milliseconds(300); $0.maxRetries = 0 }) { client, server in
            await #expect(throws: ModelError.timedOut(endpoint: server.baseURL, phase: "waiting for the reply to start", seconds: 0.3)) {
                try await client.complete(Self.question)
            }
        }
    }

    @Test("a stream that stalls times out after the idle limit, keeping what came")
    func stalled() async throws {
        // Two seconds: short beside the server's ten-second stall, long enough for the first
        // piece to arrive when the whole suite shares the machine.
        try await Self.with("stall-mid-stream", configure: { $0.idleTimeout = .seconds(2) }) { client, _ in
            var pieces: [String] = []
            let error = await #expect(throws: ModelError.self) {
                for try await chunk in client.stream(Self.question) { if case let .text(text) = chunk { pieces.append(text) } }
            }
            #expect(pieces == ["first"])
            guard case let .timedOut(_, phase, _) = error else { Issue.record("expected a time-out, got \(String(describing: error))"); return }
            #expect(phase == "waiting for the next part of the reply")
        }
    }

    @Test("a reply that never ends is stopped at the total time limit")
    func totalLimit() async throws {
        try await Self.with("dribble", configure: { $0.totalTimeout = .milliseconds(500) }) { client, server in
            await #expect(throws: ModelError.timedOut(endpoint: server.baseURL, phase: "the whole reply", seconds: 0.5)) {
                try await Self.drain(client.stream(Self.question))
            }
        }
    }

    @Test("a reply larger than the limit is cut off")
    func tooLong() async throws {
        try await Self.with("huge", configure: { $0.maxReplyBytes = 50_000 }) { client, server in
            await #expect(throws: ModelError.tooLong(endpoint: server.baseURL, bytes: 50_000)) { try await Self.drain(client.stream(Self.question)) }
        }
    }

    @Test("dropping a stream (the learner left) cancels the request at the server")
    func cancellation() async throws {
        try await Self.with("dribble") { client, server in
            let reader = Task {
                for try await chunk in client.stream(Self.question) {
                    if case .text = chunk { return }
                }
            }
            try await reader.value
            // The server notices when its next write fails: wait for that, at most 5 s.
            for _ in 0 ..< 100 where !server.sawClientLeave { try await Task.sleep(for: .milliseconds(50)) }
            #expect(server.sawClientLeave)
        }
    }

    @Test("a client dropped without shutdown() closes itself (the HTTP client would stop a debug build otherwise)")
    func droppedClient() async throws {
        try await Self.with("ok") { _, server in
            do {
                let dropped = try Self.client(server, script: "ok")
                _ = try await dropped.complete(Self.question)
            }
            // The shutdown it started finishes in the background; the process carries on.
            try await Task.sleep(for: .milliseconds(200))
            #expect(server.requests(for: "ok").count == 1)
        }
    }

    @Test("an endpoint nobody listens on is unreachable")
    func unreachable() async throws {
        // A port that was free a moment ago: the scripted server, stopped.
        let server = try await ScriptedModelServer.start()
        await server.stop()
        let client = try Self.client(server, script: "ok", configure: { $0.connectTimeout = .seconds(1) })
        let error = await #expect(throws: ModelError.self) { try await client.complete(Self.question) }
        try await client.shutdown()
        guard case let .unreachable(endpoint, _) = error else { Issue.record("expected unreachable, got \(String(describing: error))"); return }
        #expect(endpoint == server.baseURL)
        #expect(error?.description.contains("--model-url") == true)
    }
}

@Suite("Model endpoint settings")
struct ModelEndpointTests {
    @Test("bad addresses are refused with the setting named", arguments: [
        ("ftp://example.org/v1", "not an http:// or https:// address"),
        ("127.0.0.1:8081/v1", "not an http:// or https:// address"),
        ("http://user:secret@example.org/v1", "CAIRN_MODEL_API_KEY"),
    ])
    func badAddress(url: String, expected: String) {
        #expect {
            try ModelEndpoint(baseURL: url, model: "m", apiKey: nil)
        } throws: { error in
            let error = error as? ModelConfigError
            // The refusal names the setting and never repeats a password given in the address.
            return error?.setting == "--model-url / CAIRN_MODEL_URL" && error?.message.contains(expected) == true
                && error?.message.contains("secret") == false
        }
    }

    @Test("a trailing slash is dropped; the key is never in the description")
    func description() throws {
        let endpoint = try ModelEndpoint(baseURL: "https://models.example.org/v1/", model: "tutor", apiKey: "test-only-key")
        #expect(endpoint.completionsURL == "https://models.example.org/v1/chat/completions")
        #expect(!endpoint.description.contains("test-only-key"))
        #expect(endpoint.description.contains("with an API key"))
    }

    @Test("an empty model name is refused, naming its own setting")
    func emptyName() {
        #expect(throws: ModelConfigError(setting: "--model-name / CAIRN_MODEL_NAME",
                                         message: "give the model's name as the endpoint knows it, e.g. smollm2 or gpt-4o-mini")) {
            try ModelEndpoint(baseURL: "http://127.0.0.1:1/v1", model: " ", apiKey: nil)
        }
    }
}
