import Foundation

/// The re-ingest queue as every store offers it: admins (and the sync scheduler) enqueue, an
/// ingest worker claims a job, reports progress, and finishes it.
///
/// Two implementations: `JobStore`, in the SQLite file of a single node, and the PostgreSQL
/// store's queue (RagPostgres), which several nodes share. The rules are the same for both:
/// - one job per source at a time: a job for a source (or a document of it) is refused while a
///   job touching that source is queued or running, and a job for everything while any is;
/// - a job is claimed by one worker only, oldest first;
/// - a job whose worker went away is run again: on one node, `requeueInterrupted()` at start-up;
///   on shared PostgreSQL, when the claim's lease expires without `renewLease(id:)`.
public protocol IngestJobQueue: Sendable {
    /// Queues a job. - Throws: `StoreError(.conflict)` naming the job already queued or running,
    ///   `StoreError(.notFound)` for a source or document that does not exist.
    @discardableResult
    func enqueue(scope: IngestJobRecord.Scope, sourceId: Int64?, documentId: Int64?, requestedBy: String, force: Bool)
        async throws -> IngestJobRecord

    /// Takes the oldest job that is queued (or whose worker's lease expired) and marks it running.
    func claimNext() async throws -> IngestJobRecord?

    /// Keeps this worker's claim on a running job alive; false when the claim was lost (the job
    /// finished, was cancelled, or another node took it over after the lease expired).
    func renewLease(id: Int64) async throws -> Bool

    func job(id: Int64) async throws -> IngestJobRecord?

    /// Recent jobs, newest first.
    func recent(limit: Int) async throws -> [IngestJobRecord]

    /// Jobs waiting or running (the queue depth).
    func activeCount() async throws -> Int

    func updateProgress(id: Int64, filesDone: Int, filesTotal: Int, chunks: Int, currentPath: String?) async throws

    func finish(id: Int64, status: IngestJobRecord.Status, message: String?) async throws

    /// Asks a queued or running job to stop (a queued one is cancelled at once).
    /// - Returns: false when the job is unknown or already finished.
    func requestCancel(id: Int64) async throws -> Bool

    func isCancelRequested(id: Int64) async throws -> Bool

    /// Puts this node's jobs that were running when it stopped back in the queue (at start-up).
    /// - Returns: how many.
    @discardableResult
    func requeueInterrupted() async throws -> Int
}
