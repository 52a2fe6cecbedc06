import Foundation
import GRDB
import RagCore
import RagExtraction
import RagIngest
import RagInference
import RagStore

/// Ingestion of real documents end to end, against the raw embedding engine on the same chunks.
struct IngestBench {
    let cache: String
    let threads: Int
    /// Ingest only this many HTML pages (nil: all 766) — for a quick run.
    let htmlLimit: Int?
    /// Read the next file while embedding the current one (IngestPipeline.prepareAhead).
    var readAhead = false
    /// Keep the ingested database as the retrieval benchmark's base corpus (if there is none).
    var keepAs: String?
    /// Alternating ragd/raw pairs on a subset, for a ratio the machine's drift cannot skew.
    var pairs = 3

    var sqliteDocs: String { cache + "/corpus/sqlite3-doc/usr/share/doc/sqlite3" }
    var pdfs: [String] {
        let r = cache + "/corpus/r-doc-pdf/usr/share/R/doc/manual/"
        return ["R-intro.pdf", "R-data.pdf", "R-admin.pdf", "R-lang.pdf", "R-FAQ.pdf"].map { r + $0 }
            + [cache + "/corpus/debian-faq/usr/share/doc/debian/FAQ/debian-faq.en.pdf"]
    }

    /// Ingests the benchmark documents into a new database at `path` (the retrieval benchmark's
    /// base corpus).
    func ingestBase(embedder: LlamaEmbeddingModel, into path: String) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let partial = path + ".partial"
        let store = try RagStore(configuration: StoreConfiguration(
            path: partial, vectorExtensionPath: cache + "/lib/vec0.so",
            embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier))
        let pipeline = IngestPipeline(store: store, embedder: embedder)
        _ = try await pipeline.ingest(paths: [try htmlRoot(in: folder)])
        _ = try await pipeline.ingest(paths: pdfs)
        try await store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try FileManager.default.moveItem(atPath: partial, toPath: path)
    }

    /// The SQLite documentation folder, or a copy of its first `htmlLimit` pages in `folder`.
    func htmlRoot(in folder: URL) throws -> String {
        var htmlRoot = sqliteDocs
        if let htmlLimit {
            // A subset: the first N pages, copied so the source holds only them.
            htmlRoot = folder.appendingPathComponent("html").path
            try FileManager.default.createDirectory(atPath: htmlRoot, withIntermediateDirectories: true)
            let pages = try FileManager.default.contentsOfDirectory(atPath: sqliteDocs).filter { $0.hasSuffix(".html") }.sorted()
            for page in pages.prefix(htmlLimit) {
                try FileManager.default.copyItem(atPath: sqliteDocs + "/" + page, toPath: htmlRoot + "/" + page)
            }
        }
        return htmlRoot
    }

    func run() async throws -> [Row] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let htmlRoot = try htmlRoot(in: folder)
        let embedder = try LlamaEmbeddingModel(configuration: .init(
            modelPath: cache + "/models/all-MiniLM-L6-v2.f16.gguf", threads: threads))
        let databasePath = folder.appendingPathComponent("bench.sqlite").path
        let store = try RagStore(configuration: StoreConfiguration(
            path: databasePath, vectorExtensionPath: cache + "/lib/vec0.so",
            embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier))
        var pipeline = IngestPipeline(store: store, embedder: embedder)
        pipeline.prepareAhead = readAhead
        print("ingest: read-ahead \(readAhead ? "on" : "off")")

        // The raw engine's ceiling on the same chunks, measured before and after ragd's run (this
        // VM's speed drifts by tens of percent over minutes): the texts come from extracting and
        // chunking the files here first, exactly as the pipeline will (about 2% of the work).
        var textsByFile: [String: [String]] = [:]
        let files = try FileManager.default.contentsOfDirectory(atPath: htmlRoot).filter { $0.hasSuffix(".html") }.sorted()
            .map { htmlRoot + "/" + $0 } + pdfs
        for path in files {
            guard let document = try? await DocumentExtractor().extract(fileAt: URL(fileURLWithPath: path)) else { continue }
            let title = document.title ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            textsByFile[path] = pipeline.chunker.chunks(of: document, title: title).map(\.embeddingText)
        }
        let texts = files.flatMap { textsByFile[$0] ?? [] }
        let sample = stride(from: 0, to: texts.count, by: max(1, texts.count / 1500)).map { texts[$0] }
        let rawEmbedder = try RawEmbedder(path: cache + "/models/all-MiniLM-L6-v2.f16.gguf", threads: threads, budget: 256)
        func rawThroughput() throws -> Double {
            let start = ContinuousClock.now
            try rawEmbedder.embed(sample, budget: 256)
            return Double(sample.count) / (ContinuousClock.now - start).seconds
        }
        print("ingest: raw llama.cpp on \(sample.count) of the \(texts.count) chunks, before...")
        let rawBefore = try rawThroughput()

        var rows: [Row] = []
        var totalChunks = 0
        var totalSeconds = 0.0
        var stages = (extract: 0.0, chunk: 0.0, embed: 0.0, store: 0.0)
        for (label, paths) in [("HTML (sqlite3-doc)", [htmlRoot]), ("PDF (R manuals + Debian FAQ)", pdfs)] {
            print("ingesting \(label)...")
            let s = try await pipeline.ingest(paths: paths)
            let units = label.hasPrefix("HTML") ? Double(s.files) : Double(s.pages)
            rows.append(Row(name: "ingest \(label): \(label.hasPrefix("HTML") ? "pages" : "PDF pages")/s",
                            unit: "pages/s", ragd: units / s.seconds, raw: nil))
            rows.append(Row(name: "ingest \(label): chunks/s (\(s.chunks) chunks, \(s.files) files)",
                            unit: "chunks/s", ragd: Double(s.chunks) / s.seconds, raw: nil))
            totalChunks += s.chunks
            totalSeconds += s.seconds
            stages.extract += s.extractSeconds
            stages.chunk += s.chunkSeconds
            stages.embed += s.embedSeconds
            stages.store += s.storeSeconds
            if !s.failed.isEmpty { print("  failed: \(s.failed.map { "\($0.path): \($0.reason)" })") }
        }
        for (name, seconds) in [("extract", stages.extract), ("chunk", stages.chunk), ("embed", stages.embed), ("store", stages.store)] {
            rows.append(Row(name: "  share of wall time: \(name)", unit: "%", ragd: 100 * seconds / totalSeconds, raw: nil))
        }
        rows.append(Row(name: "  extract + chunk + store (stages overlap embed)", unit: "%",
                        ragd: 100 * (stages.extract + stages.chunk + stages.store) / totalSeconds, raw: nil))

        print("ingest: raw llama.cpp on the same sample, after...")
        let rawAfter = try rawThroughput()
        print(String(format: "  raw: %.1f chunks/s before, %.1f after", rawBefore, rawAfter))
        if totalChunks != texts.count {
            print("  note: the pipeline stored \(totalChunks) chunks, the pre-pass made \(texts.count)")
        }
        // One 256-token batch per llama_encode: llama.cpp's fastest packing for chunks this
        // long (see the inference benchmark's budget table).
        rows.append(Row(name: "ingest end-to-end vs raw embedding of the same chunks", unit: "chunks/s",
                        ragd: Double(totalChunks) / totalSeconds, raw: (rawBefore + rawAfter) / 2))

        // The same ratio with the drift cancelled: a few files re-ingested (forced) and the raw
        // engine on exactly their chunks, alternating, one pair after the other; the median pair.
        if pairs > 0 {
            let subset = Array(files.filter { $0.hasSuffix(".html") }.prefix(6)) + pdfs.filter { $0.hasSuffix("/R-FAQ.pdf") }
            let subsetTexts = subset.flatMap { textsByFile[$0] ?? [] }
            var forced = pipeline
            forced.force = true
            var ratios: [Double] = []
            for pair in 1...pairs {
                let start = ContinuousClock.now
                try rawEmbedder.embed(subsetTexts, budget: 256)
                let raw = Double(subsetTexts.count) / (ContinuousClock.now - start).seconds
                let summary = try await forced.ingest(paths: subset)
                let ragd = Double(summary.chunks) / summary.seconds
                print(String(format: "  pair %d: ragd %.1f chunks/s, raw %.1f (%d chunks): %.3f", pair, ragd, raw,
                             subsetTexts.count, ragd / raw))
                ratios.append(ragd / raw)
            }
            rows.append(Row(name: "ingest vs raw, \(pairs) alternating pairs (\(subsetTexts.count) chunks): median", unit: "ratio",
                            ragd: ratios.sorted()[ratios.count / 2], raw: nil))
        }
        if let keepAs, !FileManager.default.fileExists(atPath: keepAs) {
            try await store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try FileManager.default.createDirectory(
                atPath: (keepAs as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: databasePath, toPath: keepAs)
        }
        return rows
    }
}
