import Mustache

/// The escaping every template uses, in place of swift-mustache's default.
///
/// swift-mustache 2.1.1 escapes by `Character`, so a quote followed by a combining mark
/// (`"\u{301}`) is one grapheme that is not `"` and is written as it is; the browser reads
/// code points, sees the quote, and the attribute ends there. ``HTML/escape(_:)`` works on
/// Unicode scalars, so every quote is escaped whatever follows it. ``Views`` puts the pragma
/// that selects this escaping at the top of every template, so no template can forget it.
struct HTMLEscaping: MustacheContentType {
    static let name = "RAGD_HTML"
    /// Selects this escaping for the rest of a template (partials and parents start over with
    /// swift-mustache's default, hence one per template).
    static let pragma = "{{% CONTENT_TYPE: \(name)}}"

    func escapeText(_ text: String) -> String { HTML.escape(text) }

    /// Adds this escaping to swift-mustache's table of content types (a process-wide table;
    /// registering again replaces the entry with the same value).
    static func register() {
        MustacheContentTypes.register(HTMLEscaping(), named: name)
    }
}
