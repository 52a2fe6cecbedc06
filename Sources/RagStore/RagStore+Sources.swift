import Foundation
import GRDB

/// A source with its document counts, for the admin pages.
public struct SourceSummary: Sendable, Equatable {
    public var source: SourceRecord
    public var documents: Int
    public var failed: Int
    public var chunks: Int
}

/// Sources (folders) and who may read them.
extension RagStore {
    /// Adds a source folder with its groups, or updates the groups of an existing one.
    /// Changing groups applies to its documents at once, not at the next ingest.
    @discardableResult
    public func addSource(root: String, name: String?, groups: [String]) throws -> SourceRecord {
        let json = GroupList.encode(groups)
        return try writer.write { db in
            var source = try SourceRecord.filter(Column("root") == root).fetchOne(db)
                ?? SourceRecord(id: nil, root: root, name: name ?? (root as NSString).lastPathComponent, groups: json,
                                createdAt: Date(), lastIngestAt: nil)
            if let name { source.name = name }
            source.groups = json
            try source.save(db)
            try db.execute(sql: "UPDATE document SET groups = ? WHERE source_id = ?", arguments: [json, source.id!])
            return source
        }
    }

    /// Changes a source's groups, and its documents' with them, in one transaction.
    public func setSourceGroups(id: Int64, groups: [String]) throws {
        let json = GroupList.encode(groups)
        try writer.write { db in
            try db.execute(sql: "UPDATE source SET groups = ? WHERE id = ?", arguments: [json, id])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "There is no source \(id).") }
            try db.execute(sql: "UPDATE document SET groups = ? WHERE source_id = ?", arguments: [json, id])
        }
    }

    /// Sets whether a source's passages may go to the larger model (false) or stay on-prem
    /// (true). Applies from the next question on.
    /// - Throws: `StoreError(.notFound)` for an unknown source.
    public func setSourceOnPremOnly(id: Int64, _ onPremOnly: Bool) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE source SET on_prem_only = ? WHERE id = ?", arguments: [onPremOnly, id])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "There is no source \(id).") }
        }
    }

    /// The documents among `ids` whose source keeps its passages on-prem.
    public func onPremOnlyDocumentIds(_ ids: [Int64]) throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        return try writer.read { db in
            Set(try Int64.fetchAll(db, sql: """
                SELECT d.id FROM document d JOIN source s ON s.id = d.source_id
                WHERE s.on_prem_only = 1 AND d.id IN (SELECT value FROM json_each(?))
                """, arguments: ["[" + ids.map(String.init).joined(separator: ",") + "]"]))
        }
    }

    /// Removes a source with its documents, chunks, vectors and full-text rows.
    /// - Returns: the number of documents removed.
    @discardableResult
    public func removeSource(id: Int64) throws -> Int {
        try writer.write { db in
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM document WHERE source_id = ?", arguments: [id]) ?? 0
            try db.execute(sql: "DELETE FROM source WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "There is no source \(id).") }
            return count
        }
    }

    public func source(id: Int64) throws -> SourceRecord? {
        try writer.read { db in try SourceRecord.fetchOne(db, key: id) }
    }

    public func sources() throws -> [SourceSummary] {
        try writer.read { db in
            let sources = try SourceRecord.order(Column("name")).fetchAll(db)
            return try sources.map { source in
                let row = try Row.fetchOne(db, sql: """
                    SELECT count(*), coalesce(sum(status = 'failed'), 0), coalesce(sum(chunk_count), 0)
                    FROM document WHERE source_id = ?
                    """, arguments: [source.id!])
                return SourceSummary(source: source, documents: row?[0] ?? 0, failed: row?[1] ?? 0, chunks: row?[2] ?? 0)
            }
        }
    }

    /// Documents of one source (or all), by path.
    public func documents(sourceId: Int64?, limit: Int = 1000) throws -> [DocumentRecord] {
        try writer.read { db in
            var request = DocumentRecord.order(Column("path")).limit(limit)
            if let sourceId { request = request.filter(Column("source_id") == sourceId) }
            return try request.fetchAll(db)
        }
    }

    /// A document if a reader with `access` may read it; nil otherwise (as if it did not exist).
    public func document(id: Int64, access: AccessFilter) throws -> DocumentRecord? {
        try writer.read { db in
            let condition = access.documentCondition
            return try DocumentRecord.fetchOne(
                db, sql: "SELECT d.* FROM document d WHERE d.id = ? AND \(condition.sql)",
                arguments: StatementArguments([id] as [any DatabaseValueConvertible]) + StatementArguments(condition.arguments))
        }
    }
}

/// A source's stored boilerplate profile (see RagChunking's `BoilerplateProfile`).
public struct StoredBoilerplateProfile: Sendable, Equatable {
    /// The profile as JSON.
    public var profile: String
    public var documentsSampled: Int
    /// Files the source had when the profile was learned.
    public var filesSeen: Int
    public var learnedAt: Date

    public init(profile: String, documentsSampled: Int, filesSeen: Int, learnedAt: Date) {
        self.profile = profile
        self.documentsSampled = documentsSampled
        self.filesSeen = filesSeen
        self.learnedAt = learnedAt
    }
}

extension RagStore {
    public func boilerplateProfile(sourceId: Int64) throws -> StoredBoilerplateProfile? {
        try writer.read { db in
            try Row.fetchOne(db, sql: """
                SELECT profile, documents_sampled, files_seen, learned_at FROM source_boilerplate WHERE source_id = ?
                """, arguments: [sourceId]).map {
                StoredBoilerplateProfile(profile: $0[0], documentsSampled: $0[1], filesSeen: $0[2], learnedAt: $0[3])
            }
        }
    }

    /// Stores (or replaces) a source's boilerplate profile.
    public func saveBoilerplateProfile(sourceId: Int64, _ stored: StoredBoilerplateProfile) throws {
        try writer.write { db in
            try db.execute(sql: """
                INSERT INTO source_boilerplate(source_id, profile, documents_sampled, files_seen, learned_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(source_id) DO UPDATE SET profile = excluded.profile,
                    documents_sampled = excluded.documents_sampled, files_seen = excluded.files_seen,
                    learned_at = excluded.learned_at
                """, arguments: [sourceId, stored.profile, stored.documentsSampled, stored.filesSeen, stored.learnedAt])
        }
    }
}
