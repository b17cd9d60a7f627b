import Foundation

// What the tutor needs from a language model. The LanguageModel module implements it over
// any OpenAI-compatible Chat Completions endpoint; without a configured model there is
// none, and the built-in tutor answers alone.

/// One message of a model conversation.
public struct ModelMessage: Sendable, Equatable {
    public enum Role: String, Sendable { case system, user, assistant }

    public var role: Role
    public var content: String

    public init(_ role: Role, _ content: String) {
        self.role = role
        self.content = content
    }
}

/// A request for one reply.
public struct ModelRequest: Sendable, Equatable {
    public var messages: [ModelMessage]
    /// 0 makes a reply reproducible for the same request (as far as the server allows).
    public var temperature: Double
    /// The longest reply wanted, in tokens.
    public var maxTokens: Int
    /// Ask for a JSON object as the reply (`response_format: json_object`).
    public var json: Bool
    /// Ask for a reply that follows this JSON Schema (`response_format: json_schema`, which
    /// servers such as llama.cpp, vLLM and Ollama enforce while the reply is written).
    public var schema: SchemaValue?

    public init(messages: [ModelMessage], temperature: Double = 0.2, maxTokens: Int = 512, json: Bool = false, schema: SchemaValue? = nil) {
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.json = json || schema != nil
        self.schema = schema
    }
}

/// A JSON value, for writing a JSON Schema into a request.
public indirect enum SchemaValue: Sendable, Equatable, Encodable {
    case string(String)
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case array([SchemaValue])
    /// Members in the order given.
    case object([(String, SchemaValue)])

    public static func == (lhs: SchemaValue, rhs: SchemaValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.integer(a), .integer(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: false
        }
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case let .string(text): var c = encoder.singleValueContainer(); try c.encode(text)
        case let .number(value): var c = encoder.singleValueContainer(); try c.encode(value)
        case let .integer(value): var c = encoder.singleValueContainer(); try c.encode(value)
        case let .bool(flag): var c = encoder.singleValueContainer(); try c.encode(flag)
        case let .array(values): var c = encoder.unkeyedContainer(); for value in values { try c.encode(value) }
        case let .object(members):
            var c = encoder.container(keyedBy: Key.self)
            for (name, value) in members { try c.encode(value, forKey: Key(stringValue: name)) }
        }
    }
}

/// Tokens a call used, as the endpoint reported them.
public struct ModelUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    public var totalTokens: Int { promptTokens + completionTokens }
}

/// A whole reply.
public struct ModelReply: Sendable, Equatable {
    public var text: String
    /// Nil when the endpoint did not report usage.
    public var usage: ModelUsage?
    /// Why the model stopped: "stop", "length" (cut at `maxTokens`), …
    public var finishReason: String?
    /// How many times the call was sent again after a refusal (429, 5xx).
    public var retries: Int

    public init(text: String, usage: ModelUsage?, finishReason: String?, retries: Int = 0) {
        self.text = text
        self.usage = usage
        self.finishReason = finishReason
        self.retries = retries
    }
}

/// A piece of a streamed reply: text as it comes, then the whole reply once.
public enum ModelChunk: Sendable, Equatable {
    case text(String)
    case finished(ModelReply)
}

/// A chat model: whole replies, or replies streamed as they are written. Cancelling the
/// task that reads a stream (the learner left) stops the call.
public protocol ChatModel: Sendable {
    /// Where the model is and which one, for logs and reports (never the API key).
    var displayName: String { get }
    func complete(_ request: ModelRequest) async throws -> ModelReply
    func stream(_ request: ModelRequest) -> AsyncThrowingStream<ModelChunk, any Error>
}

/// Why a model call failed, in words an operator can act on. The API key never appears.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// No connection could be made.
    case unreachable(endpoint: String, detail: String)
    /// The endpoint took longer than allowed; `phase` says for what.
    case timedOut(endpoint: String, phase: String, seconds: Double)
    /// Still refused with 429 after the retries.
    case rateLimited(endpoint: String, attempts: Int)
    /// 401 or 403: the key is missing or wrong.
    case unauthorized(endpoint: String, status: Int)
    /// Another error status; `message` is the endpoint's own, shortened.
    case status(endpoint: String, status: Int, message: String, attempts: Int)
    /// The reply is not what the Chat Completions API sends.
    case malformed(endpoint: String, detail: String)
    /// The reply grew past the limit.
    case tooLong(endpoint: String, bytes: Int)

    public var description: String {
        switch self {
        case let .unreachable(endpoint, detail):
            "the model endpoint \(endpoint) cannot be reached (\(detail)); check --model-url and that the model server is running"
        case let .timedOut(endpoint, phase, seconds):
            "the model endpoint \(endpoint) did not answer within \(Self.format(seconds)) s (\(phase)); the server may be overloaded, or the model too large for it"
        case let .rateLimited(endpoint, attempts):
            "the model endpoint \(endpoint) refused \(attempts) times with 429 (too many requests); wait, or raise the endpoint's rate limit"
        case let .unauthorized(endpoint, status):
            "the model endpoint \(endpoint) refused the request with \(status); set CAIRN_MODEL_API_KEY to a key it accepts"
        case let .status(endpoint, status, message, attempts):
            "the model endpoint \(endpoint) answered \(status)\(attempts > 1 ? " \(attempts) times" : "")\(message.isEmpty ? "" : ": \(message)"); check --model-name and the server's log"
        case let .malformed(endpoint, detail):
            "the model endpoint \(endpoint) sent a reply that is not an OpenAI-compatible chat completion (\(detail)); check that --model-url ends in /v1"
        case let .tooLong(endpoint, bytes):
            "the model endpoint \(endpoint) sent more than \(bytes) bytes for one reply; it was cut off"
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}
