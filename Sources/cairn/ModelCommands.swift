import AppServices
import CairnCore
import Curriculum
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

struct GradingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grading", abstract: "Check how Cairn's scoring agrees with people.", subcommands: [AgreementCommand.self]
    )

    struct AgreementCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "agreement",
            abstract: "Score a course's human-scored anchor sets and report agreement with the people's scores.",
            discussion: """
                Per rubric: quadratic weighted kappa, exact and adjacent agreement and standardized mean \
                difference against the human scores, for the rubric checks alone and, with a model \
                configured, with the model judging the criteria no check decides. A rubric whose model \
                judge falls below QWK 0.70 is not used for exam scoring: the report names those, whose \
                items need human scoring.
                """
        )

        @Argument(help: "The course id, e.g. ai-foundations.")
        var course: String

        @Option(help: "Only the anchor set of this task or item.")
        var interaction: String?

        @OptionGroup var courses: CourseOptions
        @OptionGroup var model: ModelOptions

        func run() async throws {
            let course: Course
            let endpoint: ModelEndpoint?
            do {
                course = try courses.course(self.course)
                endpoint = try model.endpoint(environment: ProcessInfo.processInfo.environment)
            } catch let error as ConfigError {
                fail(error.description)
            } catch {
                fail("\(error)")
            }
            if let interaction, course.anchors[InteractionID(rawValue: interaction)] == nil {
                fail("\(course.id.rawValue) has no anchor set for '\(interaction)' (anchor sets: \(course.anchors.keys.map(\.rawValue).sorted().joined(separator: ", ")))")
            }
            let client = endpoint.map { OpenAICompatibleClient(endpoint: $0, logger: Logger(label: "cairn")) }
            let report: AgreementReport
            do {
                report = try await AgreementReport.run(
                    course: course, judge: client.map { RubricJudge(model: $0) }, only: interaction.map(InteractionID.init(rawValue:))
                ) { line in FileHandle.standardError.write(Data("scoring \(line)\n".utf8)) }
            } catch {
                try? await client?.shutdown()
                fail("\(error)")
            }
            try? await client?.shutdown()
            print(report.text, terminator: "")
        }
    }
}
