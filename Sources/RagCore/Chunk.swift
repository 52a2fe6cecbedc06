/// A piece of a document small enough to embed whole, with where it came from.
///
/// Produced by the chunker, stored with its embedding, retrieved as a source for answers.
public struct Chunk: Sendable, Equatable {
    /// Position of the chunk within its document (0, 1, 2, ...).
    public var ordinal: Int
    /// The chunk's text, as shown to the model and quoted to the user.
    public var text: String
    /// The headings above the text, outermost first.
    public var sectionPath: [String]
    /// The HTML anchor of the chunk's section, if any.
    public var anchor: String?
    /// The 1-based PDF pages the text spans, if the document has pages.
    public var pageStart: Int?
    public var pageEnd: Int?
    /// Character offsets (Unicode scalars) of the text in the document's extracted text, where
    /// sections' blocks are joined by blank lines.
    public var characterStart: Int
    public var characterEnd: Int
    /// Tokens of `embeddingText` in the embedding model's vocabulary, special tokens included.
    public var tokenCount: Int
    public var origin: TextOrigin

    public init(ordinal: Int, text: String, sectionPath: [String], anchor: String?, pageStart: Int?, pageEnd: Int?,
                characterStart: Int, characterEnd: Int, tokenCount: Int, origin: TextOrigin) {
        self.ordinal = ordinal
        self.text = text
        self.sectionPath = sectionPath
        self.anchor = anchor
        self.pageStart = pageStart
        self.pageEnd = pageEnd
        self.characterStart = characterStart
        self.characterEnd = characterEnd
        self.tokenCount = tokenCount
        self.origin = origin
    }

    /// The section path as one line: "Limits › Maximum length of a string".
    public var sectionLine: String { sectionPath.joined(separator: " › ") }

    /// What the embedding model reads: the section path, then the text, so that a chunk that
    /// never names its topic ("The default is 1000.") still lands near questions about it.
    public var embeddingText: String { Chunk.embeddingText(sectionLine: sectionLine, text: text) }

    public static func embeddingText(sectionLine: String, text: String) -> String {
        sectionLine.isEmpty ? text : sectionLine + "\n" + text
    }
}

/// Counts tokens the way the embedding model will, special tokens excluded.
///
/// The chunker takes this instead of importing inference, so it stays pure and testable.
public protocol TokenCounter: Sendable {
    /// Tokens of `text`, without the model's special tokens.
    func count(_ text: String) -> Int
    /// Special tokens the model adds around every input ([CLS] and [SEP] for BERT: 2).
    var specialTokens: Int { get }
}
