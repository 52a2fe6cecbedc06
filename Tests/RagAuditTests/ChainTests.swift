import Foundation
import RagAudit
import Testing

@Suite struct ChainTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    @Test func appendedRecordsVerifyAndTheHeadIsTheLastRecord() async throws {
        let log = try AuditLog(path: folder.auditPath)
        var appended: [AuditRecord] = []
        for i in 0..<25 {
            appended.append(try await log.append(questionEvent(question: "question \(i)?")))
        }
        #expect(appended.map(\.id) == Array(1...25))
        #expect(appended[0].previousHash == String(repeating: "0", count: 64))
        for (a, b) in zip(appended, appended.dropFirst()) { #expect(b.previousHash == a.hash) }

        let verification = try log.verify()
        #expect(verification.isIntact, "\(String(describing: verification.failure))")
        #expect(verification.recordsChecked == 25)
        #expect(try log.head() == AuditHead(lastId: 25, hash: appended[24].hash, count: 25))
        #expect(verification.head == (try log.head()))
        // What append returned is what the file holds, to the microsecond.
        #expect(try log.record(id: 7) == appended[6])
        #expect(try log.record(id: 26) == nil)
    }

    @Test func anEmptyLogVerifiesAndItsHeadIsTheGenesis() throws {
        let log = try AuditLog(path: folder.auditPath)
        #expect(try log.verify().isIntact)
        #expect(try log.head() == AuditHead(lastId: 0, hash: String(repeating: "0", count: 64), count: 0))
    }

    @Test func theChainContinuesAcrossReopening() async throws {
        let first = try await AuditLog(path: folder.auditPath).append(questionEvent())
        let log = try AuditLog(path: folder.auditPath)
        let second = try await log.append(questionEvent(bob))
        #expect(second.id == 2)
        #expect(second.previousHash == first.hash)
        #expect(try log.verify().isIntact)
    }

    @Test func theHashIsSHA256OfThePreviousHashAndTheStoredBody() async throws {
        let log = try AuditLog(path: folder.auditPath)
        let record = try await log.append(questionEvent(), at: utc("2026-11-22T09:41:07Z"))
        // What an outside verifier does: read the row with the sqlite3 shell and hash it again.
        let printed = try shell(
            "/usr/bin/sqlite3 '\(folder.auditPath)' \"SELECT previous_hash || body FROM audit_record WHERE id = 1\" | tr -d '\\n' | sha256sum")
        #expect(printed.hasPrefix(record.hash))
        let body = try sqliteValue(folder.auditPath, "SELECT body FROM audit_record WHERE id = 1")
        #expect(body.hasPrefix("{\"event\":{\"actor\":{"))
        #expect(body.hasSuffix(",\"id\":1,\"time\":\"2026-11-22T09:41:07.000000Z\"}"))
    }

    @Test func recordsEncodeWithTheLogsTimeForm() async throws {
        let log = try AuditLog(path: folder.auditPath)
        let record = try await log.append(questionEvent(), at: Date(timeIntervalSince1970: 1_795_340_467.123456))
        let json = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        #expect(json.contains("\"time\":\"2026-11-22T"))
        #expect(try JSONDecoder().decode(AuditRecord.self, from: Data(json.utf8)) == record)
    }
}

/// The first column of the first row `sql` returns, through the sqlite3 shell.
func sqliteValue(_ file: String, _ sql: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = [file, sql]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
}

/// Runs `command` with /bin/sh and returns its stdout without the trailing newline.
func shell(_ command: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
}
