import HTTPTypes
import Testing
@testable import WebApp

@Suite("Session cookie")
struct SessionCookieTests {
    static let token = String(repeating: "0123456789abcdef", count: 4)

    static func headers(_ values: [String]) -> HTTPFields {
        var fields = HTTPFields()
        for value in values { fields.append(HTTPField(name: .cookie, value: value)) }
        return fields
    }

    @Test("the session token is found among other cookies, in any header, with or without spaces")
    func found() {
        for values in [
            ["cairn_session=\(Self.token)"],
            ["theme=dark; cairn_session=\(Self.token); lang=en"],
            ["theme=dark;cairn_session=\(Self.token)"],
            ["theme=dark", "cairn_session=\(Self.token) "],
            ["xcairn_session=ffff; cairn_session=\(Self.token)"],
            ["cairn_session=\(Self.token); cairn_session=\(String(repeating: "f", count: 64))"],
        ] {
            #expect(SessionAuthenticator.sessionToken(in: Self.headers(values)) == Self.token, "\(values)")
        }
    }

    @Test("no cookie, another name, or a token of the wrong form is no session")
    func notFound() {
        for values in [
            [], [""], ["theme=dark"], ["xcairn_session=\(Self.token)"], ["cairn_session="], ["cairn_session"],
            ["cairn_session=\(Self.token.uppercased())"], ["cairn_session=\(Self.token)0"], ["cairn_session=\"\(Self.token)\""],
            ["cairn_session=\(String(Self.token.dropLast()))g"], ["cairn_session=ab cd"],
        ] {
            #expect(SessionAuthenticator.sessionToken(in: Self.headers(values)) == nil, "\(values)")
        }
    }
}
