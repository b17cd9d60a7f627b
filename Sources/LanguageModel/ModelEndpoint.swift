import Foundation

/// Where the model is and how long to wait for it. Read once at start from flags and the
/// environment; the API key is kept out of every description.
public struct ModelEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The API's base address, e.g. `http://127.0.0.1:8081/v1` or `https://api.example.com/v1`;
    /// requests go to `<baseURL>/chat/completions`.
    public let baseURL: String
    /// The model's name as the endpoint knows it.
    public let model: String
    /// Sent as `Authorization: Bearer …` when set. Never logged or shown.
    public let apiKey: String?
    /// Making the connection.
    public var connectTimeout: Duration = .seconds(5)
    /// From sending the request to the first byte of the reply's head.
    public var firstByteTimeout: Duration = .seconds(30)
    /// Between two pieces of a reply.
    public var idleTimeout: Duration = .seconds(30)
    /// The whole reply.
    public var totalTimeout: Duration = .seconds(120)
    /// Times a call is sent again after 429, 500, 502, 503 or 504.
    public var maxRetries: Int = 2
    /// The first pause before a retry; each later one doubles (with jitter).
    public var retryDelay: Duration = .milliseconds(250)
    /// The longest `Retry-After` honoured; a longer one ends the call.
    public var maxRetryAfter: Duration = .seconds(10)
    /// The largest reply accepted, in bytes.
    public var maxReplyBytes: Int = 256 * 1024

    /// Checks the address: http or https, with a host. `setting` names the flag for the message.
    public init(baseURL: String, model: String, apiKey: String?, setting: String = "--model-url / CAIRN_MODEL_URL") throws(ModelConfigError) {
        var base = baseURL.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw ModelConfigError(setting: setting, message: "'\(baseURL)' is not an http:// or https:// address with a host, e.g. http://127.0.0.1:8081/v1")
        }
        guard url.user == nil, url.password == nil else {
            throw ModelConfigError(setting: setting, message: "put the API key in CAIRN_MODEL_API_KEY, not in the address")
        }
        let name = model.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else {
            throw ModelConfigError(setting: "--model-name / CAIRN_MODEL_NAME", message: "give the model's name as the endpoint knows it, e.g. smollm2 or gpt-4o-mini")
        }
        self.baseURL = base
        self.model = name
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The address requests go to.
    public var completionsURL: String { baseURL + "/chat/completions" }

    public var description: String { "\(baseURL) (model \(model)\(apiKey == nil ? "" : ", with an API key"))" }
}

/// A model setting with a bad value: names it and says what to set.
public struct ModelConfigError: Error, Equatable, CustomStringConvertible {
    public let setting: String
    public let message: String

    public var description: String { "\(setting): \(message)" }
}
