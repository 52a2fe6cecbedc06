import RagCore

/// Groups a PDF's paragraphs into sections: one per page, cut further where an outline
/// bookmark points into the page, so that a heading that starts halfway down page 11 opens a
/// new section (with page 11) instead of relabelling the text above it.
///
/// Text before a page's first bookmark continues the previous bookmark's path. A bookmark
/// without a vertical position applies from the top of its page. When paragraphs have no
/// position, every bookmark on the page applies from its top (the page takes the last one).
struct PDFSectionAssembler {
    private var entriesByPage: [Int: [PDFOutline.Entry]] = [:]
    private var path: [String] = []
    private(set) var sections: [Section] = []

    /// A bookmark's target is often placed a little below the top of the heading's text;
    /// a paragraph starting this close above the target still belongs to the bookmark.
    static let tolerance = 6.0

    init(outline: [PDFOutline.Entry]) {
        for entry in outline { entriesByPage[entry.page, default: []].append(entry) }
        for (page, entries) in entriesByPage {
            // Stable sort by position; outline order breaks ties.
            entriesByPage[page] = entries.enumerated()
                .sorted { ($0.element.top ?? -.infinity, $0.offset) < ($1.element.top ?? -.infinity, $1.offset) }
                .map(\.element)
        }
    }

    /// Adds one page's paragraphs; `origin` says whether they come from the text layer or OCR.
    mutating func add(page: Int, paragraphs: [PDFPageText.Paragraph], origin: TextOrigin = .textLayer) {
        var pending = entriesByPage[page, default: []][...]
        var blocks: [Block] = []
        for paragraph in paragraphs {
            let top = paragraph.top ?? .infinity
            while let entry = pending.first, (entry.top ?? -.infinity) <= top + Self.tolerance {
                pending.removeFirst()
                if entry.path != path, !blocks.isEmpty {
                    sections.append(Section(path: path, page: page, origin: origin, blocks: blocks))
                    blocks = []
                }
                path = entry.path
            }
            blocks.append(.paragraph(paragraph.text))
        }
        if !blocks.isEmpty { sections.append(Section(path: path, page: page, origin: origin, blocks: blocks)) }
        if let last = pending.last { path = last.path }
    }
}
