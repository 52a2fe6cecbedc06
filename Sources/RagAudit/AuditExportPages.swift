import Foundation
import GRDB

extension AuditLog {
    /// The export of ``export(matching:format:write:)`` as an async sequence of chunks, for a
    /// caller that must not block a thread while a slow reader takes the bytes (the daemon's
    /// download). Joined, the chunks are byte for byte what `export` writes.
    ///
    /// Each chunk is one page of `pageSize` records read with an async GRDB read, so memory
    /// holds one page however many records match, and nothing is read until the consumer asks
    /// for the next chunk. The pages are separate reads, not one snapshot: the export stops at
    /// the record that was last when it began, so records appended meanwhile are left out as
    /// `export` leaves them out. (A purge running at the same moment could remove records the
    /// export has not reached yet.) A cancelled task stops before its next page.
    public func exportPages(matching filter: AuditFilter = AuditFilter(), format: AuditExportFormat, pageSize: Int = 500)
        -> AuditExportPages
    {
        AuditExportPages(log: self, filter: filter, format: format, pageSize: max(1, pageSize))
    }
}

/// An audit export, one page of records per element. See ``AuditLog/exportPages(matching:format:pageSize:)``.
public struct AuditExportPages: AsyncSequence, Sendable {
    public typealias Element = Data
    let log: AuditLog
    let filter: AuditFilter
    let format: AuditExportFormat
    let pageSize: Int

    public func makeAsyncIterator() -> Iterator { Iterator(pages: self) }

    public struct Iterator: AsyncIteratorProtocol {
        let pages: AuditExportPages
        /// The last record when the export began; nil until the first page is read.
        var lastId: Int64?
        /// The id the next page starts after.
        var after: Int64 = 0
        var finished = false

        /// - Throws: `CancellationError` when the task is cancelled; otherwise as
        ///   ``AuditLog/export(matching:format:write:)``.
        public mutating func next() async throws -> Data? {
            guard !finished else { return nil }
            try Task.checkCancellation()
            let isFirst = lastId == nil
            let (condition, arguments) = pages.filter.sql
            let (format, pageSize, after) = (pages.format, pages.pageSize, self.after)
            let knownLast = lastId
            let page = try await pages.log.pool.read { db -> (data: Data, count: Int, lastRead: Int64?, lastId: Int64) in
                let lastId = try knownLast ?? Int64.fetchOne(db, sql: "SELECT max(id) FROM audit_record") ?? 0
                var data = Data()
                if isFirst, format == .csv { data.append(csvLine(AuditLog.csvColumns)) }
                let rows = try Row.fetchCursor(
                    db,
                    sql: "SELECT id, body, previous_hash, hash FROM audit_record WHERE id > ? AND id <= ? AND (\(condition)) ORDER BY id LIMIT ?",
                    arguments: StatementArguments([after, lastId]) + arguments + [pageSize])
                var count = 0
                var lastRead: Int64?
                while let row = try rows.next() {
                    data.append(try AuditLog.exportLine(row, format: format))
                    lastRead = row[0]
                    count += 1
                }
                return (data, count, lastRead, lastId)
            }
            self.lastId = page.lastId
            if let lastRead = page.lastRead { self.after = lastRead }
            if page.count < pageSize { finished = true }
            // A last page that came back empty (the previous one was exactly full) ends the sequence.
            return page.data.isEmpty ? nil : page.data
        }
    }
}
