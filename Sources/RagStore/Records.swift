import Foundation
import GRDB
import RagCore

/// A row of `source`: a folder or file that documents come from.
public struct SourceRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "source"
    public var id: Int64?
    public var root: String
    public var name: String
    /// JSON array of group names whose members may read the documents (empty: everyone).
    public var groups: String
    public var createdAt: Date
    public var lastIngestAt: Date?
    /// Its passages never go to the larger model: questions they answer stay on-prem.
    public var onPremOnly: Bool = false
    /// Synced by itself every this many seconds; nil: only when an admin asks.
    public var syncSeconds: Int? = nil
    /// When the next scheduled sync is due.
    public var nextSyncAt: Date? = nil
    /// The last sync, what it found ("3 files: 1 new, …", or why it failed), and the failures in a row.
    public var lastSyncAt: Date? = nil
    public var lastSyncResult: String? = nil
    public var syncFailures: Int = 0
    /// Also synced a moment after its files change (where the file system reports changes).
    public var syncOnChange: Bool = false
    /// Also synced every day at this time ("02:30", the server's local time).
    public var syncDailyAt: String? = nil

    enum CodingKeys: String, CodingKey {
        case id, root, name, groups
        case createdAt = "created_at"
        case lastIngestAt = "last_ingest_at"
        case onPremOnly = "on_prem_only"
        case syncSeconds = "sync_seconds"
        case nextSyncAt = "next_sync_at"
        case lastSyncAt = "last_sync_at"
        case lastSyncResult = "last_sync_result"
        case syncFailures = "sync_failures"
        case syncOnChange = "sync_on_change"
        case syncDailyAt = "sync_daily_at"
    }

    public init(id: Int64?, root: String, name: String, groups: String, createdAt: Date, lastIngestAt: Date?) {
        self.id = id
        self.root = root
        self.name = name
        self.groups = groups
        self.createdAt = createdAt
        self.lastIngestAt = lastIngestAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// What ingestion concluded about a file.
public enum DocumentStatus: String, Codable, Sendable, DatabaseValueConvertible {
    case ingested
    /// Ingested, with some or all text from OCR.
    case ingestedOCR = "ingested_ocr"
    /// Could not be read; `error` says why.
    case failed
    /// Deliberately not ingested (encrypted); `error` says why.
    case skipped
}

/// A row of `document`: one file, its metadata and the outcome of its last ingest.
public struct DocumentRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "document"
    public var id: Int64?
    public var sourceId: Int64?
    public var path: String
    public var title: String?
    public var author: String?
    /// A `DocumentFormat`'s raw value, or "unknown" for a file that failed before its format
    /// was known; read it as `documentFormat`.
    public var format: String
    /// JSON array of the groups that may read it ('[]': everyone).
    public var groups: String
    public var contentSHA256: String?
    public var sizeBytes: Int64?
    /// Increases every time the document's chunks are replaced.
    public var version: Int
    public var status: DocumentStatus
    public var error: String?
    public var pages: Int?
    public var pagesWithoutText: Int
    public var chunkCount: Int
    public var createdAt: Date?
    public var modifiedAt: Date?
    public var ingestedAt: Date
    public var checkedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, path, title, author, format, groups, version, status, error, pages
        case sourceId = "source_id"
        case contentSHA256 = "content_sha256"
        case sizeBytes = "size_bytes"
        case pagesWithoutText = "pages_without_text"
        case chunkCount = "chunk_count"
        case createdAt = "created_at"
        case modifiedAt = "modified_at"
        case ingestedAt = "ingested_at"
        case checkedAt = "checked_at"
    }

    public init(id: Int64?, sourceId: Int64?, path: String, title: String?, author: String?, format: String, groups: String,
                contentSHA256: String?, sizeBytes: Int64?, version: Int, status: DocumentStatus, error: String?, pages: Int?,
                pagesWithoutText: Int, chunkCount: Int, createdAt: Date?, modifiedAt: Date?, ingestedAt: Date,
                checkedAt: Date) {
        self.id = id
        self.sourceId = sourceId
        self.path = path
        self.title = title
        self.author = author
        self.format = format
        self.groups = groups
        self.contentSHA256 = contentSHA256
        self.sizeBytes = sizeBytes
        self.version = version
        self.status = status
        self.error = error
        self.pages = pages
        self.pagesWithoutText = pagesWithoutText
        self.chunkCount = chunkCount
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
        self.ingestedAt = ingestedAt
        self.checkedAt = checkedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The format, nil when unknown.
    public var documentFormat: DocumentFormat? { DocumentFormat(rawValue: format) }
}

/// A row of `chunk`.
public struct ChunkRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "chunk"
    public var id: Int64?
    public var documentId: Int64
    public var ordinal: Int
    public var text: String
    public var sectionPath: String
    public var anchor: String?
    public var pageStart: Int?
    public var pageEnd: Int?
    public var charStart: Int
    public var charEnd: Int
    public var tokenCount: Int
    public var origin: String

    enum CodingKeys: String, CodingKey {
        case id, ordinal, text, anchor, origin
        case documentId = "document_id"
        case sectionPath = "section_path"
        case pageStart = "page_start"
        case pageEnd = "page_end"
        case charStart = "char_start"
        case charEnd = "char_end"
        case tokenCount = "token_count"
    }

    public init(id: Int64?, documentId: Int64, ordinal: Int, text: String, sectionPath: String, anchor: String?,
                pageStart: Int?, pageEnd: Int?, charStart: Int, charEnd: Int, tokenCount: Int, origin: String) {
        self.id = id
        self.documentId = documentId
        self.ordinal = ordinal
        self.text = text
        self.sectionPath = sectionPath
        self.anchor = anchor
        self.pageStart = pageStart
        self.pageEnd = pageEnd
        self.charStart = charStart
        self.charEnd = charEnd
        self.tokenCount = tokenCount
        self.origin = origin
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    init(_ chunk: Chunk, documentId: Int64) {
        self.documentId = documentId
        self.ordinal = chunk.ordinal
        self.text = chunk.text
        self.sectionPath = chunk.sectionLine
        self.anchor = chunk.anchor
        self.pageStart = chunk.pageStart
        self.pageEnd = chunk.pageEnd
        self.charStart = chunk.characterStart
        self.charEnd = chunk.characterEnd
        self.tokenCount = chunk.tokenCount
        self.origin = chunk.origin.rawValue
    }
}
