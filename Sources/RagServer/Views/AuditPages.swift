import Foundation
import RagCore
import RagAssistant
import RagAudit

/// The auditor's search page (`audit.mustache`): the chain's head, the filter form as sent,
/// one page of matching records, export links for the same filter.
struct AuditSearchPage: PageView {
    static let template = Template.audit
    let title = "Audit log"
    let nav: Navigation?
    let headCount: Int
    let headId: Int64
    let headHash: String
    /// The form's fields as the auditor sent them.
    let query: Query
    let routes: [Option]
    let kinds: [Option]
    /// The filter as a percent-encoded query, for the pager and export links.
    let filterQuery: String
    let total: Int
    let records: [Row]
    let newerPage: Int?
    let olderPage: Int?

    struct Query {
        let user: String
        let from: String
        let to: String
        let text: String
        let document: String
    }

    struct Option {
        let value: String
        let selected: Bool
    }

    struct Row {
        let id: Int64
        let time: String
        let user: String
        let role: String
        let kind: String
        let channel: String
        /// The question (its first 120 characters) or the action.
        let what: String
        let route: String
        let sources: Int
    }

    init(identity: Identity, query: [String: String], records: [AuditRecord], total: Int, page: Int, pageSize: Int,
         head: AuditHead) {
        nav = Navigation(identity)
        headCount = head.count
        headId = head.lastId
        headHash = head.hash
        self.query = Query(user: query["user"] ?? "", from: query["from"] ?? "", to: query["to"] ?? "",
                           text: query["text"] ?? "", document: query["document"] ?? "")
        let route = query["route"] ?? "", kind = query["kind"] ?? ""
        routes = AnswerPath.allCases.map { Option(value: $0.rawValue, selected: $0.rawValue == route) }
        kinds = ["question", "admin", "audit"].map { Option(value: $0, selected: $0 == kind) }
        var params = URLComponents()
        params.queryItems = ["user", "from", "to", "text", "document", "route", "kind"].compactMap { key in
            query[key].map { URLQueryItem(name: key, value: $0) }
        }
        filterQuery = params.percentEncodedQuery ?? ""
        self.total = total
        self.records = records.map { r in
            let e = r.event
            return Row(
                id: r.id, time: DisplayDate.string(r.time), user: e.actor.name, role: e.actor.role, kind: e.kind.rawValue,
                channel: e.channel, what: e.question.map { String($0.question.prefix(120)) } ?? e.action ?? "",
                route: e.question?.route ?? "", sources: e.question?.sources.count ?? 0)
        }
        let pages = (total + pageSize - 1) / pageSize
        newerPage = page > 1 ? page - 1 : nil
        olderPage = page < pages ? page + 1 : nil
    }
}

/// One audit record in full (`audit_record.mustache`): every field, the sources shown, the
/// chain link.
struct AuditRecordPage: PageView {
    static let template = Template.auditRecord
    let title: String
    let nav: Navigation?
    let id: Int64
    let rows: [Field]
    /// Question records show their sources table, even when empty.
    let hasSources: Bool
    let sources: [Source]

    struct Field {
        let name: String
        let value: String
    }

    struct Source {
        let documentId: Int64
        let title: String
        let version: Int
        let location: String
        let chunks: String
        let score: Double
        let sha256: String
    }

    init(identity: Identity, record r: AuditRecord) {
        title = "Audit record \(r.id)"
        nav = Navigation(identity)
        id = r.id
        let e = r.event
        var rows: [(String, String)] = [
            ("Time", DisplayDate.string(r.time)), ("Kind", e.kind.rawValue), ("Channel", e.channel),
            ("User", "\(e.actor.name) (id \(e.actor.userId.map { String($0) } ?? "-"), \(e.actor.role))"),
            ("Groups", e.actor.groups.joined(separator: ", ")), ("Client address", e.clientAddress ?? ""),
        ]
        if let action = e.action { rows.append(("Action", action)) }
        for (key, value) in e.details.sorted(by: { $0.key < $1.key }) { rows.append(("· " + key, value)) }
        if let q = e.question {
            rows += [
                ("Question", q.question), ("Answer", q.answer), ("Route", q.route), ("Model", q.model ?? ""),
                ("Model SHA-256", q.modelSHA256 ?? ""), ("Route reason", q.routeReason), ("Verification", q.verification ?? ""),
                ("Retrieval", "\(Int(q.retrievalMs)) ms"), ("First token", q.firstTokenMs.map { "\(Int($0)) ms" } ?? "-"),
                ("Total", "\(Int(q.totalMs)) ms"), ("Tokens", "\(q.promptTokens) prompt, \(q.generatedTokens) generated"),
                ("Hidden by access control", "\(q.filteredOut) candidates"),
            ]
        }
        rows += [("Previous hash", r.previousHash), ("Hash", r.hash)]
        self.rows = rows.map { Field(name: $0.0, value: $0.1) }
        hasSources = e.question != nil
        sources = (e.question?.sources ?? []).map { s in
            Source(documentId: s.documentId, title: s.title, version: s.documentVersion, location: s.location,
                   chunks: s.chunkIds.map(String.init).joined(separator: ", "), score: s.score, sha256: s.contentSHA256 ?? "")
        }
    }
}
