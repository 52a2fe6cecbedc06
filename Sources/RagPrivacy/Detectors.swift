import Foundation

/// One function per built-in kind: candidate spans by shape, kept only when the kind's own
/// rules accept them. Offsets are UTF-16 (NSString), as NSRegularExpression reports them.
enum Detectors {
    private static func regex(_ pattern: String, _ options: NSRegularExpression.Options = []) -> NSRegularExpression {
        // The patterns are constants of this file: a typo is a programming error.
        try! NSRegularExpression(pattern: pattern, options: options)
    }

    private static func candidates(_ expression: NSRegularExpression, _ string: NSString) -> [NSTextCheckingResult] {
        expression.matches(in: string as String, range: NSRange(location: 0, length: string.length))
    }

    // MARK: E-mail

    private static let email = regex(
        "(?<![A-Za-z0-9._%+-])[A-Za-z0-9_%+-]+(?:\\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
            + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\\.[A-Za-z]{2,24}(?![A-Za-z0-9-])")

    static func emails(_ string: NSString) -> [NSRange] {
        candidates(email, string).map(\.range)
    }

    // MARK: IBAN

    private static let ibanShape = regex("(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,32}")

    /// The longest prefix of each candidate (ending at a group boundary or the candidate's
    /// end) that is a valid IBAN: "DE89 3704 0044 0532 0130 00 EUR" keeps the IBAN only.
    static func ibans(_ string: NSString) -> [NSRange] {
        candidates(ibanShape, string).compactMap { m in
            longestValidPrefix(of: m.range, in: string, separators: [32], minimum: 15, character: { UInt8(truncatingIfNeeded: $0) },
                               valid: Checksums.ibanValid)
        }
    }

    // MARK: Payment cards

    private static let cardShape = regex("(?<![0-9+-])[0-9](?:[ -]?[0-9]){11,18}(?![0-9])")

    /// The longest prefix at a group boundary with a card scheme's prefix and a valid Luhn
    /// digit: "4111-1111-1111-1111 12 27" keeps the card number without the expiry.
    static func cards(_ string: NSString) -> [NSRange] {
        candidates(cardShape, string).compactMap { m in
            longestValidPrefix(of: m.range, in: string, separators: [32, 45], minimum: 12, character: { UInt8($0 - 48) },
                               valid: { Checksums.hasCardPrefix($0) && Checksums.luhn($0) })
        }
    }

    /// Of the candidate at `range`, the longest prefix that ends at a separator or at the
    /// candidate's end, has at least `minimum` characters besides the separators, and is
    /// `valid` (its characters mapped by `character`).
    private static func longestValidPrefix(of range: NSRange, in string: NSString, separators: Set<UInt16>, minimum: Int,
                                           character: (UInt16) -> UInt8, valid: ([UInt8]) -> Bool) -> NSRange? {
        let text = Array(string.substring(with: range).utf16)
        var kept: [UInt8] = []
        var ends: [(utf16End: Int, count: Int)] = []
        for (i, unit) in text.enumerated() where !separators.contains(unit) {
            kept.append(character(unit))
            if i + 1 == text.count || separators.contains(text[i + 1]) { ends.append((i + 1, kept.count)) }
        }
        for end in ends.reversed() where end.count >= minimum && valid(Array(kept.prefix(end.count))) {
            return NSRange(location: range.location, length: end.utf16End)
        }
        return nil
    }

    // MARK: US social security numbers

    private static let ssnShape = regex("(?<![0-9-])([0-9]{3})-([0-9]{2})-([0-9]{4})(?![0-9]|-[0-9])")

    static func ssns(_ string: NSString) -> [NSRange] {
        candidates(ssnShape, string).compactMap { m in
            let part = { (i: Int) in Int(string.substring(with: m.range(at: i)))! }
            return Checksums.ssnValid(area: part(1), group: part(2), serial: part(3)) ? m.range : nil
        }
    }

    // MARK: IP addresses

    private static let ipv4Shape = regex("(?<![0-9A-Za-z.])([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})(?![0-9]|\\.[0-9])")
    private static let ipv6Shape = regex("(?<![0-9A-Za-z:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[0-9A-Za-z]+)?(?![0-9A-Za-z:])")
    /// Words after which a dotted quad is a version, not an address.
    private static let versionWords: Set<String> = [
        "version", "versions", "release", "releases", "build", "builds", "firmware", "revision", "rev", "patch",
        "update", "upgrade", "upgraded", "downgrade", "oid", "v", "ver", "sqlite", "python", "kernel", "library",
        "package",
    ]

    static func ipAddresses(_ string: NSString) -> [NSRange] {
        var ranges: [NSRange] = []
        for m in candidates(ipv4Shape, string) {
            let octets = (1...4).map { Int(string.substring(with: m.range(at: $0)))! }
            guard octets.allSatisfy({ $0 <= 255 }) else { continue }
            if precedingWords(string, before: m.range.location, count: 2).contains(where: versionWords.contains) { continue }
            if m.range.location > 0, "vV".utf16.contains(string.character(at: m.range.location - 1)) { continue }
            ranges.append(m.range)
        }
        for m in candidates(ipv6Shape, string) {
            var range = m.range
            var text = string.substring(with: range)
            // "at fe80::1: the …": a colon that ends a sentence is not part of the address.
            while text.hasSuffix(":") && !text.hasSuffix("::") {
                text.removeLast()
                range.length -= 1
            }
            let hexDigits = text.filter(\.isHexDigit).count
            let groups = text.split(separator: ":").count
            guard hexDigits >= 3, groups >= 2 || text.contains("::"), Checksums.ipv6Valid(text) else { continue }
            ranges.append(range)
        }
        return ranges
    }

    // MARK: Telephone numbers

    private static let phoneShape = regex(
        "(?<![0-9A-Za-z+./_-])(?:\\+[0-9]{1,3}[ .-]?)?(?:\\([0-9]{1,5}\\)[ .-]?)?[0-9]{1,12}(?:[ .-][0-9]{1,8}){0,6}(?![0-9A-Za-z_]|[.-][0-9])")
    /// Words that announce a telephone number.
    private static let phoneWords: Set<String> = [
        "tel", "telephone", "phone", "phones", "fax", "call", "mobile", "cell", "hotline", "dial", "ring", "sms",
        "whatsapp", "telefon", "tél", "landline", "ext", "extension",
    ]
    /// Words after which digits are something else.
    private static let notPhoneWords: Set<String> = [
        "isbn", "issn", "version", "release", "build", "order", "invoice", "ticket", "case", "incident", "serial",
        "part", "item", "sku", "po", "ref", "reference", "tracking", "code", "error", "id", "port", "ports", "page",
        "pages", "bytes", "kb", "mb", "gb", "oid", "step", "steps", "chapter", "section", "table", "figure",
    ]

    static func phones(_ string: NSString) -> [NSRange] {
        candidates(phoneShape, string).compactMap { m in
            let text = string.substring(with: m.range)
            let digits = text.filter(\.isNumber)
            guard (7...15).contains(digits.count) else { return nil }
            // Groups of digits, and the separators between them.
            let groups = text.split { !$0.isNumber }.map(String.init)
            let separators = Set(text.filter { $0 == "-" || $0 == "." || $0 == " " })
            let before = precedingWords(string, before: m.range.location, count: 3)
            if before.contains(where: notPhoneWords.contains) && !before.prefix(1).contains(where: { ["tel", "phone", "fax", "mobile", "call"].contains($0) }) {
                return nil
            }
            let announced = before.contains(where: phoneWords.contains)
            let lengths = groups.map(\.count)
            // Dates, times, versions and ISBNs.
            if [[4, 2, 2], [2, 2, 4], [1, 2, 4], [2, 1, 4]].contains(lengths) && !text.hasPrefix("+") { return nil }
            if separators == ["."] && lengths.count >= 3 && lengths.dropFirst().contains(where: { $0 == 1 }) { return nil }
            if digits.count == 13 && (digits.hasPrefix("978") || digits.hasPrefix("979")) && !text.hasPrefix("+") { return nil }
            if digits.count == 10 && lengths.count == 4 && lengths[0] == 1 && !text.hasPrefix("+") && !text.hasPrefix("0") { return nil }
            // Written the way numbers are dialled.
            if text.hasPrefix("+") { return digits.count >= 8 && (groups.count >= 2 || digits.count >= 10) ? m.range : nil }
            if text.contains("(") { return digits.count >= 9 ? m.range : nil }
            let singleDigitGroups = lengths.filter { $0 == 1 }.count
            if text.hasPrefix("0"), (9...12).contains(digits.count), groups.count >= 2, (2...5).contains(lengths[0]),
               singleDigitGroups == 0, separators != ["."] || lengths.allSatisfy({ $0 == 2 }) {
                return m.range
            }
            if lengths == [3, 3, 4], separators.count == 1, digits.first != "0", digits.first != "1" { return m.range }
            // Otherwise only when a word just before says it is a number to call.
            if announced, groups.count >= 2 || digits.count >= 9, singleDigitGroups <= 1 { return m.range }
            return nil
        }
    }

    // MARK: Context

    /// Up to `count` words just before `location`, lower-cased, nearest first.
    static func precedingWords(_ string: NSString, before location: Int, count: Int) -> [String] {
        let start = max(0, location - 40)
        let window = string.substring(with: NSRange(location: start, length: location - start)).lowercased()
        let words = window.split { !$0.isLetter }.map(String.init)
        // A word cut by the window's start is not a word.
        let whole = start == 0 ? words : Array(words.dropFirst())
        return Array(whole.suffix(count).reversed())
    }
}
