import Foundation
import GRDB

/// The re-ingest queue of one node, in the store's SQLite file (`RagStore.jobs`): admins
/// enqueue, the ingest worker claims and reports progress. `IngestJobQueue` gives the rules.
public struct JobStore: IngestJobQueue {
    let writer: any DatabaseWriter

    /// Queues a job. - Throws: `StoreError(.conflict)` naming the job already queued or running.
    @discardableResult
    public func enqueue(scope: IngestJobRecord.Scope, sourceId: Int64? = nil, documentId: Int64? = nil,
                           requestedBy: String, force: Bool = false) throws -> IngestJobRecord {
        try writer.write { db in
            var sourceId = sourceId
            if scope == .document {
                guard let documentId, let document = try DocumentRecord.fetchOne(db, key: documentId) else {
                    throw StoreError(.notFound, "There is no such document.")
                }
                sourceId = document.sourceId
            }
            if scope == .source, let sourceId, try SourceRecord.fetchOne(db, key: sourceId) == nil {
                throw StoreError(.notFound, "There is no source \(sourceId).")
            }
            let active = try IngestJobRecord.filter(["queued", "running"].contains(Column("status"))).fetchAll(db)
            let conflict = active.first { job in
                scope == .all || job.scope == .all || job.sourceId == nil || job.sourceId == sourceId
            }
            if let conflict {
                throw StoreError(.conflict, "Job \(conflict.id!) (\(conflict.scope.rawValue)) is \(conflict.status.rawValue) "
                    + "for this source; wait for it or cancel it first.")
            }
            var job = IngestJobRecord(
                id: nil, scope: scope, sourceId: sourceId, documentId: documentId, status: .queued, cancelRequested: false,
                requestedBy: requestedBy, force: force, filesDone: 0, filesTotal: 0, chunks: 0, currentPath: nil,
                message: nil, createdAt: Date(), startedAt: nil, finishedAt: nil)
            try job.insert(db)
            return job
        }
    }

    /// Takes the oldest queued job and marks it running.
    public func claimNext() throws -> IngestJobRecord? {
        try writer.write { db in
            guard var job = try IngestJobRecord.filter(Column("status") == "queued").order(Column("id")).fetchOne(db) else {
                return nil
            }
            job.status = .running
            job.startedAt = Date()
            try job.update(db)
            return job
        }
    }

    /// One node runs its own jobs: the claim holds while the job runs.
    public func renewLease(id: Int64) throws -> Bool {
        try writer.read { db in
            try String.fetchOne(db, sql: "SELECT status FROM ingest_job WHERE id = ?", arguments: [id]) == "running"
        }
    }

    public func job(id: Int64) throws -> IngestJobRecord? {
        try writer.read { db in try IngestJobRecord.fetchOne(db, key: id) }
    }

    /// Recent jobs, newest first.
    public func recent(limit: Int = 50) throws -> [IngestJobRecord] {
        try writer.read { db in try IngestJobRecord.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    /// Jobs waiting or running (the queue depth).
    public func activeCount() throws -> Int {
        try writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM ingest_job WHERE status IN ('queued', 'running')") ?? 0
        }
    }

    public func updateProgress(id: Int64, filesDone: Int, filesTotal: Int, chunks: Int, currentPath: String?) throws {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE ingest_job SET files_done = ?, files_total = ?, chunks = ?, current_path = ? WHERE id = ?",
                arguments: [filesDone, filesTotal, chunks, currentPath, id])
        }
    }

    public func finish(id: Int64, status: IngestJobRecord.Status, message: String?) throws {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE ingest_job SET status = ?, message = ?, finished_at = ?, current_path = NULL WHERE id = ?",
                arguments: [status, message, Date(), id])
        }
    }

    /// Asks a queued or running job to stop (a queued one is cancelled at once).
    /// - Returns: false when the job is unknown or already finished.
    public func requestCancel(id: Int64) throws -> Bool {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE ingest_job SET status = 'cancelled', finished_at = ?, message = 'cancelled before it started' "
                    + "WHERE id = ? AND status = 'queued'", arguments: [Date(), id])
            if db.changesCount == 1 { return true }
            try db.execute(sql: "UPDATE ingest_job SET cancel_requested = 1 WHERE id = ? AND status = 'running'", arguments: [id])
            return db.changesCount == 1
        }
    }

    public func isCancelRequested(id: Int64) throws -> Bool {
        try writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT cancel_requested FROM ingest_job WHERE id = ?", arguments: [id]) ?? true
        }
    }

    /// Puts jobs that were running when the daemon stopped back in the queue (at start-up).
    /// - Returns: how many.
    @discardableResult
    public func requeueInterrupted() throws -> Int {
        try writer.write { db in
            try db.execute(sql: """
                UPDATE ingest_job SET status = 'queued', message = 'interrupted; queued again' WHERE status = 'running'
                """)
            return db.changesCount
        }
    }
}
