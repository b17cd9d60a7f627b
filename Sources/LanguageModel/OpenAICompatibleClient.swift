import AppServices
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A chat model behind any OpenAI-compatible Chat Completions endpoint: a hosted API,
/// Ollama, vLLM or llama.cpp's server.
///
/// Every call has bounded waits (connecting, the reply's start, each pause inside it, the
/// whole reply) and a bounded size; 429 and 500/502/503/504 replies are sent again a few
/// times with a growing pause (honouring a short `Retry-After`), before any of the reply
/// has been passed on; a refused connection is tried again by the HTTP client until the
/// connect time-out. Cancelling the calling task (or
/// dropping a stream) cancels the HTTP request.
public final class OpenAICompatibleClient: ChatModel {
    public let endpoint: ModelEndpoint
    private let http: HTTPClient
    private let logger: Logger

    public init(endpoint: ModelEndpoint, logger: Logger) {
        self.endpoint = endpoint
        self.logger = logger
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(Self.nanoseconds(endpoint.connectTimeout)),
                           read: .nanoseconds(Self.nanoseconds(endpoint.idleTimeout)))
        )
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Closes the client's connections; call once, when the node stops.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    // A client dropped without `shutdown()` (an application built by a test and never run)
    // still closes its connections: the HTTP client stays alive until that is done.
    deinit {
        http.shutdown { _ in }
    }

    public var displayName: String { endpoint.description }

    // MARK: whole replies

    public func complete(_ request: ModelRequest) async throws -> ModelReply {
        try await withTimeLimit(endpoint.totalTimeout, phase: "the whole reply") { [self] in
            let (response, retries) = try await send(request, stream: false)
            let body = try await collect(response.body, limit: endpoint.maxReplyBytes)
            let completion: ChatCompletionsWire.Completion
            do {
                completion = try JSONDecoder().decode(ChatCompletionsWire.Completion.self, from: Data(body))
            } catch {
                throw ModelError.malformed(endpoint: endpoint.baseURL, detail: "the body is not a chat completion: \(Self.shortDescription(of: error))")
            }
            guard let choice = completion.choices.first else {
                throw ModelError.malformed(endpoint: endpoint.baseURL, detail: "the reply has no choices")
            }
            return ModelReply(text: choice.message.content ?? "", usage: completion.usage?.modelUsage,
                              finishReason: choice.finishReason, retries: retries)
        }
    }

    // MARK: streamed replies

    public func stream(_ request: ModelRequest) -> AsyncThrowingStream<ModelChunk, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task { [self] in
                do {
                    let reply = try await withTimeLimit(endpoint.totalTimeout, phase: "the whole reply") { [self] in
                        try await streamReply(request) { continuation.yield(.text($0)) }
                    }
                    continuation.yield(.finished(reply))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func streamReply(_ request: ModelRequest, onText: @Sendable (String) -> Void) async throws -> ModelReply {
        let (response, retries) = try await send(request, stream: true)
        // A server that ignores `stream` sends one whole completion: pass it on as one piece.
        if response.headers.first(name: "content-type")?.lowercased().hasPrefix("application/json") == true {
            let body = try await collect(response.body, limit: endpoint.maxReplyBytes)
            guard let completion = try? JSONDecoder().decode(ChatCompletionsWire.Completion.self, from: Data(body)),
                  let choice = completion.choices.first else {
                throw ModelError.malformed(endpoint: endpoint.baseURL, detail: "a JSON body that is not a chat completion")
            }
            let text = choice.message.content ?? ""
            if !text.isEmpty { onText(text) }
            return ModelReply(text: text, usage: completion.usage?.modelUsage, finishReason: choice.finishReason, retries: retries)
        }
        var parser = ServerSentEventParser()
        var text = ""
        var usage: ModelUsage?
        var finishReason: String?
        var received = 0
        var done = false
        do {
            reading: for try await buffer in response.body {
                received += buffer.readableBytes
                guard received <= endpoint.maxReplyBytes else { throw ModelError.tooLong(endpoint: endpoint.baseURL, bytes: endpoint.maxReplyBytes) }
                for event in parser.feed(buffer.readableBytesView) {
                    if event == "[DONE]" {
                        done = true
                        break reading
                    }
                    let chunk: ChatCompletionsWire.Chunk
                    do {
                        chunk = try JSONDecoder().decode(ChatCompletionsWire.Chunk.self, from: Data(event.utf8))
                    } catch {
                        throw ModelError.malformed(endpoint: endpoint.baseURL, detail: "a streamed event is not a chat completion chunk: \(Self.shortDescription(of: error))")
                    }
                    if let error = chunk.error {
                        throw ModelError.status(endpoint: endpoint.baseURL, status: 200, message: "error inside the stream: \(error.message ?? "no message")", attempts: 1)
                    }
                    if let reported = chunk.usage?.modelUsage { usage = reported }
                    for choice in chunk.choices ?? [] {
                        if let piece = choice.delta?.content, !piece.isEmpty {
                            text += piece
                            onText(piece)
                        }
                        if let reason = choice.finishReason { finishReason = reason }
                    }
                }
            }
        } catch let error as ModelError {
            throw error
        } catch {
            if Self.isCancellation(error) { throw CancellationError() }
            throw transportError(error, started: true)
        }
        // The end of the body without [DONE]: accepted once the model said why it stopped.
        if !done, finishReason == nil {
            throw ModelError.malformed(endpoint: endpoint.baseURL, detail: "the stream ended before the reply was finished")
        }
        return ModelReply(text: text, usage: usage, finishReason: finishReason, retries: retries)
    }

    // MARK: sending, with retries

    /// Sends the request until it gets a 2xx head, retrying what may pass on a second try.
    private func send(_ request: ModelRequest, stream: Bool) async throws -> (HTTPClientResponse, retries: Int) {
        let body = try JSONEncoder().encode(ChatCompletionsWire.Request(model: endpoint.model, request: request, stream: stream))
        var http = HTTPClientRequest(url: endpoint.completionsURL)
        http.method = .POST
        http.headers.add(name: "Content-Type", value: "application/json")
        http.headers.add(name: "Accept", value: stream ? "text/event-stream" : "application/json")
        if let key = endpoint.apiKey { http.headers.add(name: "Authorization", value: "Bearer \(key)") }
        http.body = .bytes(ByteBuffer(bytes: body))

        var attempt = 0
        var refusedByRateLimit = 0
        while true {
            attempt += 1
            let canRetry = attempt <= endpoint.maxRetries
            let response: HTTPClientResponse
            do {
                response = try await self.http.execute(http, timeout: .nanoseconds(Self.nanoseconds(endpoint.firstByteTimeout)))
            } catch {
                // A refused connection is not sent again here: the HTTP client itself keeps
                // trying to connect until the connect time-out.
                if Self.isCancellation(error) { throw CancellationError() }
                throw transportError(error, started: false)
            }
            let status = Int(response.status.code)
            if (200 ..< 300).contains(status) { return (response, attempt - 1) }
            let message = ChatCompletionsWire.errorMessage(in: (try? await collect(response.body, limit: 16 * 1024)) ?? [])
            switch status {
            case 401, 403:
                throw ModelError.unauthorized(endpoint: endpoint.baseURL, status: status)
            case 429:
                refusedByRateLimit += 1
                // Seconds only (an HTTP date, or nonsense such as "nan" or "-1", counts as absent).
                let retryAfter = response.headers.first(name: "retry-after").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                    .flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
                if let retryAfter, retryAfter > Self.seconds(endpoint.maxRetryAfter) {
                    throw ModelError.rateLimited(endpoint: endpoint.baseURL, attempts: refusedByRateLimit)
                }
                guard canRetry else { throw ModelError.rateLimited(endpoint: endpoint.baseURL, attempts: refusedByRateLimit) }
                try await pause(before: attempt + 1, retryAfter: retryAfter, reason: "429 \(message)")
            case 500, 502, 503, 504:
                guard canRetry else { throw ModelError.status(endpoint: endpoint.baseURL, status: status, message: message, attempts: attempt) }
                try await pause(before: attempt + 1, retryAfter: nil, reason: "\(status) \(message)")
            default:
                throw ModelError.status(endpoint: endpoint.baseURL, status: status, message: message, attempts: attempt)
            }
        }
    }

    /// Waits before the next attempt: the `Retry-After` given, or a pause that doubles with
    /// each attempt, with jitter so that callers refused together do not return together.
    private func pause(before attempt: Int, retryAfter: Double?, reason: String) async throws {
        let base = Self.seconds(endpoint.retryDelay) * pow(2, Double(attempt - 2))
        let seconds = retryAfter ?? base * Double.random(in: 0.5 ... 1.0)
        logger.notice("model call retried", metadata: [
            "endpoint": "\(endpoint.baseURL)", "attempt": "\(attempt)", "after_ms": "\(Int(seconds * 1000))", "reason": "\(reason.prefix(200))",
        ])
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
    }

    // MARK: helpers

    private func collect(_ body: HTTPClientResponse.Body, limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await buffer in body {
                guard bytes.count + buffer.readableBytes <= limit else { throw ModelError.tooLong(endpoint: endpoint.baseURL, bytes: limit) }
                bytes += buffer.readableBytesView
            }
        } catch let error as ModelError {
            throw error
        } catch {
            if Self.isCancellation(error) { throw CancellationError() }
            throw transportError(error, started: true)
        }
        return bytes
    }

    /// Runs `body`, ending it with `ModelError.timedOut` when it takes longer than `limit`.
    private func withTimeLimit<T: Sendable>(_ limit: Duration, phase: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw ModelError.timedOut(endpoint: endpoint.baseURL, phase: phase, seconds: Self.seconds(limit))
            }
            return value
        }
    }

    private func transportError(_ error: any Error, started: Bool) -> ModelError {
        if let error = error as? ModelError { return error }
        if let error = error as? HTTPClientError {
            if error == .readTimeout {
                return .timedOut(endpoint: endpoint.baseURL, phase: started ? "waiting for the next part of the reply" : "waiting for the reply",
                                 seconds: Self.seconds(endpoint.idleTimeout))
            }
            if error == .deadlineExceeded {
                return .timedOut(endpoint: endpoint.baseURL, phase: "waiting for the reply to start", seconds: Self.seconds(endpoint.firstByteTimeout))
            }
            if error == .connectTimeout {
                return .unreachable(endpoint: endpoint.baseURL, detail: "no connection within \(Self.seconds(endpoint.connectTimeout)) s")
            }
            if started, error == .remoteConnectionClosed {
                return .malformed(endpoint: endpoint.baseURL, detail: "the connection closed in the middle of the reply")
            }
        }
        let text = String(describing: error)
        if started { return .malformed(endpoint: endpoint.baseURL, detail: "the reply broke off: \(text.prefix(160))") }
        if text.localizedCaseInsensitiveContains("refused") { return .unreachable(endpoint: endpoint.baseURL, detail: "connection refused") }
        return .unreachable(endpoint: endpoint.baseURL, detail: String(text.prefix(160)))
    }

    private static func isCancellation(_ error: any Error) -> Bool {
        error is CancellationError || (error as? HTTPClientError) == .cancelled
    }

    private static func shortDescription(of error: any Error) -> String {
        if case let DecodingError.keyNotFound(key, _) = error { return "no \"\(key.stringValue)\"" }
        if case let DecodingError.typeMismatch(_, context) = error { return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))" }
        if case DecodingError.dataCorrupted = error { return "not JSON" }
        return String(String(describing: error).prefix(120))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
