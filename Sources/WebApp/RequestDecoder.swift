import Foundation
import Hummingbird

/// Decodes request bodies by their Content-Type: HTML forms post URL-encoded fields,
/// the API posts JSON.
struct CairnRequestDecoder: RequestDecoder {
    func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            return try await URLEncodedFormDecoder().decode(type, from: request, context: context)
        }
        if contentType.hasPrefix("application/json") || contentType.isEmpty {
            return try await JSONDecoder().decode(type, from: request, context: context)
        }
        throw HTTPError(.unsupportedMediaType, message: "Send the body as application/json or application/x-www-form-urlencoded.")
    }
}
