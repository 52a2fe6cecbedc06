import Foundation
import Hummingbird
import HummingbirdTesting
import RagServer
import RagTesting
import Testing
import Yams

/// The OpenAPI document (served as /openapi.yaml) and the router agree: every route of the
/// machine-facing surface is documented, and every documented operation is routed.
@Suite struct OpenAPIDocumentTests {
    /// Routes for programs: the JSON API, the OpenAI-compatible endpoint, health, metrics and
    /// the document itself. The HTML pages (forms, static files) are for browsers, not in it.
    static func isMachineFacing(_ path: String) -> Bool {
        path.hasPrefix("/api/") || path.hasPrefix("/v1/")
            || ["/healthz", "/readyz", "/metrics", "/openapi.yaml"].contains(path)
    }

    @Test func everyAPIRouteIsDocumentedAndEveryDocumentedOperationIsRouted() async throws {
        let parts = try await ServerFixture.shared.get()
        let router = parts.router()
        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" }
            .filter { Self.isMachineFacing(String($0.split(separator: " ")[1])) })

        let text = try await Application(router: router).test(.router) { client in
            let response = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(response.status == .ok, "the document is served without sign-in")
            #expect(response.headers[.contentType]?.hasPrefix("application/yaml") == true)
            return String(buffer: response.body)
        }
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        let methods: Set<String> = ["get", "post", "put", "patch", "delete"]
        var documented = Set<String>()
        for (path, item) in paths {
            let operations = try #require(item as? [String: Any], "\(path) has no operations")
            for method in operations.keys where methods.contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        #expect(routed.subtracting(documented).isEmpty, "routed but not documented: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
        #expect(routed.count >= 12, "the comparison saw the routes: \(routed.sorted())")
    }
}
