import Foundation
import HTTPTypes
import Hummingbird
import RagCore

/// Server-sent events for a streamed answer.
///
/// Events: `searched_for` ({"query": …}: a follow-up's standalone search, first, only when
/// the question was rewritten), `sources` (array of sources), `evidence` (a quoted source sentence, shown before the
/// model writes), `route` (the model chosen), `text` ({"text": …}: a verified sentence with its
/// citations, a quote or the not-found text; never withdrawn), `withheld` ({"count": n}:
/// sentences held back so far), `done` (the final answer; for the web page also {"html": …}),
/// or `error` ({"error": …}).
enum EventStream {
    static func response(_ stream: AsyncThrowingStream<AskEvent, any Error>, identity: Identity?, html: Bool) -> Response {
        let headers: HTTPFields = [
            .contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                for try await event in stream {
                    try await writer.write(ByteBuffer(string: encode(event, identity: identity, html: html)))
                }
            } catch {
                let message = (error as? ServerError)?.message ?? "The answer failed; the error is in the daemon's log."
                try await writer.write(ByteBuffer(string: frame("error", ["error": message])))
            }
            try await writer.finish(nil)
        })
    }

    static func encode(_ event: AskEvent, identity: Identity?, html: Bool) -> String {
        switch event {
        case .searchedFor(let query): return frame("searched_for", ["query": query])
        case .sources(let sources): return frame("sources", sources)
        case .route(let route): return frame("route", route)
        case .text(let piece): return frame("text", ["text": piece])
        case .evidence(let evidence):
            if html { return frame("evidence", WebEvidence(evidence: evidence, html: AnswerBlock.evidenceHTML(evidence))) }
            return frame("evidence", evidence)
        case .withheld(let count): return frame("withheld", ["count": count])
        case .done(let view):
            if html { return frame("done", WebDone(answer: view, html: AnswerBlock.html(view, identity: identity))) }
            return frame("done", view)
        }
    }

    struct WebEvidence: Encodable {
        var evidence: EvidenceView
        var html: String
    }

    struct WebDone: Encodable {
        var answer: AnswerView
        var html: String
    }

    static func frame(_ name: String, _ value: some Encodable) -> String {
        ServerSentEvent(name: name, data: (try? RagServer.compactJSON(value)) ?? "{}").encoded
    }
}
