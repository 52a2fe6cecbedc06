import Foundation
import RagAudit
import Testing

@Suite struct ConcurrencyTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    @Test(arguments: [true, false])
    func sixteenConcurrentAskersMakeOneConsistentChain(groupCommit: Bool) async throws {
        let log = try AuditLog(path: folder.auditPath, options: AuditLogOptions(groupCommit: groupCommit))
        let records = try await withThrowingTaskGroup(of: [AuditRecord].self) { group in
            for task in 0..<16 {
                group.addTask {
                    var mine: [AuditRecord] = []
                    for i in 0..<25 {
                        mine.append(try await log.append(questionEvent(question: "asker \(task), question \(i)?")))
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(records.map(\.id).sorted() == Array(1...400))
        let verification = try log.verify()
        #expect(verification.isIntact, "\(String(describing: verification.failure))")
        #expect(verification.recordsChecked == 400)
        // Every caller got back exactly the record that was stored for it.
        for record in records.shuffled().prefix(40) { #expect(try log.record(id: record.id) == record) }
    }

    @Test func twoLogsOnOneFileShareTheChain() async throws {
        // As the daemon and `ragd audit` in two processes: each transaction extends the current tail.
        let a = try AuditLog(path: folder.auditPath)
        let b = try AuditLog(path: folder.auditPath)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for log in [a, b] {
                group.addTask { for _ in 0..<30 { _ = try await log.append(questionEvent()) } }
            }
            try await group.waitForAll()
        }
        #expect(try a.verify().recordsChecked == 60)
        #expect(try b.verify().isIntact)
    }
}
