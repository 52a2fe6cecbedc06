import Foundation

/// The placeholders of one request and the values they stand for: built while the prompt is
/// redacted, used to put the values back into the reply, and counted (by kind, never by value)
/// for the audit log.
public struct Redaction: Sendable, Equatable {
    /// Placeholder (`[EMAIL_1]`) → the value it replaced.
    public private(set) var values: [String: String] = [:]
    private var placeholders: [String: String] = [:]
    private var numbered: [PersonalDataKind: Int] = [:]
    /// How many spans of each kind were replaced (a value that occurs twice counts twice).
    public private(set) var counts: [PersonalDataKind: Int] = [:]

    public init() {}

    /// Nothing was replaced.
    public var isEmpty: Bool { counts.isEmpty }

    /// The counts keyed by the kind's name, for JSON and the audit record.
    public var countsByName: [String: Int] {
        Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) })
    }

    /// The placeholder for `value`: the one it already has in this redaction, or the kind's next number.
    mutating func placeholder(for value: String, kind: PersonalDataKind) -> String {
        counts[kind, default: 0] += 1
        let key = kind.rawValue + "\u{0}" + Self.normalized(value, kind: kind)
        if let existing = placeholders[key] { return existing }
        let number = numbered[kind, default: 0] + 1
        numbered[kind] = number
        let placeholder = "[\(kind.rawValue)_\(number)]"
        placeholders[key] = placeholder
        values[placeholder] = value
        return placeholder
    }

    /// `text` with every placeholder of this redaction replaced by its value; other bracketed
    /// text (citations like `[2]`) is left alone.
    public func restore(_ text: String) -> String {
        guard !values.isEmpty, text.contains("[") else { return text }
        let string = text as NSString
        var out = ""
        var position = 0
        for m in Self.placeholderPattern.matches(in: text, range: NSRange(location: 0, length: string.length)) {
            guard let value = values[string.substring(with: m.range)] else { continue }
            out += string.substring(with: NSRange(location: position, length: m.range.location - position)) + value
            position = NSMaxRange(m.range)
        }
        return out + string.substring(from: position)
    }

    /// The same person written in another case, or a number with other spacing, is one value.
    static func normalized(_ value: String, kind: PersonalDataKind) -> String {
        switch kind {
        case .iban, .card, .phone: return value.filter { $0.isLetter || $0.isNumber || $0 == "+" }.uppercased()
        default: return value.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
    }

    static let placeholderPattern = try! NSRegularExpression(pattern: "\\[[A-Z][A-Z0-9_]*_[0-9]+\\]")
}

/// Puts placeholders back into a reply that arrives in pieces: a placeholder split across two
/// pieces (`[EMA` + `IL_1]`) is held back until it is whole, everything else passes at once.
public struct PlaceholderRestorer: Sendable {
    public let redaction: Redaction
    private var pending = ""

    public init(redaction: Redaction) { self.redaction = redaction }

    /// The text that can be shown after `piece` arrives (possibly empty while a placeholder is open).
    public mutating func append(_ piece: String) -> String {
        pending += piece
        // Hold back from the last "[" when what follows could still become a placeholder.
        if let open = pending.lastIndex(of: "["), Self.couldGrowIntoPlaceholder(pending[open...]) {
            let ready = String(pending[..<open])
            pending = String(pending[open...])
            return redaction.restore(ready)
        }
        let ready = pending
        pending = ""
        return redaction.restore(ready)
    }

    /// What is still held back, when the reply ends.
    public mutating func finish() -> String {
        let rest = pending
        pending = ""
        return redaction.restore(rest)
    }

    /// "[", "[EM", "[EMAIL_", "[EMAIL_1" (no closing bracket yet, and short).
    static func couldGrowIntoPlaceholder(_ text: Substring) -> Bool {
        guard text.count <= 40, !text.contains("]") else { return false }
        let body = text.dropFirst()
        guard let first = body.first else { return true }
        guard first.isUppercase, first.isASCII else { return false }
        return body.allSatisfy { ($0.isASCII && ($0.isUppercase || $0.isNumber)) || $0 == "_" }
    }
}
