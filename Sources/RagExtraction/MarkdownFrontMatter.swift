/// A YAML front matter block (`---` on the first line, up to a closing `---` or `...`), as
/// static site generators and documentation tools put at the top of Markdown files.
///
/// Kept from the hand-written reader because CommonMark has no such thing: libcmark-gfm would
/// read the block as a thematic break followed by a setext heading made of the YAML lines.
/// Only `title:` is read; the rest is metadata, not text.
struct MarkdownFrontMatter {
    /// The `title:` value without surrounding quotes, if present and not empty.
    var title: String?
    /// The number of lines the block takes, closing line included (0: no front matter).
    var lineCount: Int

    /// The closing line must come within this many lines; a `---` opening a long document
    /// is a thematic break, not front matter.
    static let maxLines = 200

    /// Reads the front matter at the top of `lines`; a first line that is not `---`, or an
    /// opening with no closing line, is no front matter.
    init(_ lines: [Substring]) {
        title = nil
        lineCount = 0
        guard let first = lines.first, first.trimmingTrailingWhitespace == "---" else { return }
        var title: String?
        for index in 1..<min(lines.count, Self.maxLines) {
            let line = lines[index].trimmingTrailingWhitespace
            if line == "---" || line == "..." {
                self.title = title
                lineCount = index + 1
                return
            }
            if line.hasPrefix("title:") {
                var value = line.dropFirst("title:".count).collapsingWhitespace
                if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
                    value = String(value.dropFirst().dropLast())
                }
                title = value.isEmpty ? nil : value
            }
        }
    }
}
