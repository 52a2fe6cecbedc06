import RagChunking
import RagCore
import Testing

/// Counts one token per whitespace-separated word, plus two special tokens: a simple, exact
/// tokenizer for checking the chunker's arithmetic. (The real WordPiece tokenizer is used over
/// real documents in RagIngestTests.)
struct WordCounter: TokenCounter {
    let specialTokens = 2
    func count(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }
}

@Suite struct ChunkerTests {
    let chunker = Chunker(counter: WordCounter(), options: ChunkingOptions(maxTokens: 64, targetTokens: 40, overlapTokens: 10))

    func sentences(_ n: Int, prefix: String) -> String {
        (1...n).map { "\(prefix) sentence number \($0) has exactly eight words here." }.joined(separator: " ")
    }

    /// The document text chunk offsets refer to: blocks joined by blank lines.
    func documentText(_ d: ExtractedDocument) -> [Unicode.Scalar] {
        Array(d.sections.flatMap(\.blocks).map(\.text).joined(separator: "\n\n").unicodeScalars)
    }

    @Test func chunksFitTheModelAndStayInTheirSection() {
        let doc = ExtractedDocument(format: .html, title: "Guide", sections: [
            Section(path: ["Guide", "Install"], anchor: "install", blocks: [.paragraph(sentences(12, prefix: "Install"))]),
            Section(path: ["Guide", "Remove"], anchor: "remove", blocks: [.paragraph(sentences(3, prefix: "Remove"))]),
        ])
        let chunks = chunker.chunks(of: doc)
        #expect(chunks.count >= 4)
        for chunk in chunks {
            #expect(chunk.tokenCount <= 64)
            #expect(WordCounter().count(chunk.embeddingText) + 2 <= 64)
            let install = chunk.text.contains("Install"), remove = chunk.text.contains("Remove")
            #expect(install != remove, "a chunk mixes sections: \(chunk.text)")
            #expect(chunk.anchor == (install ? "install" : "remove"))
            #expect(chunk.sectionPath == (install ? ["Guide", "Install"] : ["Guide", "Remove"]))
        }
        #expect(chunks.map(\.ordinal) == Array(0..<chunks.count))
    }

    @Test func neighboursOverlapBySentences() {
        let doc = ExtractedDocument(format: .text, sections: [Section(blocks: [.paragraph(sentences(10, prefix: "A"))])])
        let chunks = chunker.chunks(of: doc)
        #expect(chunks.count >= 2)
        for (a, b) in zip(chunks, chunks.dropFirst()) {
            let lastSentence = a.text.split(separator: ".").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }!
            #expect(b.text.contains(lastSentence.trimmingCharacters(in: .whitespaces)), "no overlap between \(a.ordinal) and \(b.ordinal)")
            #expect(b.characterStart < a.characterEnd)
            #expect(b.characterStart > a.characterStart)
        }
    }

    @Test func offsetsPointIntoTheDocumentText() {
        let doc = ExtractedDocument(format: .text, sections: [
            Section(path: ["One"], blocks: [.paragraph("First paragraph. It has two sentences."), .listItem("- an item")]),
            Section(path: ["Two"], blocks: [.paragraph(sentences(8, prefix: "B")), .code("let x = 1\nlet y = 2")]),
        ])
        let text = documentText(doc)
        for chunk in chunker.chunks(of: doc) {
            let start = String(String.UnicodeScalarView(text[chunk.characterStart..<min(text.count, chunk.characterStart + 12)]))
            #expect(chunk.text.hasPrefix(start), "chunk \(chunk.ordinal) starts with '\(chunk.text.prefix(12))', offset has '\(start)'")
            #expect(chunk.characterEnd <= text.count)
        }
    }

    @Test func longTablesRepeatTheirHeaderInEveryChunk() {
        let rows = (1...40).map { ["LIMIT_\($0)", "\($0 * 100)"] }
        let doc = ExtractedDocument(format: .html, sections: [
            Section(path: ["Limits"], blocks: [.table(Table(header: ["Name", "Default"], rows: rows))]),
        ])
        let chunks = chunker.chunks(of: doc)
        #expect(chunks.count > 2)
        for chunk in chunks {
            for line in chunk.text.split(separator: "\n") {
                #expect(line.hasPrefix("Name: LIMIT_") && line.contains("| Default: "), "row without header: \(line)")
            }
        }
        // Every row is somewhere, whole.
        let all = chunks.map(\.text).joined(separator: "\n")
        for row in rows { #expect(all.contains("Name: \(row[0]) | Default: \(row[1])")) }
    }

    @Test func pagesFlowTogetherAndAreRecorded() {
        let doc = ExtractedDocument(format: .pdf, pageCount: 3, sections: [
            Section(page: 1, blocks: [.paragraph(sentences(3, prefix: "P1"))]),
            Section(page: 2, blocks: [.paragraph(sentences(3, prefix: "P2"))]),
            Section(page: 3, blocks: [.paragraph(sentences(3, prefix: "P3"))]),
        ])
        let chunks = chunker.chunks(of: doc)
        for chunk in chunks {
            let first = chunk.pageStart!, last = chunk.pageEnd!
            #expect(first <= last)
            for page in 1...3 where chunk.text.contains("P\(page) ") {
                #expect((first...last).contains(page), "chunk \(chunk.ordinal) holds page \(page) text but says \(first)-\(last)")
            }
        }
        #expect(chunks.first?.pageStart == 1)
        #expect(chunks.last?.pageEnd == 3)
    }

    @Test func aSentenceLongerThanAChunkIsCutAtWords() {
        let words = (1...300).map { "w\($0)" }.joined(separator: " ")
        let doc = ExtractedDocument(format: .text, sections: [Section(blocks: [.paragraph(words)])])
        let chunks = chunker.chunks(of: doc)
        #expect(chunks.count >= 8)
        for chunk in chunks { #expect(chunk.tokenCount <= 64) }
        let seen = Set(chunks.flatMap { $0.text.split(separator: " ").map(String.init) })
        #expect(seen.count == 300, "every word is in some chunk")
    }

    @Test func titleLeadsTheSectionPathOnce() {
        let doc = ExtractedDocument(format: .html, title: "SQLite Limits", sections: [
            Section(path: ["SQLite Limits", "Maximum length"], blocks: [.paragraph("The limit is one billion.")]),
            Section(path: ["Other"], blocks: [.paragraph("Something else.")]),
        ])
        let chunks = chunker.chunks(of: doc, title: "SQLite Limits")
        #expect(chunks[0].sectionPath == ["SQLite Limits", "Maximum length"])
        #expect(chunks[1].sectionPath == ["SQLite Limits", "Other"])
        #expect(chunks[0].embeddingText == "SQLite Limits › Maximum length\nThe limit is one billion.")
    }

    @Test func emptyDocumentsHaveNoChunks() {
        #expect(chunker.chunks(of: ExtractedDocument(format: .text, sections: [])).isEmpty)
        #expect(chunker.chunks(of: ExtractedDocument(format: .text, sections: [Section(blocks: [.paragraph("  ")])])).isEmpty)
    }
}

/// Inputs the chunker fuzz test (RagFuzzTests) found breaking its promises, kept as
/// regression tests. Generated here, not copied from any document.
@Suite struct ChunkerFuzzRegressionTests {
    /// About one token per three characters of a word, like WordPiece on long words.
    struct Pieces: TokenCounter {
        let specialTokens = 2
        func count(_ text: String) -> Int {
            text.split(whereSeparator: \.isWhitespace).reduce(0) { $0 + ($1.unicodeScalars.count + 2) / 3 }
        }
    }

    let chunker = Chunker(counter: Pieces(), options: ChunkingOptions(maxTokens: 48, targetTokens: 32, overlapTokens: 8))

    @Test("a heading longer than the token limit is shortened, so every chunk fits")
    func giantHeading() {
        let heading = String(repeating: "overlong heading words ", count: 40)
        let doc = ExtractedDocument(format: .pdf, sections: [
            Section(path: [heading], blocks: [.paragraph("Short text under it. Another sentence.")]),
        ])
        let chunks = chunker.chunks(of: doc)
        #expect(!chunks.isEmpty)
        for chunk in chunks {
            #expect(chunk.tokenCount <= 48)
            #expect(chunk.sectionLine.hasSuffix("…"))
            #expect(chunk.sectionLine.hasPrefix("overlong heading words"))
        }
    }

    @Test("table rows without any text make no (empty) chunk")
    func emptyRows() {
        let doc = ExtractedDocument(format: .html, sections: [
            Section(path: ["T"], blocks: [.table(Table(header: ["a", "b"], rows: [["", " "], ["", ""]]))]),
            Section(path: ["U"], blocks: [.paragraph("Text."), .table(Table(header: [], rows: [[""]]))]),
        ])
        let chunks = chunker.chunks(of: doc)
        #expect(chunks.map(\.text) == ["Text."])
    }

    @Test("the pieces of a word cut by characters point at their own offsets")
    func longWordOffsets() {
        let word = String(repeating: "abcdefghij", count: 30)
        let doc = ExtractedDocument(format: .text, sections: [Section(blocks: [.paragraph("Before " + word)])])
        let text = Array(doc.sections[0].blocks[0].text.unicodeScalars)
        let chunks = chunker.chunks(of: doc)
        #expect(chunks.count > 2)
        for chunk in chunks {
            #expect(chunk.tokenCount <= 48)
            let start = String(String.UnicodeScalarView(text[chunk.characterStart..<min(text.count, chunk.characterStart + 5)]))
            #expect(chunk.text.hasPrefix(start), "chunk \(chunk.ordinal) '\(chunk.text.prefix(5))' vs offset '\(start)'")
        }
    }
}
