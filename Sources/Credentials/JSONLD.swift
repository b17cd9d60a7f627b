import Foundation

// JSON-LD 1.1 expansion and conversion to RDF, as far as Data Integrity proofs over
// Cairn's credentials need it: context processing with term definitions, @vocab, compact
// IRIs, type coercion (@id, @vocab, datatypes), @container @set/@list/@graph,
// property-scoped and type-scoped contexts (which do not propagate), @protected. Contexts
// come only from `BundledContexts`; nothing is fetched. Written here because no JSON-LD
// library is among the Swift packages this project may use; it is checked against the W3C
// vc-di-eddsa test vectors and, in scripts/test, against pyld on every credential issued.
// Features the credentials never use (@reverse, @nest, @included, language and index maps,
// @import) are refused with an error rather than half-supported.

/// A JSON value, parsed without Foundation's number/boolean ambiguity.
public enum JSON: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public init(data: Data) throws {
        self = try JSONDecoder().decode(JSON.self, from: data)
    }

    public var string: String? { if case let .string(value) = self { value } else { nil } }
    public var object: [String: JSON]? { if case let .object(value) = self { value } else { nil } }
    /// The value as a list: an array's items, or the value alone.
    public var items: [JSON] { if case let .array(values) = self { values } else { [self] } }

    public subscript(key: String) -> JSON? { object?[key] }
}

extension JSON: Codable {
    public init(from decoder: any Decoder) throws {
        // Most values in a credential are strings, then objects and arrays: try them in that
        // order, since each failed attempt costs a thrown error.
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([String: JSON].self) {
            self = .object(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else {
            self = .double(try container.decode(Double.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .int(value): try container.encode(value)
        case let .double(value): try container.encode(value)
        case let .string(value): try container.encode(value)
        case let .array(value): try container.encode(value)
        case let .object(value): try container.encode(value)
        }
    }
}

public struct JSONLDError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Active context

final class TermDefinition: Equatable {
    var iri: String?
    var typeMapping: String?
    var container: Set<String> = []
    var localContext: JSON?
    var isPrefix = false
    var isProtected = false

    static func == (a: TermDefinition, b: TermDefinition) -> Bool {
        a.iri == b.iri && a.typeMapping == b.typeMapping && a.container == b.container && a.localContext == b.localContext && a.isPrefix == b.isPrefix
    }
}

final class ActiveContext: @unchecked Sendable {
    /// The empty context every document starts from (never changed: processing copies).
    static let root = ActiveContext()

    var terms: [String: TermDefinition] = [:]
    var vocab: String?
    /// The context before a type-scoped context was applied: nested nodes go back to it.
    var previous: ActiveContext?

    func copy() -> ActiveContext {
        let copy = ActiveContext()
        copy.terms = terms
        copy.vocab = vocab
        copy.previous = previous
        return copy
    }
}

let jsonLDKeywords: Set<String> = [
    "@base", "@container", "@context", "@direction", "@graph", "@id", "@import", "@included", "@index", "@json", "@language",
    "@list", "@nest", "@none", "@prefix", "@propagate", "@protected", "@reverse", "@set", "@type", "@value", "@version", "@vocab",
]

/// An IRI with a scheme (`scheme:…`), as opposed to a term or a relative reference.
func isAbsoluteIRI(_ value: String) -> Bool {
    guard let colon = value.firstIndex(of: ":"), colon != value.startIndex else { return false }
    let scheme = value[..<colon]
    guard let first = scheme.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII else { return false }
    return scheme.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0" ... "9").contains($0) || "+-.".unicodeScalars.contains($0)) }
}

// MARK: - Context processing

/// A bounded cache of processed contexts. It keeps the contexts it was keyed on alive, so
/// their identities are never reused while cached.
final class ContextCache: @unchecked Sendable {
    struct Key: Hashable {
        var active: ObjectIdentifier
        var local: JSON
        var propagate: Bool
        var overrideProtected: Bool
    }

    private let lock = NSLock()
    private var entries: [Key: (result: ActiveContext, keptAlive: ActiveContext)] = [:]
    static let limit = 2_000

    func get(_ key: Key) -> ActiveContext? {
        lock.lock()
        defer { lock.unlock() }
        return entries[key]?.result
    }

    func put(_ key: Key, _ result: ActiveContext, keeping active: ActiveContext) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= Self.limit { entries.removeAll() }
        entries[key] = (result, active)
    }
}

struct ContextProcessor {
    /// The bundled contexts' `@context` values, parsed once.
    static let bundled: [String: JSON] = BundledContexts.documents.compactMapValues { text in
        (try? JSON(data: Data(text.utf8)))?["@context"]
    }

    /// Processed contexts, by the context they were applied to and what was applied: every
    /// credential applies the same few contexts, and processing them is most of the work.
    /// Active contexts are never changed once made, so they can be shared.
    static let cache = ContextCache()

    func process(
        _ active: ActiveContext, _ local: JSON, propagate: Bool = true, overrideProtected: Bool = false, remote: Set<String> = []
    ) throws -> ActiveContext {
        let key = ContextCache.Key(active: ObjectIdentifier(active), local: local, propagate: propagate, overrideProtected: overrideProtected)
        if remote.isEmpty, let cached = Self.cache.get(key) { return cached }
        let result = try uncachedProcess(active, local, propagate: propagate, overrideProtected: overrideProtected, remote: remote)
        if remote.isEmpty { Self.cache.put(key, result, keeping: active) }
        return result
    }

    /// `remote` contexts being loaded, to refuse cycles.
    func uncachedProcess(
        _ active: ActiveContext, _ local: JSON, propagate: Bool, overrideProtected: Bool, remote: Set<String>
    ) throws -> ActiveContext {
        var result = active.copy()
        var propagate = propagate
        if case let .bool(flag)? = local["@propagate"] { propagate = flag }
        if !propagate, result.previous == nil { result.previous = active }
        for context in local.items {
            switch context {
            case .null:
                if !overrideProtected, result.terms.values.contains(where: \.isProtected) {
                    throw JSONLDError("a null @context would clear protected terms")
                }
                let fresh = ActiveContext()
                if !propagate { fresh.previous = result.previous }
                result = fresh
            case let .string(url):
                guard !remote.contains(url) else { throw JSONLDError("the context \(url) includes itself") }
                guard let loaded = Self.bundled[url] else {
                    throw JSONLDError("the context \(url) is not one Cairn bundles; Cairn verifies only credentials built on the VC 2.0 and Open Badges 3.0.3 contexts")
                }
                result = try process(result, loaded, overrideProtected: overrideProtected, remote: remote.union([url]))
            case let .object(definition):
                if definition["@import"] != nil { throw JSONLDError("@import is not supported") }
                if let version = definition["@version"], version != .double(1.1) { throw JSONLDError("@version must be 1.1") }
                if let vocab = definition["@vocab"] {
                    switch vocab {
                    case .null: result.vocab = nil
                    case let .string(value): result.vocab = try expandIRI(result, value, vocab: true, documentRelative: true)
                    default: throw JSONLDError("@vocab must be a string or null")
                    }
                }
                var protected = false
                if case let .bool(flag)? = definition["@protected"] { protected = flag }
                var defined: [String: Bool] = [:]
                for term in definition.keys.sorted() where !["@base", "@direction", "@import", "@language", "@propagate", "@protected", "@version", "@vocab"].contains(term) {
                    try createTerm(result, definition, term, &defined, protected: protected, overrideProtected: overrideProtected)
                }
            default:
                throw JSONLDError("a @context must be an object, a URL or null")
            }
        }
        return result
    }

    func createTerm(
        _ active: ActiveContext, _ local: [String: JSON], _ term: String, _ defined: inout [String: Bool], protected: Bool, overrideProtected: Bool
    ) throws {
        if let done = defined[term] {
            if done { return }
            throw JSONLDError("the term \(term) is defined in terms of itself")
        }
        defined[term] = false
        defer { defined[term] = true }
        guard let raw = local[term] else { return }
        if jsonLDKeywords.contains(term) {
            // Only `@type` may be given a definition, and only to mark it protected or a set.
            if term == "@type", case let .object(value) = raw, Set(value.keys).isSubset(of: ["@container", "@protected"]) { return }
            throw JSONLDError("the keyword \(term) cannot be redefined")
        }
        let previous = active.terms.removeValue(forKey: term)
        let definition = TermDefinition()
        var value: [String: JSON]
        switch raw {
        case .null: value = ["@id": .null]
        case let .string(id): value = ["@id": .string(id)]
        case let .object(object): value = object
        default: throw JSONLDError("the definition of \(term) must be a string, an object or null")
        }
        if case let .bool(flag)? = value["@protected"] { definition.isProtected = flag } else { definition.isProtected = protected }
        for unsupported in ["@reverse", "@nest", "@index", "@language", "@direction"] where value[unsupported] != nil {
            throw JSONLDError("\(unsupported) in the definition of \(term) is not supported")
        }
        if let type = value["@type"] {
            guard case let .string(name) = type else { throw JSONLDError("@type in the definition of \(term) must be a string") }
            let expanded = try expandIRI(active, name, vocab: true, local: local, defined: &defined)
            guard let expanded, ["@id", "@vocab", "@json", "@none"].contains(expanded) || isAbsoluteIRI(expanded) else {
                throw JSONLDError("@type \(name) in the definition of \(term) is not an IRI")
            }
            definition.typeMapping = expanded
        }
        let simple: Bool = if case .string = raw { true } else { false }
        if let id = value["@id"], id != .string(term) {
            switch id {
            case .null: definition.iri = nil
            case let .string(name):
                definition.iri = try expandIRI(active, name, vocab: true, local: local, defined: &defined)
                if let iri = definition.iri, !term.contains(":"), !term.contains("/"), simple, let last = iri.last, ":/?#[]@".contains(last) {
                    definition.isPrefix = true
                }
            default: throw JSONLDError("@id in the definition of \(term) must be a string")
            }
        } else if let colon = term.dropFirst().firstIndex(of: ":") {
            let prefix = String(term[..<colon])
            let suffix = String(term[term.index(after: colon)...])
            if local[prefix] != nil { try createTerm(active, local, prefix, &defined, protected: protected, overrideProtected: overrideProtected) }
            if let prefixIRI = active.terms[prefix]?.iri, !suffix.hasPrefix("//") {
                definition.iri = prefixIRI + suffix
            } else {
                definition.iri = term
            }
        } else if term.contains("/") {
            definition.iri = term
        } else if term == "@type" {
            definition.iri = "@type"
        } else {
            guard let vocab = active.vocab else { throw JSONLDError("the term \(term) has no IRI and there is no @vocab") }
            definition.iri = vocab + term
        }
        if let container = value["@container"] {
            for item in container.items {
                guard case let .string(name) = item, ["@set", "@list", "@graph", "@id", "@index", "@language", "@type"].contains(name) else {
                    throw JSONLDError("@container in the definition of \(term) is not valid")
                }
                definition.container.insert(name)
            }
            if !definition.container.isSubset(of: ["@set", "@list", "@graph"]) {
                throw JSONLDError("the @container \(definition.container.sorted()) of \(term) (a map) is not supported")
            }
        }
        if let context = value["@context"] { definition.localContext = context }
        if case let .bool(flag)? = value["@prefix"] { definition.isPrefix = flag }
        if let previous, previous.isProtected, !overrideProtected {
            guard previous == definition else { throw JSONLDError("the protected term \(term) cannot be redefined") }
            active.terms[term] = previous
            return
        }
        active.terms[term] = definition
    }

    /// IRI expansion (JSON-LD 1.1 §5.2). Returns nil for a term mapped to null.
    func expandIRI(
        _ active: ActiveContext, _ value: String, vocab: Bool = false, documentRelative: Bool = false
    ) throws -> String? {
        var defined: [String: Bool] = [:]
        return try expandIRI(active, value, vocab: vocab, documentRelative: documentRelative, local: nil, defined: &defined)
    }

    func expandIRI(
        _ active: ActiveContext, _ value: String, vocab: Bool = false, documentRelative: Bool = false, local: [String: JSON]?,
        defined: inout [String: Bool]
    ) throws -> String? {
        if jsonLDKeywords.contains(value) { return value }
        if value.hasPrefix("@"), value.dropFirst().allSatisfy(\.isLetter), !value.dropFirst().isEmpty { return nil }
        if let local, local[value] != nil, defined[value] != true {
            try createTerm(active, local, value, &defined, protected: false, overrideProtected: false)
        }
        if vocab, let definition = active.terms[value] { return definition.iri }
        if let colon = value.dropFirst().firstIndex(of: ":") {
            let prefix = String(value[..<colon])
            let suffix = String(value[value.index(after: colon)...])
            if prefix == "_" || suffix.hasPrefix("//") { return value }
            if let local, local[prefix] != nil, defined[prefix] != true {
                try createTerm(active, local, prefix, &defined, protected: false, overrideProtected: false)
            }
            if let definition = active.terms[prefix], let iri = definition.iri, definition.isPrefix { return iri + suffix }
            if isAbsoluteIRI(value) { return value }
        }
        if vocab, let base = active.vocab { return base + value }
        // No base IRI: a relative reference stays as it is (and produces no RDF).
        return value
    }
}

// MARK: - Expansion

final class Expander {
    let processor = ContextProcessor()
    /// Keys and types that expanded to no absolute IRI: nothing in RDF, so nothing signed.
    private(set) var dropped: Set<String> = []

    /// The expanded form of a document: an array of node objects.
    func expand(_ document: JSON) throws -> [JSON] {
        guard let expanded = try expand(ActiveContext.root, nil, document) else { return [] }
        if case let .object(object) = expanded, object.count == 1, let graph = object["@graph"] { return graph.items }
        return expanded.items
    }

    func expand(_ active: ActiveContext, _ property: String?, _ element: JSON, fromMap: Bool = false) throws -> JSON? {
        switch element {
        case .null:
            return nil
        case .array(let items):
            var result: [JSON] = []
            let isList = property.flatMap { active.terms[$0] }?.container.contains("@list") == true
            for item in items {
                guard var expanded = try expand(active, property, item, fromMap: fromMap) else { continue }
                if isList, case .array = expanded { expanded = .object(["@list": expanded]) }
                if case let .array(nested) = expanded { result += nested } else { result.append(expanded) }
            }
            return .array(result)
        case .object(let object):
            return try expandObject(active, property, object, fromMap: fromMap)
        default:
            guard let property, property != "@graph" else { return nil }
            var context = active
            if let scoped = active.terms[property]?.localContext {
                context = try processor.process(active, scoped, overrideProtected: true)
            }
            return try expandValue(context, property, element)
        }
    }

    func expandValue(_ active: ActiveContext, _ property: String, _ value: JSON) throws -> JSON {
        let definition = active.terms[property]
        if case let .string(text) = value {
            if definition?.typeMapping == "@id" {
                return .object(["@id": .string(try processor.expandIRI(active, text, documentRelative: true) ?? text)])
            }
            if definition?.typeMapping == "@vocab" {
                return .object(["@id": .string(try processor.expandIRI(active, text, vocab: true, documentRelative: true) ?? text)])
            }
        }
        var result: [String: JSON] = ["@value": value]
        if let type = definition?.typeMapping, !["@id", "@vocab", "@none"].contains(type) { result["@type"] = .string(type) }
        return .object(result)
    }

    func expandObject(_ context: ActiveContext, _ property: String?, _ object: [String: JSON], fromMap: Bool) throws -> JSON? {
        var active = context
        let propertyScoped = property.flatMap { context.terms[$0] }?.localContext
        // Type-scoped contexts do not reach nested nodes: go back to the context before them.
        if let previous = active.previous, !fromMap {
            let keys = try object.keys.compactMap { try processor.expandIRI(active, $0, vocab: true) }
            if !keys.contains("@value"), !(keys.count == 1 && keys[0] == "@id") { active = previous }
        }
        if let propertyScoped { active = try processor.process(active, propertyScoped, overrideProtected: true) }
        if let embedded = object["@context"] { active = try processor.process(active, embedded) }
        let typeScoped = active
        for key in object.keys.sorted() {
            guard try processor.expandIRI(active, key, vocab: true) == "@type" else { continue }
            for type in object[key]!.items.compactMap(\.string).sorted() {
                if let scoped = typeScoped.terms[type]?.localContext {
                    active = try processor.process(active, scoped, propagate: false)
                }
            }
        }

        var result: [String: JSON] = [:]
        func add(_ key: String, _ value: JSON) {
            let existing = result[key]?.items ?? []
            result[key] = .array(existing + value.items)
        }
        for key in object.keys.sorted() where key != "@context" {
            let value = object[key]!
            guard let expandedProperty = try processor.expandIRI(active, key, vocab: true),
                  expandedProperty.hasPrefix("@") || isAbsoluteIRI(expandedProperty) || expandedProperty.hasPrefix("_:")
            else {
                dropped.insert(key)
                continue
            }
            if expandedProperty.hasPrefix("@") {
                switch expandedProperty {
                case "@id":
                    guard case let .string(id) = value else { throw JSONLDError("@id must be a string") }
                    result["@id"] = .string(try processor.expandIRI(active, id, documentRelative: true) ?? id)
                case "@type":
                    let types = try value.items.map { item -> JSON in
                        guard case let .string(type) = item else { throw JSONLDError("@type values must be strings") }
                        let expanded = try processor.expandIRI(typeScoped, type, vocab: true, documentRelative: true) ?? type
                        if !isAbsoluteIRI(expanded), !expanded.hasPrefix("_:") { dropped.insert(type) }
                        return .string(expanded)
                    }
                    add("@type", .array(types))
                case "@value":
                    result["@value"] = value
                case "@graph":
                    result["@graph"] = .array((try expand(active, "@graph", value))?.items ?? [])
                case "@list":
                    result["@list"] = .array((try expand(active, property, value))?.items ?? [])
                case "@set":
                    result["@set"] = .array((try expand(active, property, value))?.items ?? [])
                default:
                    throw JSONLDError("\(expandedProperty) is not supported in Cairn's credentials")
                }
                continue
            }
            let definition = active.terms[key]
            var expanded: JSON
            if definition?.typeMapping == "@json" {
                expanded = .object(["@value": value, "@type": .string("@json")])
            } else {
                guard let value = try expand(active, key, value) else { continue }
                expanded = value
            }
            if definition?.container.contains("@list") == true, !(expanded.object?["@list"] != nil) {
                expanded = .object(["@list": .array(expanded.items)])
            }
            if definition?.container.contains("@graph") == true {
                expanded = .array(expanded.items.map { .object(["@graph": .array($0.items)]) })
            }
            add(expandedProperty, expanded)
        }
        // Keyword objects may carry nothing else (JSON-LD 1.1 §5.1.2 steps 15-17): extra keys
        // beside them would be dropped from the signed data, so refuse them.
        if let set = result["@set"] {
            guard result.count == 1 else { throw JSONLDError("a @set object has other keys: \(result.keys.sorted())") }
            return set
        }
        if result["@list"] != nil, result.count != 1 {
            throw JSONLDError("a @list object has other keys: \(result.keys.sorted())")
        }
        if let value = result["@value"] {
            guard Set(result.keys).isSubset(of: ["@value", "@type"]) else {
                throw JSONLDError("a value object has other keys: \(result.keys.sorted())")
            }
            // A value object's @type is one IRI, not a list.
            if let types = result["@type"] {
                guard types.items.count == 1, let type = types.items.first?.string else { throw JSONLDError("a value object has more than one @type") }
                result["@type"] = .string(type)
            }
            if case .object = value { throw JSONLDError("a @value must be a string, number or boolean") }
            if case .array = value { throw JSONLDError("a @value must be a string, number or boolean") }
            if value == .null { return nil }
            return .object(result)
        }
        // Free-floating values at the top are dropped.
        if property == nil || property == "@graph" {
            if result.isEmpty || result["@list"] != nil || (result.count == 1 && result["@id"] != nil && property == "@graph") { return nil }
        }
        return .object(result)
    }
}

// MARK: - RDF

/// An RDF term as N-Quads writes it.
enum RDFTerm: Hashable {
    case iri(String)
    case blank(String)
    case literal(String, datatype: String)

    var blankLabel: String? { if case let .blank(label) = self { label } else { nil } }
}

struct Quad: Hashable {
    var subject: RDFTerm
    var predicate: String
    var object: RDFTerm
    var graph: RDFTerm?
}

enum RDFVocabulary {
    static let type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    static let first = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first"
    static let rest = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest"
    static let nil_ = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil"
    static let xsdString = "http://www.w3.org/2001/XMLSchema#string"
    static let xsdBoolean = "http://www.w3.org/2001/XMLSchema#boolean"
    static let xsdInteger = "http://www.w3.org/2001/XMLSchema#integer"
    static let xsdDouble = "http://www.w3.org/2001/XMLSchema#double"
}

/// Expanded JSON-LD to RDF quads (JSON-LD 1.1 §8.1), labelling blank nodes `_:b0`, `_:b1`…
final class RDFConverter {
    private(set) var quads: [Quad] = []
    private var labels: [String: String] = [:]
    private var counter = 0

    static func quads(of document: JSON) throws -> [Quad] {
        try quadsAndDropped(of: document).quads
    }

    /// The quads, and the keys and types that produced none (no context defines them).
    static func quadsAndDropped(of document: JSON) throws -> (quads: [Quad], dropped: Set<String>) {
        let converter = RDFConverter()
        let expander = Expander()
        for node in try expander.expand(document) {
            guard case let .object(object) = node else { continue }
            try converter.node(object, graph: nil)
        }
        return (converter.quads, expander.dropped)
    }

    func newBlank() -> RDFTerm {
        defer { counter += 1 }
        return .blank("b\(counter)")
    }

    /// Characters an IRI may not contain (RFC 3987); an IRI holding them could smuggle
    /// N-Quads syntax into the canonical form.
    static let forbiddenInIRI: Set<Unicode.Scalar> = [" ", "<", ">", "\"", "{", "}", "|", "^", "`", "\\"]

    static func checkIRI(_ iri: String) throws {
        for scalar in iri.unicodeScalars where scalar.value < 0x21 || scalar.value == 0x7F || forbiddenInIRI.contains(scalar) {
            throw JSONLDError("the IRI \(iri.debugDescription) contains a character IRIs may not hold")
        }
    }

    func subject(_ id: String?) -> RDFTerm? {
        guard let id else { return newBlank() }
        if id.hasPrefix("_:") {
            if let label = labels[id] { return .blank(label) }
            guard case let .blank(label) = newBlank() else { return nil }
            labels[id] = label
            return .blank(label)
        }
        return isAbsoluteIRI(id) ? .iri(id) : nil
    }

    @discardableResult
    func node(_ node: [String: JSON], graph: RDFTerm?) throws -> RDFTerm? {
        if let id = node["@id"]?.string { try Self.checkIRI(id) }
        guard let subject = subject(node["@id"]?.string) else { return nil }
        if let content = node["@graph"] {
            // A node that names a graph: its content goes into that graph.
            for item in content.items { if case let .object(inner) = item { try self.node(inner, graph: subject) } }
        }
        for type in node["@type"]?.items.compactMap(\.string) ?? [] {
            try Self.checkIRI(type)
            guard let object = self.subject(type) else { continue }
            quads.append(Quad(subject: subject, predicate: RDFVocabulary.type, object: object, graph: graph))
        }
        for (property, values) in node where !property.hasPrefix("@") {
            guard isAbsoluteIRI(property) else { continue }
            try Self.checkIRI(property)
            for value in values.items {
                if let object = try self.object(value, graph: graph) {
                    quads.append(Quad(subject: subject, predicate: property, object: object, graph: graph))
                }
            }
        }
        return subject
    }

    func object(_ value: JSON, graph: RDFTerm?) throws -> RDFTerm? {
        guard case let .object(object) = value else { return nil }
        if let literal = object["@value"] {
            if let type = object["@type"]?.string { try Self.checkIRI(type) }
            return try self.literal(literal, type: object["@type"]?.string)
        }
        if let list = object["@list"] { return try self.list(list.items, graph: graph) }
        if object["@graph"] != nil, object.keys.allSatisfy({ $0 == "@graph" || $0 == "@id" }) {
            let name = subject(object["@id"]?.string)
            for item in object["@graph"]!.items { if case let .object(inner) = item { try node(inner, graph: name) } }
            return name
        }
        if object.count == 1, let id = object["@id"]?.string {
            try Self.checkIRI(id)
            return subject(id)
        }
        return try node(object, graph: graph)
    }

    func list(_ items: [JSON], graph: RDFTerm?) throws -> RDFTerm {
        guard !items.isEmpty else { return .iri(RDFVocabulary.nil_) }
        let heads = items.map { _ in newBlank() }
        for (index, item) in items.enumerated() {
            if let object = try object(item, graph: graph) {
                quads.append(Quad(subject: heads[index], predicate: RDFVocabulary.first, object: object, graph: graph))
            }
            let rest: RDFTerm = index + 1 < heads.count ? heads[index + 1] : .iri(RDFVocabulary.nil_)
            quads.append(Quad(subject: heads[index], predicate: RDFVocabulary.rest, object: rest, graph: graph))
        }
        return heads[0]
    }

    func literal(_ value: JSON, type: String?) throws -> RDFTerm? {
        if type == "@json" { throw JSONLDError("JSON literals are not supported in Cairn's credentials") }
        switch value {
        case let .bool(flag): return .literal(flag ? "true" : "false", datatype: type ?? RDFVocabulary.xsdBoolean)
        case let .int(number):
            if type == RDFVocabulary.xsdDouble { return .literal(Self.canonicalDouble(Double(number)), datatype: RDFVocabulary.xsdDouble) }
            return .literal(String(number), datatype: type ?? RDFVocabulary.xsdInteger)
        case let .double(number):
            if number.rounded() == number, abs(number) < 1e21, type != RDFVocabulary.xsdDouble {
                // Whole numbers beyond Int's range are written out digit by digit.
                let digits = Int(exactly: number).map(String.init) ?? String(format: "%.0f", number)
                return .literal(digits, datatype: type ?? RDFVocabulary.xsdInteger)
            }
            return .literal(Self.canonicalDouble(number), datatype: type ?? RDFVocabulary.xsdDouble)
        case let .string(text): return .literal(text, datatype: type ?? RDFVocabulary.xsdString)
        default: return nil
        }
    }

    /// XML Schema's canonical double: one digit before the point, no trailing zeros, `E` exponent.
    static func canonicalDouble(_ value: Double) -> String {
        var text = String(format: "%1.15E", value)
        guard let e = text.firstIndex(of: "E") else { return text }
        var mantissa = String(text[..<e])
        var exponent = String(text[text.index(after: e)...])
        while mantissa.hasSuffix("0"), !mantissa.hasSuffix(".0") { mantissa.removeLast() }
        if exponent.hasPrefix("+") { exponent.removeFirst() }
        let negative = exponent.hasPrefix("-")
        if negative { exponent.removeFirst() }
        while exponent.count > 1, exponent.hasPrefix("0") { exponent.removeFirst() }
        text = mantissa + "E" + (negative ? "-" : "") + exponent
        return text
    }
}

/// Which properties and types of a document its contexts leave undefined: those that
/// expand to no absolute IRI (JSON-LD drops them, so a proof would not cover them), and
/// those that expand only through a catch-all issuer-dependent `@vocab`.
public enum DefinedTerms {
    static let issuerDependent = "https://www.w3.org/ns/credentials/issuer-dependent#"

    public static func undefinedProperties(of document: JSON) throws -> [String] {
        let (quads, dropped) = try RDFConverter.quadsAndDropped(of: document)
        return undefined(quads: quads, dropped: dropped)
    }

    static func undefined(quads: [Quad], dropped: Set<String>) -> [String] {
        let vague = quads.flatMap { quad -> [String] in
            var iris = [quad.predicate]
            if quad.predicate == RDFVocabulary.type, case let .iri(type) = quad.object { iris.append(type) }
            return iris
        }.filter { $0.hasPrefix(issuerDependent) }.map { String($0.dropFirst(issuerDependent.count)) }
        return Array(dropped.union(vague)).sorted()
    }
}
