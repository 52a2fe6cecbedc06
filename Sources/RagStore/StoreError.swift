/// Why the store could not do what was asked, with what to do about it.
///
/// Like GRDB's errors, descriptions name the problem but never document text or questions.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case vectorExtension, embeddingMismatch, open, conflict, notFound, invalid
        /// The active vector index was switched (`ragd reindex`) after the caller embedded its
        /// text with the previous model: embed again with the new one.
        case indexSwitched
    }
    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
