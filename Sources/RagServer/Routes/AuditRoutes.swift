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
            return HTML.response(Layout.page(
                title: "Audit log", identity: context.identity,
                body: auditSearchBody(query: query, records: records, total: total, page: page, head: try log.head())))
        }
        group.get("/audit/records/{id}") { _, context in
            guard let log = audit?.log, let id = context.parameters.get("id", as: Int64.self),
                  let record = try log.record(id: id)
            else { throw ServerError.notFound() }
            await recordAction("audit.view", ["record": String(id)], context: context)
            return HTML.response(Layout.page(title: "Audit record \(id)", identity: context.identity, body: auditRecordBody(record)))
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

    private func auditSearchBody(query: [String: String], records: [AuditRecord], total: Int, page: Int,
                                 head: AuditHead) -> String {
        func field(_ key: String) -> String { HTML.escape(query[key] ?? "") }
        func option(_ value: String, _ selected: String) -> String {
            "<option\(value == selected ? " selected" : "")>\(value)</option>"
        }
        let route = query["route"] ?? "", kind = query["kind"] ?? ""
        var params = URLComponents()
        params.queryItems = ["user", "from", "to", "text", "document", "route", "kind"].compactMap { key in
            query[key].map { URLQueryItem(name: key, value: String($0)) }
        }
        let filterQuery = params.percentEncodedQuery ?? ""
        let rows = records.map { r -> String in
            let e = r.event
            let what = e.question.map { HTML.escape(String($0.question.prefix(120))) } ?? HTML.escape(e.action ?? "")
            return """
                <tr><td><a href="/audit/records/\(r.id)">\(r.id)</a></td><td>\(HTML.escape(Self.displayDate(r.time)))</td>
                <td>\(HTML.escape(e.actor.name)) <span class="meta">(\(HTML.escape(e.actor.role)))</span></td>
                <td>\(HTML.escape(e.kind.rawValue))/\(HTML.escape(e.channel))</td><td>\(what)</td>
                <td>\(HTML.escape(e.question?.route ?? ""))</td><td>\(e.question?.sources.count ?? 0)</td></tr>
                """
        }.joined()
        let pages = (total + Self.auditPageSize - 1) / Self.auditPageSize
        var pager = ""
        if page > 1 { pager += "<a href=\"/audit?\(filterQuery)&page=\(page - 1)\">← Newer</a> " }
        if page < pages { pager += "<a href=\"/audit?\(filterQuery)&page=\(page + 1)\">Older →</a>" }
        return """
            <h1>Audit log</h1>
            <p class="meta">\(head.count) records; head #\(head.lastId) <code>\(HTML.escape(head.hash))</code>
            (verify with <code>ragd audit verify</code>)</p>
            <form method="get" action="/audit" class="stack narrow">
            <label for="a-user">User</label><input id="a-user" name="user" value="\(field("user"))">
            <label for="a-from">From (date)</label><input id="a-from" name="from" type="date" value="\(field("from"))">
            <label for="a-to">To (date, inclusive)</label><input id="a-to" name="to" type="date" value="\(field("to"))">
            <label for="a-text">Words in question or answer</label><input id="a-text" name="text" value="\(field("text"))">
            <label for="a-doc">Document id</label><input id="a-doc" name="document" inputmode="numeric" value="\(field("document"))">
            <label for="a-route">Route</label><select id="a-route" name="route"><option value="">any</option>\(
                AnswerPath.allCases.map { option($0.rawValue, route) }.joined())</select>
            <label for="a-kind">Kind</label><select id="a-kind" name="kind"><option value="">any</option>\(
                ["question", "admin", "audit"].map { option($0, kind) }.joined())</select>
            <button type="submit">Search</button>
            </form>
            <p>\(total) matching. Export: <a href="/audit/export?\(filterQuery)&format=csv">CSV</a> ·
            <a href="/audit/export?\(filterQuery)&format=jsonl">JSONL</a></p>
            <div class="table-wrap"><table><thead><tr><th>#</th><th>Time</th><th>User</th><th>Kind</th><th>Question / action</th><th>Route</th><th>Sources</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"7\">No records.</td></tr>" : rows)</tbody></table></div>
            <p>\(pager)</p>
            """
    }

    private func auditRecordBody(_ r: AuditRecord) -> String {
        let e = r.event
        var rows: [(String, String)] = [
            ("Time", Self.displayDate(r.time)), ("Kind", e.kind.rawValue), ("Channel", e.channel),
            ("User", "\(e.actor.name) (id \(e.actor.userId.map { String($0) } ?? "-"), \(e.actor.role))"),
            ("Groups", e.actor.groups.joined(separator: ", ")), ("Client address", e.clientAddress ?? ""),
        ]
        if let action = e.action { rows.append(("Action", action)) }
        for (key, value) in e.details.sorted(by: { $0.key < $1.key }) { rows.append(("· " + key, value)) }
        var sources = ""
        if let q = e.question {
            rows += [
                ("Question", q.question), ("Answer", q.answer), ("Route", q.route), ("Model", q.model ?? ""),
                ("Model SHA-256", q.modelSHA256 ?? ""), ("Route reason", q.routeReason), ("Verification", q.verification ?? ""),
                ("Retrieval", "\(Int(q.retrievalMs)) ms"), ("First token", q.firstTokenMs.map { "\(Int($0)) ms" } ?? "-"),
                ("Total", "\(Int(q.totalMs)) ms"), ("Tokens", "\(q.promptTokens) prompt, \(q.generatedTokens) generated"),
                ("Hidden by access control", "\(q.filteredOut) candidates"),
            ]
            sources = "<h2>Sources shown</h2><div class=\"table-wrap\"><table><thead><tr><th>Document</th><th>Version</th><th>Location</th><th>Chunks</th><th>Score</th><th>Content SHA-256</th></tr></thead><tbody>"
                + q.sources.map { s in
                    "<tr><td>\(s.documentId): \(HTML.escape(s.title))</td><td>\(s.documentVersion)</td><td>\(HTML.escape(s.location))</td>"
                        + "<td>\(s.chunkIds.map(String.init).joined(separator: ", "))</td><td>\(s.score)</td>"
                        + "<td><code>\(HTML.escape(s.contentSHA256 ?? ""))</code></td></tr>"
                }.joined() + "</tbody></table></div>"
        }
        rows += [("Previous hash", r.previousHash), ("Hash", r.hash)]
        let table = rows.map { "<tr><th scope=\"row\">\(HTML.escape($0.0))</th><td class=\"pre\">\(HTML.escape($0.1))</td></tr>" }.joined()
        return "<h1>Audit record \(r.id)</h1><p><a href=\"/audit\">← Audit log</a></p><div class=\"table-wrap\"><table>\(table)</table></div>\(sources)"
    }
}
