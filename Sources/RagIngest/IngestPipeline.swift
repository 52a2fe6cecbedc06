import AsyncAlgorithms
import Foundation
import Logging
import RagChunking
import RagCore
import RagExtraction
import RagInference
import RagStore

/// extract → chunk → embed → store, for the files below some paths.
///
/// Files are read, chunked, embedded and stored one after another (reading the next file
/// during embedding is optional: `prepareAhead`), so memory holds one document, two with
/// read-ahead. Each file's chunks, vectors and full-text rows are written in one transaction after its last vector, so a search
/// never sees a half-written document, and an interrupted run loses at most the file in
/// flight. One file's failure is recorded with its reason and never stops the others.
public struct IngestPipeline: Sendable {
    public let store: RagStore
    public let embedder: any EmbeddingModel
    public let chunker: Chunker
    /// Reads each file: `DocumentExtractor` in this process (the default, fast, for tests
    /// and benchmarks), or `IsolatedExtractor` in a child process with a time and memory
    /// limit (what `ragd ingest` and `ragd serve` use).
    public let extractor: any FileExtracting
    public let logger: Logger
    /// Chunks sent to the embedding model per call (it packs them into decodes itself).
    public var embeddingBatchSize = 32
    /// Re-extract and re-embed even files whose content hash is unchanged.
    public var force = false
    /// Read and chunk the next file while the current one is embedded. Off by default: on a
    /// machine whose every core runs llama.cpp's threads, the overlap slows embedding by more
    /// than extraction costs (llama.cpp's threads wait for each other at every step, so one
    /// preempted thread stalls all); measured by `ragd-bench --only ingest` (bench/RESULTS.md).
    public var prepareAhead = false
    /// The model of the active vector index when an embedding-model migration can switch it
    /// during this ingest (`ragd serve`): each file is embedded with the model it pins, and
    /// embedded again if the index was switched before its vectors were stored. nil: `embedder`.
    public var embeddings: ActiveEmbedding?

    public init(store: RagStore, embedder: any EmbeddingModel, chunking: ChunkingOptions? = nil,
                extractor: any FileExtracting = DocumentExtractor(), logger: Logger = Logger(label: "ragd.ingest")) {
        self.store = store
        self.embedder = embedder
        self.chunker = Chunker(
            counter: embedder.tokenCounter, options: chunking ?? ChunkingOptions(maxTokens: embedder.maxTokens))
        self.extractor = extractor
        self.logger = logger
    }

    /// A file read and chunked, waiting for its vectors.
    struct Prepared: Sendable {
        enum Outcome: Sendable {
            case unchanged(documentId: Int64)
            case chunks(DocumentUpdate, [Chunk], isNew: Bool)
            case failed(ExtractionError, DocumentUpdate?, isNew: Bool)
            /// Same bytes as a file that failed before: not retried (use --force), reported again.
            case stillFailing(DocumentStatus, code: String, reason: String)
            case error(String)
        }
        var path: String
        var sourceId: Int64
        var outcome: Outcome
        var extractSeconds = 0.0
        var chunkSeconds = 0.0
        /// Blocks and table rows removed as the source's boilerplate.
        var boilerplateRemoved = 0
    }

    /// Ingests every document below `paths` (files or folders); documents of these sources
    /// whose files are gone are removed.
    /// - Parameters:
    ///   - progress: called after each file, on the ingest task.
    ///   - shouldStop: asked between files; when it (or task cancellation) says stop, the file
    ///     in hand is finished and stored, the rest is left for the next run, nothing is removed,
    ///     and the summary says `stopped`.
    /// - Throws: `IngestError` for a path that does not exist (before anything is written);
    ///   per-file problems are in the summary instead.
    public func ingest(paths: [String], progress: @Sendable (IngestProgress) -> Void = { _ in },
                       shouldStop: @Sendable () -> Bool = { false }) async throws -> IngestSummary
    {
        let roots = try FileDiscovery.roots(paths)
        var sources: [(SourceRecord, Set<String>)] = []
        for root in roots {
            let source = try store.source(root: root.path)
            sources.append((source, Set(root.files)))
        }
        let work = zip(roots, sources).flatMap { root, source in root.files.map { ($0, source.0.id!) } }
        return try await run(work, completing: sources, progress: progress, shouldStop: shouldStop)
    }

    /// Re-ingests the sources already in the database (all of them, or one), from their folders.
    /// A source folder that has disappeared is reported as failed and keeps its documents.
    public func ingest(sources records: [SourceRecord], progress: @Sendable (IngestProgress) -> Void = { _ in },
                       shouldStop: @Sendable () -> Bool = { false }) async throws -> IngestSummary
    {
        var sources: [(SourceRecord, Set<String>)] = []
        var work: [(String, Int64)] = []
        var missing: [IngestSummary.Failure] = []
        for source in records {
            guard let root = try? FileDiscovery.roots([source.root]).first else {
                missing.append(.init(path: source.root, code: "missing",
                                     reason: "missing: the source folder \(source.root) cannot be read; its documents are kept"))
                continue
            }
            sources.append((source, Set(root.files)))
            work += root.files.map { ($0, source.id!) }
        }
        var summary = try await run(work, completing: sources, progress: progress, shouldStop: shouldStop)
        summary.failed += missing
        return summary
    }

    /// Re-ingests one stored document from its file (removed if the file is gone).
    public func ingest(document: DocumentRecord, progress: @Sendable (IngestProgress) -> Void = { _ in })
        async throws -> IngestSummary
    {
        guard FileManager.default.fileExists(atPath: document.path) else {
            try store.deleteDocument(id: document.id!)
            var summary = IngestSummary()
            summary.removed = 1
            return summary
        }
        let sourceId = try document.sourceId ?? store.source(root: document.path).id!
        return try await run([(document.path, sourceId)], completing: [], progress: progress, shouldStop: { false })
    }

    /// The shared loop: `work` in order, then (unless stopped) removal of vanished files for
    /// the sources in `completing`.
    private func run(_ work: [(String, Int64)], completing sources: [(SourceRecord, Set<String>)],
                     progress: @Sendable (IngestProgress) -> Void, shouldStop: @Sendable () -> Bool) async throws
        -> IngestSummary
    {
        let clock = ContinuousClock()
        let started = clock.now
        var summary = IngestSummary()
        let total = work.count
        let channel = AsyncChannel<Prepared>()
        // Without read-ahead the producer waits until the consumer has stored each file.
        let stored = AsyncChannel<Void>()
        let prepareAhead = self.prepareAhead
        let profiles = SourceProfiles(
            store: store, extractor: extractor, logger: logger, relearn: force,
            files: Dictionary(sources.map { ($0.0.id!, Array($0.1)) }, uniquingKeysWith: { a, _ in a }))
        let producer = Task {
            var acknowledgements = stored.makeAsyncIterator()
            for (path, sourceId) in work {
                if Task.isCancelled { break }
                await channel.send(await prepare(path: path, sourceId: sourceId, profiles: profiles))
                if !prepareAhead, await acknowledgements.next() == nil { break }
            }
            channel.finish()
        }
        defer {
            producer.cancel()
            stored.finish()
        }

        var done = 0
        for await prepared in channel {
            summary.extractSeconds += prepared.extractSeconds
            summary.chunkSeconds += prepared.chunkSeconds
            summary.boilerplateBlocks += prepared.boilerplateRemoved
            let outcome = await finish(prepared, summary: &summary)
            if !prepareAhead { await stored.send(()) }
            done += 1
            progress(IngestProgress(
                filesDone: done, filesTotal: total, pages: summary.pages, chunks: summary.chunks,
                elapsedSeconds: (clock.now - started).seconds, currentPath: prepared.path, outcome: outcome))
            if done < total && (Task.isCancelled || shouldStop()) {
                summary.stopped = true
                break
            }
        }

        if !summary.stopped {
            for (source, seen) in sources {
                let gone = try store.removeDocuments(sourceId: source.id!, keeping: seen)
                for path in gone { logger.info("removed", metadata: ["path": "\(path)"]) }
                summary.removed += gone.count
                try store.markIngested(sourceId: source.id!)
            }
        }
        summary.seconds = (clock.now - started).seconds
        return summary
    }

    /// Hashes, extracts and chunks one file. Hashing and chunking run off the cooperative
    /// pool; extraction is the extractor's async call, which for `IsolatedExtractor` kills
    /// the child when the ingest task is cancelled.
    func prepare(path: String, sourceId: Int64, profiles: SourceProfiles) async -> Prepared {
        let check = await offPool { precheck(path: path, sourceId: sourceId) }
        let hash: (hex: String, size: Int64)
        let isNew: Bool
        switch check {
        case .done(let prepared): return prepared
        case .extract(let h, let n): (hash, isNew) = (h, n)
        }
        let boilerplate = await profiles.entry(for: sourceId)
        let clock = ContinuousClock()
        let t0 = clock.now
        let document: ExtractedDocument
        do {
            document = try await extractor.extract(fileAt: URL(fileURLWithPath: path))
        } catch {
            let update = DocumentUpdate(
                path: path, sourceId: sourceId, contentSHA256: hash.hex, sizeBytes: hash.size,
                format: DocumentExtractor.format(of: URL(fileURLWithPath: path), prefix: []) ?? .text,
                title: nil, author: nil, created: nil, modified: nil, pages: nil, pagesWithoutText: 0, usedOCR: false)
            return Prepared(path: path, sourceId: sourceId, outcome: .failed(error, update, isNew: isNew),
                            extractSeconds: (clock.now - t0).seconds)
        }
        let t1 = clock.now
        return await offPool { chunk(document, path: path, sourceId: sourceId, hash: hash, isNew: isNew,
                                     boilerplate: boilerplate, extractSeconds: (t1 - t0).seconds) }
    }

    private enum Precheck: Sendable {
        case done(Prepared)
        case extract(hash: (hex: String, size: Int64), isNew: Bool)
    }

    /// Hashes the file and decides whether it needs extracting at all.
    private func precheck(path: String, sourceId: Int64) -> Precheck {
        let hash: (hex: String, size: Int64)
        let existing: DocumentRecord?
        do {
            hash = try FileHasher.sha256(path: path)
            existing = try store.document(path: path)
        } catch {
            return .done(Prepared(path: path, sourceId: sourceId, outcome: .error("unreadable: \(error.localizedDescription)")))
        }
        if !force, let existing, existing.contentSHA256 == hash.hex {
            switch existing.status {
            case .ingested, .ingestedOCR:
                return .done(Prepared(path: path, sourceId: sourceId, outcome: .unchanged(documentId: existing.id!)))
            case .failed, .skipped:
                let reason = existing.error ?? "failed"
                let code = reason.split(separator: ":").first.map(String.init) ?? "error"
                return .done(Prepared(path: path, sourceId: sourceId,
                                      outcome: .stillFailing(existing.status, code: code, reason: reason)))
            }
        }
        return .extract(hash: hash, isNew: existing == nil)
    }

    /// Removes the source's boilerplate from an extracted document and chunks it.
    private func chunk(_ extracted: ExtractedDocument, path: String, sourceId: Int64, hash: (hex: String, size: Int64),
                       isNew: Bool, boilerplate: SourceProfiles.Entry, extractSeconds: Double) -> Prepared
    {
        let clock = ContinuousClock()
        let t1 = clock.now
        let (document, removed) = boilerplate.profile.strip(
            extracted, folder: BoilerplateLearner.folder(of: path, root: boilerplate.root))
        let title = document.title ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let chunks = chunker.chunks(of: document, title: title)
        let t2 = clock.now
        let update = DocumentUpdate(
            path: path, sourceId: sourceId, contentSHA256: hash.hex, sizeBytes: hash.size, format: document.format,
            title: title, author: document.author, created: document.created, modified: document.modified,
            pages: document.pageCount, pagesWithoutText: document.pagesWithoutText.count,
            usedOCR: document.sections.contains { $0.origin == .ocr && $0.blocks.contains { !$0.text.isEmpty } })
        if chunks.isEmpty {
            return Prepared(path: path, sourceId: sourceId, outcome: .failed(.empty, update, isNew: isNew),
                            extractSeconds: extractSeconds, chunkSeconds: (t2 - t1).seconds)
        }
        return Prepared(path: path, sourceId: sourceId, outcome: .chunks(update, chunks, isNew: isNew),
                        extractSeconds: extractSeconds, chunkSeconds: (t2 - t1).seconds, boilerplateRemoved: removed)
    }

    /// Runs blocking work (hashing, SQLite reads, chunking) on a dispatch thread.
    private func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    /// The vectors of `chunks` by `model`, in batches of `embeddingBatchSize`.
    private func embed(_ chunks: [Chunk], with model: any EmbeddingModel, summary: inout IngestSummary) async throws
        -> [[Float]]
    {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(chunks.count)
        for start in stride(from: 0, to: chunks.count, by: embeddingBatchSize) {
            // The file in hand is finished even when the ingest is being cancelled.
            let texts = chunks[start..<min(start + embeddingBatchSize, chunks.count)].map(\.embeddingText)
            // .utility: a question's embedding (a request's task) goes first; see DedicatedThreadExecutor.
            let result = try await Task(priority: .utility) { try await model.embed(texts) }.value
            vectors += result.vectors
            summary.truncatedChunks += result.truncatedCount
        }
        return vectors
    }

    /// Embeds and stores a prepared file, or records why it failed. - Returns: the outcome word.
    private func finish(_ prepared: Prepared, summary: inout IngestSummary) async -> String {
        let clock = ContinuousClock()
        do {
            switch prepared.outcome {
            case .unchanged(let documentId):
                try store.markChecked(documentId: documentId)
                summary.unchanged += 1
                return "unchanged"

            case .chunks(let update, let chunks, let isNew):
                let t0 = clock.now
                var t1 = t0
                for attempt in 1...2 {
                    let pin = try embeddings?.pin()
                    let vectors = try await embed(chunks, with: pin?.model ?? embedder, summary: &summary)
                    t1 = clock.now
                    do {
                        try store.replaceDocument(update, chunks: chunks, vectors: vectors, generation: pin?.generation)
                        break
                    } catch let error as StoreError where error.kind == .indexSwitched && attempt == 1 && embeddings != nil {
                        continue  // a migration switched the index meanwhile: embed with its model
                    }
                }
                summary.embedSeconds += (t1 - t0).seconds
                summary.storeSeconds += (clock.now - t1).seconds
                summary.chunks += chunks.count
                summary.pages += update.pages ?? 0
                if isNew { summary.new += 1 } else { summary.updated += 1 }
                logger.debug("ingested", metadata: ["path": "\(prepared.path)", "chunks": "\(chunks.count)"])
                return isNew ? "new" : "updated"

            case .failed(let error, let update, _):
                let status: DocumentStatus = error == .encrypted ? .skipped : .failed
                try store.recordFailure(
                    path: prepared.path, sourceId: prepared.sourceId, format: update?.format,
                    contentSHA256: update?.contentSHA256, sizeBytes: update?.sizeBytes, status: status,
                    error: error.description)
                let failure = IngestSummary.Failure(path: prepared.path, code: error.code, reason: error.description)
                if status == .skipped { summary.skipped.append(failure) } else { summary.failed.append(failure) }
                logger.warning("not ingested", metadata: ["path": "\(prepared.path)", "reason": "\(error.description)"])
                return status == .skipped ? "skipped" : "failed"

            case .stillFailing(let status, let code, let reason):
                let failure = IngestSummary.Failure(path: prepared.path, code: code, reason: reason)
                if status == .skipped { summary.skipped.append(failure) } else { summary.failed.append(failure) }
                return status == .skipped ? "skipped" : "failed"

            case .error(let reason):
                try? store.recordFailure(
                    path: prepared.path, sourceId: prepared.sourceId, format: nil, contentSHA256: nil, sizeBytes: nil,
                    status: .failed, error: reason)
                summary.failed.append(.init(path: prepared.path, code: "unreadable", reason: reason))
                return "failed"
            }
        } catch {
            // Embedding or database failure for this file: record it, carry on with the next.
            let reason = "error: \(error)"
            try? store.recordFailure(
                path: prepared.path, sourceId: prepared.sourceId, format: nil, contentSHA256: nil, sizeBytes: nil,
                status: .failed, error: reason)
            summary.failed.append(.init(path: prepared.path, code: "error", reason: reason))
            logger.error("ingest failed", metadata: ["path": "\(prepared.path)", "error": "\(error)"])
            return "failed"
        }
    }
}
