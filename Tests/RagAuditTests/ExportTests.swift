import Foundation
import RagAudit
import Testing

@Suite struct ExportTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    @Test func csvHasAHeaderAndQuotesCommasQuotesAndNewlines() async throws {
        let log = try AuditLog(path: folder.auditPath)
        let awkward = "He said \"no\", twice.\nThen, \"yes\" [1]."
        _ = try await log.append(questionEvent(question: "Plain question?", answer: awkward))
        _ = try await log.append(questionEvent(bob, question: "Second, with a comma?"))
        var data = Data()
        let count = try log.export(matching: AuditFilter(), format: .csv) { data.append($0) }
        #expect(count == 2)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix(AuditLog.csvColumns.joined(separator: ",") + "\r\n"))
        #expect(text.contains("\"He said \"\"no\"\", twice.\nThen, \"\"yes\"\" [1].\""))
        let rows = parseCSV(text)
        #expect(rows.count == 3)
        #expect(rows.allSatisfy { $0.count == AuditLog.csvColumns.count })
        let answer = AuditLog.csvColumns.firstIndex(of: "answer")!
        let question = AuditLog.csvColumns.firstIndex(of: "question")!
        #expect(rows[1][answer] == awkward)
        #expect(rows[2][question] == "Second, with a comma?")
        #expect(rows[1][0] == "1")
        #expect(rows[2][AuditLog.csvColumns.firstIndex(of: "hash")!] == (try log.head().hash))
    }

    @Test func jsonlRoundTrips() async throws {
        let log = try AuditLog(path: folder.auditPath)
        for i in 0..<10 {
            _ = try await log.append(questionEvent(i.isMultiple(of: 2) ? alice : bob, question: "q\(i), \"quoted\"\n?"))
        }
        var data = Data()
        let count = try log.export(matching: AuditFilter(user: "bob"), format: .jsonl) { data.append($0) }
        #expect(count == 5)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        let decoded = try lines.map { try JSONDecoder().decode(AuditRecord.self, from: Data($0.utf8)) }
        #expect(decoded == (try log.records(matching: AuditFilter(user: "bob"), limit: 100, offset: 0)))

        // A line verifies on its own, as the format's docs say: rebuild the body and hash it.
        let line = String(lines[1])
        let event = line[line.index(line.startIndex, offsetBy: 9)..<line.range(of: ",\"hash\":\"", options: .backwards)!.lowerBound]
        let record = decoded[1]
        let time = String(line.dropLast(2).suffix(27))  // ..."time":"<27 characters>"}
        let body = "{\"event\":" + event + ",\"id\":" + String(record.id) + ",\"time\":\"" + time + "\"}"
        let file = folder.url.appendingPathComponent("line.txt")
        try Data((record.previousHash + body).utf8).write(to: file)
        #expect(try shell("sha256sum '\(file.path)' | cut -c1-64") == record.hash)
    }

    @Test func twentyThousandRecordsStreamInChunks() async throws {
        // Group commit with NORMAL sync: the point here is the export, not durability.
        let log = try AuditLog(path: folder.auditPath, options: AuditLogOptions(fullSync: false))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<50 {
                group.addTask {
                    for i in 0..<400 {
                        _ = try await log.append(questionEvent(question: "task \(task) question \(i)?"))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try log.head().count == 20_000)
        var chunks = 0, bytes = 0, largest = 0, lines = 0
        let count = try log.export(matching: AuditFilter(), format: .jsonl) { chunk in
            chunks += 1
            bytes += chunk.count
            largest = max(largest, chunk.count)
            lines += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
        #expect(count == 20_000)
        #expect(lines == 20_000)
        #expect(bytes > 10_000_000)
        #expect(largest < 80 * 1024)  // never more than a chunk in memory
        #expect(chunks > 100)
        #expect(try log.verify().isIntact)
    }
}

@Suite struct ExportPagesTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    /// The daemon's paged download and `ragd audit export` must write the same file.
    @Test func pagesJoinToTheSameBytesAsTheExport() async throws {
        let log = try AuditLog(path: folder.auditPath, options: AuditLogOptions(fullSync: false))
        for i in 0..<23 {
            _ = try await log.append(questionEvent(i.isMultiple(of: 3) ? bob : alice, question: "=q\(i), \"quoted\"\n?"))
        }
        for filter in [AuditFilter(), AuditFilter(user: "bob"), AuditFilter(user: "nobody")] {
            for format in AuditExportFormat.allCases {
                var whole = Data()
                try log.export(matching: filter, format: format) { whole.append($0) }
                for pageSize in [1, 5, 23, 500] {
                    var pages = 0
                    var joined = Data()
                    for try await page in log.exportPages(matching: filter, format: format, pageSize: pageSize) {
                        #expect(!page.isEmpty)
                        joined.append(page)
                        pages += 1
                    }
                    #expect(joined == whole, "\(format) \(filter.details) in pages of \(pageSize)")
                    if filter == AuditFilter(), pageSize == 5 { #expect(pages == 5) }
                }
            }
        }
    }

    @Test func recordsAppendedDuringTheExportAreLeftOut() async throws {
        let log = try AuditLog(path: folder.auditPath, options: AuditLogOptions(fullSync: false))
        for i in 0..<4 { _ = try await log.append(questionEvent(question: "before \(i)?")) }
        var lines = 0
        for try await page in log.exportPages(format: .jsonl, pageSize: 1) {
            lines += page.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            _ = try await log.append(questionEvent(question: "during?"))
        }
        #expect(lines == 4)
    }

    @Test func aCancelledExportStops() async throws {
        let log = try AuditLog(path: folder.auditPath, options: AuditLogOptions(fullSync: false))
        for i in 0..<10 { _ = try await log.append(questionEvent(question: "q\(i)?")) }
        let task = Task {
            var pages = 0
            for try await _ in log.exportPages(format: .jsonl, pageSize: 1) {
                pages += 1
                withUnsafeCurrentTask { $0?.cancel() }
            }
            return pages
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}

@Suite struct SpreadsheetSafetyTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    @Test func questionsThatLookLikeFormulasAreDefusedInCSV() async throws {
        let log = try AuditLog(path: folder.auditPath)
        _ = try await log.append(questionEvent(question: "=HYPERLINK(\"http://x\",\"click\")", answer: "@SUM(A1:A9)"))
        var data = Data()
        try log.export(format: .csv) { data.append($0) }
        let rows = parseCSV(String(decoding: data, as: UTF8.self))
        #expect(rows[1][AuditLog.csvColumns.firstIndex(of: "question")!] == "'=HYPERLINK(\"http://x\",\"click\")")
        #expect(rows[1][AuditLog.csvColumns.firstIndex(of: "answer")!] == "'@SUM(A1:A9)")
        // JSONL keeps the exact text (it is what the hash covers).
        var jsonl = Data()
        try log.export(format: .jsonl) { jsonl.append($0) }
        #expect(String(decoding: jsonl, as: UTF8.self).contains("=HYPERLINK"))
    }
}
