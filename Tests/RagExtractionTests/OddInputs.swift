import Foundation
import RagCore

/// Odd HTML (and two empty files) generated into a temporary folder: the bad input that no
/// corpus has, made here so nothing third-party is committed. Deterministic.
enum OddInputs {
    /// The generated files, by name: what each one tests.
    static let descriptions: [String: String] = [
        "large-20mb.html": "20 MB of sections and paragraphs",
        "deep-100k.html": "100 000 nested <div> elements",
        "declared-utf8-latin1.html": "declares UTF-8, holds Latin-1 bytes",
        "declared-latin1-utf8.html": "declares ISO-8859-1, holds UTF-8",
        "declared-bogus-charset.html": "declares a charset that does not exist",
        "undeclared-latin1.html": "no charset, Latin-1 bytes",
        "binary.html": "64 KiB of random bytes named .html",
        "one-line-10mb.html": "10 MB on a single line",
        "empty.html": "zero bytes",
        "zero-bytes.pdf": "zero bytes named .pdf",
        "tag-soup.html": "unclosed and misnested tags, stray '<', comments that never end",
    ]

    /// Writes every file into a new temporary folder and returns it; the caller removes it.
    static func write() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-odd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func put(_ name: String, _ bytes: [UInt8]) throws {
            try Data(bytes).write(to: directory.appendingPathComponent(name))
        }
        try put("large-20mb.html", large(bytes: 20 << 20))
        try put("deep-100k.html", deep(levels: 100_000))
        let latin1Body: [UInt8] = Array("<p>Caf".utf8) + [0xE9] + Array(" cr".utf8) + [0xE8] + Array("me br".utf8) + [0xFB]
            + Array("l".utf8) + [0xE9] + Array("e, ".utf8) + [0xA3] + Array("5.</p>".utf8)
        try put("declared-utf8-latin1.html", page(head: "<meta charset=\"utf-8\">", body: latin1Body))
        try put("declared-latin1-utf8.html", page(head: "<meta charset=\"iso-8859-1\">", body: Array("<p>Café crème brûlée, £5 ☕.</p>".utf8)))
        try put("declared-bogus-charset.html", page(head: "<meta charset=\"x-no-such-charset\">", body: Array("<p>Plain words.</p>".utf8)))
        try put("undeclared-latin1.html", page(head: "", body: latin1Body))
        var generator = SplitMix64(seed: 0x5EED)
        try put("binary.html", (0..<(64 << 10)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try put("one-line-10mb.html", oneLine(bytes: 10 << 20))
        try put("empty.html", [])
        try put("zero-bytes.pdf", [])
        try put("tag-soup.html", Array("""
            <html><body><p>One <b>bold <i>and</b> italic</i> <table><tr><td>cell<p>para</td></table>
            <ul><li>a<li>b<ol><li>c</ul> <div <p>stray < and > here & there &nosuch; &#xFFFFFFFF; &#0;
            <h1>Heading<h2>Inner</h1></h2><!-- never closed <p>hidden
            """.utf8))
        return directory
    }

    static func page(head: String, body: [UInt8]) -> [UInt8] {
        Array("<!DOCTYPE html><html><head>\(head)<title>Odd</title></head><body>".utf8) + body + Array("</body></html>".utf8)
    }

    static func large(bytes: Int) -> [UInt8] {
        var out = Array("<!DOCTYPE html><html><head><title>Large</title></head><body>\n".utf8)
        out.reserveCapacity(bytes + 4096)
        var section = 0
        while out.count < bytes {
            section += 1
            out += Array("<h2 id=\"s\(section)\">Section \(section)</h2>\n".utf8)
            for paragraph in 0..<5 {
                out += Array("<p>Paragraph \(paragraph) of section \(section) says the limit is \(section * 7 + paragraph) and that the daemon keeps reading. </p>\n".utf8)
            }
        }
        return out + Array("</body></html>\n".utf8)
    }

    static func deep(levels: Int) -> [UInt8] {
        var out = Array("<html><body>".utf8)
        out.reserveCapacity(levels * 11 + 100)
        for _ in 0..<levels { out += Array("<div>".utf8) }
        out += Array("Deep text at the bottom.".utf8)
        for _ in 0..<levels { out += Array("</div>".utf8) }
        return out + Array("</body></html>".utf8)
    }

    static func oneLine(bytes: Int) -> [UInt8] {
        var out = Array("<html><head><title>One line</title></head><body><p>".utf8)
        let words = Array("word another longer-word and then some more text, ".utf8)
        while out.count < bytes { out += words }
        return out + Array("</p></body></html>".utf8)
    }
}

