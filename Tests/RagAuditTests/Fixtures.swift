import Foundation
import RagAudit

/// A temporary folder for one test's audit file, removed when the test ends.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-audit-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var auditPath: String { url.appendingPathComponent("ragd-audit.sqlite").path }
}

/// Runs the real sqlite3 shell on `file`, as someone tampering with the file would.
/// - Returns: the exit status and what it printed on stderr.
func sqlite3(_ file: String, _ sql: String) throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = [file, sql]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let data = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

let alice = AuditActor(userId: 1, name: "alice", role: "user", groups: ["finance", "staff"])
let bob = AuditActor(userId: 2, name: "bob", role: "user", groups: ["staff"])
let auditor = AuditActor(userId: 9, name: "carol", role: "auditor", groups: ["compliance"])

/// A question event with realistic fields: sources from `documents`, timings, tokens.
func questionEvent(
    _ actor: AuditActor = alice, question: String = "How do I reset my VPN password?",
    answer: String = "Open the self-service portal and choose Reset [1].", documents: [Int64] = [12, 40],
    route: String = "small_model"
) -> AuditEvent {
    let sources = documents.enumerated().map { i, id in
        AuditSource(
            documentId: id, documentVersion: 3, contentSHA256: String(repeating: "ab", count: 32),
            title: "Handbook \(id)", location: "page \(i + 2)", chunkIds: [id * 100, id * 100 + 1], score: 0.8 - Double(i) / 10)
    }
    return .question(
        AuditQuestion(
            question: question, answer: answer, sources: sources, route: route,
            model: route == "small_model" ? "SmolLM2-135M-Instruct.Q4_1.gguf" : nil, modelSHA256: nil,
            routeReason: "confidence 0.81 above 0.45", verification: "all sentences cited", retrievalMs: 41.5,
            firstTokenMs: 230, totalMs: 1830.25, promptTokens: 612, generatedTokens: 48, filteredOut: 2),
        actor: actor, channel: "web", clientAddress: "10.0.0.7")
}

/// A UTC date from "YYYY-MM-DD" (midnight) or "YYYY-MM-DDTHH:MM:SSZ".
func utc(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    if text.count == 10 { formatter.formatOptions = [.withFullDate] }
    return formatter.date(from: text)!
}

/// A minimal RFC 4180 reader, to check what the export wrote.
func parseCSV(_ text: String) -> [[String]] {
    var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
    var chars = Array(text.unicodeScalars)[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" {
                if chars.first == "\"" { field.unicodeScalars.append("\""); chars.removeFirst() } else { quoted = false }
            } else { field.unicodeScalars.append(c) }
        } else if c == "\"" { quoted = true
        } else if c == "," { row.append(field); field = ""
        } else if c == "\r" { continue
        } else if c == "\n" { row.append(field); rows.append(row); row = []; field = ""
        } else { field.unicodeScalars.append(c) }
    }
    if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
    return rows
}
