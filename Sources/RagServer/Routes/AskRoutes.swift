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
                try store.setFeedback(historyId: id, userId: identity.userId, helpful: helpful == "yes",
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
        let question = answer.map { HTML.escape($0.question) } ?? ""
        let answerHTML = answer.map { AnswerHTML.answer($0, identity: identity) } ?? ""
        let body = """
            <h1>Ask the documents</h1>
            <form id="ask-form" method="post" action="/ask" class="stack">
            \(Layout.csrfField(identity))
            <label for="question">Your question</label>
            <textarea id="question" name="question" rows="3" maxlength="\(AskService.maxQuestionLength)" required \
            placeholder="e.g. How long can an SQL statement be?">\(question)</textarea>
            <button type="submit" id="ask-button">Ask</button>
            </form>
            <section id="answer" aria-live="polite" aria-busy="false" data-state="\(answer == nil ? "idle" : "done")">
            <p id="answer-status" class="status"></p>
            <div id="answer-evidence"></div>
            <div id="answer-draft" class="answer-text"></div>
            <div id="answer-final">\(answerHTML)</div>
            </section>
            """
        return HTML.response(Layout.page(title: "Ask", identity: identity, body: body))
    }

    func historyPage(identity: Identity) throws -> Response {
        let entries = try store.history(userId: identity.userId)
        // Sources are re-checked now: a document whose groups changed since disappears here too.
        let readable = try store.readableDocumentIds(
            Array(Set(entries.flatMap { $0.entry.sourceList.map(\.documentId) })), access: identity.access)
        let items = entries.map { item -> String in
            let entry = item.entry
            let sources = entry.sourceList.filter { readable.contains($0.documentId) }
            let sourceItems = sources.map { s in
                "<li id=\"h\(entry.id!)-source-\(s.number)\">[\(s.number)] <a class=\"source-link\" href=\"\(HTML.escape(s.link))\">"
                    + "\(HTML.escape(s.title))</a> <span class=\"location\">— \(HTML.escape(s.location))</span></li>"
            }.joined()
            let feedback = item.helpful.map { "<p class=\"feedback-given\">You said: \($0 ? "helpful" : "not helpful").</p>" }
                ?? AnswerHTML.feedbackForm(historyId: entry.id!, identity: identity)
            return """
                <article id="h\(entry.id!)" class="history-entry">
                <h2>\(HTML.escape(entry.question))</h2>
                <p class="meta"><time datetime="\(ISO8601DateFormatter().string(from: entry.createdAt))">\
                \(HTML.escape(Self.displayDate(entry.createdAt)))</time> · \
                \(HTML.escape(AnswerHTML.routeLabel(path: AnswerPath(rawValue: entry.path) ?? .notFound, model: nil)))</p>
                <div class="answer-text">\(AnswerHTML.text(entry.answer, sourceNumbers: []))</div>
                \(sourceItems.isEmpty ? "" : "<ol class=\"sources plain\">\(sourceItems)</ol>")
                \(feedback)
                </article>
                """
        }
        let body = "<h1>My history</h1>" + (items.isEmpty ? "<p>No questions yet.</p>" : items.joined())
        return HTML.response(Layout.page(title: "My history", identity: identity, body: body))
    }

    static func displayDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date) + " UTC"
    }
}
