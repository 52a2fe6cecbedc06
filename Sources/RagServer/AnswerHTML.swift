import Foundation
import RagStore

/// Renders answers and their sources as HTML. All text is escaped first; only the citation
/// markers [n] become links, and only to sources that exist.
enum AnswerHTML {
    static func routeLabel(path: String, model: String?) -> String {
        let name = model.map { " (\($0))" } ?? ""
        switch path {
        case "small_model": return "Answered by the on-prem model\(name); every sentence cites a source that supports it."
        case "large_model": return "Answered by the larger in-network model\(name); every sentence cites a source that supports it."
        case "quoted_fallback": return "Quoted from the sources: the model's draft did not pass the citation check, so these are the documents' own words."
        default: return "Not found in the documents you can read."
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

    static func sources(_ sources: [SourceView], idPrefix: String = "source-") -> String {
        guard !sources.isEmpty else { return "" }
        let items = sources.map { s in
            """
            <li id="\(idPrefix)\(s.number)"><a class="source-link" href="\(HTML.escape(s.link))">\(HTML.escape(s.title))</a> \
            <span class="location">— \(HTML.escape(s.location))</span>\
            <details><summary>Passage</summary><blockquote>\(HTML.escape(s.excerpt))</blockquote></details></li>
            """
        }
        return "<h2>Sources</h2><ol class=\"sources\">\(items.joined())</ol>"
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
        var html = "<p class=\"route route-\(HTML.escape(view.path))\" data-path=\"\(HTML.escape(view.path))\">"
            + HTML.escape(routeLabel(path: view.path, model: view.route.model)) + "</p>"
        html += "<div class=\"answer-text\">\(text(view.answer, sourceNumbers: numbers))</div>"
        html += sources(view.sources)
        if let id = view.historyId { html += feedbackForm(historyId: id, identity: identity) }
        return html
    }
}
