/// What a use case reports to the person using Cairn. Each message is safe to show and
/// says what to do; the web layer maps the case to an HTTP status.
public enum AppError: Error, Equatable, CustomStringConvertible {
    /// A field of a request is missing or wrong.
    case invalidField(field: String, message: String)
    case emailTaken
    case invalidCredentials
    case notSignedIn
    case forbidden(String)
    case notFound(String)
    case conflict(String)

    public var description: String {
        switch self {
        case let .invalidField(field, message): "\(field): \(message)"
        case .emailTaken: "An account with this e-mail address already exists. Log in instead, or use another address."
        case .invalidCredentials: "That e-mail address and password do not match an account. Check both and try again."
        case .notSignedIn: "Please log in to continue."
        case let .forbidden(what): "You do not have access to \(what)."
        case let .notFound(what): "\(what) was not found."
        case let .conflict(what): what
        }
    }
}
