import Foundation
import RagStore

/// `ragd eval --from-history`: a customer's own real questions as the evaluation set.
///
/// The items are the questions employees marked helpful (`HistoryStore.helpfulQuestions`),
/// with the documents the answer cited as gold. Each is evaluated as its asker: retrieval (and
/// the answer) run with the asker's access filter, and the gold is cut to the documents the
/// asker may read now, so no item measures, or reaches, a document its asker could not see. An
/// item whose gold the asker can no longer read at all is skipped, with the reason.
public struct HistoryEval: Sendable {
    /// One evaluated question.
    public struct Item: Sendable, Equatable {
        public var question: HelpfulQuestion
        /// The gold documents the asker may read now.
        public var gold: [Int64]
    }

    /// How one item went with one method.
    public struct Outcome: Sendable, Encodable {
        public var historyId: Int64
        public var user: String
        /// 1-based rank of the first gold document among the distinct documents retrieved (nil: not found).
        public var rank: Int?
        /// The documents retrieved, in order (each once).
        public var retrievedDocumentIds: [Int64]
        /// The answer's path, when answers were generated.
        public var path: String?
        /// Whether the answer cites a gold document, when answers were generated.
        public var citesGold: Bool?

        enum CodingKeys: String, CodingKey {
            case rank, path, user
            case historyId = "history_id"
            case retrievedDocumentIds = "retrieved_document_ids"
            case citesGold = "cites_gold"
        }
    }

    /// Figures of one method over all items.
    public struct Summary: Sendable, Encodable {
        public var questions = 0
        public var hit_at_1 = 0.0, hit_at_3 = 0.0, hit_at_5 = 0.0, mrr = 0.0
        /// Share of answers citing a gold document (nil: answers not generated).
        public var answer_cites_gold: Double?
        public var paths: [String: Int] = [:]
    }

    public var items: [Item]
    /// Helpful questions left out, with why.
    public var skipped: [(question: HelpfulQuestion, reason: String)]

    /// The items from `store`'s history. - Parameter limit: the newest this many helpful questions.
    public init(store: RagStore, limit: Int? = nil) throws {
        items = []
        skipped = []
        for question in try store.history.helpfulQuestions(limit: limit) {
            let readable = try store.readableDocumentIds(question.goldDocumentIds, access: question.access)
            let gold = question.goldDocumentIds.filter(readable.contains)
            if gold.isEmpty {
                skipped.append((question, "its gold documents are gone or no longer readable by \(question.userName)"))
            } else {
                items.append(Item(question: question, gold: gold))
            }
        }
    }

    /// Retrieves (and with `assistant`, answers) `item` as its asker would.
    public static func evaluate(_ item: Item, retriever: Retriever, method: SearchMethod, assistant: Assistant? = nil)
        async throws -> Outcome
    {
        let access = item.question.access
        let hits = try await retriever.retrieve(item.question.question, method: method, access: access).hits
        var documents: [Int64] = []
        for hit in hits where !documents.contains(hit.documentId) { documents.append(hit.documentId) }
        let rank = documents.firstIndex(where: item.gold.contains).map { $0 + 1 }
        var outcome = Outcome(historyId: item.question.historyId, user: item.question.userName, rank: rank,
                              retrievedDocumentIds: documents)
        if let assistant {
            let answer = try await assistant.complete(item.question.question, access: access, method: method)
            outcome.path = answer.path.rawValue
            let cited = answer.sources.filter { answer.cited.contains($0.number) }.map(\.documentId)
            outcome.citesGold = cited.contains(where: item.gold.contains)
        }
        return outcome
    }

    /// The figures of `outcomes`.
    public static func summarize(_ outcomes: [Outcome]) -> Summary {
        var s = Summary()
        s.questions = outcomes.count
        guard !outcomes.isEmpty else { return s }
        let n = Double(outcomes.count)
        for o in outcomes {
            if let rank = o.rank {
                if rank <= 1 { s.hit_at_1 += 1 }
                if rank <= 3 { s.hit_at_3 += 1 }
                if rank <= 5 { s.hit_at_5 += 1 }
                s.mrr += 1 / Double(rank)
            }
            if let path = o.path { s.paths[path, default: 0] += 1 }
        }
        s.hit_at_1 /= n; s.hit_at_3 /= n; s.hit_at_5 /= n; s.mrr /= n
        let answered = outcomes.compactMap(\.citesGold)
        if !answered.isEmpty { s.answer_cites_gold = Double(answered.filter { $0 }.count) / Double(answered.count) }
        return s
    }
}
