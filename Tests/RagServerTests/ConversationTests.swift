import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RagAudit
import RagServer
import RagStore
import RagTesting
import Testing

/// Conversations through the API, the OpenAI-compatible endpoint and the pages: a follow-up is
/// searched for with what came before, the thread is the asker's own, and a turn that showed
/// a document the asker can no longer read never comes back.
@Suite(.serialized) struct ConversationTests {
    static let first = "What is the maximum number of columns in a table?"
    static let followUp = "Can it be raised when compiling?"

    func json(_ value: String) -> String {
        String(decoding: try! JSONEncoder().encode(value), as: UTF8.self)
    }

    @Test func aFollowUpContinuesTheConversationAndIsSearchedForWithWhatCameBefore() async throws {
        try await withServer { client, parts in
            let alice = parts.tokens["alice"]!
            let one = try await client.postJSON("/api/v1/ask", #"{"question":\#(json(Self.first))}"#, token: alice)
            #expect(one.status == .ok)
            let first = try one.json()
            let id = try #require(first["conversation_id"] as? String)
            #expect(first["turn"] as? Int == 1)
            #expect(first["searched_for"] == nil, "a first question is searched for as typed")

            let two = try await client.postJSON(
                "/api/v1/ask", #"{"question":\#(json(Self.followUp)),"conversation_id":"\#(id)"}"#, token: alice)
            #expect(two.status == .ok)
            let second = try two.json()
            #expect(second["conversation_id"] as? String == id)
            #expect(second["turn"] as? Int == 2)
            let searched = try #require(second["searched_for"] as? String, "the follow-up was rewritten")
            #expect(searched.hasPrefix(Self.followUp) && searched.lowercased().contains("column"), "\(searched)")
            let titles = (second["sources"] as? [[String: Any]] ?? []).compactMap { $0["title"] as? String }
            #expect(titles.contains("Implementation Limits For SQLite"), "the follow-up finds the page on limits: \(titles)")

            // The audit record of the follow-up names the conversation, the turn and the search.
            let records = try parts.auditLog.records(matching: AuditFilter(user: "alice", kind: .question), limit: 5)
            let audited = try #require(records.first { $0.event.question?.conversationId == id && $0.event.question?.turn == 2 })
            #expect(audited.event.question?.searchedFor == searched)
            #expect(audited.event.question?.rewriteMethod == "carry_over")
            #expect(audited.event.question?.question == Self.followUp, "the question as typed is recorded too")

            // Listed, shown and deletable by its owner only.
            let list = try await client.get("/api/v1/conversations", token: alice)
            let listed = (try list.json()["conversations"] as? [[String: Any]] ?? []).first { $0["id"] as? String == id }
            #expect(listed?["turns"] as? Int == 2)
            #expect(listed?["title"] as? String == Self.first)
            let shown = try await client.get("/api/v1/conversations/\(id)", token: alice)
            let turns = try shown.json()["turns"] as? [[String: Any]] ?? []
            #expect(turns.map { $0["question"] as? String } == [Self.first, Self.followUp])
            #expect(turns.last?["searched_for"] as? String == searched)

            let harriet = parts.tokens["harriet"]!
            #expect(try await client.get("/api/v1/conversations/\(id)", token: harriet).status == .notFound)
            let intruder = try await client.postJSON(
                "/api/v1/ask", #"{"question":"And the default?","conversation_id":"\#(id)"}"#, token: harriet)
            #expect(intruder.status == .notFound, "another user cannot continue it")
            #expect(try await client.execute(uri: "/api/v1/conversations/\(id)", method: .delete,
                                             headers: [.authorization: "Bearer \(harriet)"]).status == .notFound)

            let session = try await client.signIn("alice")
            let page = try await client.get("/?c=\(id)", cookie: session.cookie)
            #expect(page.status == .ok)
            #expect(page.text.contains("Can it be raised when compiling?"), "the thread is on the page")
            #expect(page.text.contains(#"name="conversation_id" value="\#(id)""#))

            let deleted = try await client.execute(uri: "/api/v1/conversations/\(id)", method: .delete,
                                                   headers: [.authorization: "Bearer \(alice)"])
            #expect(deleted.status == .noContent)
            #expect(try await client.get("/api/v1/conversations/\(id)", token: alice).status == .notFound)
            let history = try await client.get("/history", cookie: session.cookie)
            #expect(!history.text.contains("Can it be raised when compiling?"), "its turns left the history")
        }
    }

    @Test func aSelfContainedQuestionInAConversationIsSearchedForAsTyped() async throws {
        try await withServer { client, parts in
            let alice = parts.tokens["alice"]!
            let one = try await client.postJSON("/api/v1/ask", #"{"question":\#(json(Self.first))}"#, token: alice)
            let id = try #require(try one.json()["conversation_id"] as? String)
            let other = "How are NULL values handled in a UNIQUE column?"
            let two = try await client.postJSON(
                "/api/v1/ask", #"{"question":\#(json(other)),"conversation_id":"\#(id)"}"#, token: alice)
            #expect(try two.json()["searched_for"] == nil, "a change of topic is not mixed with the old one")
        }
    }

    @Test func theOpenAIEndpointUsesTheWholeConversation() async throws {
        try await withServer { client, parts in
            let body = """
                {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":\(json(Self.first))},\
                {"role":"assistant","content":"A table can have at most 2000 columns [1].\\n\\nSources:\\n[1] Limits"},\
                {"role":"user","content":\(json(Self.followUp))}]}
                """
            let reply = try await client.postJSON("/v1/chat/completions", body, token: parts.tokens["alice"]!)
            #expect(reply.status == .ok)
            let ragd = try reply.json()["ragd"] as? [String: Any]
            let searched = try #require(ragd?["searched_for"] as? String, "the earlier messages were used")
            #expect(searched.lowercased().contains("column"), "\(searched)")

            let alone = try await client.postJSON(
                "/v1/chat/completions", #"{"messages":[{"role":"user","content":\#(json(Self.followUp))}]}"#,
                token: parts.tokens["alice"]!)
            #expect((try alone.json()["ragd"] as? [String: Any])?["searched_for"] == nil, "one message: nothing to rewrite with")
        }
    }

    @Test func withoutScriptsTheFormCarriesTheConversationAndThePageShowsTheThread() async throws {
        try await withServer { client, _ in
            let session = try await client.signIn("alice")
            let first = try await client.postForm(
                "/ask", ["question": Self.first, "csrf": session.csrf], cookie: session.cookie, headers: [.accept: "text/html"])
            #expect(first.status == .ok)
            let pattern = try Regex(#"name="conversation_id" value="([0-9a-f-]{36})""#)
            let id = try #require(first.text.firstMatch(of: pattern)?.output[1].substring.map(String.init))
            #expect(first.text.contains("Ask a follow-up question"))
            #expect(!first.text.contains(#"id="new-conversation" class="button secondary" hidden"#))

            let second = try await client.postForm(
                "/ask", ["question": Self.followUp, "conversation_id": id, "csrf": session.csrf], cookie: session.cookie,
                headers: [.accept: "text/html"])
            #expect(second.status == .ok)
            let thread = try #require(second.text.firstRange(of: #"<ol id="thread""#).map { second.text[$0.lowerBound...] })
            let threadEnd = thread.firstRange(of: "</ol>").map { thread[..<$0.lowerBound] } ?? thread
            #expect(threadEnd.contains(Self.first), "the first turn is in the thread above the answer")
            #expect(!threadEnd.contains(Self.followUp), "the follow-up is the answer below it")
            #expect(second.text.contains("Searched for: Can it be raised when compiling?"))
        }
    }
}
