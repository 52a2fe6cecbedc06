/// An answer's text as HTML: escaped first, then only the citation markers `[n]` of sources
/// that exist become links to them, and each line a paragraph.
///
/// Kept as Swift rather than a template because the links sit inside the text: a template
/// would have to split the text around markers, which is this function anyway. What it returns
/// is safe to put in a template unescaped (`{{{…}}}`): every character of `text` went through
/// ``HTML/escape(_:)`` and the only markup added is fixed.
enum CitationLinks {
    static func html(_ text: String, sourceNumbers: Set<Int>) -> String {
        var html = HTML.escape(text)
        for n in sourceNumbers.sorted(by: >) {
            html = html.replacingOccurrences(of: "[\(n)]", with: "<a class=\"cite\" href=\"#source-\(n)\">[\(n)]</a>")
        }
        return html.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.isEmpty ? "" : "<p>\(line)</p>"
        }.joined()
    }
}
