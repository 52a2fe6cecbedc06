import Foundation
import HTTPTypes
import Hummingbird
import RagStore

/// The admins' answer analytics: the page, and each of its tables as CSV. Computed over the
/// history entries the admin's own groups allow (`HistoryStore.analytics`), so an admin sees
/// no question, feedback or figure about a document they may not read. Exports are recorded.
extension RagServer {
    func addAnalyticsRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("/admin/analytics") { request, context in
            let days = try Self.analyticsWindow(request)
            let analytics = try analytics(days: days, identity: context.identity)
            return Views.response(AnalyticsPage(identity: context.identity, analytics: analytics, days: days))
        }
        group.get("/admin/analytics/export") { request, context in
            let days = try Self.analyticsWindow(request)
            let name = request.uri.queryParameters["table"].map(String.init) ?? ""
            guard let table = AnswerAnalytics.Table(rawValue: name) else {
                throw ServerError.badRequest(
                    "table must be one of " + AnswerAnalytics.Table.allCases.map(\.rawValue).joined(separator: ", ") + ".")
            }
            let csv = try analytics(days: days, identity: context.identity).csv(table)
            await recordAction("analytics.export", ["table": table.rawValue, "days": String(days)], context: context)
            let file = "ragd-analytics-\(table.rawValue)-\(Self.fileStamp()).csv"
            return Response(
                status: .ok,
                headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(file)\"",
                          .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: csv)))
        }
    }

    /// The figures of the last `days` days over what `identity` may read.
    func analytics(days: Int, identity: Identity) throws -> AnswerAnalytics {
        let now = Date()
        let since = AnswerAnalytics.dayStart(now.addingTimeInterval(-Double(days - 1) * 86_400))
        let (entries, documents) = try store.history.analytics(since: since, access: identity.access)
        return AnswerAnalytics(entries: entries, documents: documents, since: since, until: now,
                               pricePer1kTokens: configuration.largeModelPricePer1kTokens)
    }

    /// `days` of the query (default 30). - Throws: 400 outside 1...366.
    static func analyticsWindow(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters["days"] else { return 30 }
        guard let days = Int(String(text)), (1...366).contains(days) else {
            throw ServerError.badRequest("days must be a number of days from 1 to 366.")
        }
        return days
    }
}
