import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RagServer
import RagStore
import RagTesting
import Testing

/// A user without a document's group gets neither its chunks nor any hint of it — through
/// search, answers (web and API), the OpenAI endpoint, downloads and history — while a
/// member of the group gets it. The filter is in the SQL, so there is nothing to leak.
@Suite(.serialized) struct AccessControlTests {
    static let question = "What does the VACUUM command do to the database file?"

    /// Things that would betray the restricted document if they appeared in a response.
    func hints(_ parts: ServerFixture.Parts) throws -> [String] {
        // Its link, its file name, its id, and a phrase only its text contains.
        ["/documents/\(parts.restrictedDocumentId)", ServerFixture.restrictedPage, "\"document_id\":\(parts.restrictedDocumentId)",
         "reclaim", "VACUUM INTO"]
    }

    @Test func searchFiltersRestrictedDocumentsInsideTheQuery() async throws {
        try await withServer { client, parts in
            let query = "/api/v1/search?q=" + Self.question.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let outsider = try await client.get(query, token: parts.tokens["alice"]!)
            #expect(outsider.status == .ok)
            let ids = (try outsider.json()["results"] as? [[String: Any]] ?? []).compactMap { $0["document_id"] as? Int64 }
            #expect(!ids.contains(parts.restrictedDocumentId))
            for hint in try hints(parts) { #expect(!outsider.text.contains(hint), "leaked \(hint)") }

            let member = try await client.get(query, token: parts.tokens["harriet"]!)
            let memberIds = (try member.json()["results"] as? [[String: Any]] ?? []).compactMap { $0["document_id"] as? Int64 }
            #expect(memberIds.first == parts.restrictedDocumentId, "the restricted page is the best hit for its members")
        }
    }

    @Test func answersHistoryAndTheOpenAIEndpointNeverShowRestrictedSources() async throws {
        try await withServer { client, parts in
            let body = #"{"question":"\#(Self.question)"}"#
            let outsider = try await client.postJSON("/api/v1/ask", body, token: parts.tokens["alice"]!)
            #expect(outsider.status == .ok)
            for hint in try hints(parts) { #expect(!outsider.text.contains(hint), "leaked \(hint)") }
            let chat = try await client.postJSON(
                "/v1/chat/completions", #"{"messages":[{"role":"user","content":"\#(Self.question)"}]}"#, token: parts.tokens["alice"]!)
            for hint in try hints(parts) { #expect(!chat.text.contains(hint), "leaked \(hint) via /v1/chat/completions") }

            let member = try await client.postJSON("/api/v1/ask", body, token: parts.tokens["harriet"]!)
            let sources = try member.json()["sources"] as? [[String: Any]] ?? []
            #expect(sources.contains { $0["document_id"] as? Int64 == parts.restrictedDocumentId })

            // History pages show only sources the reader may see now.
            let session = try await client.signIn("alice")
            let history = try await client.get("/history", cookie: session.cookie)
            #expect(history.text.contains("VACUUM command do"), "the question is in alice's history")
            for hint in try hints(parts).prefix(2) { #expect(!history.text.contains(hint)) }
        }
    }

    @Test func restrictedDocumentsCannotBeDownloadedAndLookLikeMissingOnes() async throws {
        try await withServer { client, parts in
            let outsider = try await client.get("/documents/\(parts.restrictedDocumentId)", token: parts.tokens["alice"]!)
            let missing = try await client.get("/documents/999999", token: parts.tokens["alice"]!)
            #expect(outsider.status == .notFound)
            #expect(outsider.text == missing.text, "no difference between forbidden and absent")
            let member = try await client.get("/documents/\(parts.restrictedDocumentId)", token: parts.tokens["harriet"]!)
            #expect(member.status == .ok)
            #expect(member.headers[.contentSecurityPolicy]?.hasPrefix("sandbox") == true, "stored HTML runs no scripts")
            #expect(member.text.contains("VACUUM"))
            let open = try await client.get("/documents/\(parts.publicDocumentIds[0])", token: parts.tokens["alice"]!)
            #expect(open.status == .ok)
            // Ids that are not numbers, or paths, go nowhere.
            #expect(try await client.get("/documents/..%2F..%2Fetc%2Fpasswd", token: parts.tokens["alice"]!).status == .notFound)
        }
    }

    @Test func changingASourcesGroupsTakesEffectAtOnceEvenInHistory() async throws {
        try await withServer { client, parts in
            _ = try await client.postJSON("/api/v1/ask", #"{"question":"\#(Self.question)"}"#, token: parts.tokens["harriet"]!)
            let session = try await client.signIn("harriet")
            let before = try await client.get("/history", cookie: session.cookie)
            #expect(before.text.contains("/documents/\(parts.restrictedDocumentId)"))
            try parts.store.setSourceGroups(id: parts.restrictedSourceId, groups: ["finance"])
            defer { try? parts.store.setSourceGroups(id: parts.restrictedSourceId, groups: ["hr"]) }
            let after = try await client.get("/history", cookie: session.cookie)
            #expect(!after.text.contains("/documents/\(parts.restrictedDocumentId)"))
            #expect(try await client.get("/documents/\(parts.restrictedDocumentId)", token: parts.tokens["harriet"]!).status == .notFound)
        }
    }

    /// Per-turn access control in conversations (here, beside the other test that changes the
    /// restricted source's groups, so the two never run at once).
    @Test func aConversationTurnWhoseSourceTheUserCanNoLongerReadNeverComesBack() async throws {
        try await withServer { client, parts in
            let harriet = parts.tokens["harriet"]!
            let one = try await client.postJSON(
                "/api/v1/ask", #"{"question":"What does the VACUUM command do to the database file?"}"#, token: harriet)
            let first = try one.json()
            let id = try #require(first["conversation_id"] as? String)
            let sources = first["sources"] as? [[String: Any]] ?? []
            #expect(sources.contains { $0["document_id"] as? Int64 == parts.restrictedDocumentId })

            // Harriet leaves the group mid-conversation.
            try parts.store.setSourceGroups(id: parts.restrictedSourceId, groups: ["finance"])
            defer { try? parts.store.setSourceGroups(id: parts.restrictedSourceId, groups: ["hr"]) }
            let two = try await client.postJSON(
                "/api/v1/ask", #"{"question":"Does it need extra disk space?","conversation_id":"\#(id)"}"#, token: harriet)
            #expect(two.status == .ok)
            let second = try two.json()
            #expect(second["turn"] as? Int == 2)
            #expect(second["searched_for"] == nil, "the earlier turn is left out, so nothing of it is carried into the search")
            let hints = ["/documents/\(parts.restrictedDocumentId)", ServerFixture.restrictedPage,
                         "\"document_id\":\(parts.restrictedDocumentId)", "VACUUM INTO", "reclaim"]
            for hint in hints { #expect(!two.text.contains(hint), "leaked \(hint) through the follow-up") }

            // Re-shown, the earlier turn keeps its question but not its answer or sources.
            let shown = try await client.get("/api/v1/conversations/\(id)", token: harriet)
            let turns = try shown.json()["turns"] as? [[String: Any]] ?? []
            #expect(turns.first?["withheld"] as? Bool == true)
            #expect(turns.first?["answer"] == nil)
            for hint in hints.prefix(3) { #expect(!shown.text.contains(hint), "leaked \(hint) through the conversation") }
            let session = try await client.signIn("harriet")
            for path in ["/?c=\(id)", "/history"] {
                let page = try await client.get(path, cookie: session.cookie)
                #expect(page.text.contains("This answer used a document you can no longer read"), "\(path)")
                for hint in hints.prefix(2) { #expect(!page.text.contains(hint), "leaked \(hint) on \(path)") }
            }
        }
    }
}
