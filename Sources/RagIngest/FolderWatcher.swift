import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Tells which watched folder had a file created, changed, moved or deleted, through Linux's
/// inotify: one descriptor, a watch on every directory below each root (new directories are
/// added as they appear), read on a thread of its own. Where a watch cannot be added (no
/// inotify, or its watch limit reached) `watch` says so, and the caller keeps scanning at the
/// source's interval; on network file systems inotify sees only local changes, so an interval
/// is the way there too.
public final class FolderWatcher: Sendable {
    private struct State {
        /// Watch descriptor → (key of the root it belongs to, directory path).
        var watches: [Int32: (key: Int64, path: String)] = [:]
        var roots: [Int64: String] = [:]
        var stopped = false
    }
    private let fd: Int32
    private let state = Mutex(State())
    private let onChange: @Sendable (Int64) -> Void

    /// - Parameter onChange: called (on the watcher's thread) with the key of a root whose
    ///   files changed; a burst of events calls it once per read.
    /// - Throws: `WatchError` when inotify is not available.
    public init(onChange: @escaping @Sendable (Int64) -> Void) throws {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw WatchError("inotify is not available (\(String(cString: strerror(errno))))") }
        self.onChange = onChange
        Thread.detachNewThread { [self] in readLoop() }
    }

    deinit { close(fd) }

    static let mask = UInt32(IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_ATTRIB)

    /// Watches `root` and every directory below it under `key`.
    /// - Throws: `WatchError` naming the directory that could not be watched (then nothing of
    ///   this root is watched).
    public func watch(_ root: String, key: Int64) throws {
        unwatch(key: key)
        var directories = [root]
        if let walker = FileManager.default.enumerator(at: URL(fileURLWithPath: root), includingPropertiesForKeys: [.isDirectoryKey]) {
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                directories.append(url.path)
            }
        }
        for directory in directories {
            let wd = inotify_add_watch(fd, directory, Self.mask)
            guard wd >= 0 else {
                let reason = String(cString: strerror(errno))
                unwatch(key: key)
                throw WatchError("cannot watch \(directory): \(reason)")
            }
            state.withLock { $0.watches[wd] = (key, directory) }
        }
        state.withLock { $0.roots[key] = root }
    }

    public func unwatch(key: Int64) {
        let removed: [Int32] = state.withLock { state in
            state.roots[key] = nil
            let wds = state.watches.filter { $0.value.key == key }.map(\.key)
            for wd in wds { state.watches[wd] = nil }
            return wds
        }
        for wd in removed { inotify_rm_watch(fd, wd) }
    }

    /// The keys being watched.
    public var watchedKeys: Set<Int64> { state.withLock { Set($0.roots.keys) } }

    public func stop() {
        state.withLock { $0.stopped = true }
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !state.withLock({ $0.stopped }) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 250) > 0 else { continue }
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { continue }
            var changed = Set<Int64>()
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= n {
                let (wd, mask, length) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                let nameStart = offset + MemoryLayout<inotify_event>.size
                let name = length > 0
                    ? String(decoding: buffer[nameStart..<(nameStart + length)].prefix { $0 != 0 }, as: UTF8.self) : ""
                offset = nameStart + length
                guard let watched = state.withLock({ $0.watches[wd] }) else { continue }
                changed.insert(watched.key)
                // A new directory: watch it too, so files created in it are seen.
                if mask & UInt32(IN_ISDIR) != 0, mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0, !name.isEmpty {
                    let path = watched.path + "/" + name
                    let newWd = inotify_add_watch(fd, path, Self.mask)
                    if newWd >= 0 { state.withLock { $0.watches[newWd] = (watched.key, path) } }
                }
            }
            for key in changed { onChange(key) }
        }
    }

    public struct WatchError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
