import Foundation
import Logging
import PostgresNIO
import RagStore

/// The re-ingest queue that every node sharing the PostgreSQL store works from.
///
/// - A job is claimed with `FOR UPDATE SKIP LOCKED`: two nodes asking at once get different
///   jobs, and neither waits for the other.
/// - A claim is a lease: the claiming node renews it while the job runs (`renewLease(id:)`); when
///   a node dies, its job is claimed again by another node once the lease has run out, and goes on
///   from the start of its files (ingest is incremental, so finished documents are skipped).
/// - Progress, the end of a job and renewals are accepted only from the node holding the claim,
///   so a node that lost its claim (it stalled past the lease) cannot overwrite its successor's.
/// - Enqueueing takes a transaction-scoped advisory lock, so the one-job-per-source rule holds
///   between nodes too.
public struct PostgresJobQueue: IngestJobQueue {
    let client: PostgresClient
    let logger: Logger
    /// This node's name in `claimed_by`.
    public let node: String
    public let lease: Duration

    /// The advisory-lock key that serialises enqueueing ("job" in ASCII).
    static let enqueueLockKey: Int64 = 0x6A_6F62

    static let columns = """
        id, scope, source_id, document_id, status, cancel_requested, requested_by, force, files_done, files_total,
        chunks, current_path, message, created_at, started_at, finished_at
        """

    var leaseSeconds: Double {
        Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
    }

    @discardableResult
    public func enqueue(scope: IngestJobRecord.Scope, sourceId: Int64? = nil, documentId: Int64? = nil,
                        requestedBy: String, force: Bool = false) async throws -> IngestJobRecord {
        try await run("Queueing a job") {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.enqueueLockKey))", logger: logger)
                var sourceId = sourceId
                if scope == .document {
                    guard let documentId,
                          let owner = try await connection.query(
                              "SELECT source_id FROM document WHERE id = \(documentId)", logger: logger
                          ).decode(Int64?.self).first(where: { _ in true })
                    else { throw StoreError(.notFound, "There is no such document.") }
                    sourceId = owner
                }
                if scope == .source, let sourceId {
                    let found = try await connection.query("SELECT 1 FROM source WHERE id = \(sourceId)", logger: logger)
                        .decode(Int.self).first(where: { _ in true })
                    if found == nil { throw StoreError(.notFound, "There is no source \(sourceId).") }
                }
                let active = try await Self.records(connection.query(
                    "SELECT \(unescaped: Self.columns) FROM ingest_job WHERE status IN ('queued', 'running') ORDER BY id",
                    logger: logger))
                if let conflict = active.first(where: { scope == .all || $0.scope == .all || $0.sourceId == nil || $0.sourceId == sourceId }) {
                    throw StoreError(.conflict, "Job \(conflict.id!) (\(conflict.scope.rawValue)) is \(conflict.status.rawValue) "
                        + "for this source; wait for it or cancel it first.")
                }
                let inserted = try await Self.records(connection.query("""
                    INSERT INTO ingest_job (scope, source_id, document_id, status, requested_by, force)
                    VALUES (\(scope.rawValue), \(sourceId), \(documentId), 'queued', \(requestedBy), \(force))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger))
                return inserted[0]
            }
        }
    }

    public func claimNext() async throws -> IngestJobRecord? {
        try await run("Claiming a job") {
            let taken = try await Self.records(client.query("""
                UPDATE ingest_job SET
                    status = 'running', claimed_by = \(node), attempts = attempts + 1,
                    lease_until = now() + make_interval(secs => \(leaseSeconds)),
                    started_at = coalesce(started_at, now()),
                    message = CASE WHEN status = 'running'
                        THEN 'taken over from ' || coalesce(claimed_by, 'another node') || ' after its lease ran out'
                        ELSE message END
                WHERE id = (
                    SELECT id FROM ingest_job
                    WHERE status = 'queued' OR (status = 'running' AND lease_until < now())
                    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING \(unescaped: Self.columns)
                """, logger: logger))
            return taken.first
        }
    }

    public func renewLease(id: Int64) async throws -> Bool {
        try await run("Renewing a job's claim") {
            try await client.query("""
                UPDATE ingest_job SET lease_until = now() + make_interval(secs => \(leaseSeconds))
                WHERE id = \(id) AND status = 'running' AND claimed_by = \(node) RETURNING id
                """, logger: logger).decode(Int64.self).first(where: { _ in true }) != nil
        }
    }

    public func job(id: Int64) async throws -> IngestJobRecord? {
        try await run("Reading a job") {
            try await Self.records(client.query(
                "SELECT \(unescaped: Self.columns) FROM ingest_job WHERE id = \(id)", logger: logger)).first
        }
    }

    public func recent(limit: Int) async throws -> [IngestJobRecord] {
        try await run("Listing jobs") {
            try await Self.records(client.query(
                "SELECT \(unescaped: Self.columns) FROM ingest_job ORDER BY id DESC LIMIT \(limit)", logger: logger))
        }
    }

    public func activeCount() async throws -> Int {
        try await run("Counting jobs") {
            try await client.query("SELECT count(*) FROM ingest_job WHERE status IN ('queued', 'running')", logger: logger)
                .decode(Int.self).first(where: { _ in true }) ?? 0
        }
    }

    /// Also renews the claim: a job reporting progress is alive.
    public func updateProgress(id: Int64, filesDone: Int, filesTotal: Int, chunks: Int, currentPath: String?) async throws {
        try await run("Recording a job's progress") {
            try await client.query("""
                UPDATE ingest_job SET files_done = \(filesDone), files_total = \(filesTotal), chunks = \(chunks),
                    current_path = \(currentPath), lease_until = now() + make_interval(secs => \(leaseSeconds))
                WHERE id = \(id) AND status = 'running' AND claimed_by = \(node)
                """, logger: logger)
        }
    }

    public func finish(id: Int64, status: IngestJobRecord.Status, message: String?) async throws {
        try await run("Finishing a job") {
            try await client.query("""
                UPDATE ingest_job SET status = \(status.rawValue), message = \(message), finished_at = now(),
                    current_path = NULL, lease_until = NULL
                WHERE id = \(id) AND (claimed_by = \(node) OR claimed_by IS NULL)
                """, logger: logger)
        }
    }

    public func requestCancel(id: Int64) async throws -> Bool {
        try await run("Cancelling a job") {
            let cancelled = try await client.query("""
                UPDATE ingest_job SET status = 'cancelled', finished_at = now(), message = 'cancelled before it started'
                WHERE id = \(id) AND status = 'queued' RETURNING id
                """, logger: logger).decode(Int64.self).first(where: { _ in true })
            if cancelled != nil { return true }
            return try await client.query("""
                UPDATE ingest_job SET cancel_requested = true WHERE id = \(id) AND status = 'running' RETURNING id
                """, logger: logger).decode(Int64.self).first(where: { _ in true }) != nil
        }
    }

    public func isCancelRequested(id: Int64) async throws -> Bool {
        try await run("Reading a job") {
            try await client.query("SELECT cancel_requested FROM ingest_job WHERE id = \(id)", logger: logger)
                .decode(Bool.self).first(where: { _ in true }) ?? true
        }
    }

    /// Only this node's: another node's running jobs are its own until their lease runs out.
    @discardableResult
    public func requeueInterrupted() async throws -> Int {
        try await run("Queueing interrupted jobs again") {
            var count = 0
            for try await _ in try await client.query("""
                UPDATE ingest_job SET status = 'queued', message = 'interrupted; queued again', claimed_by = NULL,
                    lease_until = NULL
                WHERE status = 'running' AND claimed_by = \(node) RETURNING id
                """, logger: logger).decode(Int64.self) { count += 1 }
            return count
        }
    }

    /// Runs `body`, reporting a failure as a `StoreError` that says what was being done.
    private func run<T: Sendable>(_ doing: String, _ body: () async throws -> T) async throws -> T {
        try await reportingFailure(doing, body)
    }

    static func records(_ rows: PostgresRowSequence) async throws -> [IngestJobRecord] {
        var records: [IngestJobRecord] = []
        for try await row in rows {
            let row = row.makeRandomAccess()
            guard let scope = IngestJobRecord.Scope(rawValue: try row["scope"].decode(String.self)),
                  let status = IngestJobRecord.Status(rawValue: try row["status"].decode(String.self))
            else { throw StoreError(.invalid, "ingest_job holds a scope or status this ragd does not know.") }
            records.append(IngestJobRecord(
                id: try row["id"].decode(Int64.self), scope: scope,
                sourceId: try row["source_id"].decode(Int64?.self), documentId: try row["document_id"].decode(Int64?.self),
                status: status, cancelRequested: try row["cancel_requested"].decode(Bool.self),
                requestedBy: try row["requested_by"].decode(String.self), force: try row["force"].decode(Bool.self),
                filesDone: try row["files_done"].decode(Int.self), filesTotal: try row["files_total"].decode(Int.self),
                chunks: try row["chunks"].decode(Int.self), currentPath: try row["current_path"].decode(String?.self),
                message: try row["message"].decode(String?.self), createdAt: try row["created_at"].decode(Date.self),
                startedAt: try row["started_at"].decode(Date?.self), finishedAt: try row["finished_at"].decode(Date?.self)))
        }
        return records
    }
}
