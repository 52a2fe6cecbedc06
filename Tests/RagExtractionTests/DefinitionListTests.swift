import RagChunking
import RagCore
import Testing
@testable import RagExtraction

/// Reference pages describe settings and options as definition lists: the term and its
/// description must stay one unit, and the term must reach the path the embedder and BM25 see.

@Suite("Definition lists and tiny sections")
struct DefinitionListTests {
    let chunker = Chunker(counter: WordCounter(), options: ChunkingOptions(maxTokens: 128, targetTokens: 90, overlapTokens: 10))

    func words(_ n: Int, _ word: String) -> String {
        (1...n).map { "\(word) number \($0) is described here." }.joined(separator: " ")
    }

    @Test("a term and its description are one chunk whose path ends with the term")
    func termJoinsItsDescription() throws {
        // The shape DocBook gives a settings page: an id on the dt and an index anchor at its end.
        let html = """
            <html><head><title>Settings</title></head><body><h1>Connections</h1>
            <div class="navheader"><table><tr><td><a href="a.html">Prev</a></td><td><a href="b.html">Next</a></td></tr></table></div>
            <div class="variablelist"><dl>
            <dt id="guc-max-conn"><code>max_conn</code> (<code>integer</code>) <a class="indexterm" name="id-1"></a></dt>
            <dd><p>\(words(12, "Limit"))</p></dd>
            <dt id="guc-port"><code>port</code> (<code>integer</code>)</dt>
            <dd><p>\(words(12, "Port"))</p></dd>
            </dl></div>
            <p>Text after the list belongs to the heading again.</p>
            <div class="navfooter"><a href="a.html">Prev</a> | <a href="index.html">Home</a> | <a href="b.html">Next</a></div>
            </body></html>
            """
        let document = try HTMLExtractor().extract(bytes: Array(html.utf8))
        let terms = document.sections.compactMap(\.term)
        #expect(terms == ["max_conn (integer)", "port (integer)"])
        #expect(document.sections.first { $0.term == "max_conn (integer)" }?.anchor == "guc-max-conn")
        let chunks = chunker.chunks(of: document)
        let limit = try #require(chunks.first { $0.text.contains("Limit number 1 ") })
        #expect(limit.text.hasPrefix("max_conn (integer)"))
        #expect(limit.sectionPath.last == "max_conn (integer)")
        #expect(limit.anchor == "guc-max-conn")
        #expect(chunks.allSatisfy { !($0.text.contains("Limit") && $0.text.contains("Port number")) })
        #expect(chunks.contains { $0.text.contains("Text after the list") && $0.sectionPath.last == "Connections" })
        // DocBook's navigation header and footer are gone.
        #expect(chunks.allSatisfy { !$0.text.contains("Prev") && !$0.text.contains("Home") })
    }

    @Test("tiny items of one list merge up to the target; the merged chunk names no single term")
    func tinyItemsMerge() {
        let items = (1...6).map { i in
            Section(path: ["Limits"], term: "LIMIT_\(i)", anchor: "limit-\(i)",
                    blocks: [.paragraph("LIMIT_\(i)"), .paragraph("The maximum number of thing \(i).")])
        }
        let chunks = chunker.chunks(of: ExtractedDocument(format: .html, sections: items))
        #expect(chunks.count == 1)
        #expect(chunks[0].sectionPath == ["Limits"])
        #expect(chunks[0].anchor == "limit-1")
        #expect((1...6).allSatisfy { chunks[0].text.contains("LIMIT_\($0)") })
    }

    @Test("a section that only repeats its heading makes no chunk; a short intro joins what follows")
    func headingOnlySectionsGo() {
        let doc = ExtractedDocument(format: .pdf, sections: [
            Section(path: ["General information"], page: 1, blocks: [.paragraph("Chapter 16 General information")]),
            Section(path: ["General information", "Authors"], page: 1, blocks: [.paragraph("Here are the authors.")]),
            Section(path: ["General information", "Authors"], anchor: "t1", page: 1,
                    blocks: [.paragraph(words(10, "Author"))]),
        ])
        let chunks = chunker.chunks(of: doc)
        #expect(!chunks.contains { $0.text.contains("Chapter 16") })
        #expect(chunks.count == 1)
        #expect(chunks[0].text.hasPrefix("Here are the authors."))
    }
}
