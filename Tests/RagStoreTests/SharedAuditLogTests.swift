import Foundation
import RagAudit
import RagPostgres
import RagStore
import RagTesting
import Testing

/// The audit log in PostgreSQL: one chain, whatever node appends.
@Suite("Audit log shared by nodes")
struct SharedAuditLogTests {
    static func question(_ number: Int, node: Int) -> AuditEvent {
        let asked = AuditQuestion(
            question: "Question \(number) asked on node \(node)?", answer: "Answer \(number).",
            sources: [AuditSource(documentId: Int64(number % 3 + 1), documentVersion: 1, contentSHA256: nil,
                                  title: "Handbook", location: "page \(number)", chunkIds: [Int64(number)], score: 0.5)],
            route: "small", model: "qwen", modelSHA256: nil, routeReason: "confident", verification: "verified",
            retrievalMs: 1, firstTokenMs: 2, totalMs: 3, promptTokens: 4, generatedTokens: 5, filteredOut: 0)
        return .question(asked, actor: AuditActor(userId: Int64(number), name: "user\(number)", role: "employee", groups: []),
                         channel: "web", clientAddress: "10.0.0.\(node)")
    }

    @Test("16 askers on two nodes append into one chain without a fork")
    func sixteenAskersOnTwoNodes() async throws {
        let (_, nodes) = try await PostgresNodes.open(2)
        defer { Task { for node in nodes { await node.close() } } }
        let records = try await withThrowingTaskGroup(of: [AuditRecord].self) { group in
            for asker in 0..<16 {
                group.addTask {
                    let node = nodes[asker % 2]
                    var mine: [AuditRecord] = []
                    for turn in 0..<5 { mine.append(try await node.audit.append(Self.question(asker * 5 + turn, node: asker % 2))) }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(records.count == 80)
        #expect(Set(records.map(\.id)) == Set(1...80))
        // Each record links to the one with the id before it, whichever node wrote it.
        let byId = Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0) })
        for id in 2...Int64(80) { #expect(byId[id]!.previousHash == byId[id - 1]!.hash) }

        let verification = try await nodes[1].audit.verify(expecting: AuditHead(lastId: 80, hash: byId[80]!.hash, count: 80))
        #expect(verification.isIntact, "\(verification.failure?.description ?? "")")
        #expect(verification.recordsChecked == 80 && verification.checkedPublishedHead)
        #expect(try await nodes[0].audit.head() == AuditHead(lastId: 80, hash: byId[80]!.hash, count: 80))
    }

    @Test("A record changed behind ragd's back is found, and plain changes are refused")
    func tamperingIsFound() async throws {
        let (url, nodes) = try await PostgresNodes.open(1)
        defer { Task { await nodes[0].close() } }
        for number in 1...5 { _ = try await nodes[0].audit.append(Self.question(number, node: 0)) }
        #expect(try await nodes[0].audit.verify().isIntact)

        await #expect(throws: (any Error).self) {
            try await PostgresTestServer.shared.psql(url, "UPDATE audit_record SET answer = 'Nothing.' WHERE id = 3")
        }
        // The database's owner can switch the trigger off; the chain still tells.
        try await PostgresTestServer.shared.psql(url, """
            ALTER TABLE audit_record DISABLE TRIGGER USER;
            UPDATE audit_record SET answer = 'Nothing.', body = replace(body, 'Answer 3.', 'Nothing.') WHERE id = 3;
            """)
        let verification = try await nodes[0].audit.verify()
        #expect(verification.failure?.recordId == 3)
        #expect(verification.failure?.reason.contains("hash does not match its body") == true)
    }
}
