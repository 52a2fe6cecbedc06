import RagCore

/// The smallest piece the chunker moves: a sentence, a list item, a table row, a few code lines.
struct TextUnit {
    var text: String
    /// Offset (Unicode scalars) of `text` in the document's extracted text.
    var start: Int
    var page: Int?
    var tokens: Int
    /// Whether the unit begins a new block (joined with a line break rather than a space).
    var startsBlock: Bool
}

/// Cuts blocks into units and keeps the running offset into the document text.
struct UnitBuilder {
    let counter: any TokenCounter
    /// Longest unit, in tokens: longer sentences are cut at word boundaries.
    let maxUnitTokens: Int
    private(set) var offset = 0
    private(set) var units: [TextUnit] = []

    init(counter: any TokenCounter, maxUnitTokens: Int) {
        self.counter = counter
        self.maxUnitTokens = maxUnitTokens
    }

    /// Adds a block's units; blocks are separated by a blank line in the document text.
    mutating func add(_ block: Block, page: Int?) {
        if offset > 0 { offset += 2 }  // "\n\n" between blocks
        let blockStart = offset
        switch block {
        case .paragraph(let text), .listItem(let text):
            var first = true
            for (sentence, at) in Sentences.split(text) {
                append(sentence, start: blockStart + at, page: page, startsBlock: first)
                first = false
            }
        case .code(let text):
            var first = true
            var at = 0
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let s = String(line)
                if !s.trimmingCharacters(in: .whitespaces).isEmpty {
                    append(s, start: blockStart + at, page: page, startsBlock: true, keepLines: !first)
                    first = false
                }
                at += s.unicodeScalars.count + 1
            }
        case .table(let table):
            var at = 0
            for row in table.rowTexts {
                append(row, start: blockStart + at, page: page, startsBlock: true)
                at += row.unicodeScalars.count + 1
            }
        }
        offset = blockStart + block.text.unicodeScalars.count
    }

    private mutating func append(_ text: String, start: Int, page: Int?, startsBlock: Bool, keepLines: Bool = false) {
        // Nothing to read (a table row of empty cells): no unit, or a chunk could be empty.
        guard text.contains(where: { !$0.isWhitespace }) else { return }
        let tokens = counter.count(text)
        if tokens <= maxUnitTokens {
            units.append(TextUnit(text: text, start: start, page: page, tokens: tokens, startsBlock: startsBlock))
            return
        }
        // A sentence longer than a chunk: cut it at word boundaries.
        var piece: [Substring] = []
        var pieceStart = start
        var at = start
        var pieceTokens = 0
        var first = true
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let wordTokens = max(1, counter.count(String(word)))
            if pieceTokens + wordTokens > maxUnitTokens, !piece.isEmpty {
                if emit(piece.joined(separator: " "), start: pieceStart, page: page, tokens: pieceTokens,
                        startsBlock: startsBlock && first) { first = false }
                piece = []
                pieceTokens = 0
                pieceStart = at
            }
            if wordTokens > maxUnitTokens {
                // One "word" (a URL, a base64 line) beyond a chunk: cut it by characters.
                var sliceStart = at
                for slice in String(word).chunked(maxCharacters: maxUnitTokens) {
                    if emit(slice, start: sliceStart, page: page, tokens: counter.count(slice),
                            startsBlock: startsBlock && first) { first = false }
                    sliceStart += slice.unicodeScalars.count
                }
                at += word.unicodeScalars.count + 1
                pieceStart = at
                continue
            }
            piece.append(word)
            pieceTokens += wordTokens
            at += word.unicodeScalars.count + 1
        }
        if !piece.isEmpty {
            let text = piece.joined(separator: " ")
            emit(text, start: pieceStart, page: page, tokens: counter.count(text), startsBlock: startsBlock && first)
        }
    }

    /// Appends a piece of a long sentence unless it is only whitespace (words are split at
    /// spaces, so a "word" can be a run of line breaks). - Returns: whether it was appended.
    @discardableResult
    private mutating func emit(_ text: String, start: Int, page: Int?, tokens: Int, startsBlock: Bool) -> Bool {
        guard text.contains(where: { !$0.isWhitespace }) else { return false }
        units.append(TextUnit(text: text, start: start, page: page, tokens: tokens, startsBlock: startsBlock))
        return true
    }
}

extension String {
    /// The string in slices of at most `maxCharacters` characters.
    func chunked(maxCharacters: Int) -> [String] {
        var out: [String] = []
        var index = startIndex
        while index < endIndex {
            let end = self.index(index, offsetBy: maxCharacters, limitedBy: endIndex) ?? endIndex
            out.append(String(self[index..<end]))
            index = end
        }
        return out
    }
}
