import Foundation
import GRDB
import Synchronization

/// Nearest-neighbour search over many chunks: a scan of binary codes in memory, then exact
/// cosine re-scoring of the best candidates with their stored float32 vectors.
///
/// The codes live in `chunk_vector` (sqlite-vec's binary quantization: one bit per dimension);
/// this type keeps a copy of them in memory (`dimensions / 8` bytes per chunk plus 16 bytes of
/// ids: 64 MB for a million 384-dimension chunks) and catches up with `chunk_vector_change` at
/// the start of each search, so writes from any process (the daemon's ingest worker, `ragd
/// ingest`) are seen by the next query. Why not sqlite-vec's own KNN over a `bit[]` column:
/// at a million rows it costs 70 ms for k = 10 and grows linearly with k (1.2 s for k = 400),
/// because it merges a top-k list per 1,024-row chunk; the scan here is two passes over
/// 48 MB (see bench/RESULTS.md).
final class QuantizedVectorIndex: Sendable {
    /// The codes as of one change-log position. A value: a search scans a snapshot while the
    /// next refresh builds another (copy-on-write).
    struct Snapshot: Sendable {
        var ids: [Int64] = []
        var documents: [Int64] = []
        /// `words` UInt64 per chunk, in the order of `ids`.
        var codes: [UInt64] = []
        /// Chunks deleted since the last compaction; still in the arrays, skipped when collected.
        var deleted: Set<Int64> = []
        /// The last change applied.
        var sequence: Int64 = 0
        var loaded = false
        /// The active index these codes belong to (`ActiveVectorIndex.generation`), and its
        /// vector length; a switch to another model's index reloads everything.
        var generation: Int64 = 0
        var dimensions = 0
        /// UInt64 words per code.
        var words = 0
        var count: Int { ids.count - deleted.count }
    }

    /// Changes kept in `chunk_vector_change`; a copy further behind reloads in full.
    static let changeLogLength = 200_000
    private let state = Mutex(Snapshot())

    init() {}

    /// The codes up to the newest change visible to `db`'s transaction, of the active index.
    func snapshot(_ db: Database) throws -> Snapshot {
        let newest = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM chunk_vector_change") ?? 0
        let active = try ActiveVectorIndex.fetch(db)
        return try state.withLock { snapshot in
            if snapshot.loaded, snapshot.generation == active.generation, snapshot.sequence >= newest { return snapshot }
            let oldest = try Int64.fetchOne(db, sql: "SELECT min(seq) FROM chunk_vector_change") ?? 0
            if !snapshot.loaded || snapshot.generation != active.generation || oldest > snapshot.sequence + 1 {
                // First use, a switched index, or the log was pruned past this copy: read everything.
                snapshot = try load(db, sequence: newest, active: active)
            } else {
                try apply(db, to: &snapshot, through: newest)
            }
            return snapshot
        }
    }

    private func load(_ db: Database, sequence: Int64, active: ActiveVectorIndex) throws -> Snapshot {
        var snapshot = Snapshot()
        snapshot.sequence = sequence
        snapshot.loaded = true
        snapshot.generation = active.generation
        snapshot.dimensions = active.dimensions
        snapshot.words = (active.dimensions + 63) / 64
        let words = snapshot.words
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM chunk_vector") ?? 0
        snapshot.ids.reserveCapacity(total)
        snapshot.documents.reserveCapacity(total)
        snapshot.codes.reserveCapacity(total * words)
        let rows = try Row.fetchCursor(db, sql: "SELECT chunk_id, document_id, code FROM chunk_vector ORDER BY chunk_id")
        while let row = try rows.next() {
            append(row, to: &snapshot)
        }
        return snapshot
    }

    private func apply(_ db: Database, to snapshot: inout Snapshot, through newest: Int64) throws {
        let changes = try Row.fetchAll(db, sql: """
            SELECT chunk_id, deleted FROM chunk_vector_change WHERE seq > ? AND seq <= ? ORDER BY seq
            """, arguments: [snapshot.sequence, newest])
        var present = Set<Int64>()  // net effect: ids to (re)read
        for change in changes {
            let id: Int64 = change["chunk_id"]
            if change["deleted"] as Bool {
                present.remove(id)
                snapshot.deleted.insert(id)
            } else {
                present.insert(id)
            }
        }
        // An id deleted and inserted again (SQLite reuses the largest rowid) is appended anew:
        // its old slot stays marked deleted until compaction.
        if !present.isEmpty {
            let list = "[" + present.sorted().map(String.init).joined(separator: ",") + "]"
            let rows = try Row.fetchAll(db, sql: """
                SELECT chunk_id, document_id, code FROM chunk_vector
                WHERE chunk_id IN (SELECT value FROM json_each(?)) ORDER BY chunk_id
                """, arguments: [list])
            if rows.contains(where: { snapshot.deleted.contains($0["chunk_id"]) }) || snapshot.deleted.count * 8 > snapshot.ids.count {
                compact(&snapshot)
            }
            for row in rows { append(row, to: &snapshot) }
        } else if snapshot.deleted.count * 8 > snapshot.ids.count {
            compact(&snapshot)
        }
        snapshot.sequence = newest
    }

    /// Drops the slots of deleted chunks.
    private func compact(_ snapshot: inout Snapshot) {
        guard !snapshot.deleted.isEmpty else { return }
        var kept = Snapshot()
        kept.sequence = snapshot.sequence
        kept.loaded = true
        kept.generation = snapshot.generation
        kept.dimensions = snapshot.dimensions
        kept.words = snapshot.words
        let words = snapshot.words
        kept.ids.reserveCapacity(snapshot.count)
        kept.documents.reserveCapacity(snapshot.count)
        kept.codes.reserveCapacity(snapshot.count * words)
        for (i, id) in snapshot.ids.enumerated() where !snapshot.deleted.contains(id) {
            kept.ids.append(id)
            kept.documents.append(snapshot.documents[i])
            kept.codes.append(contentsOf: snapshot.codes[(i * words)..<((i + 1) * words)])
        }
        snapshot = kept
    }

    private func append(_ row: Row, to snapshot: inout Snapshot) {
        let code: Data = row["code"]
        snapshot.ids.append(row["chunk_id"])
        snapshot.documents.append(row["document_id"])
        snapshot.codes.append(contentsOf: Self.words(code, count: snapshot.words))
    }

    /// A stored or computed binary code as little-endian 64-bit words.
    static func words(_ code: Data, count: Int) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: count)
        out.withUnsafeMutableBytes { dst in
            code.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src.prefix(dst.count))) }
        }
        for i in out.indices { out[i] = UInt64(littleEndian: out[i]) }
        return out
    }

    /// sqlite-vec's binary quantization of a float vector: bit i set when component i > 0.
    static func code(_ vector: [Float]) -> Data {
        var bytes = [UInt8](repeating: 0, count: (vector.count + 7) / 8)
        for (i, value) in vector.enumerated() where value > 0 {
            bytes[i / 8] |= UInt8(1) << UInt8(i % 8)
        }
        return Data(bytes)
    }

    /// The ids of the `count` chunks whose codes are nearest to `query`'s in Hamming distance,
    /// among those whose document `readable` allows (nil: all).
    ///
    /// With `hiddenWindow` > 0 (and a `readable` filter) the same scan also finds which of the
    /// `hiddenWindow` nearest chunks of everyone's documents the filter hid: the audit log's
    /// count of what access control kept from this reader, without a second search.
    func candidates(_ snapshot: Snapshot, query: [Float], count: Int, readable: ((Int64) -> Bool)?,
                    hiddenWindow: Int = 0) -> (ids: [Int64], hidden: [Int64]) {
        let n = snapshot.ids.count
        guard n > 0, count > 0 || hiddenWindow > 0 else { return ([], []) }
        let words = snapshot.words
        let dimensions = snapshot.dimensions
        let q = Self.words(Self.code(query), count: words)
        let unreadable = UInt16.max
        // An unreadable chunk's distance, kept when hidden ones are counted: marked by the top bit.
        let hiddenMark: UInt16 = 0x8000
        let countHidden = readable != nil && hiddenWindow > 0
        var distances = [UInt16](repeating: 0, count: n)
        var histogram = [Int](repeating: 0, count: dimensions + 2)
        var hiddenHistogram = [Int](repeating: 0, count: countHidden ? dimensions + 2 : 0)
        // Pass 1: every distance, and how many chunks have each.
        snapshot.codes.withUnsafeBufferPointer { codes in
            snapshot.documents.withUnsafeBufferPointer { documents in
                distances.withUnsafeMutableBufferPointer { out in
                    q.withUnsafeBufferPointer { q in
                        histogram.withUnsafeMutableBufferPointer { histogram in
                            if words == 6 && readable == nil {
                                // 384 dimensions (MiniLM), everyone's documents: the hot loop unrolled.
                                let (q0, q1, q2, q3, q4, q5) = (q[0], q[1], q[2], q[3], q[4], q[5])
                                var base = 0
                                for i in 0..<n {
                                    let d = (codes[base] ^ q0).nonzeroBitCount &+ (codes[base &+ 1] ^ q1).nonzeroBitCount
                                        &+ (codes[base &+ 2] ^ q2).nonzeroBitCount &+ (codes[base &+ 3] ^ q3).nonzeroBitCount
                                        &+ (codes[base &+ 4] ^ q4).nonzeroBitCount &+ (codes[base &+ 5] ^ q5).nonzeroBitCount
                                    out[i] = UInt16(truncatingIfNeeded: d)
                                    histogram[d] &+= 1
                                    base &+= 6
                                }
                                return
                            }
                            hiddenHistogram.withUnsafeMutableBufferPointer { hiddenHistogram in
                                for i in 0..<n {
                                    let hidden = readable.map { !$0(documents[i]) } ?? false
                                    if hidden && !countHidden { out[i] = unreadable; continue }
                                    var d = 0
                                    let base = i &* words
                                    for w in 0..<words { d &+= (codes[base &+ w] ^ q[w]).nonzeroBitCount }
                                    if hidden {
                                        out[i] = hiddenMark | UInt16(truncatingIfNeeded: d)
                                        hiddenHistogram[d] &+= 1
                                    } else {
                                        out[i] = UInt16(truncatingIfNeeded: d)
                                        histogram[d] &+= 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // The distance at which `count` chunks are reached (beyond the deleted ones).
        let wanted = count + snapshot.deleted.count
        var threshold = 0
        var below = 0
        while threshold < histogram.count - 1, below + histogram[threshold] < wanted {
            below += histogram[threshold]
            threshold += 1
        }
        // The distance at which `hiddenWindow` chunks of everyone's are reached.
        var windowThreshold = -1
        if countHidden {
            let wantedWindow = hiddenWindow + snapshot.deleted.count
            var within = 0
            windowThreshold = 0
            while windowThreshold < histogram.count - 1,
                  within + histogram[windowThreshold] + hiddenHistogram[windowThreshold] < wantedWindow {
                within += histogram[windowThreshold] + hiddenHistogram[windowThreshold]
                windowThreshold += 1
            }
        }
        // Pass 2: all chunks under the threshold, and those at it until `wanted` are taken.
        var atThreshold = wanted - below
        var picked: [(distance: UInt16, id: Int64)] = []
        picked.reserveCapacity(wanted)
        var window: [(distance: UInt16, id: Int64, hidden: Bool)] = []
        let limit = UInt16(truncatingIfNeeded: threshold)
        distances.withUnsafeBufferPointer { distances in
            for i in 0..<n {
                let d = distances[i]
                if countHidden, d != unreadable, Int(d & ~hiddenMark) <= windowThreshold {
                    window.append((d & ~hiddenMark, snapshot.ids[i], d & hiddenMark != 0))
                }
                guard d <= limit, d != unreadable, d & hiddenMark == 0 else { continue }
                if d == limit {
                    guard atThreshold > 0 else { continue }
                    atThreshold -= 1
                }
                let id = snapshot.ids[i]
                if !snapshot.deleted.isEmpty, snapshot.deleted.contains(id) { continue }
                picked.append((d, id))
            }
        }
        picked.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }
        window.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }
        let hidden = window.lazy.filter { !snapshot.deleted.contains($0.id) }.prefix(hiddenWindow).filter(\.hidden).map(\.id)
        return (Array(picked.prefix(count).map(\.id)), Array(hidden))
    }
}
