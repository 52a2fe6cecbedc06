import Foundation
import RagCore

/// Something that turns one file into an `ExtractedDocument`: `DocumentExtractor` in this
/// process, or `IsolatedExtractor` in a child process with a time and memory limit.
public protocol FileExtracting: Sendable {
    /// Extracts the file at `url` without blocking the cooperative pool; stops early, where
    /// the extractor can, when the task is cancelled.
    /// - Throws: `ExtractionError` saying why the file could not be read.
    func extract(fileAt url: URL) async throws(ExtractionError) -> ExtractedDocument
}

extension DocumentExtractor {
    /// Runs the blocking `extract(fileAt:)` on a dispatch thread (it cannot be interrupted).
    public func extract(fileAt url: URL) async throws(ExtractionError) -> ExtractedDocument {
        let result: Result<ExtractedDocument, ExtractionError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(ExtractionError) {
                    continuation.resume(returning: .success(try self.extract(fileAt: url)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
