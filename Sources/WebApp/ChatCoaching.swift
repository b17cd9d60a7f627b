import AppServices
import CairnCore
import Curriculum
import Tutoring
import Logging
import Metrics

/// Runs one model turn after a graded answer (the coaching, or a written prompt run in the
/// practice space) and stores the reply. A model that fails
/// (down, slow, rate-limited, or about to give the answer away) is logged and leaves the
/// built-in feedback standing: the learner loses nothing, and nothing half-written is stored.
enum ChatCoaching {
    static let calls = "cairn_model_calls_total"
    static let tokens = "cairn_model_tokens_total"

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// Runs the turns one after another without streaming them (a form post without
    /// JavaScript, the JSON API); the replies stored, in order.
    static func runAll(_ turns: [ModelTutor.Turn], learning: LearningService, user: UserID, logger: Logger) async -> [LearningService.Entry] {
        var stored: [LearningService.Entry] = []
        for turn in turns {
            if let entry = await run(turn, learning: learning, user: user, logger: logger, onText: { _ in }) { stored.append(entry) }
        }
        return stored
    }

    /// The stored reply, or nil when the model failed.
    static func run(_ turn: ModelTutor.Turn, learning: LearningService, user: UserID, logger: Logger,
                    onText: @escaping @Sendable (String) async throws -> Void) async -> LearningService.Entry? {
        let started = ContinuousClock.now
        do {
            let reply = try await turn.run(onText: onText)
            let entry = try await learning.storeModelReply(reply, of: turn, for: user)
            Counter(label: calls, dimensions: [("outcome", "ok")]).increment()
            if let usage = reply.usage {
                Counter(label: tokens, dimensions: [("kind", "prompt")]).increment(by: usage.promptTokens)
                Counter(label: tokens, dimensions: [("kind", "completion")]).increment(by: usage.completionTokens)
            }
            logger.info("model reply", metadata: [
                "kind": "\(turn.kind.rawValue)", "interaction": "\(turn.interaction?.rawValue ?? "question")", "ms": "\(Self.milliseconds(ContinuousClock.now - started))",
                "prompt_tokens": "\(reply.usage?.promptTokens ?? -1)", "completion_tokens": "\(reply.usage?.completionTokens ?? -1)",
                "retries": "\(reply.retries)",
            ])
            return entry
        } catch is CancellationError {
            Counter(label: calls, dimensions: [("outcome", "cancelled")]).increment()
            return nil
        } catch {
            let outcome = (error as? ModelTutorError).map { if case .gaveAway = $0 { "stopped" } else { "failed" } } ?? "failed"
            Counter(label: calls, dimensions: [("outcome", outcome)]).increment()
            logger.warning("model reply not used; the built-in feedback stands", metadata: [
                "kind": "\(turn.kind.rawValue)", "interaction": "\(turn.interaction?.rawValue ?? "question")", "error": "\(error)",
            ])
            return nil
        }
    }
}
