import AppServices
import Foundation

/// The Chat Completions API's JSON, as much of it as Cairn sends and reads.
enum ChatCompletionsWire {
    struct Request: Encodable {
        struct Message: Encodable {
            let role: String
            let content: String
        }

        struct StreamOptions: Encodable {
            let includeUsage: Bool
            enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
        }

        struct ResponseFormat: Encodable {
            struct Schema: Encodable {
                let name: String
                let schema: SchemaValue
                let strict: Bool
            }
            let type: String
            let jsonSchema: Schema?
            enum CodingKeys: String, CodingKey {
                case type
                case jsonSchema = "json_schema"
            }
        }

        let model: String
        let messages: [Message]
        let temperature: Double
        let maxTokens: Int
        let stream: Bool
        let streamOptions: StreamOptions?
        let responseFormat: ResponseFormat?

        enum CodingKeys: String, CodingKey {
            case model, messages, temperature, stream
            case maxTokens = "max_tokens"
            case streamOptions = "stream_options"
            case responseFormat = "response_format"
        }

        init(model: String, request: ModelRequest, stream: Bool) {
            self.model = model
            messages = request.messages.map { Message(role: $0.role.rawValue, content: $0.content) }
            temperature = request.temperature
            maxTokens = request.maxTokens
            self.stream = stream
            // Usage arrives in a last chunk only when asked for.
            streamOptions = stream ? StreamOptions(includeUsage: true) : nil
            if let schema = request.schema {
                responseFormat = ResponseFormat(type: "json_schema", jsonSchema: .init(name: "reply", schema: schema, strict: true))
            } else {
                responseFormat = request.json ? ResponseFormat(type: "json_object", jsonSchema: nil) : nil
            }
        }
    }

    struct Usage: Decodable {
        let promptTokens: Int?
        let completionTokens: Int?
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
        }

        var modelUsage: ModelUsage? {
            guard promptTokens != nil || completionTokens != nil else { return nil }
            return ModelUsage(promptTokens: promptTokens ?? 0, completionTokens: completionTokens ?? 0)
        }
    }

    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            let message: String?
        }
        let error: Detail?
    }

    /// A whole reply (`stream: false`).
    struct Completion: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable {
                let content: String?
            }
            let message: Message
            let finishReason: String?
            enum CodingKeys: String, CodingKey {
                case message
                case finishReason = "finish_reason"
            }
        }
        let choices: [Choice]
        let usage: Usage?
    }

    /// One piece of a streamed reply.
    struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable {
                let content: String?
            }
            let delta: Delta?
            let finishReason: String?
            enum CodingKeys: String, CodingKey {
                case delta
                case finishReason = "finish_reason"
            }
        }
        let choices: [Choice]?
        let usage: Usage?
        let error: ErrorBody.Detail?
    }

    /// The endpoint's own error message from an error body, shortened, if it has one.
    static func errorMessage(in body: [UInt8]) -> String {
        let message = (try? JSONDecoder().decode(ErrorBody.self, from: Data(body)))?.error?.message
            ?? String(decoding: body.prefix(300), as: UTF8.self)
        let line = message.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }
}
