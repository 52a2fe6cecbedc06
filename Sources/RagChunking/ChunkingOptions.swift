/// How big chunks are and how much neighbours share.
public struct ChunkingOptions: Sendable, Equatable {
    /// The embedding model's input limit, special tokens included (256 for MiniLM). No chunk's
    /// embedding text (section path + text) exceeds it, so nothing is silently truncated.
    public var maxTokens: Int
    /// The size a chunk grows to before a new one starts, in tokens of its text.
    public var targetTokens: Int
    /// Tokens of the previous chunk's end repeated at the start of the next (whole sentences or rows).
    public var overlapTokens: Int
    /// Neighbouring sections of one heading path are merged while one of them is smaller than this.
    public var mergeBelowTokens: Int

    public init(maxTokens: Int = 256, targetTokens: Int = 180, overlapTokens: Int = 40, mergeBelowTokens: Int? = nil) {
        self.maxTokens = maxTokens
        self.targetTokens = targetTokens
        self.overlapTokens = overlapTokens
        self.mergeBelowTokens = mergeBelowTokens ?? targetTokens / 3
    }
}
