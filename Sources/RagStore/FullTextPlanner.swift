import Foundation
import GRDB
import Synchronization

/// Chooses which words of a question full-text search ranks by, so that its cost stays bounded
/// as the corpus grows.
///
/// FTS5 scores every chunk that holds any of the OR-ed words, at about 2 µs each: a question
/// with a common word ("column", "file") touches a large share of a million chunks. Common
/// words also carry little BM25 weight (their inverse document frequency is low). So the
/// words are taken rarest first while the chunks they occur in add up to at most
/// `postingBudget`; a word more common than that is left to the vector ranking. On small
/// corpora every word fits and nothing changes.
///
/// How common a word is comes from a match-only probe that stops at the budget (FTS5 walks a
/// posting list at ~0.1 µs a chunk without scoring it). FTS5's own statistics table
/// (fts5vocab) is no cheaper: it counts by walking the whole list, 60 ms for a word in most of
/// a million chunks. The counts are remembered until the chunks change (questions share
/// words), at most `remembered` of them.
final class FullTextPlanner: Sendable {
    let postingBudget: Int
    static let remembered = 20_000
    /// Chunk counts by quoted word, valid for one position of the chunk change log.
    private let counts = Mutex<(sequence: Int64, chunks: [String: Int])>((-1, [:]))

    init(postingBudget: Int) {
        self.postingBudget = postingBudget
    }

    /// The MATCH expression over the words worth ranking by, or nil when none is.
    func match(_ db: Database, text: String) throws -> String? {
        let words = FullTextQuery.terms(text)
        guard !words.isEmpty else { return nil }
        let probe = try db.cachedStatement(sql: """
            SELECT count(*) FROM (SELECT 1 FROM chunk_fts WHERE chunk_fts MATCH ? LIMIT ?)
            """)
        let sequence = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM chunk_vector_change") ?? 0
        let known = counts.withLock { $0.sequence == sequence ? $0.chunks : [:] }
        var learned: [String: Int] = [:]
        var frequency: [(word: String, chunks: Int)] = []
        for word in words {
            let quoted = FullTextQuery.match(words: [word])!
            let chunks: Int
            if let count = known[quoted] {
                chunks = count
            } else {
                chunks = try Int.fetchOne(probe, arguments: [quoted, postingBudget + 1]) ?? 0
                learned[quoted] = chunks
            }
            if chunks > 0, chunks <= postingBudget { frequency.append((word, chunks)) }
        }
        if !learned.isEmpty {
            counts.withLock { state in
                if state.sequence != sequence || state.chunks.count > Self.remembered { state = (sequence, [:]) }
                state.chunks.merge(learned) { $1 }
            }
        }
        var kept = Set<String>()
        var total = 0
        for (word, chunks) in frequency.sorted(by: { $0.chunks < $1.chunks }) where total + chunks <= postingBudget {
            kept.insert(word)
            total += chunks
        }
        return FullTextQuery.match(words: words.filter { kept.contains($0) })
    }
}
