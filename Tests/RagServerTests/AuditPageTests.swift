import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RagAudit
import RagServer
import RagTesting
import Testing

/// Every question through the daemon leaves one audit record with its sources; admin actions
/// and auditors' own searches and exports are recorded; only auditors see the audit pages.
@Suite(.serialized) struct AuditPageTests {
    @Test func aQuestionLeavesOneRecordWithItsSourcesAndHiddenCount() async throws {
        try await withServer { client, parts in
            let before = try parts.auditLog.head()
            let response = try await client.postJSON(
                "/api/v1/ask", #"{"question":"What does running VACUUM do to an SQLite database file?"}"#, token: parts.tokens["alice"]!)
            #expect(response.status == .ok)
            // Other suites share this log and may ask at the same time (AccessControlTests asks
            // about VACUUM too, worded otherwise): exactly one new record holds this question.
            let head = try parts.auditLog.head()
            let mine = try ((before.lastId + 1)...max(head.lastId, before.lastId + 1)).compactMap { id in
                try parts.auditLog.record(id: id)
            }.filter { $0.event.question?.question == "What does running VACUUM do to an SQLite database file?" }
            #expect(mine.count == 1)
            let record = try #require(mine.first)
            #expect(record.event.kind == .question)
            #expect(record.event.actor.name == "alice")
            #expect(record.event.actor.role == "employee")
            #expect(record.event.channel == "api")
            let question = try #require(record.event.question)
            #expect(question.question == "What does running VACUUM do to an SQLite database file?")
            #expect(question.answer == (try response.json()["answer"] as? String))
            #expect(!question.sources.isEmpty)
            #expect(question.sources.allSatisfy { !$0.chunkIds.isEmpty && $0.documentVersion >= 1 && $0.contentSHA256 != nil })
            #expect(!question.sources.contains { $0.documentId == parts.restrictedDocumentId })
            #expect(question.filteredOut > 0, "the restricted page's chunks were candidates, hidden from alice")
            #expect(question.modelSHA256 == "fixture-model-sha256")
            #expect(try parts.auditLog.verify().isIntact)
        }
    }

    @Test func onlyAuditorsSeeTheAuditPagesAndTheirSearchesAndExportsAreRecorded() async throws {
        try await withServer { client, parts in
            for name in ["alice", "adam"] {
                #expect(try await client.get("/audit", token: parts.tokens[name]!).status == .forbidden, "\(name)")
                #expect(try await client.get("/audit/export?format=csv", token: parts.tokens[name]!).status == .forbidden)
            }
            _ = try await client.postJSON("/api/v1/ask", #"{"question":"What is a NULL in SQLite?"}"#, token: parts.tokens["harriet"]!)
            let auditor = parts.tokens["audrey"]!
            let day = AuditPageTests.today()
            let page = try await client.get("/audit?user=harriet&from=\(day)&to=\(day)", token: auditor, accept: "text/html")
            #expect(page.status == .ok)
            #expect(page.text.contains("What is a NULL in SQLite?"))
            let csv = try await client.get("/audit/export?user=harriet&from=\(day)&to=\(day)&format=csv", token: auditor)
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentDisposition]?.contains("attachment") == true)
            let lines = csv.text.split(separator: "\n")
            #expect(lines.first?.hasPrefix("id,time,kind") == true)
            #expect(csv.text.contains("What is a NULL in SQLite?"))
            #expect(!csv.text.contains(",alice,"), "only harriet's records")
            let jsonl = try await client.get("/audit/export?user=harriet&format=jsonl", token: auditor)
            let first = try #require(jsonl.text.split(separator: "\n").first)
            let decoded = try JSONDecoder().decode(AuditRecord.self, from: Data(first.utf8))
            #expect(decoded.event.actor.name == "harriet")
            let recent = try parts.auditLog.records(matching: AuditFilter(kind: .audit), limit: 1000)
            #expect(recent.contains { $0.event.action == "audit.search" && $0.event.actor.name == "audrey" })
            #expect(recent.contains { $0.event.action == "audit.export" && $0.event.details["format"] == "jsonl" })
            let record = try await client.get("/audit/records/\(decoded.id)", token: auditor, accept: "text/html")
            #expect(record.text.contains(decoded.hash))
        }
    }

    /// The download writes what `ragd audit export` writes for the same filter, in both formats.
    /// Bounded by a time already past, so records other suites append meanwhile are in neither.
    @Test func theDownloadIsByteForByteTheExport() async throws {
        try await withServer { client, parts in
            _ = try await client.postJSON("/api/v1/ask", #"{"question":"=What is a NULL, \"quoted\"?"}"#, token: parts.tokens["harriet"]!)
            try await Task.sleep(for: .milliseconds(5))
            let before = Date()
            let stamp = ISO8601DateFormatter.string(from: before, timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
            let filter = AuditFilter(user: "harriet", to: AuditDate.parse(stamp))
            for format in AuditExportFormat.allCases {
                var expected = Data()
                try parts.auditLog.export(matching: filter, format: format) { expected.append($0) }
                let query = "user=harriet&to=\(stamp.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&format=\(format.rawValue)"
                let download = try await client.get("/audit/export?" + query, token: parts.tokens["audrey"]!)
                #expect(download.status == .ok)
                #expect(Data(buffer: download.body) == expected, "\(format)")
                #expect(!expected.isEmpty)
                if format == .csv { #expect(download.text.contains("'=What is a NULL"), "the formula guard holds in the download") }
            }
        }
    }

    @Test func adminActionsAreRecorded() async throws {
        try await withServer { client, parts in
            let session = try await client.signIn("adam")
            let response = try await client.postForm(
                "/admin/sources/\(parts.restrictedSourceId)/groups", ["groups": "hr, legal", "csrf": session.csrf], cookie: session.cookie)
            #expect(response.status == .seeOther)
            try parts.store.setSourceGroups(id: parts.restrictedSourceId, groups: ["hr"])
            let last = try #require(try parts.auditLog.records(matching: AuditFilter(user: "adam", kind: .admin), limit: 1000).last)
            #expect(last.event.action == "source.groups")
            #expect(last.event.details["groups"] == "hr,legal")
        }
    }

    @Test func keepingASourceOnPremIsShownAndRecorded() async throws {
        try await withServer { client, parts in
            let session = try await client.signIn("adam")
            defer { try? parts.store.setSourceOnPremOnly(id: parts.restrictedSourceId, false) }
            let kept = try await client.postForm(
                "/admin/sources/\(parts.restrictedSourceId)/escalation", ["on_prem_only": "yes", "csrf": session.csrf],
                cookie: session.cookie)
            #expect(kept.status == .seeOther)
            #expect(try parts.store.source(id: parts.restrictedSourceId)?.onPremOnly == true)
            let page = try await client.get("/admin", cookie: session.cookie)
            #expect(page.text.contains("kept on-prem"))
            let last = try #require(try parts.auditLog.records(matching: AuditFilter(user: "adam", kind: .admin), limit: 1000).last)
            #expect(last.event.action == "source.escalation")
            #expect(last.event.details["on_prem_only"] == "true")
            let bad = try await client.postForm(
                "/admin/sources/\(parts.restrictedSourceId)/escalation", ["on_prem_only": "maybe", "csrf": session.csrf],
                cookie: session.cookie)
            #expect(bad.status == .badRequest)
        }
    }

    static func today() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
