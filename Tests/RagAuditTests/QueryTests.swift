import Foundation
import RagAudit
import Testing

@Suite struct QueryTests {
    let folder: TemporaryFolder
    let log: AuditLog

    init() async throws {
        folder = try TemporaryFolder()
        log = try AuditLog(path: folder.auditPath)
        // 1-3 alice on the 20th, 4-5 bob on the 20th, 6-7 alice on the 21st, 8 an admin action.
        _ = try await log.append(questionEvent(alice, question: "VPN reset?", answer: "Use the portal [1].", documents: [1]), at: utc("2026-11-20T08:00:00Z"))
        _ = try await log.append(questionEvent(alice, question: "Travel budget?", answer: "The budget is 500 EUR [1].", documents: [2, 3], route: "large_model"), at: utc("2026-11-20T09:00:00Z"))
        _ = try await log.append(questionEvent(alice, question: "Parking?", answer: "The documents do not answer.", documents: [3], route: "not_found"), at: utc("2026-11-20T23:59:59Z"))
        _ = try await log.append(questionEvent(bob, question: "VPN client download?", answer: "From the intranet [1].", documents: [1]), at: utc("2026-11-20T10:00:00Z"))
        _ = try await log.append(questionEvent(bob, question: "Holidays?", answer: "25 days [1].", documents: [4], route: "quoted_fallback"), at: utc("2026-11-20T11:00:00Z"))
        _ = try await log.append(questionEvent(alice, question: "Expense form?", answer: "Form E-12, see the travel policy [1].", documents: [2]), at: utc("2026-11-21T00:00:00Z"))
        _ = try await log.append(questionEvent(alice, question: "Who approves?", answer: "Your manager [1].", documents: [5]), at: utc("2026-11-21T12:00:00Z"))
        _ = try await log.append(
            AuditEvent(kind: .admin, actor: auditor, channel: "cli", action: "source.add", details: ["path": "/srv/share"]),
            at: utc("2026-11-21T13:00:00Z"))
    }

    func ids(_ filter: AuditFilter) throws -> [Int64] { try log.records(matching: filter, limit: 100, offset: 0).map(\.id) }

    @Test func byUserAndDay() throws {
        #expect(try ids(AuditFilter(user: "alice", from: utc("2026-11-20"), to: utc("2026-11-21"))) == [1, 2, 3])
        #expect(try ids(AuditFilter(user: "alice", from: utc("2026-11-21"), to: utc("2026-11-22"))) == [6, 7])
        #expect(try ids(AuditFilter(userId: 2)) == [4, 5])
        #expect(try ids(AuditFilter(user: "nobody")) == [])
    }

    @Test func byWordsInQuestionOrAnswer() throws {
        #expect(try ids(AuditFilter(text: "vpn")) == [1, 4])
        #expect(try ids(AuditFilter(text: "travel")) == [2, 6])           // question of 2, answer of 6
        #expect(try ids(AuditFilter(text: "travel form")) == [6])         // every word must appear
        #expect(try ids(AuditFilter(text: "100%")) == [])                 // LIKE wildcards are literal
    }

    @Test func byDocumentRouteAndKind() throws {
        #expect(try ids(AuditFilter(documentId: 3)) == [2, 3])
        #expect(try ids(AuditFilter(user: "bob", documentId: 1)) == [4])
        #expect(try ids(AuditFilter(route: "not_found")) == [3])
        #expect(try ids(AuditFilter(route: "quoted_fallback")) == [5])
        #expect(try ids(AuditFilter(kind: .admin)) == [8])
        #expect(try log.count(matching: AuditFilter(kind: .question)) == 7)
    }

    @Test func pagesWithLimitAndOffset() throws {
        #expect(try log.records(matching: AuditFilter(), limit: 3, offset: 0).map(\.id) == [1, 2, 3])
        #expect(try log.records(matching: AuditFilter(), limit: 3, offset: 6).map(\.id) == [7, 8])
    }

    @Test func recordsCarryTheWholeEvent() async throws {
        let record = try #require(try log.record(id: 2))
        #expect(record.event == questionEvent(alice, question: "Travel budget?", answer: "The budget is 500 EUR [1].", documents: [2, 3], route: "large_model"))
        #expect(record.time == utc("2026-11-20T09:00:00Z"))
    }
}
