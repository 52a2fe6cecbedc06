/// Turns a stream of token bytes into text that is safe to show: whole UTF-8 characters only,
/// and nothing that could be the start of a stop string.
struct TextAssembler {
    private var bytes: [UInt8] = []
    private var held = ""
    let stop: [String]

    init(stop: [String]) { self.stop = stop.filter { !$0.isEmpty } }

    /// Adds a token's bytes; returns the text that can be released now and whether a stop
    /// string was reached (the stop string itself is never released).
    mutating func append(_ piece: [UInt8]) -> (text: String, stopped: Bool) {
        bytes += piece
        let complete = completeCharacterPrefix(bytes)
        guard complete > 0 else { return ("", false) }
        held += String(decoding: bytes[..<complete], as: UTF8.self)
        bytes.removeFirst(complete)

        for s in stop {
            if let range = held.range(of: s) {
                let text = String(held[..<range.lowerBound])
                held = ""
                return (text, true)
            }
        }
        // Hold back the longest tail that may grow into a stop string.
        var keep = 0
        for s in stop {
            for n in stride(from: min(s.count - 1, held.count), through: 1, by: -1) where n > keep {
                if held.hasSuffix(s.prefix(n)) { keep = n; break }
            }
        }
        let text = String(held.dropLast(keep))
        held = String(held.suffix(keep))
        return (text, false)
    }

    /// Whatever is left at the end of generation (an incomplete character becomes U+FFFD).
    mutating func flush() -> String {
        let text = held + (bytes.isEmpty ? "" : String(decoding: bytes, as: UTF8.self))
        held = ""
        bytes = []
        return text
    }

    /// Length of the longest prefix of `bytes` that ends on a character boundary.
    private func completeCharacterPrefix(_ bytes: [UInt8]) -> Int {
        var i = bytes.count
        // Look back at most 3 bytes for the lead byte of an unfinished sequence.
        var back = 0
        while i > 0, back < 4 {
            let b = bytes[i - 1]
            if b & 0xC0 == 0x80 { i -= 1; back += 1; continue }  // continuation byte
            let need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            return need == back + 1 ? bytes.count : i - 1
        }
        return bytes.count
    }
}
