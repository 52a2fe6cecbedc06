import Foundation
import RagCore
import Hummingbird
import RagAssistant
import RagStore

/// The JSON API (described in Resources/openapi.yaml, served as /openapi.yaml). Authenticate with
/// `Authorization: Bearer <token>` (`ragd user token NAME`), or a browser session plus the
/// X-CSRF-Token header for changes.
extension RagServer {
    struct AskRequest: Decodable {
        var question: String
        var stream: Bool?
        /// Continue this conversation of the caller's (omitted: a new one; the reply names it).
        var conversationId: String?
        enum CodingKeys: String, CodingKey {
            case question, stream
            case conversationId = "conversation_id"
        }
    }

    /// A conversation in listings.
    struct ConversationSummary: Encodable {
        var id: String
        var title: String
        var turns: Int
        var createdAt: Date
        var updatedAt: Date
        enum CodingKeys: String, CodingKey {
            case id, title, turns
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
    }

    struct TurnSource: Encodable {
        var number: Int
        var documentId: Int64
        var title: String
        var location: String
        var link: String
        init(_ s: HistorySource) { (number, documentId, title, location, link) = (s.number, s.documentId, s.title, s.location, s.link) }
        enum CodingKeys: String, CodingKey {
            case number, title, location, link
            case documentId = "document_id"
        }
    }

    /// A turn as the conversation API shows it. A turn that showed a source the caller can no
    /// longer read keeps its question, but its answer and sources are withheld.
    struct TurnView: Encodable {
        var turn: Int
        var question: String
        var searchedFor: String?
        var answer: String?
        var path: AnswerPath
        var sources: [TurnSource]
        var withheld: Bool
        var createdAt: Date
        enum CodingKeys: String, CodingKey {
            case turn, question, answer, path, sources, withheld
            case searchedFor = "searched_for"
            case createdAt = "created_at"
        }
    }

    struct SearchResult: Encodable {
        var documentId: Int64
        var title: String
        var location: String
        var link: String
        var text: String
        var score: Double
        var similarity: Double?

        enum CodingKeys: String, CodingKey {
            case title, location, link, text, score, similarity
            case documentId = "document_id"
        }
    }

    struct JobView: Encodable {
        var id: Int64
        var scope: String
        var sourceId: Int64?
        var documentId: Int64?
        var status: String
        var cancelRequested: Bool
        var filesDone: Int
        var filesTotal: Int
        var chunks: Int
        var currentFile: String?
        var message: String?
        var requestedBy: String
        var createdAt: Date
        var finishedAt: Date?

        init(_ j: IngestJobRecord) {
            id = j.id!
            scope = j.scope.rawValue
            sourceId = j.sourceId
            documentId = j.documentId
            status = j.status.rawValue
            cancelRequested = j.cancelRequested
            filesDone = j.filesDone
            filesTotal = j.filesTotal
            chunks = j.chunks
            currentFile = j.currentPath.map { ($0 as NSString).lastPathComponent }
            message = j.message
            requestedBy = j.requestedBy
            createdAt = j.createdAt
            finishedAt = j.finishedAt
        }

        enum CodingKeys: String, CodingKey {
            case id, scope, status, chunks, message
            case sourceId = "source_id"
            case documentId = "document_id"
            case cancelRequested = "cancel_requested"
            case filesDone = "files_done"
            case filesTotal = "files_total"
            case currentFile = "current_file"
            case requestedBy = "requested_by"
            case createdAt = "created_at"
            case finishedAt = "finished_at"
        }
    }

    func addAPIRoutes(to group: RouterGroup<SignedInContext>) {
        group.post("/api/v1/ask") { request, context in
            let body = try await Self.decodeJSON(AskRequest.self, request)
            let identity = context.identity
            let conversation = ConversationInput.stored(id: body.conversationId?.lowercased())
            if body.stream == true {
                let stream = try await askService.ask(body.question, identity: identity, clientAddress: context.clientAddress,
                                                      channel: .api, conversation: conversation)
                return EventStream.response(stream, identity: identity, html: false)
            }
            let view = try await askService.complete(body.question, identity: identity, clientAddress: context.clientAddress,
                                                     channel: .api, conversation: conversation)
            return try Self.json(view)
        }
        group.get("/api/v1/conversations") { _, context in
            let list = try store.history.conversations(userId: context.identity.userId).map {
                ConversationSummary(id: $0.conversation.id, title: $0.conversation.title, turns: $0.turns,
                                    createdAt: $0.conversation.createdAt, updatedAt: $0.conversation.updatedAt)
            }
            return try Self.json(["conversations": list])
        }
        group.get("/api/v1/conversations/{id}") { _, context in
            let id = try context.parameters.require("id").lowercased()
            guard let found = try store.history.conversation(id: id, userId: context.identity.userId) else { throw ServerError.notFound() }
            let visible = Set(try askService.visibleTurns(found.turns, access: context.identity.access).compactMap(\.id))
            let turns = found.turns.enumerated().map { offset, entry in
                let shown = visible.contains(entry.id ?? -1)
                return TurnView(turn: entry.turn ?? offset + 1, question: entry.question, searchedFor: entry.searchedFor,
                                answer: shown ? entry.answer : nil, path: entry.path, sources: shown ? entry.sourceList.map(TurnSource.init) : [],
                                withheld: !shown, createdAt: entry.createdAt)
            }
            struct Body: Encodable { var id: String; var title: String; var turns: [TurnView] }
            return try Self.json(Body(id: found.conversation.id, title: found.conversation.title, turns: turns))
        }
        group.delete("/api/v1/conversations/{id}") { _, context in
            try deleteConversation(context)
            return Response(status: .noContent)
        }
        group.get("/api/v1/search") { request, context in
            let query = request.uri.queryParameters["q"].map(String.init)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !query.isEmpty, query.count <= AskService.maxQuestionLength else {
                throw ServerError.badRequest("Give the search text as q (1–\(AskService.maxQuestionLength) characters).")
            }
            let limit = min(max(request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 10, 1), 50)
            var retriever = try askService.assistant.pinnedRetriever()
            retriever.limit = limit
            let access = context.identity.access
            let search = retriever
            let (_, hits) = try await searchGate.withTurn { try await search.retrieve(query, access: access) }
            let results = hits.map { hit in
                let source = Source(number: 0, hit: hit)
                return SearchResult(
                    documentId: hit.documentId, title: source.title, location: source.location,
                    link: SourceView.link(for: source),
                    text: hit.text, score: hit.fusedScore, similarity: hit.similarity)
            }
            return try Self.json(["results": results])
        }
    }

    func addAdminAPIRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("/api/v1/jobs") { _, _ in try Self.json(["jobs": try store.jobs.recent(limit: 50).map(JobView.init)]) }
        group.get("/api/v1/jobs/{id}") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self), let job = try store.jobs.job(id: id) else {
                throw ServerError.notFound()
            }
            return try Self.json(JobView(job))
        }
        group.post("/api/v1/jobs") { request, context in
            let body = try await Self.decodeJSON([String: JSONScalar].self, request)
            let job = try enqueue(JobRequest(fields: body.mapValues(\.text)), identity: context.identity)
            await recordAction("reingest", ["job": String(job.id!), "scope": job.scope.rawValue], context: context)
            return try Self.json(JobView(job), status: .accepted)
        }
        group.post("/api/v1/jobs/{id}/cancel") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self), try store.jobs.requestCancel(id: id),
                  let job = try store.jobs.job(id: id)
            else { throw ServerError(.conflict, "The job is unknown or has finished.") }
            await recordAction("reingest.cancel", ["job": String(id)], context: context)
            return try Self.json(JobView(job))
        }
        group.get("/api/v1/sources") { _, _ in
            let sources = try store.sources().map { s in
                [
                    "id": JSONScalar.number(Double(s.source.id!)), "name": .string(s.source.name), "root": .string(s.source.root),
                    "groups": .string(GroupList.decode(s.source.groups).joined(separator: ",")),
                    "documents": .number(Double(s.documents)), "failed": .number(Double(s.failed)), "chunks": .number(Double(s.chunks)),
                ]
            }
            return try Self.json(["sources": sources])
        }
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: 256 * 1024)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch {
            throw ServerError.badRequest("The request body is not the JSON this endpoint expects (see /openapi.yaml).")
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

/// A JSON string, number or boolean (for loosely typed request fields).
enum JSONScalar: Codable, Sendable {
    case string(String), number(Double), bool(Bool)

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else { self = .string(try c.decode(String.self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .number(let n): if n == n.rounded() { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .bool(let b): try c.encode(b)
        }
    }

    var text: String {
        switch self {
        case .string(let s): return s
        case .number(let n): return n == n.rounded() ? String(Int64(n)) : String(n)
        case .bool(let b): return b ? "true" : "false"
        }
    }
}
