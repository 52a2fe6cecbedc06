#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The check digits and number rules that tell personal data from numbers that only look like
/// it. Each is the published algorithm, written out because it is a few lines and exact.
enum Checksums {
    /// The Luhn (mod 10) check of payment card numbers: `digits` without separators.
    static func luhn(_ digits: [UInt8]) -> Bool {
        guard digits.count >= 2 else { return false }
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            var v = Int(d)
            if i % 2 == 1 {
                v *= 2
                if v > 9 { v -= 9 }
            }
            sum += v
        }
        return sum % 10 == 0
    }

    /// Whether `digits` start like a card of a scheme in use: Visa (4, 13/16/19 digits),
    /// Mastercard (51–55 and 2221–2720, 16), American Express (34, 37; 15), Discover (6011,
    /// 644–649, 65; 16–19), JCB (3528–3589; 16–19), Diners Club (36, 38, 300–305; 14–19),
    /// UnionPay (62; 16–19), Maestro (50, 56–58, 63, 67; 12–19).
    static func hasCardPrefix(_ digits: [UInt8]) -> Bool {
        func prefix(_ n: Int) -> Int { digits.prefix(n).reduce(0) { $0 * 10 + Int($1) } }
        let count = digits.count
        guard count >= 12, count <= 19 else { return false }
        switch digits[0] {
        case 4: return [13, 16, 19].contains(count)
        case 5:
            let p2 = prefix(2)
            if (51...55).contains(p2) { return count == 16 }
            return [50, 56, 57, 58].contains(p2)
        case 2: return (2221...2720).contains(prefix(4)) && count == 16
        case 3:
            let p2 = prefix(2)
            if p2 == 34 || p2 == 37 { return count == 15 }
            if (3528...3589).contains(prefix(4)) { return count >= 16 }
            if p2 == 36 || p2 == 38 || (300...305).contains(prefix(3)) { return count >= 14 }
            return false
        case 6:
            if prefix(4) == 6011 || (644...649).contains(prefix(3)) || prefix(2) == 65 { return count >= 16 }
            if prefix(2) == 62 { return count >= 16 }
            return prefix(2) == 63 || prefix(2) == 67
        default: return false
        }
    }

    /// IBAN lengths by country (ISO 13616 registry) for the countries whose banks customers
    /// are most likely to have; other countries are accepted at 15–34 characters.
    static let ibanLengths: [String: Int] = [
        "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21, "CY": 28, "CZ": 24,
        "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GI": 23, "GL": 18,
        "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "KW": 30, "KZ": 20, "LB": 28,
        "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
        "QA": 29, "RO": 24, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26, "UA": 29,
    ]

    /// The ISO 13616 check: country letters and check digits moved to the end, letters as
    /// numbers (A = 10), the whole mod 97 equals 1. `iban` is upper case without spaces.
    static func ibanValid(_ iban: [UInt8]) -> Bool {
        guard iban.count >= 15, iban.count <= 34,
              iban[0].isUpperLetter, iban[1].isUpperLetter, iban[2].isDigit, iban[3].isDigit else { return false }
        let country = String(decoding: iban[0..<2], as: UTF8.self)
        if let length = ibanLengths[country], length != iban.count { return false }
        var remainder = 0
        for c in iban[4...] + iban[0..<4] {
            if c.isDigit {
                remainder = (remainder * 10 + Int(c - 48)) % 97
            } else if c.isUpperLetter {
                remainder = (remainder * 100 + Int(c - 55)) % 97
            } else {
                return false
            }
        }
        return remainder == 1
    }

    /// The Social Security Administration's rules: area not 000, 666 or 900–999, group not
    /// 00, serial not 0000.
    static func ssnValid(area: Int, group: Int, serial: Int) -> Bool {
        area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
    }

    /// Whether `text` is an IPv6 address (inet_pton's reading, so every legal form and only those).
    static func ipv6Valid(_ text: String) -> Bool {
        var address = in6_addr()
        return text.withCString { inet_pton(AF_INET6, $0, &address) } == 1
    }
}

extension UInt8 {
    var isDigit: Bool { self >= 48 && self <= 57 }
    var isUpperLetter: Bool { self >= 65 && self <= 90 }
}
