import Foundation
import Testing
@testable import WebApp

@Suite("Form bodies")
struct FormFieldsTests {
    /// How form bodies were read before they were decoded byte by byte: Foundation's
    /// percent-decoding, with a broken part kept as typed. The byte decoder must agree.
    static func foundationPairs(_ body: String) -> [(String, String)] {
        body.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring?) -> String {
                guard let part else { return "" }
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts.first), decode(parts.count > 1 ? parts[1] : nil))
        }
    }

    static let bodies = [
        "", "&&", "a", "a=", "=x", "a=b=c", "a=1&&b=2",
        "interaction=next-token-step-check&choice=a",
        "choice=a&choice=b&choice=c",
        "text=Hello+world%21+%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "text=%E6%97%A5%E6%9C%AC%E8%AA%9E+%F0%9F%A7%97",
        "position.first=2&position.second=1",
        "plus=%2B%2b&percent=100%25",
        "bad=%ZZ+x", "truncated=%E", "short=%4", "not-utf8=%FF%FE+x", "half-char=%E6%97",
        "mixed=%41%zz", "name%20with%20spaces=v%20a",
    ]

    @Test("bodies decode as Foundation's percent-decoding did", arguments: bodies)
    func sameAsFoundation(body: String) {
        let decoded = FormFields(body).pairs.map { ($0.name, $0.value) }
        let expected = Self.foundationPairs(body)
        #expect(decoded.count == expected.count)
        for (got, want) in zip(decoded, expected) {
            #expect(got == want, "\(body)")
        }
    }

    @Test("repeated fields keep their order; keyed fields come back by key")
    func lookups() {
        let form = FormFields("choice=b&choice=a&position.x=2&position.y=1&text=a+b")
        #expect(form.all("choice") == ["b", "a"])
        #expect(form.first("choice") == "b")
        #expect(form.keyed("position").map(\.0) == ["x", "y"])
        #expect(form.first("text") == "a b")
        #expect(form.first("missing") == nil)
    }
}
