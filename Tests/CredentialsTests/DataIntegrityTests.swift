import Crypto
import Foundation
import Testing
@testable import Credentials

/// The eddsa-rdfc-2022 cryptosuite against the W3C vc-di-eddsa test vectors
/// (Tests/Fixtures/vc-di-eddsa/SOURCE.md), and RDFC-1.0 on blank-node puzzles.
@Suite("Data Integrity proofs (eddsa-rdfc-2022)")
struct DataIntegrityTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/vc-di-eddsa")
    static let publicMultibase = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    static let privateMultibase = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
    static let combinedHash = "4c4d3890a157f8d611b13c265c2c22f39aa0a567c7c7dd9ba3e45cd579784eeb517744132ae165a5349155bef0bb0cf2258fff99dfe1dbd914b938d775a36017"

    static func signed() throws -> Data { try Data(contentsOf: folder.appendingPathComponent("alumni-signed.json")) }

    @Test("the vector's key pair: the private key's public half is the published Multikey")
    func keyPair() throws {
        let key = try #require(Multikey.privateKey(Self.privateMultibase))
        #expect(Multikey.encode(key.publicKey) == Self.publicMultibase)
        #expect(Multikey.encodePrivate(key) == Self.privateMultibase)
        #expect(Base58.decode(Base58.encode([0, 0, 1, 2, 255])) == [0, 0, 1, 2, 255])
        #expect(Base58.decode("0OIl") == nil, "characters outside the alphabet are refused")
    }

    @Test("canonical proof options, the two hashes and the signature are the vector's")
    func vector() throws {
        guard case let .object(document) = try JSON(data: Self.signed()), let proofJSON = document["proof"] else { Issue.record("no proof"); return }
        let proof = try JSONDecoder().decode(DataIntegrityProof.self, from: JSONEncoder().encode(proofJSON))
        var options = try JSON(data: JSONEncoder().encode(proof)).object ?? [:]
        options["proofValue"] = nil
        options["@context"] = document["@context"]
        let expected = try String(contentsOf: Self.folder.appendingPathComponent("alumni-proof-canonical.nq"), encoding: .utf8)
        #expect(try EddsaRdfc2022.canonicalForm(.object(options)) == expected)
        let hash = try EddsaRdfc2022.hashData(document: document, options: options).data
        #expect(hash.map { String(format: "%02x", $0) }.joined() == Self.combinedHash)
        let key = try #require(Multikey.publicKey(Self.publicMultibase))
        let (_, valid) = try EddsaRdfc2022.verify(try Self.signed(), key: key)
        #expect(valid, "the vector's proof verifies")
        // Ed25519 is deterministic: signing the same options again gives the vector's proof value.
        let privateKey = try #require(Multikey.privateKey(Self.privateMultibase))
        let signature = try privateKey.signature(for: Data(hash))
        #expect("z" + Base58.encode(Array(signature)) == proof.proofValue)
    }

    @Test("changing any value of the vector breaks its proof")
    func tampered() throws {
        let text = try String(decoding: Self.signed(), as: UTF8.self)
        let key = try #require(Multikey.publicKey(Self.publicMultibase))
        for (old, new) in [("The School of Examples", "The School of Forgeries"), ("2023-01-01T00:00:00Z", "2022-01-01T00:00:00Z"),
                           ("did:example:abcdefgh", "did:example:someone-else"), ("\"AlumniCredential\"", "\"DoctorateCredential\"")] {
            let (_, valid) = try EddsaRdfc2022.verify(Data(text.replacingOccurrences(of: old, with: new).utf8), key: key)
            #expect(!valid, "changing \(old)")
        }
        let reordered = try JSON(data: Self.signed())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted]
        #expect(try EddsaRdfc2022.verify(try encoder.encode(reordered), key: key).valid, "key order and spacing are not part of what is signed")
    }

    @Test("the bundled contexts are the published documents (Tests/Fixtures/jsonld-contexts)")
    func bundledContexts() throws {
        let contexts = Self.folder.deletingLastPathComponent().appendingPathComponent("jsonld-contexts")
        for (url, file) in [("https://www.w3.org/ns/credentials/v2", "credentials-v2.jsonld"),
                            ("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", "ob-context-3.0.3.json")] {
            let published = try JSON(data: Data(contentsOf: contexts.appendingPathComponent(file)))
            let bundled = try JSON(data: Data(try #require(BundledContexts.documents[url]).utf8))
            #expect(bundled == published, "\(url)")
        }
    }

    @Test("a signed Open Badge verifies; a property or type no context defines fails the check even when signed")
    func definedTerms() async throws {
        let key = DataIntegrityKey.generate(name: "ed25519-1")
        let document = DIDDocument(identity: Sample.identity, keys: [], multikeys: [(key.name, key.publicMultikey)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let signed = try key.sign(try encoder.encode(Sample.credential()), identity: Sample.identity, created: Sample.validFrom)
        let report = await CredentialVerifier().verify(dataIntegrity: signed, keys: StaticKeys(document: document), status: nil, at: Sample.validFrom.addingTimeInterval(60))
        let passed = report.checks.filter { $0.name != "status" }.allSatisfy(\.passed)
        #expect(passed, "\(report.checks)")
        let name = Sample.credential().name
        #expect(report.credential?.name == name)

        var extended = try JSON(data: encoder.encode(Sample.credential())).object ?? [:]
        extended["favouriteColour"] = .string("green")
        extended["credentialSchema"] = .array([.object(["id": .string("https://example.org/schema.json"), "type": .string("HomeMadeValidator")])])
        let undefined = try key.sign(try encoder.encode(JSON.object(extended)), identity: Sample.identity, created: Sample.validFrom)
        let flagged = await CredentialVerifier().verify(dataIntegrity: undefined, keys: StaticKeys(document: document), status: nil, at: Sample.validFrom.addingTimeInterval(60))
        #expect(flagged.checks.first { $0.name == "signature" }?.passed == true, "the signature holds")
        #expect(flagged.checks.first { $0.name == "schema" } == VerificationCheck("schema", false, "properties no context defines: HomeMadeValidator, favouriteColour"))
        // A term the contexts do not define is not signed: changing it leaves the signature intact, which is why it must fail.
        let changed = String(decoding: undefined, as: UTF8.self).replacingOccurrences(of: "green", with: "red")
        let stillSigned = await CredentialVerifier().verify(dataIntegrity: Data(changed.utf8), keys: StaticKeys(document: document), status: nil, at: Sample.validFrom)
        #expect(stillSigned.checks.first { $0.name == "signature" }?.passed == true && !stillSigned.isValid)
    }

    /// A Cairn-shaped credential signed with a fresh key, and a verifier for it.
    static func signedSample() throws -> (json: [String: JSON], keys: StaticKeys, key: DataIntegrityKey) {
        let key = DataIntegrityKey.generate(name: "ed25519-1")
        let document = DIDDocument(identity: Sample.identity, keys: [], multikeys: [(key.name, key.publicMultikey)])
        let signed = try key.sign(Sample.credential().jsonData, identity: Sample.identity, created: Sample.validFrom)
        return (try JSON(data: signed).object ?? [:], StaticKeys(document: document), key)
    }

    static func verify(_ document: [String: JSON], _ keys: StaticKeys) async throws -> VerificationReport {
        await CredentialVerifier().verify(dataIntegrity: try JSONEncoder().encode(JSON.object(document)), keys: keys, status: nil, at: Sample.validFrom.addingTimeInterval(60))
    }

    @Test("forgeries that keep the signed RDF but change what the JSON says are refused")
    func forgeries() async throws {
        let (signed, keys, _) = try Self.signedSample()
        #expect(try await Self.verify(signed, keys).checks.first { $0.name == "signature" }?.passed == true)
        var unsecured = signed
        unsecured["proof"] = nil

        // 1. The signed credential inside @set, with other claims beside it.
        var wrapped: [String: JSON] = ["@context": signed["@context"]!, "@set": .object(unsecured), "proof": signed["proof"]!]
        wrapped["name"] = .string("Doctor of Everything")
        wrapped["id"] = signed["id"]
        let setReport = try await Self.verify(wrapped, keys)
        #expect(!setReport.isValid && setReport.checks.first?.name == "format", "\(setReport.checks)")
        #expect(throws: JSONLDError.self) { try EddsaRdfc2022.canonicalForm(.object(wrapped)) }

        // 2. The status entry moved under its full IRI: the same RDF, but no `credentialStatus` to check.
        var renamed = signed
        renamed["https://www.w3.org/2018/credentials#credentialStatus"] = renamed.removeValue(forKey: "credentialStatus")
        let renamedReport = try await Self.verify(renamed, keys)
        #expect(!renamedReport.isValid && renamedReport.checks.first?.detail.contains("not as IRIs") == true, "\(renamedReport.checks)")

        // 3. An extra context, an embedded context, a keyword.
        var extraContext = signed
        extraContext["@context"] = .array(AchievementCredential.contexts.map(JSON.string) + [.object(["x": .string("https://e/x")])])
        #expect(try await Self.verify(extraContext, keys).checks.first?.passed == false)

        // 4. A node with a relative id has no RDF, so nothing about it would be signed.
        var relative = signed
        var subject = relative["credentialSubject"]!.object!
        subject["id"] = .string("someone-else")
        relative["credentialSubject"] = .object(subject)
        let relativeReport = try await Self.verify(relative, keys)
        #expect(relativeReport.checks.first?.detail == "credentialSubject.id: 'someone-else' is not an absolute IRI", "\(relativeReport.checks)")

        // 5. A member added to the proof is signed too: adding one afterwards breaks it.
        var proof = signed["proof"]!.object!
        proof["expires"] = .string("2099-01-01T00:00:00Z")
        var extended = signed
        extended["proof"] = .object(proof)
        #expect(try await Self.verify(extended, keys).checks.first { $0.name == "signature" }?.passed == false)
    }

    @Test("IRIs that could smuggle N-Quads syntax, huge numbers, look-alike blank nodes and keyword tricks are handled")
    func hostileDocuments() throws {
        let examples = JSON.string("https://www.w3.org/ns/credentials/examples/v2")
        // Two different documents that would print the same N-Quads if IRIs were not checked.
        let smuggled = JSON.object(["@context": examples, "@id": .string("urn:x"), "https://e/p> \"1\" .\n<urn:x> <https://e/q": .string("2")])
        #expect(throws: JSONLDError.self) { try EddsaRdfc2022.canonicalForm(smuggled) }
        // A whole number beyond Int's range is written out, not trapped on.
        let huge = try EddsaRdfc2022.canonicalForm(.object(["@context": examples, "@id": .string("urn:x"), "size": .double(1e19)]))
        #expect(huge.contains("\"10000000000000000000\"^^<http://www.w3.org/2001/XMLSchema#integer>"))
        // Two identical blank nodes with twelve identical children each: refused, not 12! orderings.
        let children = JSON.array(Array(repeating: .object(["label": .string("same")]), count: 12))
        let alike = JSON.object(["@context": examples, "@graph": .array([
            .object(["@id": .string("urn:a"), "has": .array([.object(["kids": children]), .object(["kids": children])])]),
        ])])
        #expect(throws: JSONLDError.self) { try EddsaRdfc2022.canonicalForm(alike) }
        // An explicit datatype is kept: "5" typed as an integer is not the string "5".
        let typed = try EddsaRdfc2022.canonicalForm(.object(["@context": examples, "@id": .string("urn:x"),
                                                              "n": .object(["@value": .string("5"), "@type": .string("http://www.w3.org/2001/XMLSchema#integer")])]))
        let plain = try EddsaRdfc2022.canonicalForm(.object(["@context": examples, "@id": .string("urn:x"), "n": .string("5")]))
        #expect(typed != plain && typed.contains("^^<http://www.w3.org/2001/XMLSchema#integer>"))
        // A value object with anything beside @value and @type is refused.
        #expect(throws: JSONLDError.self) {
            try EddsaRdfc2022.canonicalForm(.object(["@context": examples, "@id": .string("urn:x"), "n": .object(["@value": .string("5"), "hidden": .string("x")])]))
        }
    }

    @Test("a context Cairn does not bundle is refused, not fetched")
    func unknownContext() throws {
        let document = JSON.object(["@context": .string("https://example.org/unknown-context"), "name": .string("x")])
        #expect(throws: JSONLDError.self) { try EddsaRdfc2022.canonicalForm(document) }
    }

    @Test("RDFC-1.0 labels blank nodes by their content, not the order they come in")
    func blankNodes() throws {
        func canonical(_ lines: [(String, String, String)]) throws -> String {
            let quads = lines.map { s, p, o in
                Quad(subject: s.hasPrefix("_:") ? .blank(String(s.dropFirst(2))) : .iri(s), predicate: p,
                     object: o.hasPrefix("_:") ? .blank(String(o.dropFirst(2))) : .literal(o, datatype: RDFVocabulary.xsdString), graph: nil)
            }
            return try Canonicalizer.canonicalize(quads)
        }
        let p = "http://example.org/vocab#p"
        let q = "http://example.org/vocab#q"
        // Two nodes that point at each other in a cycle, each with the same shape: only the
        // N-degree hashing tells them apart, and the result must not depend on input labels.
        let first = try canonical([("_:x", p, "_:y"), ("_:y", p, "_:x"), ("_:x", q, "one"), ("_:y", q, "one")])
        let second = try canonical([("_:b", p, "_:a"), ("_:a", p, "_:b"), ("_:a", q, "one"), ("_:b", q, "one")])
        #expect(first == second)
        #expect(first == """
            _:c14n0 <http://example.org/vocab#p> _:c14n1 .
            _:c14n0 <http://example.org/vocab#q> "one" .
            _:c14n1 <http://example.org/vocab#p> _:c14n0 .
            _:c14n1 <http://example.org/vocab#q> "one" .

            """)
        let distinct = try canonical([("_:m", q, "second"), ("_:n", q, "first")])
        let swapped = try canonical([("_:m", q, "first"), ("_:n", q, "second")])
        #expect(distinct == swapped, "labels follow the content")
    }
}
