import Foundation

/// What one ingest run did, file by file, for the terminal, `--json` and the admin pages.
public struct IngestSummary: Sendable, Encodable, Equatable {
    public struct Failure: Sendable, Encodable, Equatable {
        public var path: String
        /// "encrypted", "corrupt", "unsupported", "unreadable", "timeout", "empty", "error".
        public var code: String
        public var reason: String
    }

    /// Files ingested for the first time.
    public var new = 0
    /// Files whose content hash had not changed: no extraction, no embedding.
    public var unchanged = 0
    /// Files whose content changed: chunks replaced.
    public var updated = 0
    /// Documents whose files are gone from their source.
    public var removed = 0
    /// Files that could not be ingested, with reasons (encrypted files are `skipped`).
    public var failed: [Failure] = []
    public var skipped: [Failure] = []

    public var pages = 0
    public var chunks = 0
    /// Blocks and table rows removed before chunking because they repeat across the source's
    /// documents (navigation, footers: see `BoilerplateProfile`).
    public var boilerplateBlocks = 0
    /// Chunks whose text the embedding model had to cut (should stay 0: the chunker sizes them).
    public var truncatedChunks = 0
    /// The run stopped early (cancelled or shutting down): files not reached are untouched,
    /// and nothing was removed.
    public var stopped = false
    /// Wall-clock seconds, and the seconds spent in each stage (stages overlap, so they can
    /// add up to more than the wall clock).
    public var seconds = 0.0
    public var extractSeconds = 0.0
    public var chunkSeconds = 0.0
    public var embedSeconds = 0.0
    public var storeSeconds = 0.0

    public init() {}

    /// Files looked at.
    public var files: Int { new + unchanged + updated + failed.count + skipped.count }

    enum CodingKeys: String, CodingKey {
        case new, unchanged, updated, removed, failed, skipped, pages, chunks, seconds, files, stopped
        case truncatedChunks = "truncated_chunks"
        case boilerplateBlocks = "boilerplate_blocks"
        case extractSeconds = "extract_seconds"
        case chunkSeconds = "chunk_seconds"
        case embedSeconds = "embed_seconds"
        case storeSeconds = "store_seconds"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(files, forKey: .files)
        try c.encode(new, forKey: .new)
        try c.encode(unchanged, forKey: .unchanged)
        try c.encode(updated, forKey: .updated)
        try c.encode(removed, forKey: .removed)
        try c.encode(failed, forKey: .failed)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(pages, forKey: .pages)
        try c.encode(chunks, forKey: .chunks)
        try c.encode(truncatedChunks, forKey: .truncatedChunks)
        try c.encode(boilerplateBlocks, forKey: .boilerplateBlocks)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(extractSeconds, forKey: .extractSeconds)
        try c.encode(chunkSeconds, forKey: .chunkSeconds)
        try c.encode(embedSeconds, forKey: .embedSeconds)
        try c.encode(storeSeconds, forKey: .storeSeconds)
        try c.encode(stopped, forKey: .stopped)
    }
}

/// Where a running ingest is, reported after every file.
public struct IngestProgress: Sendable, Equatable {
    public var filesDone: Int
    public var filesTotal: Int
    public var pages: Int
    public var chunks: Int
    public var elapsedSeconds: Double
    /// The file just finished.
    public var currentPath: String
    /// What happened to it: "new", "updated", "unchanged", "failed", "skipped".
    public var outcome: String

    /// Chunks embedded per second so far.
    public var chunksPerSecond: Double { elapsedSeconds > 0 ? Double(chunks) / elapsedSeconds : 0 }

    /// Seconds left, extrapolated from the files done so far.
    public var etaSeconds: Double? {
        guard filesDone > 0, filesDone < filesTotal else { return nil }
        return elapsedSeconds / Double(filesDone) * Double(filesTotal - filesDone)
    }
}
