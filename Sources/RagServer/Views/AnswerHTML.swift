import Foundation
import RagAssistant
import RagStore

/// Renders answers and their sources as HTML. All text is escaped first; only the citation
/// markers [n] become links, and only to sources that exist.
enum AnswerHTML {
    static func routeLabel(path: AnswerPath, model: String?) -> String {
        let name = model.map { " (\($0))" } ?? ""
        switch path {
        case .smallModel: return "Answered by the on-prem model\(name); every sentence cites a source that supports it."
        case .largeModel: return "Answered by the larger in-network model\(name); every sentence cites a source that supports it."
        case .quotedFallback: return "Quoted from the sources: nothing the model wrote passed the citation check, so these are the documents' own words."
        case .notFound: return "Not found in the documents you can read."
        }
    }

    /// Escaped text with [n] turned into links to source n.
    static func text(_ text: String, sourceNumbers: Set<Int>) -> String {
        var html = HTML.escape(text)
        for n in sourceNumbers.sorted(by: >) {
            html = html.replacingOccurrences(of: "[\(n)]", with: "<a class=\"cite\" href=\"#source-\(n)\">[\(n)]</a>")
        }
        return html.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.isEmpty ? "" : "<p>\(line)</p>"
        }.joined()
    }

    /// Sources grouped under their document: one entry per document, its passages below it.
    static func sources(_ sources: [SourceView], idPrefix: String = "source-") -> String {
        guard !sources.isEmpty else { return "" }
        var order: [Int64] = []
        var byDocument: [Int64: [SourceView]] = [:]
        for s in sources {
            if byDocument[s.documentId] == nil { order.append(s.documentId) }
            byDocument[s.documentId, default: []].append(s)
        }
        let items = order.map { id -> String in
            let group = byDocument[id]!
            let passages = group.map { s in
                """
                <li id="\(idPrefix)\(s.number)" value="\(s.number)"><a class="source-link" href="\(HTML.escape(s.link))">\
                \(HTML.escape(s.location.isEmpty ? s.title : s.location))</a>\
                <details><summary>Passage</summary><blockquote>\(HTML.escape(s.excerpt))</blockquote></details></li>
                """
            }.joined()
            return "<li class=\"source-document\"><span class=\"source-title\">\(HTML.escape(group[0].title))</span>"
                + "<ol class=\"passages\">\(passages)</ol></li>"
        }
        return "<h2>Sources</h2><ul class=\"sources\">\(items.joined())</ul>"
    }

    /// The evidence passage: a verbatim source sentence, marked as a quote, with its citation.
    static func evidence(_ e: EvidenceView) -> String {
        """
        <figure class="evidence"><figcaption>From the sources</figcaption><blockquote>\(HTML.escape(e.sentence))</blockquote>\
        <p class="evidence-source"><a class="cite" href="\(HTML.escape(e.link))">[\(e.number)]</a> \
        \(HTML.escape(e.title)) <span class="location">— \(HTML.escape(e.location))</span></p></figure>
        """
    }

    static func feedbackForm(historyId: Int64, identity: Identity?) -> String {
        """
        <form method="post" action="/feedback" class="feedback">
        \(Layout.csrfField(identity))
        <input type="hidden" name="history_id" value="\(historyId)">
        <fieldset><legend>Was this answer helpful?</legend>
        <label><input type="radio" name="helpful" value="yes" required> Helpful</label>
        <label><input type="radio" name="helpful" value="no"> Not helpful</label>
        </fieldset>
        <label for="comment-\(historyId)">Comment (optional)</label>
        <textarea id="comment-\(historyId)" name="comment" rows="2" maxlength="2000"></textarea>
        <button type="submit">Send feedback</button>
        </form>
        """
    }

    /// The whole answer block, as the streamed page ends with and the non-script page shows.
    static func answer(_ view: AnswerView, identity: Identity?) -> String {
        let numbers = Set(view.sources.map(\.number))
        var html = "<p class=\"route route-\(view.path.rawValue)\" data-path=\"\(view.path.rawValue)\">"
            + HTML.escape(routeLabel(path: view.path, model: view.route.model)) + "</p>"
        if let e = view.evidence, view.path != .quotedFallback { html += evidence(e) }
        html += "<div class=\"answer-text\">\(text(view.answer, sourceNumbers: numbers))</div>"
        if view.withheld > 0 {
            html += "<p class=\"withheld\">\(view.withheld) generated sentence\(view.withheld == 1 ? " was" : "s were") "
                + "withheld: no source supports \(view.withheld == 1 ? "it" : "them").</p>"
        }
        html += sources(view.sources)
        if let id = view.historyId { html += feedbackForm(historyId: id, identity: identity) }
        return html
    }
}
