import Foundation
import RagAudit
import Testing

/// Tampering as it would happen: the real sqlite3 shell, on the live file.
@Suite struct TamperTests {
    let folder: TemporaryFolder
    let log: AuditLog

    init() async throws {
        folder = try TemporaryFolder()
        log = try AuditLog(path: folder.auditPath)
        for i in 1...6 {
            _ = try await log.append(questionEvent(question: "question \(i)?", answer: "answer \(i) [1]."))
        }
        #expect(try log.verify().isIntact)
    }

    @Test func updatesAndDeletesFailWhileTheTriggersStand() throws {
        let update = try sqlite3(folder.auditPath, "UPDATE audit_record SET answer = 'x' WHERE id = 3")
        #expect(update.status != 0)
        #expect(update.stderr.contains("audit records are append-only"))
        let delete = try sqlite3(folder.auditPath, "DELETE FROM audit_record WHERE id = 3")
        #expect(delete.status != 0)
        #expect(delete.stderr.contains("audit records are append-only"))
        let index = try sqlite3(folder.auditPath, "DELETE FROM audit_document")
        #expect(index.status != 0)
        #expect(try log.verify().isIntact)
        #expect(try log.head().count == 6)
    }

    @Test func anEditedAnswerNamesItsRecord() throws {
        let result = try sqlite3(
            folder.auditPath, "DROP TRIGGER audit_record_no_update; UPDATE audit_record SET answer = 'x' WHERE id = 3")
        #expect(result.status == 0, "\(result.stderr)")
        let verification = try log.verify()
        #expect(verification.failure?.recordId == 3)
        #expect(verification.failure?.reason.contains("answer") == true)
    }

    @Test func anEditedBodyNamesItsRecord() throws {
        _ = try sqlite3(
            folder.auditPath,
            "DROP TRIGGER audit_record_no_update; UPDATE audit_record SET body = replace(body, 'answer 3', 'answer 9'), answer = 'answer 9 [1].' WHERE id = 3")
        let failure = try #require(try log.verify().failure)
        #expect(failure.recordId == 3)
        #expect(failure.reason.contains("hash does not match"))
    }

    @Test func aRehashedRecordBreaksTheNextLink() throws {
        // Rewrite record 3 consistently (body, column, a correct new hash): record 4 no longer links to it.
        _ = try sqlite3(
            folder.auditPath,
            "DROP TRIGGER audit_record_no_update; UPDATE audit_record SET body = replace(body, 'answer 3', 'answer 9'), answer = 'answer 9 [1].' WHERE id = 3")
        let newHash = try shell(
            "/usr/bin/sqlite3 '\(folder.auditPath)' \"SELECT previous_hash || body FROM audit_record WHERE id = 3\" | tr -d '\\n' | sha256sum | cut -c1-64")
        _ = try sqlite3(folder.auditPath, "UPDATE audit_record SET hash = '\(newHash)' WHERE id = 3")
        let failure = try #require(try log.verify().failure)
        #expect(failure.recordId == 4)
        #expect(failure.reason.contains("not the hash of record 3"))
    }

    @Test func aDeletedMiddleRecordIsCaught() throws {
        let result = try sqlite3(folder.auditPath, "DROP TRIGGER audit_record_no_delete; DELETE FROM audit_record WHERE id = 3")
        #expect(result.status == 0, "\(result.stderr)")
        let failure = try #require(try log.verify().failure)
        #expect(failure.recordId == 4)
        #expect(failure.reason.contains("record 3 is missing"))
    }

    @Test func aTruncatedTailIsCaughtOnlyAgainstAPublishedHead() throws {
        let published = try log.head()
        _ = try sqlite3(folder.auditPath, "DROP TRIGGER audit_record_no_delete; DELETE FROM audit_record WHERE id >= 5")
        #expect(try log.verify().isIntact)  // the chain alone cannot tell
        let verification = try log.verify(expecting: published)
        #expect(verification.failure?.reason.contains("records were removed from the end") == true)
    }

    @Test func aRewrittenTailIsCaughtAgainstAPublishedHead() async throws {
        let published = try log.head()
        #expect(try log.verify(expecting: published).checkedPublishedHead)
        // Remove the last record and append a different one in its place: a valid chain again.
        _ = try sqlite3(folder.auditPath, "DROP TRIGGER audit_record_no_delete; DELETE FROM audit_record WHERE id = 6")
        _ = try await log.append(questionEvent(question: "something else?"))
        #expect(try log.verify().isIntact)
        let failure = try #require(try log.verify(expecting: published).failure)
        #expect(failure.recordId == 6)
    }

    @Test func aForgedDocumentIndexIsCaught() throws {
        _ = try sqlite3(folder.auditPath, "INSERT INTO audit_document (record_id, document_id) VALUES (2, 999)")
        let failure = try #require(try log.verify().failure)
        #expect(failure.recordId == 2)
        #expect(failure.reason.contains("document index"))
    }
}
