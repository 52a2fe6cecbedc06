import Crypto
import Foundation
import RagCore

/// SHA-256 of a file, read in 1 MiB pieces so large files never sit whole in memory.
public enum FileHasher {
    public static func sha256(path: String) throws -> (hex: String, size: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            hasher.update(data: data)
            size += Int64(data.count)
        }
        let hex = hasher.finalize().hexString
        return (hex, size)
    }
}
