extension Unicode.Scalar {
    /// Whitespace as the evaluation's gold text sees it (Python's `\s`): ASCII space, tab and
    /// line breaks, plus Unicode White_Space (no-break space, em space, ideographic space...).
    /// Treating NBSP as whitespace matters: `&nbsp;` between words must compare equal to a space.
    var isCollapsibleWhitespace: Bool {
        switch value {
        case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D: return true
        case 0..<0x80: return value >= 0x1C && value <= 0x1F
        default: return properties.isWhitespace
        }
    }
}

extension StringProtocol {
    /// The text with every run of whitespace replaced by one space and no leading or trailing
    /// whitespace. Zero-width and control characters other than whitespace are kept, except NUL.
    var collapsingWhitespace: String {
        var result = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in unicodeScalars {
            if scalar.isCollapsibleWhitespace {
                pendingSpace = !result.isEmpty
            } else if scalar.value != 0 {
                if pendingSpace {
                    result.append(" ")
                    pendingSpace = false
                }
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// Whether the text has anything other than whitespace.
    var hasVisibleText: Bool {
        unicodeScalars.contains { !$0.isCollapsibleWhitespace }
    }
}
