import Foundation

/// The kinds of file ragd reads.
public enum DocumentFormat: String, Sendable, Codable, CaseIterable {
    case pdf, html, text, markdown
}

/// What an extractor made of one file: its metadata and its text as sections in reading order.
///
/// Extraction keeps structure (sections, pages, anchors, tables) and drops presentation;
/// the chunker decides how to cut it. `Codable`, so that an extraction run in a child process
/// (`ragd extract-file`) can hand its result back as JSON.
public struct ExtractedDocument: Sendable, Equatable, Codable {
    public var format: DocumentFormat
    /// The document's own title (PDF metadata, HTML <title> or first heading), if any.
    public var title: String?
    public var author: String?
    public var created: Date?
    public var modified: Date?
    /// Pages in the file (PDF only).
    public var pageCount: Int?
    /// 1-based numbers of PDF pages that have no text layer (scanned images, for OCR).
    public var pagesWithoutText: [Int]
    /// The text, in reading order.
    public var sections: [Section]

    public init(format: DocumentFormat, title: String? = nil, author: String? = nil, created: Date? = nil,
                modified: Date? = nil, pageCount: Int? = nil, pagesWithoutText: [Int] = [], sections: [Section]) {
        self.format = format
        self.title = title
        self.author = author
        self.created = created
        self.modified = modified
        self.pageCount = pageCount
        self.pagesWithoutText = pagesWithoutText
        self.sections = sections
    }
}

/// A run of blocks that share one place in the document: a heading path, an anchor, a page.
public struct Section: Sendable, Equatable, Codable {
    /// Headings from the outermost to this section's own, e.g. ["Limits", "Maximum length of a string"].
    public var path: [String]
    /// The term this section describes, when it is one item of a definition list (an option,
    /// a setting, a function: `<dt>max_connections (integer)</dt>`). Its first block is the
    /// term itself; a chunk holding only this item adds the term to its section path.
    public var term: String?
    /// The HTML element id a link can jump to (`page.html#anchor`), if any.
    public var anchor: String?
    /// The 1-based physical PDF page, if the document has pages.
    public var page: Int?
    /// How the text was obtained.
    public var origin: TextOrigin
    public var blocks: [Block]

    public init(path: [String] = [], term: String? = nil, anchor: String? = nil, page: Int? = nil,
                origin: TextOrigin = .textLayer, blocks: [Block]) {
        self.path = path
        self.term = term
        self.anchor = anchor
        self.page = page
        self.origin = origin
        self.blocks = blocks
    }
}

/// Where a section's text came from.
public enum TextOrigin: String, Sendable, Codable {
    /// The document's own text (HTML, text files, a PDF's text layer).
    case textLayer = "text"
    /// Optical character recognition of a page image.
    case ocr
}

/// One unit of readable text.
public enum Block: Sendable, Equatable, Codable {
    /// A paragraph (or a PDF text block); whitespace already collapsed.
    case paragraph(String)
    /// A list item, with its marker ("- ", "1. ") at the start.
    case listItem(String)
    /// Preformatted text or code, line breaks kept.
    case code(String)
    /// A table; `Table.rowTexts` renders rows with their header.
    case table(Table)

    /// The block as plain text.
    public var text: String {
        switch self {
        case .paragraph(let t), .listItem(let t), .code(let t): return t
        case .table(let table): return table.rowTexts.joined(separator: "\n")
        }
    }
}

/// A table with an optional header row.
public struct Table: Sendable, Equatable, Codable {
    public var caption: String?
    public var header: [String]
    public var rows: [[String]]

    public init(caption: String? = nil, header: [String], rows: [[String]]) {
        self.caption = caption
        self.header = header
        self.rows = rows
    }

    /// Each row as one line that carries its header, so a row read alone still says what its
    /// cells mean: `Name: SQLITE_MAX_LENGTH | Default: 1000000000`. Without a header, cells
    /// are joined with " | ".
    public var rowTexts: [String] {
        rows.map { Table.render(row: $0, header: header) }
    }

    /// Renders one row with the header.
    public static func render(row: [String], header: [String]) -> String {
        row.enumerated().map { index, raw in
            let cell = raw.trimmingCharacters(in: .whitespaces)
            let name = index < header.count ? header[index].trimmingCharacters(in: .whitespaces) : ""
            guard !cell.isEmpty else { return "" }  // an empty cell says nothing, with or without its header
            return name.isEmpty || name == cell ? cell : "\(name): \(cell)"
        }.filter { !$0.isEmpty }.joined(separator: " | ")
    }
}
