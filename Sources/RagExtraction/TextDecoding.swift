/// Turning the bytes of text files into Swift strings without a charset library.
///
/// ragd reads files whose encoding nobody declared. The rules, in order: a byte order mark
/// wins; then BOM-less UTF-16 is recognised by its zero bytes; then valid UTF-8 is UTF-8;
/// anything else is read as windows-1252, the superset of ISO-8859-1 that browsers use for
/// "Latin-1", so stray accented bytes come out as readable letters instead of failing.
enum TextDecoding {
    /// The Unicode encodings a byte order mark can announce.
    enum UnicodeForm: Equatable {
        case utf8, utf16LittleEndian, utf16BigEndian
    }

    /// The encoding announced by a byte order mark at the start of `bytes`, and the mark's length.
    static func byteOrderMark(of bytes: some Collection<UInt8>) -> (form: UnicodeForm, length: Int)? {
        var iterator = bytes.makeIterator()
        let b0 = iterator.next(), b1 = iterator.next(), b2 = iterator.next()
        switch (b0, b1, b2) {
        case (0xEF, 0xBB, 0xBF): return (.utf8, 3)
        case (0xFF, 0xFE, _): return (.utf16LittleEndian, 2)
        case (0xFE, 0xFF, _): return (.utf16BigEndian, 2)
        default: return nil
        }
    }

    /// UTF-16 without a byte order mark, recognised by ASCII-range characters whose high byte
    /// is zero: over the first 1 KiB (at least 8 bytes), more than 40 % of the bytes on one
    /// parity are NUL, fewer than 5 % on the other, and the bytes beside those NULs are
    /// printable. Binary data with scattered NULs fails the last test.
    static func bomlessUTF16(_ bytes: some Collection<UInt8>) -> UnicodeForm? {
        let window = Array(bytes.prefix(1024))
        guard window.count >= 8 else { return nil }
        var zeros = (even: 0, odd: 0)
        for (index, byte) in window.enumerated() where byte == 0 {
            if index.isMultiple(of: 2) { zeros.even += 1 } else { zeros.odd += 1 }
        }
        let pairs = window.count / 2
        func printableBeside(zeroParity: Int) -> Bool {
            var printable = 0, total = 0
            for pair in 0..<pairs where window[2 * pair + zeroParity] == 0 {
                let other = window[2 * pair + 1 - zeroParity]
                total += 1
                if other == 0x09 || other == 0x0A || other == 0x0D || (0x20...0x7E).contains(other) || other >= 0xA0 {
                    printable += 1
                }
            }
            return total > 0 && Double(printable) >= 0.9 * Double(total)
        }
        let many = 0.4 * Double(pairs), few = 0.05 * Double(pairs)
        if Double(zeros.odd) > many, Double(zeros.even) < few, printableBeside(zeroParity: 1) { return .utf16LittleEndian }
        if Double(zeros.even) > many, Double(zeros.odd) < few, printableBeside(zeroParity: 0) { return .utf16BigEndian }
        return nil
    }

    /// Whether the bytes look like binary data rather than text in some 8-bit or UTF-8 encoding:
    /// any NUL byte, or more than 2 % control characters other than tab, line breaks, form feed
    /// and escape. UTF-16 (with or without BOM) is text. Judged on the first 8 KiB.
    static func looksBinary(_ bytes: some Collection<UInt8>) -> Bool {
        if byteOrderMark(of: bytes) != nil || bomlessUTF16(bytes) != nil { return false }
        var controls = 0, count = 0
        for byte in bytes.prefix(8192) {
            count += 1
            switch byte {
            case 0: return true
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B: break
            case 0x01..<0x20, 0x7F: controls += 1
            default: break
            }
        }
        return count > 0 && Double(controls) > 0.02 * Double(count)
    }

    /// Decodes text by the rules above. Never fails: invalid sequences in a declared or
    /// recognised Unicode form become U+FFFD.
    static func decode(_ bytes: [UInt8]) -> String {
        if let (form, length) = byteOrderMark(of: bytes) {
            return decode(bytes[length...], as: form)
        }
        // Before UTF-8: ASCII interleaved with NULs is valid UTF-8 but is really UTF-16.
        if let form = bomlessUTF16(bytes) { return decode(bytes[...], as: form) }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return windows1252(bytes[...])
    }

    /// Decodes bytes in a known Unicode form, repairing invalid sequences.
    static func decode(_ bytes: ArraySlice<UInt8>, as form: UnicodeForm) -> String {
        switch form {
        case .utf8:
            return String(decoding: bytes, as: UTF8.self)
        case .utf16LittleEndian, .utf16BigEndian:
            let little = form == .utf16LittleEndian
            var units: [UInt16] = []
            units.reserveCapacity(bytes.count / 2)
            var index = bytes.startIndex
            while index + 1 < bytes.endIndex {
                let a = UInt16(bytes[index]), b = UInt16(bytes[index + 1])
                units.append(little ? a | b << 8 : a << 8 | b)
                index += 2
            }
            return String(decoding: units, as: UTF16.self)
        }
    }

    /// Decodes windows-1252. Bytes 0x80-0x9F map to the typographic characters Windows puts
    /// there (€, ‘ ’, “ ”, –, —); the five undefined ones keep their C1 code points.
    static func windows1252(_ bytes: ArraySlice<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(bytes.count)
        for byte in bytes {
            let value: UInt32 = (0x80...0x9F).contains(byte) ? UInt32(cp1252High[Int(byte) - 0x80]) : UInt32(byte)
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }

    private static let cp1252High: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]
}
