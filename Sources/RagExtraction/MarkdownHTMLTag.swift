/// Reads the raw HTML tags that Markdown allows inline (`<kbd>`, `<br>`, `<a name="x">`).
enum MarkdownHTMLTag {
    /// Whether `tag` is HTML markup a browser would not show: a comment, a declaration or
    /// processing instruction, or the start or end tag of an HTML element. A tag whose name is
    /// no HTML element is prose that CommonMark happens to read as HTML (`Vec<String>`,
    /// `ragd ingest <path>`): it is kept as written, as the hand-written reader kept all of them.
    static func isMarkup(_ tag: String) -> Bool {
        if tag.hasPrefix("<!") || tag.hasPrefix("<?") { return true }
        guard let name = name(of: tag) else { return false }
        return elements.contains(name)
    }

    /// `<br>`, `<br/>`, `<br />`: a line break, read as a space.
    static func isLineBreak(_ tag: String) -> Bool { name(of: tag) == "br" }

    /// The id of `<a name="x">` or `<a id="x">`, the link targets Markdown authors put before
    /// a heading or paragraph. Kept from the hand-written reader: CommonMark has no anchors.
    static func anchor(in tag: String) -> String? {
        guard name(of: tag) == "a", !tag.hasPrefix("</") else { return nil }
        for key in ["name=", "id="] {
            guard let range = tag.range(of: key) else { continue }
            var value = tag[range.upperBound...]
            guard let quote = value.first, quote == "\"" || quote == "'" else { continue }
            value = value.dropFirst()
            let id = value.prefix { $0 != quote }
            if !id.isEmpty, !id.contains(" ") { return String(id) }
        }
        return nil
    }

    /// The lowercase element name of a start or end tag (`<Kbd class=x>` → `kbd`).
    static func name(of tag: String) -> String? {
        var rest = tag.dropFirst()
        if rest.first == "/" { rest = rest.dropFirst() }
        let name = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        return name.isEmpty ? nil : name.lowercased()
    }

    /// The elements of the HTML standard (and a few obsolete ones still found in READMEs).
    static let elements: Set<String> = [
        "a", "abbr", "address", "area", "article", "aside", "audio", "b", "base", "bdi", "bdo",
        "big", "blockquote", "body", "br", "button", "canvas", "caption", "center", "cite", "code",
        "col", "colgroup", "data", "datalist", "dd", "del", "details", "dfn", "dialog", "div", "dl",
        "dt", "em", "embed", "fieldset", "figcaption", "figure", "font", "footer", "form", "h1",
        "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i", "iframe",
        "img", "input", "ins", "kbd", "label", "legend", "li", "link", "main", "map", "mark",
        "menu", "meta", "meter", "nav", "noscript", "object", "ol", "optgroup", "option", "output",
        "p", "param", "picture", "pre", "progress", "q", "rp", "rt", "ruby", "s", "samp", "script",
        "search", "section", "select", "slot", "small", "source", "span", "strike", "strong",
        "style", "sub", "summary", "sup", "svg", "table", "tbody", "td", "template", "textarea",
        "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u", "ul", "var", "video",
        "wbr",
    ]
}
