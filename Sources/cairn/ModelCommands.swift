import AppServices
import ArgumentParser
import Foundation
import LanguageModel
import Logging
import WebApp

struct Model: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Work with the language model behind the tutor.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tell whether the configured model endpoint answers, and how fast.",
            discussion: "Streams one short reply and reports the time to the first token and to the whole reply, with the tokens used. Exits 1, saying why, when the endpoint is down, slow, refuses the key or answers with something that is not a chat completion."
        )

        @OptionGroup var model: ModelOptions

        func run() async throws {
            let endpoint: ModelEndpoint
            do {
                guard let configured = try model.endpoint(environment: ProcessInfo.processInfo.environment) else {
                    fail("no model is configured: give --model-url and --model-name (or CAIRN_MODEL_URL and CAIRN_MODEL_NAME); scripts/local-model starts one on this machine")
                }
                endpoint = configured
            } catch let error as ConfigError {
                fail(error.description)
            }
            print("Model endpoint: \(endpoint)")
            let client = OpenAICompatibleClient(endpoint: endpoint, logger: Logger(label: "cairn"))
            let request = ModelRequest(messages: [
                ModelMessage(.system, "You are a health check. Answer with one word."),
                ModelMessage(.user, "Reply with the word: ready"),
            ], temperature: 0, maxTokens: 16)
            let clock = ContinuousClock()
            let start = clock.now
            var firstToken: Duration?
            var outcome: Result<ModelReply, any Error> = .failure(ModelError.malformed(endpoint: endpoint.baseURL, detail: "the stream ended with no reply"))
            do {
                for try await chunk in client.stream(request) {
                    switch chunk {
                    case .text: if firstToken == nil { firstToken = clock.now - start }
                    case let .finished(reply): outcome = .success(reply)
                    }
                }
            } catch {
                outcome = .failure(error)
            }
            let total = clock.now - start
            try? await client.shutdown()
            switch outcome {
            case let .success(reply):
                print("  answers: yes")
                print("  first token after: \(firstToken.map(Self.milliseconds) ?? "no text came")")
                print("  whole reply after: \(Self.milliseconds(total))")
                if let usage = reply.usage {
                    print("  tokens: \(usage.promptTokens) in, \(usage.completionTokens) out")
                } else {
                    print("  tokens: not reported by the endpoint")
                }
                if reply.retries > 0 { print("  retries: \(reply.retries)") }
                print("  reply: \"\(reply.text.trimmingCharacters(in: .whitespacesAndNewlines))\"")
            case let .failure(error):
                print("  answers: no")
                fail("\(error)")
            }
        }

        static func milliseconds(_ duration: Duration) -> String {
            "\(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000) ms"
        }
    }
}
