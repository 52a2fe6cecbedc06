/// Splits the text poppler reads from one page into paragraphs.
///
/// `poppler_page_get_text` returns one line per text line and no blank lines, so paragraph
/// ends are found from geometry (`poppler_page_get_text_layout` gives a box per character):
/// a new paragraph starts where the space between lines grows beyond the page's usual line
/// pitch, where the text size changes (a heading), where reading order jumps up or sideways
/// (a new column or box), or where a short line is followed by an indented one (a paragraph
/// indent). Pieces of one visual line that poppler cut at a wide gap (a section number and
/// its title) stay together. Without usable boxes, lines are split at blank lines only.
///
/// Within a paragraph lines are joined with a space and whitespace is collapsed. A word
/// hyphenated across lines is joined ("sophisti-" + "cated" → "sophisticated") when a
/// lowercase letter comes before the hyphen and after the break, which is what `pdftotext`
/// does (it joins every hyphenated line end inside a block) and so what people quoting a PDF
/// usually have; it also lets a search for the word find it. The cost: a compound broken at
/// its own hyphen ("read-" + "only") loses the hyphen, exactly as in `pdftotext`.
enum PDFPageText {
    /// One line of page text with the box around its characters (y grows downwards).
    struct Line {
        var text: Substring
        var box: Box?
    }

    struct Box {
        var x1, y1, x2, y2: Double
        var height: Double { y2 - y1 }
    }

    /// A paragraph and the top of its first line (points from the top of the page), if known.
    struct Paragraph: Equatable {
        var text: String
        var top: Double?
    }

    /// Paragraphs of `text`; `boxes` are the per-character boxes in text order, or nil.
    static func paragraphs(in text: String, boxes: [Box]?) -> [Paragraph] {
        let lines = self.lines(of: text, boxes: boxes)
        let breaks = paragraphBreaks(lines)
        var paragraphs: [Paragraph] = []
        var current = ""
        var top: Double?
        for (index, line) in lines.enumerated() {
            if breaks[index], current.hasVisibleText {
                paragraphs.append(Paragraph(text: current.collapsingWhitespace, top: top))
                current = ""
            }
            if line.text.hasVisibleText {
                if current.isEmpty {
                    top = line.box?.y1
                    current = String(line.text)
                } else if let joined = dehyphenate(current, line.text) {
                    current = joined
                } else {
                    current += " " + line.text
                }
            }
        }
        if current.hasVisibleText { paragraphs.append(Paragraph(text: current.collapsingWhitespace, top: top)) }
        return paragraphs
    }

    /// `text` + `next` with the line-end hyphen removed, when `text` ends in a lowercase letter
    /// and a hyphen (ASCII, U+2010 or soft hyphen) and `next` starts with a lowercase letter.
    static func dehyphenate(_ text: String, _ next: Substring) -> String? {
        var head = text.unicodeScalars[...]
        while let last = head.last, last.isCollapsibleWhitespace { head.removeLast() }
        guard let hyphen = head.last, hyphen == "-" || hyphen == "\u{2010}" || hyphen == "\u{AD}" else { return nil }
        head.removeLast()
        guard let before = head.last, before.properties.isLowercase,
              let after = next.unicodeScalars.first(where: { !$0.isCollapsibleWhitespace }), after.properties.isLowercase
        else { return nil }
        var joined = String(String.UnicodeScalarView(head))
        joined += next.drop { $0.isWhitespace }
        return joined
    }

    /// Splits at newlines and attaches each line's bounding box when the box count matches
    /// the character count (it always should; a mismatch means boxes are ignored).
    static func lines(of text: String, boxes: [Box]?) -> [Line] {
        let pieces = text.split(separator: "\n", omittingEmptySubsequences: false)
        let scalarCount = text.unicodeScalars.count
        guard let boxes, boxes.count == scalarCount else {
            return pieces.map { Line(text: $0, box: nil) }
        }
        var lines: [Line] = []
        lines.reserveCapacity(pieces.count)
        var offset = 0
        for piece in pieces {
            let count = piece.unicodeScalars.count
            var box: Box?
            for (i, scalar) in piece.unicodeScalars.enumerated() where !scalar.isCollapsibleWhitespace {
                let b = boxes[offset + i]
                guard b.x2 >= b.x1, b.y2 > b.y1 else { continue }
                if var merged = box {
                    merged.x1 = min(merged.x1, b.x1); merged.y1 = min(merged.y1, b.y1)
                    merged.x2 = max(merged.x2, b.x2); merged.y2 = max(merged.y2, b.y2)
                    box = merged
                } else {
                    box = b
                }
            }
            lines.append(Line(text: piece, box: box))
            offset += count + 1 // the newline's own box
        }
        return lines
    }

    /// `breaks[i]` says whether a paragraph starts at line i.
    static func paragraphBreaks(_ lines: [Line]) -> [Bool] {
        var breaks = [Bool](repeating: false, count: lines.count)
        // The usual distance from one line's top to the next line's, for lines of similar size.
        var pitches: [Double] = []
        for i in 1..<max(lines.count, 1) {
            guard let a = lines[i - 1].box, let b = lines[i].box, similarHeight(a, b) else { continue }
            let pitch = b.y1 - a.y1
            if pitch > 0 { pitches.append(pitch) }
        }
        pitches.sort()
        let typicalPitch = pitches.isEmpty ? nil : pitches[pitches.count / 2]
        let left = lines.compactMap { $0.box?.x1 }.min() ?? 0
        let right = lines.compactMap { $0.box?.x2 }.max() ?? 0

        for i in 1..<max(lines.count, 1) {
            let previous = lines[i - 1], line = lines[i]
            if !previous.text.hasVisibleText {
                breaks[i] = true
                continue
            }
            guard let a = previous.box, let b = line.box else { continue }
            let height = max(a.height, b.height)
            if !similarHeight(a, b) { breaks[i] = true; continue }
            let pitch = b.y1 - a.y1
            // The same visual line, cut by poppler at a wide gap ("1.6   How does..."): join.
            if abs(pitch) < 0.3 * height, b.x1 > a.x1 { continue }
            if pitch < -0.5 * height { breaks[i] = true; continue } // moved up: new column or box
            if b.x1 > a.x2 { breaks[i] = true; continue } // beside the previous line: another column
            // More space than usual between lines (scaled for large text such as headings).
            if pitch > max((typicalPitch ?? pitch) * 1.35 + 0.5, 1.6 * height) { breaks[i] = true; continue }
            // A short line followed by an indented line: the next paragraph's indent.
            let indented = b.x1 > left + 0.8 * height && b.x1 > a.x1 + 0.8 * height
            let short = a.x2 < right - 2 * height
            if indented, short { breaks[i] = true }
        }
        return breaks
    }

    /// Line boxes within 20 % of each other in height: the same text size.
    private static func similarHeight(_ a: Box, _ b: Box) -> Bool {
        abs(a.height - b.height) <= 0.2 * max(a.height, b.height)
    }
}
