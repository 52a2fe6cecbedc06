import GRDB

/// Group commit: appends that arrive while a transaction is being made durable wait together
/// and go into the next transaction, so concurrent askers share one fsync.
///
/// One drain loop runs while anything is pending. Each caller is resumed with its own record
/// after the transaction holding it commits, or with the error if that transaction fails
/// (then nothing of the batch was written).
actor GroupCommitter {
    private let pool: DatabasePool
    private let maxBatch: Int
    private var pending: [(event: PreparedEvent, continuation: CheckedContinuation<AuditRecord, any Error>)] = []
    private var draining = false

    init(pool: DatabasePool, maxBatch: Int) {
        self.pool = pool
        self.maxBatch = maxBatch
    }

    func append(_ event: PreparedEvent) async throws -> AuditRecord {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(event, continuation)
        }
    }

    private func enqueue(_ event: PreparedEvent, _ continuation: CheckedContinuation<AuditRecord, any Error>) {
        pending.append((event, continuation))
        if !draining {
            draining = true
            Task { await drain() }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            do {
                // The actor is free while this awaits: new appends queue for the next batch.
                let records = try await AuditLog.commit(batch.map(\.event), to: pool)
                for (entry, record) in zip(batch, records) { entry.continuation.resume(returning: record) }
            } catch {
                for entry in batch { entry.continuation.resume(throwing: error) }
            }
        }
        draining = false
    }
}
