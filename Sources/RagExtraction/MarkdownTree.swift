import CCmarkGFM
import Synchronization

/// A Markdown document parsed by libcmark-gfm (CommonMark with GFM tables and strikethrough).
/// It owns the node tree and frees it when it goes away, so it cannot be copied.
///
/// Parsing takes a process-wide lock. libcmark-gfm 0.29 keeps the table of "special"
/// inline characters in a global array that every parser with extensions edits: it adds
/// `|` and `~` when inline parsing starts and removes them when it ends, so two threads
/// parsing at once can take each other's characters away (a table cell or a strikethrough
/// then reads as plain text). Walking a finished tree is read-only and needs no lock.
struct MarkdownTree: ~Copyable {
    /// The document node; children are blocks.
    let root: MarkdownNode

    /// The GFM extensions ragd reads. `table` gives tables their rows and header;
    /// `strikethrough` (with double tildes only, so `~user` and `~/path` stay text) keeps
    /// `~~` out of the text. `autolink` is left out: it would turn `www.example.com` into a
    /// link whose text is the same characters, which changes nothing in plain text.
    static let extensionNames = ["table", "strikethrough"]

    static let options = CMARK_OPT_DEFAULT | CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE

    /// `cmark_gfm_core_extensions_ensure_registered` checks a plain global flag, so two
    /// threads calling it first could register the extensions twice; a static let runs it
    /// exactly once, thread-safely.
    private static let extensionsRegistered: Void = cmark_gfm_core_extensions_ensure_registered()
    private static let parseLock = Mutex(())

    /// Parses `text`; blocks while it does (ordinary Markdown: about 5 ms for 300 KB).
    ///
    /// - Important: Debian bookworm's libcmark-gfm (0.29.0.gfm.6) predates upstream's 2023
    ///   fixes for polynomial-time inputs: 300 KB of `![[]()` repeated takes 6 s, twice that
    ///   four times as long. Files from untrusted places go through `IsolatedExtractor`, whose
    ///   time limit bounds this, like any other parser's worst case.
    ///
    /// Returns nil only if libcmark-gfm could not allocate a parser (its default allocator
    /// aborts the process instead, so in practice never).
    init?(parsing text: String) {
        _ = Self.extensionsRegistered
        var text = text
        let document: OpaquePointer? = Self.parseLock.withLock { _ in
            guard let parser = cmark_parser_new(Self.options) else { return nil }
            defer { cmark_parser_free(parser) }
            for name in Self.extensionNames {
                if let syntax = cmark_find_syntax_extension(name) {
                    cmark_parser_attach_syntax_extension(parser, syntax)
                }
            }
            text.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    if let base = chars.baseAddress { cmark_parser_feed(parser, base, chars.count) }
                }
            }
            // The finished tree belongs to us now, not to the parser.
            return cmark_parser_finish(parser)
        }
        guard let document else { return nil }
        root = MarkdownNode(document)
    }

    deinit { cmark_node_free(root.pointer) }

    /// Calls `visit` for every node in document order: `.enter` before a node's children
    /// and `.exit` after them; leaves (text, code, HTML, thematic breaks) only get `.enter`.
    /// Iterative (cmark's iterator), so deeply nested input costs no stack.
    func walk(_ visit: (MarkdownNode, MarkdownNode.Event) -> Void) {
        guard let iterator = cmark_iter_new(root.pointer) else { return }
        defer { cmark_iter_free(iterator) }
        while true {
            let event = cmark_iter_next(iterator)
            guard event != CMARK_EVENT_DONE, let node = cmark_iter_get_node(iterator) else { return }
            visit(MarkdownNode(node), event == CMARK_EVENT_EXIT ? .exit : .enter)
        }
    }
}

/// A borrowed node of a `MarkdownTree`, valid only while the tree is alive (deliberately
/// not Sendable, like `HTMLNode`).
struct MarkdownNode {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    enum Event { case enter, exit }

    /// The node types the reader tells apart; anything else (strikethrough, footnotes,
    /// future extensions) is `.other` and contributes its children's text.
    enum Kind {
        case document, blockQuote, list, item, codeBlock, htmlBlock, paragraph, heading, thematicBreak
        case text, softBreak, lineBreak, code, htmlInline, emphasis, strong, link, image
        case table, tableRow, tableCell
        case other
    }

    var kind: Kind {
        switch cmark_node_get_type(pointer) {
        case CMARK_NODE_DOCUMENT: return .document
        case CMARK_NODE_BLOCK_QUOTE: return .blockQuote
        case CMARK_NODE_LIST: return .list
        case CMARK_NODE_ITEM: return .item
        case CMARK_NODE_CODE_BLOCK: return .codeBlock
        case CMARK_NODE_HTML_BLOCK: return .htmlBlock
        case CMARK_NODE_PARAGRAPH: return .paragraph
        case CMARK_NODE_HEADING: return .heading
        case CMARK_NODE_THEMATIC_BREAK: return .thematicBreak
        case CMARK_NODE_TEXT: return .text
        case CMARK_NODE_SOFTBREAK: return .softBreak
        case CMARK_NODE_LINEBREAK: return .lineBreak
        case CMARK_NODE_CODE: return .code
        case CMARK_NODE_HTML_INLINE: return .htmlInline
        case CMARK_NODE_EMPH: return .emphasis
        case CMARK_NODE_STRONG: return .strong
        case CMARK_NODE_LINK: return .link
        case CMARK_NODE_IMAGE: return .image
        default:
            // Extension node types are numbered at registration; their names are stable.
            switch typeName {
            case "table": return .table
            case "table_row", "table_header": return .tableRow
            case "table_cell": return .tableCell
            default: return .other
            }
        }
    }

    /// cmark's name for the node type ("paragraph", "table_cell").
    var typeName: String {
        cmark_node_get_type_string(pointer).map { String(cString: $0) } ?? ""
    }

    /// The text of a text, code span, code block or HTML node; "" for other nodes.
    var literal: String {
        cmark_node_get_literal(pointer).map { String(cString: $0) } ?? ""
    }

    var headingLevel: Int { Int(cmark_node_get_heading_level(pointer)) }

    var isOrderedList: Bool { cmark_node_get_list_type(pointer) == CMARK_ORDERED_LIST }

    /// The number of an ordered list's first item (`3.` starts at 3).
    var listStart: Int { Int(cmark_node_get_list_start(pointer)) }

    /// Whether a table row is the header row.
    var isTableHeader: Bool { cmark_gfm_extensions_get_table_row_is_header(pointer) != 0 }

    var previous: MarkdownNode? { cmark_node_previous(pointer).map(MarkdownNode.init) }
    var next: MarkdownNode? { cmark_node_next(pointer).map(MarkdownNode.init) }
}
