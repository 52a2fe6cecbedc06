import RagCore

/// Cuts an extracted document into overlapping, structure-aware chunks that fit the embedding model.
///
/// - A chunk stays within one section (same heading path, anchor and text origin); consecutive
///   PDF pages of one section flow together and the chunk records its page range.
/// - A definition-list item (`Section.term`) is one unit with its term, and a chunk of one item
///   carries the term at the end of its section path. Tiny neighbouring sections of one path
///   are merged up to the target size; a section that only repeats its headings is dropped.
/// - Chunks grow sentence by sentence (table row by row, code line by line) to
///   `targetTokens`; the next chunk repeats the last sentences of the previous one, up to
///   `overlapTokens`.
/// - The embedding text (section path + text) never exceeds `maxTokens`: sizes are counted with
///   the embedding model's own tokenizer, so nothing is silently truncated.
/// - Table rows carry their header (`Table.rowTexts`), so a long table split across chunks
///   repeats the header in every row.
public struct Chunker: Sendable {
    public let counter: any TokenCounter
    public let options: ChunkingOptions

    public init(counter: any TokenCounter, options: ChunkingOptions = ChunkingOptions()) {
        self.counter = counter
        self.options = options
    }

    /// The document's chunks, in reading order.
    /// - Parameter title: the document title, put in front of every section path (once).
    public func chunks(of document: ExtractedDocument, title: String? = nil) -> [Chunk] {
        var builder = UnitBuilder(counter: counter, maxUnitTokens: max(16, options.targetTokens / 2))
        // Runs: consecutive sections of one place (path, term, anchor, origin) and their units.
        var runs: [Run] = []
        for section in document.sections {
            let samePlace = runs.last.map { last in
                last.section.path == section.path && last.section.term == section.term
                    && last.section.anchor == section.anchor && last.section.origin == section.origin
            } ?? false
            if !samePlace { runs.append(Run(section: section, units: builder.units.count..<builder.units.count)) }
            for block in section.blocks { builder.add(block, page: section.page) }
            runs[runs.count - 1].units = runs[runs.count - 1].units.lowerBound..<builder.units.count
        }
        let title = title ?? document.title
        var chunks: [Chunk] = []
        for run in merged(runs, units: builder.units) {
            let units = Array(builder.units[run.units])
            var section = run.section
            if let term = section.term { section.path.append(term) }
            if run.tokens < options.mergeBelowTokens, Self.isOnlyHeading(units, path: section.path + [title ?? ""]) { continue }
            pack(units, section: section, title: title, into: &chunks)
        }
        return chunks
    }

    private struct Run {
        var section: Section
        var units: Range<Int>
        var tokens = 0
    }

    /// Joins neighbouring runs of one section path (items of one definition list, anchored
    /// list items, short paragraphs between anchors) while one of them is under
    /// `mergeBelowTokens`: a tiny unit read alone matches anything and says little. Items of a
    /// definition list merge only while together they fit the target (a long item keeps its
    /// term in its path); other runs merge whatever their size, and packing cuts them as usual.
    /// A merged run keeps the first anchor; its terms stay in its text and leave the path,
    /// which no longer names one item.
    private func merged(_ runs: [Run], units: [TextUnit]) -> [Run] {
        var out: [Run] = []
        for var run in runs where !run.units.isEmpty {
            run.tokens = units[run.units].reduce(0) { $0 + $1.tokens + 1 }
            if var last = out.last, last.section.path == run.section.path, last.section.origin == run.section.origin,
               min(last.tokens, run.tokens) < options.mergeBelowTokens,
               last.tokens + run.tokens <= options.targetTokens || (last.section.term == nil && run.section.term == nil) {
                last.units = last.units.lowerBound..<run.units.upperBound
                last.tokens += run.tokens
                if last.section.term != run.section.term { last.section.term = nil }
                out[out.count - 1] = last
            } else {
                out.append(run)
            }
        }
        return out
    }

    /// Whether the units say nothing but their own headings ("Chapter 16 General information
    /// about the FAQ" above the chapter's first section, a term without a description).
    static func isOnlyHeading(_ units: [TextUnit], path: [String]) -> Bool {
        let known = Set(path.flatMap(words)).union(["chapter", "section", "part", "appendix", "contents"])
        let text = units.flatMap { words($0.text) }
        return !text.isEmpty && text.allSatisfy { known.contains($0) || $0.allSatisfy(\.isNumber) }
    }

    private static func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "_" }.map(String.init)
    }

    /// Packs one section's units into chunks.
    private func pack(_ units: [TextUnit], section: Section, title: String?, into chunks: inout [Chunk]) {
        guard !units.isEmpty else { return }
        var path = section.path
        if let title, !title.isEmpty, path.first != title { path.insert(title, at: 0) }
        // The path must leave room for text: drop outer headings while it takes over a third,
        // then shorten a heading that alone is that long (a whole paragraph taken for one).
        while path.count > 1, pathTokens(path) > options.maxTokens / 3 { path.removeFirst() }
        if let heading = path.last, pathTokens(path) > options.maxTokens / 3 {
            path = [shortened(heading, toTokens: options.maxTokens / 3)]
        }
        let pathCost = pathTokens(path)
        let hardLimit = options.maxTokens - counter.specialTokens - pathCost - 2
        let target = min(options.targetTokens, hardLimit)

        var first = 0
        while first < units.count {
            // Grow to the target (a lone unit always fits: units are at most half a target).
            var end = first
            var tokens = 0
            while end < units.count, end == first || tokens + units[end].tokens + 1 <= target {
                tokens += units[end].tokens + 1
                end += 1
            }
            // Verify with the real tokenizer; shed trailing units if joining added tokens.
            while end - first > 1, exactTokens(units[first..<end], path: path) > options.maxTokens { end -= 1 }
            chunks.append(makeChunk(units[first..<end], path: path, section: section, ordinal: chunks.count))
            guard end < units.count else { break }
            // Overlap: the next chunk repeats whole trailing units, never the whole chunk.
            var next = end
            var overlap = 0
            while next - 1 > first, overlap + units[next - 1].tokens + 1 <= options.overlapTokens {
                next -= 1
                overlap += units[next].tokens + 1
            }
            first = next
        }
    }

    /// The longest prefix of `heading` (whole words where possible) with " …" that fits in
    /// `budget` tokens of a path.
    private func shortened(_ heading: String, toTokens budget: Int) -> String {
        var scalars = Array(heading.unicodeScalars)
        while !scalars.isEmpty {
            // Halve quickly while far too long, then trim word by word.
            let candidate = String(String.UnicodeScalarView(scalars)) + " …"
            let tokens = pathTokens([candidate])
            if tokens <= budget { return candidate }
            if tokens > 2 * budget {
                scalars.removeLast(scalars.count / 2)
            } else if let space = scalars.lastIndex(where: { $0.properties.isWhitespace }), space > 0 {
                scalars.removeSubrange(space...)
            } else {
                scalars.removeLast()
            }
        }
        return ""
    }

    private func pathTokens(_ path: [String]) -> Int {
        path.isEmpty ? 0 : counter.count(path.joined(separator: " › ")) + 1
    }

    private func exactTokens(_ units: ArraySlice<TextUnit>, path: [String]) -> Int {
        counter.count(Chunk.embeddingText(sectionLine: path.joined(separator: " › "), text: joined(units)))
            + counter.specialTokens
    }

    private func joined(_ units: ArraySlice<TextUnit>) -> String {
        var text = ""
        for (i, unit) in units.enumerated() {
            if i > 0 { text += unit.startsBlock ? "\n" : " " }
            text += unit.text
        }
        return text
    }

    private func makeChunk(_ units: ArraySlice<TextUnit>, path: [String], section: Section, ordinal: Int) -> Chunk {
        let text = joined(units)
        let pages = units.compactMap(\.page)
        let last = units[units.endIndex - 1]
        return Chunk(
            ordinal: ordinal,
            text: text,
            sectionPath: path,
            anchor: section.anchor,
            pageStart: pages.min(),
            pageEnd: pages.max(),
            characterStart: units[units.startIndex].start,
            characterEnd: last.start + last.text.unicodeScalars.count,
            tokenCount: exactTokens(units, path: path),
            origin: section.origin)
    }
}
