import HTTPTypes
import Hummingbird
import Synchronization

/// Which methods each route pattern accepts, so that a request with the wrong method gets
/// 405 and an Allow header rather than 404. Hummingbird's router answers 404 for both;
/// the table is filled from `router.routes` once every route is added.
final class AllowedMethods: Sendable {
    private let table = Mutex<[(segments: [Substring], methods: Set<HTTPRequest.Method>)]>([])

    func load(_ routes: [Router<CairnRequestContext>.RouteDescription]) {
        var byPath: [String: Set<HTTPRequest.Method>] = [:]
        for route in routes { byPath["\(route.path)", default: []].insert(route.method) }
        table.withLock { table in
            table = byPath.map { (Self.segments($0.key), $0.value) }
        }
    }

    /// The methods the path accepts (empty when no route has that path at all).
    func methods(for path: String) -> Set<HTTPRequest.Method> {
        let requested = Self.segments(path)
        return table.withLock { table in
            table.filter { Self.matches($0.segments, requested) }.reduce(into: Set()) { $0.formUnion($1.methods) }
        }
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
        guard pattern.count == path.count else { return false }
        return zip(pattern, path).allSatisfy { pattern, segment in
            pattern == segment || pattern.hasPrefix(":") || pattern.hasPrefix("{") || pattern == "*"
        }
    }
}
