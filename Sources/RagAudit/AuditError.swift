/// An audit log failure, said in words an administrator or auditor can act on.
///
/// Messages never contain a question or an answer: only ids, paths, dates and counts.
public struct AuditError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
