import Foundation
import HTTPTypes
import Hummingbird
import RagAssistant
import RagAudit

/// The auditor's pages (role auditor only): search the audit log, open a record with its
/// sources, export the filtered set as CSV or JSONL, streamed. Searches and exports are
/// themselves recorded.
extension RagServer {
    static let auditPageSize = 50

    func addAuditRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("/audit") { request, context in
            guard let log = audit?.log else { throw ServerError(.notFound, "The audit log is not configured.") }
            let query = Self.queryDictionary(request)
            let filter = try Self.auditFilter(query)
            let page = max(Int(query["page"] ?? "") ?? 1, 1)
            if filter != AuditFilter() {
                await recordAction("audit.search", filter.details, context: context)
            }
            let records = try log.records(matching: filter, limit: Self.auditPageSize, offset: (page - 1) * Self.auditPageSize)
            let total = try log.count(matching: filter)
            return Views.response(AuditSearchPage(
                identity: context.identity, query: query, records: records, total: total, page: page,
                pageSize: Self.auditPageSize, head: try log.head()))
        }
        group.get("/audit/records/{id}") { _, context in
            guard let log = audit?.log, let id = context.parameters.get("id", as: Int64.self),
                  let record = try log.record(id: id)
            else { throw ServerError.notFound() }
            await recordAction("audit.view", ["record": String(id)], context: context)
            return Views.response(AuditRecordPage(identity: context.identity, record: record))
        }
        group.get("/audit/export") { request, context in
            guard let log = audit?.log else { throw ServerError(.notFound, "The audit log is not configured.") }
            let query = Self.queryDictionary(request)
            let filter = try Self.auditFilter(query)
            guard let format = AuditExportFormat(rawValue: query["format"] ?? "csv") else {
                throw ServerError.badRequest("format is csv or jsonl.")
            }
            var details = filter.details
            details["format"] = format.rawValue
            await recordAction("audit.export", details, context: context)
            let type = format == .csv ? "text/csv; charset=utf-8" : "application/x-ndjson"
            let name = "ragd-audit-\(Self.fileStamp()).\(format.rawValue)"
            return Response(
                status: .ok,
                headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(name)\"", .cacheControl: "no-store"],
                body: Self.exportBody(log.exportPages(matching: filter, format: format)))
        }
    }

    /// The export as the response body, one page of records at a time (see
    /// `AuditLog.exportPages`). Each write waits until the client has taken enough of the
    /// last, so memory holds about a page for any size of export, and no page is read ahead.
    /// When the client goes away the write throws and the export stops there; a cancelled
    /// task stops before its next page.
    static func exportBody(_ pages: AuditExportPages) -> ResponseBody {
        ResponseBody { writer in
            for try await page in pages {
                try await writer.write(ByteBuffer(bytes: page))
            }
            try await writer.finish(nil)
        }
    }

    static func queryDictionary(_ request: Request) -> [String: String] {
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        return query
    }

    static func auditFilter(_ query: [String: String]) throws -> AuditFilter {
        func value(_ key: String) -> String? {
            query[key].map { String($0).trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        func date(_ key: String, endOfDay: Bool) throws -> Date? {
            guard let text = value(key) else { return nil }
            guard let date = AuditDate.parse(text, endOfDay: endOfDay) else {
                throw ServerError.badRequest("\(key) must be a date like 2026-11-22 (or ISO-8601, 2026-11-22T09:30:00Z).")
            }
            return date
        }
        var filter = AuditFilter()
        filter.user = value("user")
        filter.from = try date("from", endOfDay: false)
        filter.to = try date("to", endOfDay: true)
        filter.text = value("text")
        filter.documentId = value("document").flatMap { Int64($0) }
        filter.route = value("route")
        filter.kind = value("kind").flatMap(AuditKind.init(rawValue:))
        return filter
    }

    static func fileStamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
