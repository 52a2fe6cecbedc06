import Foundation
import HTTPTypes
import RagCore
import Hummingbird
import RagAssistant

/// An OpenAI-compatible chat endpoint, so existing chat clients can use ragd: the last user
/// message is the question and the messages before it are the conversation (each user message
/// with the assistant reply after it is a turn; system messages are ignored); the reply is
/// ragd's verified (or quoted) answer with its sources listed at the end. Such a conversation
/// is the client's own: its turns are used for the follow-up's search and prompt but not stored
/// as a conversation (the question is in the asker's history). Streaming sends the final answer once verified: a draft that fails the
/// citation check is never shown to such clients.
extension RagServer {
    struct ChatRequest: Decodable {
        struct Message: Decodable {
            var role: String
            var content: Content?
        }
        /// A string, or an array of parts of which the text parts are used.
        enum Content: Decodable {
            case text(String)
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) {
                    self = .text(s)
                } else {
                    struct Part: Decodable { var type: String; var text: String? }
                    let parts = try c.decode([Part].self)
                    self = .text(parts.compactMap { $0.type == "text" ? $0.text : nil }.joined(separator: "\n"))
                }
            }
            var text: String { if case .text(let s) = self { return s } else { return "" } }
        }
        var model: String?
        var messages: [Message]
        var stream: Bool?
    }

    static let openAIModelName = "ragd"

    func addOpenAIRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("/v1/models") { _, _ in
            try Self.json(ModelList(data: [.init(id: Self.openAIModelName, object: "model", created: 0, ownedBy: "ragd")]))
        }
        group.post("/v1/chat/completions") { request, context in
            let body = try await Self.decodeJSON(ChatRequest.self, request)
            guard let last = body.messages.lastIndex(where: { $0.role == "user" }),
                  let question = body.messages[last].content?.text else {
                throw ServerError.badRequest("messages must contain a user message with the question.")
            }
            let conversation = ConversationInput.given(
                askService.assistant.rewriter.conversation(replaying: Self.turns(body.messages[..<last])))
            let identity = context.identity
            let id = "chatcmpl-" + Accounts.randomToken().prefix(24)
            let created = Int(Date().timeIntervalSince1970)
            if body.stream == true {
                let stream = try await askService.ask(question, identity: identity, clientAddress: context.clientAddress,
                                                      channel: .openai, conversation: conversation)
                let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store"]
                return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                    do {
                        func send(_ chunk: ChatChunk) async throws {
                            try await writer.write(ByteBuffer(string: ServerSentEvent(data: try Self.compactJSON(chunk)).encoded))
                        }
                        try await send(ChatChunk(id: id, created: created, delta: .init(role: "assistant", content: ""), finish: nil))
                        // Verified sentences as they pass the citation check (never withdrawn),
                        // then the list of sources, then the stop.
                        for try await event in stream {
                            switch event {
                            case .text(let piece):
                                try await send(ChatChunk(id: id, created: created, delta: .init(role: nil, content: piece), finish: nil))
                            case .done(let view):
                                let sources = Self.openAIContent(view).dropFirst(view.answer.count)
                                if !sources.isEmpty {
                                    try await send(ChatChunk(id: id, created: created, delta: .init(role: nil, content: String(sources)), finish: nil))
                                }
                                try await send(ChatChunk(id: id, created: created, delta: .init(role: nil, content: nil), finish: "stop"))
                            default: continue
                            }
                        }
                    } catch {
                        let message = (error as? ServerError)?.message ?? "The answer failed; see the daemon's log."
                        try await writer.write(ByteBuffer(string: ServerSentEvent(
                            data: (try? Self.compactJSON(["error": ["message": message]])) ?? "{}").encoded))
                    }
                    try await writer.write(ByteBuffer(string: ServerSentEvent(data: "[DONE]").encoded))
                    try await writer.finish(nil)
                })
            }
            let view = try await askService.complete(question, identity: identity, clientAddress: context.clientAddress,
                                                     channel: .openai, conversation: conversation)
            return try Self.json(ChatCompletion(
                id: id, created: created, content: Self.openAIContent(view),
                usage: .init(promptTokens: view.promptTokens, completionTokens: view.generatedTokens), sources: view.sources, path: view.path,
                searchedFor: view.searchedFor))
        }
    }

    /// Earlier messages as turns: each user message with the assistant reply that follows it
    /// (without the sources list ragd appended to its own replies).
    static func turns(_ messages: ArraySlice<ChatRequest.Message>) -> [(question: String, answer: String)] {
        var turns: [(question: String, answer: String)] = []
        for message in messages {
            let text = message.content?.text ?? ""
            switch message.role {
            case "user": turns.append((text, ""))
            case "assistant" where !turns.isEmpty:
                let answer = text.components(separatedBy: sourcesHeading).first ?? text
                turns[turns.count - 1].answer += answer.trimmingCharacters(in: .whitespacesAndNewlines)
            default: continue
            }
        }
        return turns
    }

    /// The answer, then its sources as a numbered list with links.
    static func openAIContent(_ view: AnswerView) -> String {
        guard !view.sources.isEmpty else { return view.answer }
        let list = view.sources.filter { view.cited.isEmpty || view.cited.contains($0.number) }
            .map { "[\($0.number)] \($0.title) — \($0.location) (\($0.link))" }
        return view.answer + sourcesHeading + list.joined(separator: "\n")
    }

    /// What separates an answer from its list of sources in a reply.
    static let sourcesHeading = "\n\nSources:\n"

    static func compactJSON(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    struct ModelList: Encodable {
        struct Model: Encodable {
            var id: String
            var object: String
            var created: Int
            var ownedBy: String
            enum CodingKeys: String, CodingKey { case id, object, created; case ownedBy = "owned_by" }
        }
        var object = "list"
        var data: [Model]
    }

    struct ChatChunk: Encodable {
        struct Delta: Encodable { var role: String?; var content: String? }
        struct Choice: Encodable {
            var index = 0
            var delta: Delta
            var finishReason: String?
            enum CodingKeys: String, CodingKey { case index, delta; case finishReason = "finish_reason" }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(index, forKey: .index)
                try c.encode(delta, forKey: .delta)
                try c.encode(finishReason, forKey: .finishReason)  // null until the end, as clients expect
            }
        }
        var id: String
        var object = "chat.completion.chunk"
        var created: Int
        var model = RagServer.openAIModelName
        var choices: [Choice]
        init(id: String, created: Int, delta: Delta, finish: String?) {
            self.id = id
            self.created = created
            self.choices = [Choice(delta: delta, finishReason: finish)]
        }
    }

    struct ChatCompletion: Encodable {
        struct Message: Encodable { var role = "assistant"; var content: String }
        struct Choice: Encodable {
            var index = 0
            var message: Message
            var finishReason = "stop"
            enum CodingKeys: String, CodingKey { case index, message; case finishReason = "finish_reason" }
        }
        struct Usage: Encodable {
            var promptTokens: Int
            var completionTokens: Int
            enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens"; case completionTokens = "completion_tokens" }
        }
        var id: String
        var object = "chat.completion"
        var created: Int
        var model = RagServer.openAIModelName
        var choices: [Choice]
        var usage: Usage
        /// ragd's extension: the sources and how the answer was made.
        var ragd: Extension
        struct Extension: Encodable {
            var sources: [SourceView]
            var path: AnswerPath
            var searchedFor: String?
            enum CodingKeys: String, CodingKey { case sources, path; case searchedFor = "searched_for" }
        }

        init(id: String, created: Int, content: String, usage: Usage, sources: [SourceView], path: AnswerPath,
             searchedFor: String? = nil) {
            self.id = id
            self.created = created
            self.choices = [Choice(message: Message(content: content))]
            self.usage = usage
            self.ragd = Extension(sources: sources, path: path, searchedFor: searchedFor)
        }
    }
}
