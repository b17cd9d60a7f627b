import AppServices
import Foundation
import Logging
import Testing
@testable import LanguageModel

/// The local model server's address, when one runs.
let localModelURL = ProcessInfo.processInfo.environment["CAIRN_TEST_MODEL_URL"]

/// The client against a real OpenAI-compatible server: llama.cpp's llama-server with
/// SmolLM2-135M-Instruct, which `scripts/test` starts (scripts/local-model) and names in
/// CAIRN_TEST_MODEL_URL. The model is tiny: these tests prove the integration (streaming,
/// usage, JSON replies), not what it says.
@Suite("OpenAI-compatible client against llama.cpp's server", .enabled(if: localModelURL != nil, "set CAIRN_TEST_MODEL_URL (scripts/test starts a local model)"))
struct LocalModelTests {
    static let url = localModelURL

    static func client() throws -> OpenAICompatibleClient {
        var endpoint = try ModelEndpoint(baseURL: try #require(url), model: "smollm2", apiKey: nil)
        // One thread on a busy machine: allow for it.
        endpoint.firstByteTimeout = .seconds(120)
        endpoint.totalTimeout = .seconds(300)
        return OpenAICompatibleClient(endpoint: endpoint, logger: Logger(label: "test"))
    }

    @Test("a streamed reply arrives in pieces that make up the whole, with usage")
    func streamed() async throws {
        let client = try Self.client()
        var pieces: [String] = []
        var reply: ModelReply?
        let request = ModelRequest(messages: [ModelMessage(.user, "Name one colour of the rainbow.")], temperature: 0, maxTokens: 24)
        for try await chunk in client.stream(request) {
            switch chunk {
            case let .text(text): pieces.append(text)
            case let .finished(finished): reply = finished
            }
        }
        try await client.shutdown()
        let whole = try #require(reply)
        #expect(pieces.count > 1, "streamed in more than one piece")
        #expect(pieces.joined() == whole.text)
        #expect(!whole.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        #expect(whole.finishReason == "stop" || whole.finishReason == "length")
        let usage = try #require(whole.usage)
        #expect(usage.promptTokens > 5)
        #expect(usage.completionTokens > 0 && usage.completionTokens <= 24)
    }

    @Test("temperature 0 gives the same reply to the same request")
    func reproducible() async throws {
        let client = try Self.client()
        let request = ModelRequest(messages: [ModelMessage(.user, "Finish the sentence: The capital of France is")], temperature: 0, maxTokens: 12)
        let first = try await client.complete(request)
        let second = try await client.complete(request)
        try await client.shutdown()
        #expect(first.text == second.text)
        #expect(!first.text.isEmpty)
    }

    @Test("a JSON reply is a JSON object")
    func json() async throws {
        let client = try Self.client()
        let request = ModelRequest(messages: [
            ModelMessage(.system, "Reply with a JSON object only."),
            ModelMessage(.user, #"Give a JSON object with a key "score" whose value is a number from 0 to 2."#),
        ], temperature: 0, maxTokens: 40, json: true)
        let reply = try await client.complete(request)
        try await client.shutdown()
        let object = try JSONSerialization.jsonObject(with: Data(reply.text.utf8))
        #expect(object is [String: Any], "got \(reply.text)")
    }

    @Test("an unknown path on the real server is a clear error, not a crash")
    func wrongPath() async throws {
        var endpoint = try ModelEndpoint(baseURL: try #require(Self.url) + "/nothing-here", model: "smollm2", apiKey: nil)
        endpoint.maxRetries = 0
        let client = OpenAICompatibleClient(endpoint: endpoint, logger: Logger(label: "test"))
        let error = await #expect(throws: ModelError.self) { try await client.complete(ModelRequest(messages: [ModelMessage(.user, "hi")])) }
        try await client.shutdown()
        guard case let .status(_, status, _, _) = error else { Issue.record("expected an error status, got \(String(describing: error))"); return }
        #expect(status == 404)
    }
}
