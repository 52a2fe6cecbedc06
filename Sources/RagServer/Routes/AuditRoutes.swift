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
            let stream = Self.exportStream(log: log, filter: filter, format: format)
            let type = format == .csv ? "text/csv; charset=utf-8" : "application/x-ndjson"
            let name = "ragd-audit-\(Self.fileStamp()).\(format.rawValue)"
            return Response(
                status: .ok,
                headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(name)\"", .cacheControl: "no-store"],
                body: ResponseBody(asyncSequence: stream))
        }
    }

    /// The export as a stream of buffers, produced on its own thread from a database cursor.
    /// At most a few 64 KiB buffers wait for a slow client: memory stays flat for any size.
    static func exportStream(log: AuditLog, filter: AuditFilter, format: AuditExportFormat) -> AsyncThrowingStream<ByteBuffer, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        let window = DispatchSemaphore(value: 4)
        let consumed = ConsumedSignal(window: window)
        let thread = Thread {
            do {
                try log.export(matching: filter, format: format) { data in
                    window.wait()
                    if consumed.isCancelled { throw CancellationError() }
                    continuation.yield(ByteBuffer(bytes: data))
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in consumed.cancel() }
        thread.start()
        let box = IteratorBox(stream.makeAsyncIterator())
        return AsyncThrowingStream(unfolding: {
            let next = try await box.next()
            consumed.signal()
            return next
        })
    }

    /// The one iterator of the producer's stream, read by one consumer at a time.
    final class IteratorBox: @unchecked Sendable {
        // @unchecked: the response body reads it sequentially, never concurrently.
        private var iterator: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator
        init(_ iterator: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator) { self.iterator = iterator }
        func next() async throws -> ByteBuffer? { try await iterator.next() }
    }

    /// Lets the producer put one more buffer in flight each time the consumer takes one.
    final class ConsumedSignal: @unchecked Sendable {
        // @unchecked: `cancelled` is guarded by `lock`; the semaphore is thread-safe.
        private let window: DispatchSemaphore
        private let lock = NSLock()
        private var cancelled = false
        init(window: DispatchSemaphore) { self.window = window }
        func signal() { window.signal() }
        var isCancelled: Bool { lock.withLock { cancelled } }
        func cancel() {
            lock.withLock { cancelled = true }
            window.signal()
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
