import ArgumentParser
import Foundation
import RagdApp
import RagAssistant
import RagStore

/// `ragd search "query"`: ranked chunks with their scores, for debugging retrieval.
struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the chunks retrieval ranks for a query, with BM25, vector and fused scores.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The query.")
    var query: String

    @Option(help: "Ranking: bm25, vector or hybrid.")
    var method: SearchMethod = .hybrid

    @Option(help: "How many chunks to show.")
    var limit = 8

    func run() async throws {
        let app = try AppContext(global)
        var retriever = Retriever(store: app.store, embedder: app.embedder)
        retriever.limit = limit
        let (_, hits) = try await retriever.retrieve(query, method: method, access: .unrestricted)
        if hits.isEmpty { print("no results") }
        for (i, hit) in hits.enumerated() {
            let bm25 = hit.bm25Rank.map { "#\($0) " + String(format: "%.2f", hit.bm25Score ?? 0) } ?? "-"
            let vector = hit.vectorRank.map { "#\($0) " } ?? ""
            let similarity = hit.similarity.map { String(format: "%.3f", $0) } ?? "-"
            let place = hit.pageStart.map { "p.\($0)" + (hit.pageEnd.map { $0 != hit.pageStart ? "-\($0)" : "" } ?? "") }
                ?? hit.anchor.map { "#\($0)" } ?? ""
            print("\(i + 1). fused \(String(format: "%.4f", hit.fusedScore))  bm25 \(bm25)  vector \(vector)sim \(similarity)")
            print("   \(hit.documentPath) \(place)  [\(hit.sectionPath)]")
            print("   " + hit.text.replacingOccurrences(of: "\n", with: " ").prefix(240))
        }
    }
}

extension SearchMethod: ExpressibleByArgument {}
