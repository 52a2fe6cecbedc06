/// Which documents a search may return: enforced inside every SQL query, so a chunk a user
/// may not read never leaves the database for them — not into a prompt, a citation or a count.
public enum AccessFilter: Sendable, Equatable {
    /// Every document (administrators, the command line).
    case unrestricted
    /// Documents open to everyone, plus those shared with any of these groups.
    case groups(Set<String>)

    /// SQL condition on a `document` row named `d`, and its arguments.
    var documentCondition: (sql: String, arguments: [String]) {
        switch self {
        case .unrestricted:
            return ("1", [])
        case .groups(let groups):
            let json = "[" + groups.sorted().map { "\"" + $0.jsonEscaped + "\"" }.joined(separator: ",") + "]"
            return ("""
                (d.groups = '[]' OR EXISTS (
                    SELECT 1 FROM json_each(d.groups) g WHERE g.value IN (SELECT value FROM json_each(?))))
                """, [json])
        }
    }
}

extension String {
    var jsonEscaped: String {
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
