/// Which path produced an answer. In RagCore because the answer's record travels through
/// every layer: the assistant decides it, the store keeps it in each user's history, the
/// server shows it.
public enum AnswerPath: String, Sendable, Codable, CaseIterable {
    /// The on-prem small model, its citations verified.
    case smallModel = "small_model"
    /// The larger in-network model, its citations verified.
    case largeModel = "large_model"
    /// Sentences quoted from the sources, because no generated sentence passed verification.
    case quotedFallback = "quoted_fallback"
    /// The documents do not answer the question; the closest sources are shown.
    case notFound = "not_found"
}
