/// Why a file could not be read. Each case says what an administrator can do.
///
/// Descriptions name the file's problem, never its content.
public enum ExtractionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is encrypted or needs a password.
    case encrypted
    /// The file is damaged or not what its name says (`reason` from the parser).
    case corrupt(reason: String)
    /// The format is not one ragd reads.
    case unsupportedFormat(String)
    /// The file could not be opened or read.
    case unreadable(reason: String)
    /// Extraction took longer than the per-file limit.
    case timedOut(seconds: Int)
    /// The file holds no text at all (after OCR, where enabled).
    case empty

    public var description: String {
        switch self {
        case .encrypted:
            return "encrypted: the file needs a password; ragd skips it. Store an unencrypted copy to make it searchable."
        case .corrupt(let reason):
            return "corrupt: \(reason)"
        case .unsupportedFormat(let what):
            return "unsupported format: \(what)"
        case .unreadable(let reason):
            return "unreadable: \(reason)"
        case .timedOut(let seconds):
            return "timed out: extraction took longer than \(seconds) s"
        case .empty:
            return "empty: no text found"
        }
    }

    /// A short machine-readable status word for summaries and the admin pages.
    public var code: String {
        switch self {
        case .encrypted: return "encrypted"
        case .corrupt: return "corrupt"
        case .unsupportedFormat: return "unsupported"
        case .unreadable: return "unreadable"
        case .timedOut: return "timeout"
        case .empty: return "empty"
        }
    }
}
