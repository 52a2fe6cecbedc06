import Foundation
import RagCore
import HTTPTypes
import Hummingbird
import RagStore

/// Original documents, for citation links. Access is checked in SQL exactly as for search: a
/// document the reader may not see answers 404, the same as one that does not exist.
extension RagServer {
    func addDocumentRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("/documents/{id}") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self),
                  let document = try store.document(id: id, access: context.identity.access),
                  document.status == .ingested || document.status == .ingestedOCR
            else { throw ServerError.notFound() }
            // The path comes from the database, never from the request: no traversal possible.
            guard FileManager.default.isReadableFile(atPath: document.path) else {
                throw ServerError(.gone, "The file has moved or been deleted since it was ingested; an admin can re-ingest its source.")
            }
            var headers: HTTPFields = [
                .contentType: Self.contentType(format: document.documentFormat), .cacheControl: "private, no-store",
                .contentDisposition: "inline",
            ]
            // A stored HTML page may carry scripts: shown sandboxed, they cannot run or reach ragd.
            // (SecurityHeadersMiddleware adds nosniff and the referrer policy, and leaves this policy as it is.)
            if document.documentFormat != .pdf { headers[.contentSecurityPolicy] = Self.storedPagePolicy }
            let body = try await FileIO().loadFile(path: document.path, context: context)
            return Response(status: .ok, headers: headers, body: body)
        }
    }

    /// The policy of a stored document shown inline: sandboxed (no scripts, an opaque origin),
    /// nothing loaded but inline styles and data: images.
    static let storedPagePolicy = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"

    static func contentType(format: DocumentFormat?) -> String {
        switch format {
        case .pdf: return "application/pdf"
        case .html: return "text/html"
        case .markdown: return "text/markdown; charset=utf-8"
        case .text, nil: return "text/plain; charset=utf-8"
        }
    }
}
