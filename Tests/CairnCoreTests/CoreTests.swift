import CairnCore
import Foundation
import Testing

@Suite("Core values")
struct CoreTests {
    @Test("e-mail addresses are trimmed and lower-cased", arguments: [
        (" Ada@Example.ORG ", "ada@example.org"),
        ("x.y+tag@sub.example.co.uk", "x.y+tag@sub.example.co.uk"),
        ("\tada@example.org\n", "ada@example.org"),
        ("ÉLODIE@Example.fr", "élodie@example.fr"),
        ("ada@EXAMPLE.org", "ada@example.org"),
    ])
    func validAddresses(input: String, expected: String) {
        #expect(EmailAddress(input)?.value == expected)
    }

    @Test("implausible addresses are refused", arguments: ["", "ada", "ada@", "@example.org", "ada@example", "a b@example.org", "a@b@example.org", "ada@.example.org", "ada@example.org."])
    func invalidAddresses(input: String) {
        #expect(EmailAddress(input) == nil)
    }

    @Test("roles are ordered by power")
    func roleOrder() {
        #expect(Role.learner < Role.author)
        #expect(Role.author < Role.orgAdmin)
        #expect(Role.orgAdmin < Role.platformAdmin)
        #expect(Role(rawValue: "org_admin") == .orgAdmin)
    }

    @Test("typed ids encode as plain strings and random ones differ")
    func ids() throws {
        let id = UserID(rawValue: "u-1")
        let data = try JSONEncoder().encode([id])
        #expect(String(decoding: data, as: UTF8.self) == #"["u-1"]"#)
        #expect(try JSONDecoder().decode([UserID].self, from: data) == [id])
        #expect(UserID.random() != UserID.random())
    }
}
