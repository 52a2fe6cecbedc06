import RagCore

/// Cuts an extracted document into overlapping, structure-aware chunks that fit the embedding model.
///
/// - A chunk stays within one section (same heading path, anchor and text origin); consecutive
///   PDF pages of one section flow together and the chunk records its page range.
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
        var chunks: [Chunk] = []
        var builder = UnitBuilder(counter: counter, maxUnitTokens: max(16, options.targetTokens / 2))
        var run: (section: Section, unitsFrom: Int)?

        func closeRun(upTo end: Int) {
            guard let (section, from) = run else { return }
            let units = Array(builder.units[from..<end])
            pack(units, section: section, title: title ?? document.title, into: &chunks)
        }

        for section in document.sections {
            if let current = run?.section,
               current.path != section.path || current.anchor != section.anchor || current.origin != section.origin {
                closeRun(upTo: builder.units.count)
                run = nil
            }
            if run == nil { run = (section, builder.units.count) }
            for block in section.blocks { builder.add(block, page: section.page) }
        }
        closeRun(upTo: builder.units.count)
        return chunks
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
