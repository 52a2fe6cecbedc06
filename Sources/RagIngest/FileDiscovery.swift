import Foundation
import RagCore
import RagExtraction

/// Finds the documents below the paths given to `ragd ingest`.
enum FileDiscovery {
    /// A root (folder or single file) and the readable documents in it.
    struct Root {
        var path: String
        var files: [String]
    }

    /// Walks each path recursively, skipping hidden files and folders, and keeps files that
    /// are documents by extension or, lacking a known extension, by their first bytes.
    static func roots(_ paths: [String]) throws -> [Root] {
        try paths.map { raw in
            let path = URL(fileURLWithPath: raw).standardizedFileURL.resolvingSymlinksInPath().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw IngestError.missingPath(raw)
            }
            guard isDirectory.boolValue else { return Root(path: path, files: [path]) }
            var files: [String] = []
            let keys: [URLResourceKey] = [.isRegularFileKey, .isHiddenKey]
            let enumerator = FileManager.default.enumerator(
                at: URL(fileURLWithPath: path), includingPropertiesForKeys: keys, options: [.skipsHiddenFiles])
            while let url = enumerator?.nextObject() as? URL {
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
                if isDocument(url) { files.append(url.standardizedFileURL.path) }
            }
            return Root(path: path, files: files.sorted())
        }
    }

    static let knownExtensions: Set<String> = ["pdf", "html", "htm", "xhtml", "txt", "text", "md", "markdown"]
    static let ignoredExtensions: Set<String> = [
        "png", "jpg", "jpeg", "gif", "svg", "css", "js", "ico", "woff", "woff2", "ttf", "zip", "gz", "xz", "bz2",
        "tar", "so", "o", "a", "exe", "bin", "mp3", "mp4", "webp", "json", "xml", "db", "sqlite",
    ]

    static func isDocument(_ url: URL) -> Bool {
        let ext = url.pathExtension.lowercased()
        if knownExtensions.contains(ext) { return true }
        if ignoredExtensions.contains(ext) { return false }
        // No or unknown extension: sniff the first bytes.
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        let prefix = [UInt8]((try? handle.read(upToCount: 1024)) ?? Data())
        return DocumentExtractor.format(of: url, prefix: prefix) != nil
    }
}

/// Problems with the request itself (not with one file).
public enum IngestError: Error, CustomStringConvertible, Sendable {
    case missingPath(String)

    public var description: String {
        switch self {
        case .missingPath(let path): return "\(path) does not exist."
        }
    }
}
