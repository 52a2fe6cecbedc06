/// Which HTML elements carry content, which are page furniture, and which break text into blocks.
///
/// libxml2's HTML parser lowercases element names, so the sets hold lowercase names.
enum HTMLVocabulary {
    /// Elements whose whole subtree is never document text: code, styling, embedded objects,
    /// forms and controls, and the page furniture that repeats on every page of a site
    /// (navigation, sidebars). `header` and `footer` are furniture only outside an article or
    /// section; see `HTMLDOM.isDropped`.
    static let dropped: Set<String> = [
        "script", "style", "noscript", "template", "nav", "aside", "form", "button", "iframe",
        "svg", "math", "head", "title", "object", "embed", "canvas", "audio", "video", "map",
        "select", "textarea", "input", "option", "datalist", "dialog", "frameset", "frame",
        "noframes", "meta", "link", "base",
    ]

    /// Page-level banner and footer elements: dropped unless inside `article`/`main`/`section`.
    static let pageFurniture: Set<String> = ["header", "footer"]

    /// ARIA landmark roles for furniture.
    static let droppedRoles: Set<String> = ["navigation", "banner", "contentinfo", "search", "complementary"]

    /// Class words that mark furniture on sites that do not use `<nav>`: compared with each
    /// word of a container's `class` split at spaces, `-` and `_` (`fancy_toc` → `fancy`, `toc`),
    /// so `menu` matches `class="menu mainmenu"` but not `class="menuitem"`.
    /// `nosearch`/`noindex`/`nocontent` are authors saying "not content" (the SQLite docs wrap
    /// their banner and menu in `<div class=nosearch>`). A table of contents (`toc`) only
    /// repeats the headings. Only containers are tested (`furnitureContainers`), never headings
    /// or inline text, so a word in a content class costs at most one box.
    static let furnitureWords: Set<String> = [
        "nosearch", "noindex", "nocontent", "nav", "navbar", "navigation", "menu", "breadcrumb",
        "breadcrumbs", "sidebar", "toc", "skiplink", "navheader", "navfooter", "navlinks", "pagination",
    ]

    /// Elements whose `class` is tested against `furnitureWords`.
    static let furnitureContainers: Set<String> = ["div", "ul", "ol", "section", "table", "dl"]

    /// Elements that end the current paragraph when they start or end.
    static let blocks: Set<String> = [
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dir", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "hr", "html",
        "legend", "li", "main", "menu", "ol", "p", "pre", "section", "summary", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "ul", "caption", "h1", "h2", "h3", "h4", "h5", "h6",
        "listing", "xmp", "plaintext", "colgroup", "search",
    ]

    /// Elements whose text keeps its line breaks.
    static let preformatted: Set<String> = ["pre", "listing", "xmp", "plaintext", "textarea"]

    static let lists: Set<String> = ["ul", "ol", "menu", "dir"]

    /// Elements that open a content region, inside which `header`/`footer` belong to the content.
    static let sectioning: Set<String> = ["article", "main", "section"]

    /// The heading level of `h1`...`h6`, or nil.
    static func headingLevel(_ name: String) -> Int? {
        guard name.utf8.count == 2, name.hasPrefix("h"), let digit = name.utf8.last,
              (UInt8(ascii: "1")...UInt8(ascii: "6")).contains(digit) else { return nil }
        return Int(digit - UInt8(ascii: "0"))
    }
}
