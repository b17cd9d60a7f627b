import Crypto
import Foundation

// RDF Dataset Canonicalization (W3C RDFC-1.0, SHA-256) and canonical N-Quads. Written here
// because no Swift package this project may use implements it; checked against the W3C
// vc-di-eddsa test vectors and, in scripts/test, against pyld.

enum NQuads {
    static func line(_ quad: Quad) -> String {
        var text = term(quad.subject) + " <" + quad.predicate + "> " + term(quad.object)
        if let graph = quad.graph { text += " " + term(graph) }
        return text + " .\n"
    }

    static func term(_ term: RDFTerm) -> String {
        switch term {
        case let .iri(iri): return "<" + iri + ">"
        case let .blank(label): return "_:" + label
        case let .literal(value, datatype):
            let quoted = "\"" + escape(value) + "\""
            return datatype == RDFVocabulary.xsdString ? quoted : quoted + "^^<" + datatype + ">"
        }
    }

    /// Canonical N-Quads string escapes: `"` `\` LF CR as ECHAR, other control characters as
    /// \b \t \f or \uXXXX.
    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\u{08}": out += "\\b"
            case "\t": out += "\\t"
            case "\u{0C}": out += "\\f"
            case "\u{00}" ... "\u{1F}", "\u{7F}": out += String(format: "\\u%04X", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Issues identifiers in order (`c14n0`, `c14n1`…), remembering which it gave to what.
final class IdentifierIssuer {
    let prefix: String
    var counter = 0
    var issued: [String: String] = [:]
    var order: [String] = []

    init(prefix: String) { self.prefix = prefix }

    func copy() -> IdentifierIssuer {
        let copy = IdentifierIssuer(prefix: prefix)
        copy.counter = counter
        copy.issued = issued
        copy.order = order
        return copy
    }

    @discardableResult
    func issue(_ existing: String) -> String {
        if let id = issued[existing] { return id }
        let id = prefix + String(counter)
        counter += 1
        issued[existing] = id
        order.append(existing)
        return id
    }
}

/// RDFC-1.0 over a dataset: the canonical N-Quads document.
struct Canonicalizer {
    let quads: [Quad]
    var blankToQuads: [String: [Int]] = [:]
    let canonical = IdentifierIssuer(prefix: "c14n")
    /// Work done by the N-degree hashing, bounded so that a crafted input cannot run forever.
    var budget = 100_000

    init(_ quads: [Quad]) {
        self.quads = quads
        for (index, quad) in quads.enumerated() {
            for label in [quad.subject.blankLabel, quad.object.blankLabel, quad.graph?.blankLabel].compactMap({ $0 }) {
                if blankToQuads[label]?.last != index { blankToQuads[label, default: []].append(index) }
            }
        }
    }

    /// Limits that keep a crafted document from exhausting the server: a badge has about a
    /// hundred quads and twenty blank nodes, none of them alike.
    static let maximumQuads = 10_000
    static let maximumBlankNodes = 1_000
    /// Blank nodes related to one node by the same hash are tried in every order: 8! orders at most.
    static let maximumPermuted = 8
    static let maximumDepth = 16

    static func canonicalize(_ quads: [Quad]) throws -> String {
        let unique = Array(Set(quads))
        guard unique.count <= maximumQuads else { throw JSONLDError("the document has \(unique.count) statements; at most \(maximumQuads) are canonicalized") }
        var canonicalizer = Canonicalizer(unique)
        guard canonicalizer.blankToQuads.count <= maximumBlankNodes else {
            throw JSONLDError("the document has \(canonicalizer.blankToQuads.count) blank nodes; at most \(maximumBlankNodes) are canonicalized")
        }
        return try canonicalizer.run()
    }

    static func sha256Hex(_ text: String) -> String {
        IdentityHash.hex(Array(SHA256.hash(data: Data(text.utf8))))
    }

    static func byCodePoint(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    mutating func run() throws -> String {
        var hashToBlanks: [String: [String]] = [:]
        for label in blankToQuads.keys.sorted(by: Self.byCodePoint) {
            hashToBlanks[hashFirstDegree(label), default: []].append(label)
        }
        var shared: [(String, [String])] = []
        for hash in hashToBlanks.keys.sorted(by: Self.byCodePoint) {
            let labels = hashToBlanks[hash]!
            if labels.count == 1 { canonical.issue(labels[0]) } else { shared.append((hash, labels)) }
        }
        for (_, labels) in shared {
            var results: [(hash: String, issuer: IdentifierIssuer)] = []
            for label in labels where canonical.issued[label] == nil {
                let temporary = IdentifierIssuer(prefix: "b")
                temporary.issue(label)
                results.append(try hashNDegree(label, temporary, depth: 0))
            }
            for result in results.sorted(by: { Self.byCodePoint($0.hash, $1.hash) }) {
                for existing in result.issuer.order { canonical.issue(existing) }
            }
        }
        let lines = quads.map { quad -> String in
            var relabelled = quad
            relabelled.subject = relabel(quad.subject)
            relabelled.object = relabel(quad.object)
            relabelled.graph = quad.graph.map(relabel)
            return NQuads.line(relabelled)
        }
        return Set(lines).sorted(by: Self.byCodePoint).joined()
    }

    func relabel(_ term: RDFTerm) -> RDFTerm {
        guard case let .blank(label) = term else { return term }
        return .blank(canonical.issued[label] ?? label)
    }

    func hashFirstDegree(_ label: String) -> String {
        func replace(_ term: RDFTerm) -> RDFTerm {
            guard case let .blank(other) = term else { return term }
            return .blank(other == label ? "a" : "z")
        }
        let lines = (blankToQuads[label] ?? []).map { index -> String in
            let quad = quads[index]
            return NQuads.line(Quad(subject: replace(quad.subject), predicate: quad.predicate, object: replace(quad.object), graph: quad.graph.map(replace)))
        }
        return Self.sha256Hex(lines.sorted(by: Self.byCodePoint).joined())
    }

    func hashRelated(_ related: String, _ quad: Quad, _ issuer: IdentifierIssuer, _ position: String) -> String {
        var input = position
        if position != "g" { input += "<" + quad.predicate + ">" }
        if let id = canonical.issued[related] ?? issuer.issued[related] {
            input += "_:" + id
        } else {
            input += hashFirstDegree(related)
        }
        return Self.sha256Hex(input)
    }

    mutating func hashNDegree(_ label: String, _ issuer: IdentifierIssuer, depth: Int) throws -> (hash: String, issuer: IdentifierIssuer) {
        budget -= 1
        guard budget > 0, depth <= Self.maximumDepth else { throw JSONLDError("the credential's blank nodes are too entangled to canonicalize") }
        var issuer = issuer
        var hashToRelated: [String: [String]] = [:]
        for index in blankToQuads[label] ?? [] {
            let quad = quads[index]
            for (term, position) in [(quad.subject, "s"), (quad.object, "o"), (quad.graph, "g")] {
                guard let related = term?.blankLabel, related != label else { continue }
                hashToRelated[hashRelated(related, quad, issuer, position), default: []].append(related)
            }
        }
        var data = ""
        for relatedHash in hashToRelated.keys.sorted(by: Self.byCodePoint) {
            data += relatedHash
            var chosenPath = ""
            var chosenIssuer: IdentifierIssuer?
            let related = hashToRelated[relatedHash]!
            guard related.count <= Self.maximumPermuted else {
                throw JSONLDError("\(related.count) blank nodes look alike; at most \(Self.maximumPermuted) are told apart")
            }
            for permutation in Self.permutations(related) {
                budget -= 1
                guard budget > 0 else { throw JSONLDError("the credential's blank nodes are too entangled to canonicalize") }
                var issuerCopy = issuer.copy()
                var path = ""
                var recursion: [String] = []
                var skip = false
                for related in permutation {
                    if let id = canonical.issued[related] {
                        path += "_:" + id
                    } else {
                        if issuerCopy.issued[related] == nil { recursion.append(related) }
                        path += "_:" + issuerCopy.issue(related)
                    }
                    if !chosenPath.isEmpty, path.utf8.count >= chosenPath.utf8.count, Self.byCodePoint(chosenPath, path) { skip = true; break }
                }
                if skip { continue }
                for related in recursion {
                    let result = try hashNDegree(related, issuerCopy, depth: depth + 1)
                    path += "_:" + issuerCopy.issue(related)
                    path += "<" + result.hash + ">"
                    issuerCopy = result.issuer
                    if !chosenPath.isEmpty, path.utf8.count >= chosenPath.utf8.count, Self.byCodePoint(chosenPath, path) { skip = true; break }
                }
                if skip { continue }
                if chosenPath.isEmpty || Self.byCodePoint(path, chosenPath) {
                    chosenPath = path
                    chosenIssuer = issuerCopy
                }
            }
            data += chosenPath
            if let chosenIssuer { issuer = chosenIssuer }
        }
        return (Self.sha256Hex(data), issuer)
    }

    static func permutations(_ items: [String]) -> [[String]] {
        guard items.count > 1 else { return [items] }
        var result: [[String]] = []
        for (index, item) in items.enumerated() {
            var rest = items
            rest.remove(at: index)
            for tail in permutations(rest) { result.append([item] + tail) }
        }
        return result
    }
}
