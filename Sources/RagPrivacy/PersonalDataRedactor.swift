import Foundation

/// A span of text that is personal data.
public struct PersonalDataMatch: Sendable, Equatable {
    public var kind: PersonalDataKind
    /// The span, in UTF-16 offsets of the text it was found in.
    public var range: NSRange
    public var value: String
}

/// A pattern an administrator adds for personal data of their own (an employee number, a
/// customer id): matches are replaced as `[NAME_n]`.
public struct CustomPattern: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable after init and documented as safe to use
    // from several threads at once.
    public let kind: PersonalDataKind
    let expression: NSRegularExpression

    /// - Throws: `RedactionError` naming the pattern when it is not a valid regular expression
    ///   or its name is not an upper-case word (it becomes the placeholder's prefix).
    public init(name: String, pattern: String) throws {
        guard name.range(of: "^[A-Z][A-Z0-9_]*$", options: .regularExpression) != nil else {
            throw RedactionError("The redaction pattern name '\(name)' must be upper-case letters, digits and _ (it becomes the placeholder, e.g. [\(name.uppercased())_1]).")
        }
        guard !PersonalDataKind.builtIn.map(\.rawValue).contains(name) else {
            throw RedactionError("The redaction pattern name '\(name)' is a built-in kind; choose another name.")
        }
        do {
            expression = try NSRegularExpression(pattern: pattern)
        } catch {
            throw RedactionError("The redaction pattern \(name) is not a valid regular expression: \(pattern)")
        }
        kind = PersonalDataKind(rawValue: name)
    }
}

public struct RedactionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Finds personal data in text and replaces it with typed, numbered placeholders (`[EMAIL_1]`,
/// `[PHONE_2]`) before the text leaves for a model outside the process; `Redaction.restore`
/// puts the values back into the reply.
///
/// Each kind is found by its shape and then checked the way its issuers check it, so numbers
/// that only look alike stay: IBANs pass mod-97 and their country's length, card numbers a Luhn
/// check digit and a scheme's prefix, US social security numbers the SSA's rules, IP addresses
/// the parser's reading (octets up to 255; inet_pton for IPv6), and a dotted quad after a word
/// like "version" or "build" is a version. Telephone numbers have no checksum: a number counts
/// when it is written the way numbers are dialled (a `+` country code, an area code in
/// parentheses, a leading trunk `0`, the North American 3-3-4 groups) or when a word like
/// "phone", "tel" or "fax" comes just before it, and never when it reads as a date, an ISBN or
/// a version. People are found by the names ragd knows (account display names), not guessed.
///
/// What it does not find: names of people who have no account, postal addresses, dates of
/// birth, and identifiers of other countries unless an administrator adds a `CustomPattern`.
/// Precision and recall on the project's labelled set are in bench/RESULTS.md.
public struct PersonalDataRedactor: Sendable {
    /// The built-in kinds looked for.
    public var kinds: Set<PersonalDataKind>
    public private(set) var customPatterns: [CustomPattern]
    private var names: NamePattern?

    /// - Parameters:
    ///   - names: people's names to find (account display names); names of one word are
    ///     matched only as written (capitalised), longer ones in any case.
    ///   - customPatterns: an administrator's own kinds.
    public init(names: [String] = [], customPatterns: [CustomPattern] = [],
                kinds: Set<PersonalDataKind> = Set(PersonalDataKind.builtIn)) {
        self.kinds = kinds
        self.customPatterns = customPatterns
        self.names = NamePattern(names)
    }

    /// Every span of personal data in `text`, in order, without overlaps (where two kinds
    /// claim the same characters, the earlier start wins, then the kind listed first in
    /// `PersonalDataKind.builtIn`, then the longer span).
    public func matches(in text: String) -> [PersonalDataMatch] {
        let string = text as NSString
        var found: [(match: PersonalDataMatch, priority: Int)] = []
        func add(_ kind: PersonalDataKind, _ range: NSRange) {
            let priority = PersonalDataKind.builtIn.firstIndex(of: kind) ?? PersonalDataKind.builtIn.count
            found.append((PersonalDataMatch(kind: kind, range: range, value: string.substring(with: range)), priority))
        }
        if kinds.contains(.email) { for r in Detectors.emails(string) { add(.email, r) } }
        if kinds.contains(.iban) { for r in Detectors.ibans(string) { add(.iban, r) } }
        if kinds.contains(.card) { for r in Detectors.cards(string) { add(.card, r) } }
        if kinds.contains(.ssn) { for r in Detectors.ssns(string) { add(.ssn, r) } }
        if kinds.contains(.ipAddress) { for r in Detectors.ipAddresses(string) { add(.ipAddress, r) } }
        if kinds.contains(.phone) { for r in Detectors.phones(string) { add(.phone, r) } }
        if kinds.contains(.person), let names { for r in names.ranges(in: string) { add(.person, r) } }
        for pattern in customPatterns {
            for m in pattern.expression.matches(in: text, range: NSRange(location: 0, length: string.length))
            where m.range.length > 0 {
                add(pattern.kind, m.range)
            }
        }
        found.sort {
            if $0.match.range.location != $1.match.range.location { return $0.match.range.location < $1.match.range.location }
            if $0.priority != $1.priority { return $0.priority < $1.priority }
            return $0.match.range.length > $1.match.range.length
        }
        var result: [PersonalDataMatch] = []
        var end = 0
        for (match, _) in found where match.range.location >= end {
            result.append(match)
            end = NSMaxRange(match.range)
        }
        return result
    }

    /// `text` with every match replaced by its placeholder in `redaction` (the same value gets
    /// the same placeholder everywhere in one redaction).
    public func redact(_ text: String, into redaction: inout Redaction) -> String {
        let found = matches(in: text)
        guard !found.isEmpty else { return text }
        let string = text as NSString
        var out = ""
        var position = 0
        for match in found {
            out += string.substring(with: NSRange(location: position, length: match.range.location - position))
            out += redaction.placeholder(for: match.value, kind: match.kind)
            position = NSMaxRange(match.range)
        }
        out += string.substring(from: position)
        return out
    }
}

/// The names to find, as one regular expression (longest first, so "Ann Lee-Smith" wins over
/// "Ann Lee").
struct NamePattern: @unchecked Sendable {
    // @unchecked: immutable NSRegularExpressions, safe to share (see CustomPattern).
    let anyCase: NSRegularExpression?
    let asWritten: NSRegularExpression?

    init?(_ names: [String]) {
        var multiWord: [String] = [], oneWord: [String] = []
        for name in Set(names.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }) {
            guard name.count >= 3, name.contains(where: \.isLetter) else { continue }
            if name.contains(" ") { multiWord.append(name) } else { oneWord.append(name) }
        }
        func expression(_ names: [String], options: NSRegularExpression.Options) -> NSRegularExpression? {
            guard !names.isEmpty else { return nil }
            let alternatives = names.sorted { $0.count > $1.count }.map {
                $0.split(separator: " ").map { NSRegularExpression.escapedPattern(for: String($0)) }.joined(separator: "\\s+")
            }
            return try? NSRegularExpression(
                pattern: "(?<![\\p{L}\\p{N}])(?:" + alternatives.joined(separator: "|") + ")(?![\\p{L}\\p{N}])", options: options)
        }
        anyCase = expression(multiWord, options: [.caseInsensitive])
        asWritten = expression(oneWord, options: [])
        if anyCase == nil && asWritten == nil { return nil }
    }

    func ranges(in string: NSString) -> [NSRange] {
        let all = NSRange(location: 0, length: string.length)
        return [anyCase, asWritten].compactMap { $0 }.flatMap { $0.matches(in: string as String, range: all).map(\.range) }
    }
}
