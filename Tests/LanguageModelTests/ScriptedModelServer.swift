import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A real HTTP server on 127.0.0.1 that speaks the Chat Completions API the way each test
/// needs: the request's `model` names the script (`ok`, `rate-limited-twice`, `slow-head`,
/// …). It records every request it gets, so tests can check what was sent and how often.
/// The real model server (llama.cpp) is used by `LocalModelTests`; this one makes the
/// failures a real server rarely shows on demand.
final class ScriptedModelServer: Sendable {
    struct Received: Sendable {
        let model: String
        let body: [String: any Sendable]
        let authorization: String?
    }

    private let received = Mutex<[Received]>([])
    private let clientLeft = Mutex(false)
    private let task = Mutex<Task<Void, any Error>?>(nil)
    private let listening = Mutex(0)

    /// The port it listens on.
    var port: Int { listening.withLock { $0 } }

    /// Every request so far.
    var requests: [Received] { received.withLock { $0 } }
    func requests(for model: String) -> [Received] { requests.filter { $0.model == model } }
    /// Whether a streamed reply's client went away before the reply ended.
    var sawClientLeave: Bool { clientLeft.withLock { $0 } }

    /// The base address to give the client, e.g. http://127.0.0.1:PORT/v1.
    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    static func start() async throws -> ScriptedModelServer {
        let server = ScriptedModelServer()
        let router = Router()
        router.post("/v1/chat/completions") { request, _ in
            try await server.respond(to: request)
        }
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "scripted-model-server")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "scripted-model"),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        server.task.withLock { $0 = Task { try await app.run() } }
        for await port in stream {
            server.listening.withLock { $0 = port }
            break
        }
        return server
    }

    func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        _ = await running?.result
    }

    private func respond(to request: Request) async throws -> Response {
        let bytes = try await request.body.collect(upTo: 1 << 20)
        let body = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        let model = body["model"] as? String ?? ""
        let calls = received.withLock { list in
            list.append(Received(model: model, body: body.mapValues { Self.sendable($0) }, authorization: request.headers[.authorization]))
            return list.filter { $0.model == model }.count
        }
        let stream = body["stream"] as? Bool ?? false
        switch model {
        case "ok":
            return stream ? sse(["Hello", ", ", "learner", "!"], usage: (12, 4)) : json(Self.completion("Hello, learner!", usage: (12, 4)))
        case "json-object":
            return json(Self.completion(#"{"score": 2}"#, usage: nil))
        case "rate-limited-twice":
            if calls <= 2 { return error(429, "slow down", headers: [.retryAfter: "0"]) }
            return json(Self.completion("after the wait", usage: nil))
        case "rate-limited-nan":
            if calls <= 1 { return error(429, "slow down", headers: [.retryAfter: "nan"]) }
            return json(Self.completion("after a pause of our own", usage: nil))
        case "rate-limited-long":
            return error(429, "come back in a minute", headers: [.retryAfter: "60"])
        case "unavailable":
            return error(503, "the model is loading")
        case "bad-key":
            return error(401, "invalid api key")
        case "bad-request":
            return error(400, "model 'bad-request' not found")
        case "html":
            return Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html>a proxy's page</html>")))
        case "slow-head":
            try await Task.sleep(for: .seconds(3))
            return json(Self.completion("too late", usage: nil))
        case "stall-mid-stream":
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: Self.event(Self.chunk("first"))))
                try await Task.sleep(for: .seconds(10))
                try await writer.finish(nil)
            })
        case "dribble":
            // A piece every 100 ms, for ever (until the client goes away).
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { [self] writer in
                do {
                    for _ in 0 ..< 600 {
                        try await writer.write(ByteBuffer(string: Self.event(Self.chunk("word "))))
                        try await Task.sleep(for: .milliseconds(100))
                    }
                } catch {
                    clientLeft.withLock { $0 = true }
                    throw error
                }
                try await writer.finish(nil)
            })
        case "error-in-stream":
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(byteBuffer: ByteBuffer(string:
                Self.event(Self.chunk("Hel")) + Self.event(#"{"error":{"message":"the context is full"}}"#))))
        case "cut-stream":
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(byteBuffer: ByteBuffer(string:
                Self.event(Self.chunk("Hel")) + Self.event(Self.chunk("lo")))))
        case "garbage-event":
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(byteBuffer: ByteBuffer(string:
                Self.event("this is not json"))))
        case "huge":
            let piece = String(repeating: "x", count: 10_000)
            return sse(Array(repeating: piece, count: 40), usage: nil)
        case "whole-when-streamed":
            // Ignores `stream` and sends one completion.
            return json(Self.completion("all at once", usage: (3, 3)))
        default:
            return error(404, "no script named '\(model)'")
        }
    }

    // MARK: replies

    private func json(_ object: [String: Any]) -> Response {
        let data = try! JSONSerialization.data(withJSONObject: object)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func error(_ status: Int, _ message: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let data = try! JSONSerialization.data(withJSONObject: ["error": ["message": message, "type": "error"]])
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The pieces as a text/event-stream, each in a write of its own, with usage and [DONE].
    private func sse(_ pieces: [String], usage: (Int, Int)?) -> Response {
        Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
            for (index, piece) in pieces.enumerated() {
                let finish = index == pieces.count - 1 ? "stop" : nil
                try await writer.write(ByteBuffer(string: Self.event(Self.chunk(piece, finish: finish))))
            }
            if let usage {
                let last = try! JSONSerialization.data(withJSONObject: [
                    "choices": [] as [Any], "usage": ["prompt_tokens": usage.0, "completion_tokens": usage.1, "total_tokens": usage.0 + usage.1],
                ])
                try await writer.write(ByteBuffer(string: Self.event(String(decoding: last, as: UTF8.self))))
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\r\n\r\n"))
            try await writer.finish(nil)
        })
    }

    static func completion(_ text: String, usage: (Int, Int)?) -> [String: Any] {
        var object: [String: Any] = [
            "id": "scripted", "object": "chat.completion",
            "choices": [["index": 0, "message": ["role": "assistant", "content": text], "finish_reason": "stop"]],
        ]
        if let usage { object["usage"] = ["prompt_tokens": usage.0, "completion_tokens": usage.1, "total_tokens": usage.0 + usage.1] }
        return object
    }

    static func chunk(_ text: String, finish: String? = nil) -> String {
        let object: [String: Any] = [
            "object": "chat.completion.chunk",
            "choices": [["index": 0, "delta": ["content": text], "finish_reason": finish.map { $0 as Any } ?? NSNull()]],
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    static func event(_ data: String) -> String { "data: \(data)\n\n" }

    private static func sendable(_ value: Any) -> any Sendable {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.doubleValue
        case let array as [Any]: array.map { sendable($0) }
        case let object as [String: Any]: object.mapValues { sendable($0) }
        default: String(describing: value)
        }
    }
}

extension HTTPField.Name {
    static let retryAfter = Self("Retry-After")!
}
