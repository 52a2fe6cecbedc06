import Foundation
import Hummingbird
import RagAssistant
import RagStore

/// The employee's pages: ask (streamed), history, feedback.
extension RagServer {
    func addAskRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("/") { request, context in
            // `?c=ID` continues a conversation; without it the page starts a new one.
            guard let id = request.uri.queryParameters["c"].map({ String($0).lowercased() }), !id.isEmpty else {
                return askPage(identity: context.identity, answer: nil)
            }
            return try askPage(identity: context.identity, answer: nil, conversationId: id)
        }
        group.post("/ask") { request, context in
            var request = request
            let identity = context.identity
            let form = try await request.decodeForm(AskForm.self)
            let question = form.question ?? ""
            let conversation = form.conversation
            if request.wantsEventStream {
                let stream = try await askService.ask(question, identity: identity, clientAddress: context.clientAddress,
                                                      channel: .web, conversation: conversation)
                return EventStream.response(stream, identity: identity, html: true)
            }
            // Without scripts: the whole answer, then the page with the turns before it.
            let view = try await askService.complete(question, identity: identity, clientAddress: context.clientAddress,
                                                     channel: .web, conversation: conversation)
            return try askPage(identity: identity, answer: view, conversationId: view.conversationId)
        }
        // The page sends the question being typed after a pause; its prompt is read ahead so
        // the answer starts sooner. Nothing is shown or stored.
        group.post("/ask/prefill") { request, context in
            var request = request
            let form = try await request.decodeForm(AskForm.self)
            struct Outcome: Encodable { var prefilled: Bool }
            let done = try await askService.prefill(form.question ?? "", identity: context.identity, conversation: form.conversation)
            return try Self.json(Outcome(prefilled: done))
        }
        group.get("/history") { _, context in try historyPage(identity: context.identity) }
        group.post("/conversations/{id}/delete") { _, context in
            try deleteConversation(context)
            return HTML.redirect("/history")
        }
        group.post("/feedback") { request, context in
            var request = request
            let identity = context.identity
            let form = try await request.decodeForm(FeedbackFields.self)
            guard let id = form.historyId.flatMap(Int64.init), let helpful = form.helpful, helpful == "yes" || helpful == "no"
            else { throw ServerError.badRequest("Choose helpful or not helpful.") }
            let comment = form.comment.map { String($0.trimmingCharacters(in: .whitespacesAndNewlines).prefix(2000)) }
            do {
                try store.history.setFeedback(historyId: id, userId: identity.userId, helpful: helpful == "yes",
                                      comment: comment?.isEmpty == false ? comment : nil)
            } catch let error as StoreError where error.kind == .notFound {
                throw ServerError.notFound()
            }
            if request.headers[.accept]?.contains("application/json") == true {
                return Response(status: .noContent)
            }
            return HTML.redirect("/history#h\(id)")
        }
    }

    /// Deletes the signed-in user's conversation named by the path's `id`. - Throws: 404 when it is not theirs.
    func deleteConversation(_ context: SignedInContext) throws {
        let id = try context.parameters.require("id").lowercased()
        do {
            try store.history.deleteConversation(id: id, userId: context.identity.userId)
        } catch let error as StoreError where error.kind == .notFound {
            throw ServerError.notFound()
        }
    }

    func askPage(identity: Identity, answer: AnswerView?) -> Response {
        Views.response(AskPage(identity: identity, answer: answer))
    }

    /// The page of conversation `conversationId`: its turns as the thread, except the one
    /// `answer` shows below them. - Throws: 404 when it is not the user's.
    func askPage(identity: Identity, answer: AnswerView?, conversationId: String?) throws -> Response {
        guard let conversationId else { return askPage(identity: identity, answer: answer) }
        guard let found = try store.history.conversation(id: conversationId, userId: identity.userId) else {
            throw ServerError(.notFound, "There is no such conversation (it was deleted, or it is not yours).")
        }
        let turns = found.turns.filter { $0.id != answer?.historyId }
        let readable = try store.readableDocumentIds(
            Array(Set(turns.flatMap { $0.sourceList.map(\.documentId) })), access: identity.access)
        let thread = turns.map { ThreadTurn($0, helpful: nil, readable: readable, csrf: identity.csrfToken) }
        return Views.response(AskPage(identity: identity, answer: answer, conversationId: conversationId, thread: thread))
    }

    func historyPage(identity: Identity) throws -> Response {
        let entries = try store.history.entries(userId: identity.userId)
        // Sources are re-checked now: a document whose groups changed since disappears here too.
        let readable = try store.readableDocumentIds(
            Array(Set(entries.flatMap { $0.entry.sourceList.map(\.documentId) })), access: identity.access)
        return Views.response(HistoryPage(identity: identity, entries: entries, readable: readable))
    }
}
