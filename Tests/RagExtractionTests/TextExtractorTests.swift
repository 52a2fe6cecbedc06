import Foundation
import RagCore
import Testing
@testable import RagExtraction

@Suite("Markdown and plain text extraction")
struct TextExtractorTests {
    private func markdown(_ text: String) -> ExtractedDocument {
        TextExtractor().extract(text: text, as: .markdown)
    }

    @Test("ATX and setext headings build the section path")
    func headings() {
        let document = markdown("""
            # Guide

            Intro text.

            ## Install ##

            Run the installer.

            Details
            -------

            More.

            ## Use {#usage}

            Start it.
            """)
        #expect(document.title == "Guide")
        #expect(document.sections.map(\.path) == [["Guide"], ["Guide", "Install"], ["Guide", "Details"], ["Guide", "Use"]])
        #expect(document.sections.last?.anchor == "usage")
    }

    @Test("fenced and indented code stay code with line breaks")
    func code() {
        let document = markdown("""
            Text before.

            ```swift
            let a = 1
              let b = [a] // # not a heading
            ```

                indented code
                  second line

            ~~~
            unterminated fence keeps its text
            """)
        #expect(document.sections.first?.blocks == [
            .paragraph("Text before."),
            .code("let a = 1\n  let b = [a] // # not a heading"),
            .code("indented code\n  second line"),
            .code("unterminated fence keeps its text"),
        ])
    }

    @Test("list items keep markers and continuation lines")
    func lists() {
        let document = markdown("""
            - first item
              continues here
            * second with `code`
            + third

            1. one
            2) two
            10. ten
            """)
        #expect(document.sections.first?.blocks == [
            .listItem("- first item continues here"), .listItem("- second with code"), .listItem("- third"),
            .listItem("1. one"), .listItem("2. two"), .listItem("10. ten"),
        ])
    }

    @Test("a pipe table becomes a table with its header")
    func table() {
        let document = markdown("""
            ## Limits

            | Name | Default |
            |:-----|--------:|
            | `SQLITE_MAX_LENGTH` | 1000000000 |
            | SQLITE_MAX_COLUMN | 2000 |
            | escaped \\| pipe | x |

            After the table.
            """)
        let blocks = document.sections.first?.blocks ?? []
        #expect(blocks.count == 2)
        guard case .table(let table) = blocks.first else {
            Issue.record("expected a table, got \(blocks)")
            return
        }
        #expect(table.header == ["Name", "Default"])
        #expect(table.rowTexts == [
            "Name: SQLITE_MAX_LENGTH | Default: 1000000000",
            "Name: SQLITE_MAX_COLUMN | Default: 2000",
            "Name: escaped | pipe | Default: x",
        ])
        #expect(blocks.last == .paragraph("After the table."))
    }

    @Test("inline markup is reduced to its text; identifiers keep underscores")
    func inline() {
        let document = markdown("""
            See the **bold** and *emphasised* [link text](https://example.com "t") and ![alt text](img.png).
            SQLITE_MAX_LENGTH and snake_case_name stay; 2*3*4 stays; \\*literal\\* too; <https://sqlite.org>.
            """)
        #expect(document.sections.first?.blocks == [.paragraph(
            "See the bold and emphasised link text and alt text. SQLITE_MAX_LENGTH and snake_case_name stay; "
                + "2*3*4 stays; *literal* too; https://sqlite.org."
        )])
    }

    @Test("a GFM table becomes a table with its header; cells are plain text, short rows padded")
    func gfmTable() {
        let document = markdown("""
            Options:

            | Option | Type | Meaning |
            | ------ | :--: | ------- |
            | `--limit` | *integer* | at most [this many](#limits) rows |
            | `--quiet` | flag |
            | | | |

            Name | Value
            --- | ---
            cache | ~~off~~ on

            | Only | A header |
            |------|----------|
            """)
        #expect(document.sections.first?.blocks == [
            .paragraph("Options:"),
            .table(Table(header: ["Option", "Type", "Meaning"], rows: [
                ["--limit", "integer", "at most this many rows"], ["--quiet", "flag", ""],
            ])),
            .table(Table(header: ["Name", "Value"], rows: [["cache", "off on"]])),
            .paragraph("Only | A header"),
        ])
        guard case .table(let table)? = document.sections.first?.blocks[1] else { return }
        #expect(table.rowTexts == ["Option: --limit | Type: integer | Meaning: at most this many rows", "Option: --quiet | Type: flag"])
    }

    @Test("nested lists: every item keeps its marker, an item's code and later paragraphs follow it")
    func nestedLists() {
        let document = markdown("""
            1. Install:

               ```sh
               make setup
               ```

            2. Configure
               - edit `ragd.yaml`
                 (the example is in deploy/)
               - restart

                 It reloads nothing by itself.

                 3. stop
                 4. start

            After the list.
            """)
        #expect(document.sections.first?.blocks == [
            .listItem("1. Install:"), .code("make setup"), .listItem("2. Configure"),
            .listItem("- edit ragd.yaml (the example is in deploy/)"), .listItem("- restart"),
            .paragraph("It reloads nothing by itself."), .listItem("3. stop"), .listItem("4. start"),
            .paragraph("After the list."),
        ])
    }

    @Test("setext headings may span lines; a --- after a blank line is a thematic break")
    func setextHeadings() {
        let document = markdown("""
            Getting
            started
            =======

            Text.

            ***

            Options
            ---
            More.

            ---

            Final words.
            """)
        #expect(document.title == "Getting started")
        #expect(document.sections == [
            Section(path: ["Getting started"], blocks: [.paragraph("Text.")]),
            Section(path: ["Getting started", "Options"], blocks: [.paragraph("More."), .paragraph("Final words.")]),
        ])
    }

    @Test("HTML inside Markdown is read as HTML: its text, headings and ids, never its tags")
    func htmlBlocks() {
        let document = markdown("""
            # Guide

            <div align="center">
              <img src="logo.png" alt="Logo">
              <p><b>Fast</b> local answers.</p>
            </div>

            <!-- a comment that is not text -->

            <h2 id="setup">Setup</h2>

            <details>
            <summary>More</summary>

            Hidden *markdown* text.

            </details>

            Press <kbd>Ctrl</kbd>+<kbd>C</kbd>;<br>Vec<String> &amp; friends.
            """)
        #expect(document.sections == [
            Section(path: ["Guide"], blocks: [.paragraph("Fast local answers.")]),
            Section(path: ["Guide", "Setup"], anchor: "setup", blocks: [
                .paragraph("More"), .paragraph("Hidden markdown text."), .paragraph("Press Ctrl+C; Vec<String> & friends."),
            ]),
        ])
    }

    @Test("an <a name> line anchors what follows; link reference definitions are not text")
    func anchorsAndReferences() {
        let document = markdown("""
            Intro, see [the limits][limits].

            [limits]: https://sqlite.org/limits.html "Limits"

            <a name="max-length"></a>
            The maximum length of a string.

            <a id="columns"></a>

            ## Columns
            """)
        #expect(document.sections == [
            Section(blocks: [.paragraph("Intro, see the limits.")]),
            Section(anchor: "max-length", blocks: [.paragraph("The maximum length of a string.")]),
        ])
    }

    @Test("deep nesting is read without recursion")
    func deepNesting() {
        let depth = 100_000
        let quotes = markdown(String(repeating: "> ", count: depth) + "deep")
        #expect(quotes.sections.flatMap(\.blocks) == [.paragraph("deep")])
        let brackets = markdown(String(repeating: "[", count: depth) + "x" + String(repeating: "]", count: depth))
        #expect(brackets.sections.flatMap(\.blocks).map(\.text).first?.count == 2 * depth + 1)
    }

    @Test("parsing is the same from many threads at once (cmark-gfm's extensions share global state)")
    func concurrentParsing() {
        // Long enough that parses overlap: without the lock in MarkdownTree, one thread ending
        // its parse takes `~` and `|` away from the others and some strikethroughs stay as text.
        let text = String(repeating: "| a | b |\n|---|---|\n| ~~x~~ | `1` |\n\nafter ~~y~~\n\n", count: 500)
        let expected = Array(repeating: [Block.table(Table(header: ["a", "b"], rows: [["x", "1"]])), .paragraph("after y")],
                             count: 500).flatMap { $0 }
        #expect(markdown(text).sections.flatMap(\.blocks) == expected)
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let blocks = TextExtractor().extract(text: text, as: .markdown).sections.flatMap(\.blocks)
            #expect(blocks == expected)
        }
    }

    @Test("front matter gives the title and is not text")
    func frontMatter() {
        let document = markdown("""
            ---
            title: "Release notes"
            date: 2024-01-01
            ---
            Body.
            """)
        #expect(document.title == "Release notes")
        #expect(document.sections.flatMap(\.blocks) == [.paragraph("Body.")])
    }

    @Test("plain text: paragraphs at blank lines, indented blocks as code, any encoding")
    func plainText() throws {
        let latin1: [UInt8] = Array("Caf".utf8) + [0xE9] + Array("\r\nline two\r\n\r\n    x = 1\n    y = 2\n".utf8)
        let document = try TextExtractor().extract(bytes: latin1, as: .text)
        #expect(document.format == .text)
        #expect(document.sections.first?.blocks == [.paragraph("Café line two"), .code("x = 1\ny = 2")])
        #expect(throws: ExtractionError.corrupt(reason: "binary data, not text")) {
            try TextExtractor().extract(bytes: [0x00, 0x01, 0x02, 0xFF, 0x00], as: .text)
        }
    }

    @Test("markdown files through DocumentExtractor; empty files are .empty")
    func viaDocumentExtractor() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-md-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let notes = directory.appendingPathComponent("notes.md")
        try Data("# Notes\n\nHello.\n".utf8).write(to: notes)
        let empty = directory.appendingPathComponent("empty.txt")
        try Data(" \n\n".utf8).write(to: empty)
        let document = try DocumentExtractor().extract(fileAt: notes)
        #expect(document.format == .markdown)
        #expect(document.sections == [Section(path: ["Notes"], blocks: [.paragraph("Hello.")])])
        #expect(throws: ExtractionError.empty) { try DocumentExtractor().extract(fileAt: empty) }
    }
}
