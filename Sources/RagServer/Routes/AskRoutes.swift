import Foundation
import Hummingbird
import RagAssistant
import RagStore

/// The employee's pages: ask (streamed), history, feedback.
extension RagServer {
    func addAskRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("/") { _, context in askPage(identity: context.identity, answer: nil) }
        group.post("/ask") { request, context in
            var request = request
            let identity = context.identity
            let question = try await request.decodeForm(AskForm.self).question ?? ""
            if request.wantsEventStream {
                let stream = try await askService.ask(question, identity: identity, clientAddress: context.clientAddress, channel: .web)
                return EventStream.response(stream, identity: identity, html: true)
            }
            // Without scripts: the whole answer, then the page.
            let view = try await askService.complete(question, identity: identity, clientAddress: context.clientAddress, channel: .web)
            return askPage(identity: identity, answer: view)
        }
        group.get("/history") { _, context in try historyPage(identity: context.identity) }
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

    func askPage(identity: Identity, answer: AnswerView?) -> Response {
        Views.response(AskPage(identity: identity, answer: answer))
    }

    func historyPage(identity: Identity) throws -> Response {
        let entries = try store.history.entries(userId: identity.userId)
        // Sources are re-checked now: a document whose groups changed since disappears here too.
        let readable = try store.readableDocumentIds(
            Array(Set(entries.flatMap { $0.entry.sourceList.map(\.documentId) })), access: identity.access)
        return Views.response(HistoryPage(identity: identity, entries: entries, readable: readable))
    }
}
