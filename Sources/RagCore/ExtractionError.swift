/// Why a file could not be read. Each case says what an administrator can do.
///
/// Descriptions name the file's problem, never its content. Each description starts with
/// `code` and a colon, so a stored reason can be mapped back to its code. `Codable`, so that
/// a child process can report it (see `IsolatedExtractor`).
public enum ExtractionError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// The file is encrypted or needs a password.
    case encrypted
    /// The file is damaged or not what its name says (`reason` from the parser).
    case corrupt(reason: String)
    /// The format is not one ragd reads.
    case unsupportedFormat(String)
    /// The file could not be opened or read.
    case unreadable(reason: String)
    /// Extraction took longer than the per-file limit and was stopped.
    case timedOut(seconds: Int)
    /// The parser died on the file: the extraction process was killed by `signal`.
    case crashed(signal: Int32)
    /// Extracting the file needed more memory than the per-file limit (`limitMB`; 0 when the
    /// parser ran out of memory and the limit is not known where it failed).
    case tooLarge(limitMB: Int)
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
            return "timeout: extraction took longer than \(seconds) s and was stopped. If the file is sound but "
                + "large, raise ingest.file_timeout_seconds; otherwise replace or remove the file."
        case .crashed(let signal):
            return "crashed: the parser was killed by signal \(signal)\(Self.signalName(signal).map { " (\($0))" } ?? ""); "
                + "the file is probably damaged. Other files are not affected; open it in a PDF viewer, "
                + "and re-save or remove it."
        case .tooLarge(let limitMB):
            return "too large: memory limit\(limitMB > 0 ? " of \(limitMB) MiB" : "") reached while extracting. Raise "
                + "ingest.file_memory_mb if the machine has the memory, or split the file."
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
        case .crashed: return "crashed"
        case .tooLarge: return "too_large"
        case .empty: return "empty"
        }
    }

    /// The usual name of a POSIX signal number on Linux, for the few that a parser dies of.
    static func signalName(_ signal: Int32) -> String? {
        switch signal {
        case 4: return "SIGILL"
        case 5: return "SIGTRAP"
        case 6: return "SIGABRT"
        case 7: return "SIGBUS"
        case 8: return "SIGFPE"
        case 9: return "SIGKILL"
        case 11: return "SIGSEGV"
        default: return nil
        }
    }
}
