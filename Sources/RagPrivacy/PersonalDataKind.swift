/// What kind of personal data a span of text is. The raw value names the kind in placeholders
/// (`[EMAIL_1]`), in the audit record's counts and in the evaluation set.
public struct PersonalDataKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// E-mail addresses.
    public static let email = PersonalDataKind(rawValue: "EMAIL")
    /// Telephone numbers, national or international.
    public static let phone = PersonalDataKind(rawValue: "PHONE")
    /// IBANs that pass the ISO 13616 mod-97 check.
    public static let iban = PersonalDataKind(rawValue: "IBAN")
    /// Payment card numbers: a known issuer prefix and a valid Luhn check digit.
    public static let card = PersonalDataKind(rawValue: "CARD")
    /// US social security numbers (ddd-dd-dddd with the SSA's rules for valid numbers).
    public static let ssn = PersonalDataKind(rawValue: "SSN")
    /// IPv4 and IPv6 addresses.
    public static let ipAddress = PersonalDataKind(rawValue: "IP")
    /// The names of people ragd knows (account display names).
    public static let person = PersonalDataKind(rawValue: "PERSON")

    /// The built-in kinds, in the order overlapping matches are preferred.
    public static let builtIn: [PersonalDataKind] = [.email, .iban, .card, .ssn, .ipAddress, .phone, .person]

    public var description: String { rawValue }
}
