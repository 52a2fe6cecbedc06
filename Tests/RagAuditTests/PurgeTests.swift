import Foundation
import RagAudit
import Testing

@Suite struct PurgeTests {
    let folder: TemporaryFolder
    let log: AuditLog

    init() async throws {
        folder = try TemporaryFolder()
        log = try AuditLog(path: folder.auditPath)
        for day in 1...10 {
            _ = try await log.append(questionEvent(question: "old \(day)?"), at: utc("2024-03-\(day < 10 ? "0" : "")\(day)"))
        }
        for i in 1...5 { _ = try await log.append(questionEvent(bob, question: "recent \(i)?")) }
    }

    @Test func purgeRemovesOldRecordsRecordsItselfAndStillVerifies() async throws {
        let beforePurge = try #require(try log.record(id: 10))
        let result = try log.purge(before: utc("2024-03-06"), actor: auditor, retentionDays: 365)
        #expect(result.recordsPurged == 5)
        let checkpoint = try #require(result.checkpoint)
        #expect(checkpoint.purgedThroughId == 5)
        #expect(checkpoint.recordsPurged == 5)
        #expect(result.record.id == 16)
        #expect(result.record.event.action == "audit.purge")
        #expect(result.record.event.kind == .audit)
        #expect(result.record.event.actor == auditor)
        #expect(result.record.event.details["purged_through_id"] == "5")
        #expect(result.record.event.details["last_purged_hash"] == checkpoint.lastPurgedHash)

        #expect(try log.record(id: 5) == nil)
        #expect(try log.record(id: 6)?.previousHash == checkpoint.lastPurgedHash)
        #expect(try log.record(id: 10) == beforePurge)
        #expect(try log.records(matching: AuditFilter(kind: .audit), limit: 10, offset: 0).map(\.id) == [16])

        let verification = try log.verify()
        #expect(verification.isIntact, "\(String(describing: verification.failure))")
        #expect(verification.checkpoint == checkpoint)
        #expect(verification.recordsChecked == 11)

        // The chain goes on after the cut, and a second purge cuts further.
        _ = try await log.append(questionEvent())
        let second = try log.purge(before: utc("2025-01-01"), actor: auditor, retentionDays: 365)
        #expect(second.recordsPurged == 5)
        #expect(second.checkpoint?.purgedThroughId == 10)
        #expect(try log.verify().isIntact)
        #expect(try log.head().count == 5 + 1 + 1 + 1)
    }

    @Test func nothingOldEnoughStillLeavesARecord() throws {
        let result = try log.purge(before: utc("2020-01-01"), actor: auditor, retentionDays: 365)
        #expect(result.recordsPurged == 0)
        #expect(result.checkpoint == nil)
        #expect(try log.head().count == 16)
        #expect(try log.verify().isIntact)
    }

    @Test func theRetentionPeriodIsEnforced() throws {
        #expect(throws: AuditError.self) {
            try log.purge(before: Date(), actor: auditor, retentionDays: 365)
        }
        #expect(try log.head().count == 15)
    }

    @Test func aForgedCheckpointIsCaught() throws {
        // Delete records 1-3 and write a checkpoint for them by hand: no purge record backs it.
        let hash = try sqliteValue(folder.auditPath, "SELECT hash FROM audit_record WHERE id = 3")
        let result = try sqlite3(folder.auditPath, """
            INSERT INTO audit_purge_guard VALUES (1); DELETE FROM audit_document WHERE record_id <= 3;
            DELETE FROM audit_record WHERE id <= 3; DELETE FROM audit_purge_guard;
            INSERT INTO audit_checkpoint (created_at, purged_through_id, last_purged_hash, records_purged)
            VALUES ('2026-11-22T00:00:00.000000Z', 3, '\(hash)', 3);
            """)
        #expect(result.status == 0, "\(result.stderr)")
        let failure = try #require(try log.verify().failure)
        #expect(failure.reason.contains("no matching audit.purge record"))
    }
}
