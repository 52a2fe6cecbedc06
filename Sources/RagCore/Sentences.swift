/// A plain sentence splitter: good enough to keep overlap and chunk edges between sentences.
/// Kept hand-written on purpose: the chunker, the verifier and the evidence picker must cut
/// the same text at the same places, in pure Swift on Linux (Foundation's linguistic
/// enumeration is not available there), and this rule is short and tested.
///
/// It cuts after ".", "!" or "?" (optionally followed by a closing quote or bracket) when
/// a space and then an upper-case letter, digit or opening quote/bracket follow. It does not
/// cut after common abbreviations ("e.g.", "i.e.", "etc.", "Dr.", single capitals).
public enum Sentences {
    public static let abbreviations: Set<String> = [
        "e.g", "i.e", "etc", "vs", "cf", "dr", "mr", "mrs", "ms", "prof", "no", "fig", "sec", "approx", "al",
    ]

    /// The sentences of `text` with their offsets (Unicode scalars) in it.
    public static func split(_ text: String) -> [(String, Int)] {
        let scalars = Array(text.unicodeScalars)
        var out: [(String, Int)] = []
        var start = 0
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "." || c == "!" || c == "?" {
                var end = i + 1
                while end < scalars.count, "\"')]’”".unicodeScalars.contains(scalars[end]) { end += 1 }
                if end + 1 < scalars.count, scalars[end] == " ", startsSentence(scalars[end + 1]),
                   !(c == "." && isAbbreviation(scalars, before: i)) {
                    out.append((String(String.UnicodeScalarView(scalars[start..<end])), start))
                    start = end + 1
                    i = start
                    continue
                }
            }
            i += 1
        }
        if start < scalars.count {
            out.append((String(String.UnicodeScalarView(scalars[start...])), start))
        }
        return out.filter { !$0.0.allSatisfy(\.isWhitespace) }
    }

    private static func startsSentence(_ c: Unicode.Scalar) -> Bool {
        c.properties.isUppercase || ("0"..."9").contains(c) || "\"'(“‘[".unicodeScalars.contains(c)
    }

    private static func isAbbreviation(_ scalars: [Unicode.Scalar], before dot: Int) -> Bool {
        var j = dot
        while j > 0, scalars[j - 1].properties.isAlphabetic || scalars[j - 1] == "." { j -= 1 }
        let word = String(String.UnicodeScalarView(scalars[j..<dot])).lowercased()
        if word.count == 1 { return true }  // initials: "J. Smith"
        return abbreviations.contains(word)
    }
}
