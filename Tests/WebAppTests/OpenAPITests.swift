import Foundation
import Hummingbird
import Logging
import Storage
import Testing
@testable import WebApp

@Suite("openapi.yaml")
struct OpenAPITests {
    static let specPath = Fixtures.testsFolder.deletingLastPathComponent().appendingPathComponent("openapi.yaml").path

    /// "METHOD /path" for every operation in openapi.yaml (Hummingbird also writes parameters as {name}).
    static func documentedOperations() throws -> Set<String> {
        let text = try String(contentsOfFile: specPath, encoding: .utf8)
        var operations: Set<String> = []
        var currentPath: String?
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("components:") {
                currentPath = nil
            } else if let path = currentPath, let method = ["get", "post", "put", "patch", "delete"].first(where: { line == "    \($0):" }) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test("every JSON route is described, and every description has a route")
    func everyRouteDescribed() async throws {
        let config = Fixtures.config()
        let environment = try await CairnEnvironment.open(config: config, logger: Logger(label: "test"))
        let router = buildRouter(environment: environment, templates: try await Templates.load())
        await environment.database.shutdown()
        let jsonRoutes = Set(router.routes.map { "\($0.method) \($0.path)" }.filter {
            $0.contains(" /api/") || $0.hasSuffix(" /healthz") || $0.hasSuffix(" /readyz") || $0.hasSuffix(" /metrics")
        })
        let documented = try Self.documentedOperations()
        #expect(jsonRoutes.count >= 12)
        #expect(jsonRoutes.subtracting(documented).isEmpty, "routes missing from openapi.yaml: \(jsonRoutes.subtracting(documented).sorted())")
        #expect(documented.subtracting(jsonRoutes).isEmpty, "openapi.yaml describes routes that do not exist: \(documented.subtracting(jsonRoutes).sorted())")
    }
}
