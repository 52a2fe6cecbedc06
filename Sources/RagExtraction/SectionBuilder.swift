import RagCore

/// Collects blocks into sections as a document is read top to bottom: every heading opens a
/// section whose path is the chain of enclosing headings, and an anchor between blocks opens
/// a section with the same path so that a citation can link to the exact spot.
///
/// Sections left without blocks (a heading directly followed by a subheading) are dropped;
/// their title survives in the path of the sections below them.
struct SectionBuilder {
    private var sections: [Section] = []
    private var headings: [(level: Int, title: String)] = []
    private var current = Section(blocks: [])

    /// Opens a section for a heading of `level` (1 is outermost). Deeper or equal headings
    /// still open are closed, so an h2 after an h3 replaces both the old h3 and h2.
    mutating func startHeading(level: Int, title: String, anchor: String?) {
        closeCurrent()
        headings.removeAll { $0.level >= level }
        headings.append((level, title))
        current = Section(path: headings.map(\.title), anchor: anchor, blocks: [])
    }

    /// Marks the spot named `anchor` as the start of the next blocks. If the current section
    /// has no blocks yet, it takes the anchor (unless its heading already has one).
    mutating func startAnchor(_ anchor: String) {
        if current.blocks.isEmpty {
            if current.anchor == nil { current.anchor = anchor }
            return
        }
        closeCurrent()
        current = Section(path: headings.map(\.title), term: current.term, anchor: anchor, blocks: [])
    }

    /// Opens the section of one definition-list item, `term` (its first block, appended here).
    /// A second term right after the first (`<dt>-v</dt><dt>--verbose</dt>`) joins it.
    mutating func startTerm(_ term: String, anchor: String?) {
        if let open = current.term, current.blocks.count == 1 {
            current.term = open + ", " + term
            current.blocks.append(.paragraph(term))
            if current.anchor == nil { current.anchor = anchor }
            return
        }
        closeCurrent()
        current = Section(path: headings.map(\.title), term: term, anchor: anchor, blocks: [.paragraph(term)])
    }

    /// Ends the definition list: what follows belongs to the headings again, not to the last term.
    mutating func endTerms() {
        guard current.term != nil else { return }
        closeCurrent()
        current = Section(path: headings.map(\.title), blocks: [])
    }

    mutating func append(_ block: Block) {
        current.blocks.append(block)
    }

    /// The sections read so far, including the open one.
    mutating func finish() -> [Section] {
        closeCurrent()
        current = Section(path: headings.map(\.title), blocks: [])
        return sections
    }

    private mutating func closeCurrent() {
        if !current.blocks.isEmpty { sections.append(current) }
    }
}
