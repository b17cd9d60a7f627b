@testable import CairnCore
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

    @Test("random identifiers are version 4 UUIDs in lower case, read back by Foundation, and do not repeat")
    func randomIdentifiers() throws {
        var seen = Set<String>()
        for _ in 0 ..< 10_000 {
            let id = UserID.random().rawValue
            let uuid = try #require(UUID(uuidString: id), "\(id) is a UUID")
            #expect(uuid.uuidString.lowercased() == id)
            let bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 4, "version 4")
            #expect(bytes[8] >> 6 == 0b10, "RFC 4122 variant")
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
        // Every bit lands where it belongs.
        #expect(RandomUUID.string(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210) == "01234567-89ab-4def-bedc-ba9876543210")
        #expect(RandomUUID.string(high: 0, low: 0) == "00000000-0000-4000-8000-000000000000")
        #expect(RandomUUID.string(high: .max, low: .max) == "ffffffff-ffff-4fff-bfff-ffffffffffff")
    }

    @Test("time-ordered identifiers are version 7 UUIDs that sort by their time")
    func timeOrderedIdentifiers() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000.123)
        var previous = ""
        for step in 0 ..< 1_000 {
            let id = RandomUUID.timeOrdered(at: start + Double(step) / 1_000)
            let uuid = try #require(UUID(uuidString: id))
            #expect(uuid.uuidString.lowercased() == id)
            let bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 7, "version 7")
            #expect(bytes[8] >> 6 == 0b10, "RFC 4122 variant")
            let milliseconds = bytes[0 ..< 6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(milliseconds == UInt64(1_800_000_000_123 + step))
            #expect(id > previous, "a later id sorts after an earlier one")
            previous = id
        }
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
