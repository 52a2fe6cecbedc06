import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay on a loopback port that records every byte a client sends on to the server
/// behind it: what would cross the wire to a larger model in another machine. A test stand-in
/// (no user runs one), so that tests can assert what left the process, headers and bodies alike.
///
/// Plain blocking sockets on threads of their own: one thread accepts, two pump each
/// connection. It serves until `stop()`.
public final class RecordingProxy: @unchecked Sendable {
    // @unchecked: `sent` and `stopped` are guarded by `lock`; the sockets are used by the
    // threads that own them.
    private let lock = NSLock()
    private var sent = Data()
    private var stopped = false
    private let listener: Int32
    public let port: Int
    private let upstreamPort: Int

    /// Listens on 127.0.0.1 (a free port) and relays to 127.0.0.1:`upstreamPort`.
    public init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProxyError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ProxyError("cannot listen on 127.0.0.1")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// The OpenAI-compatible base URL through the proxy.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// Everything clients have sent so far, as text (requests are HTTP/1.1: headers and bodies).
    public var recorded: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: sent, as: UTF8.self)
    }

    /// Stops accepting (open connections end when their peers close).
    public func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                lock.lock()
                let done = stopped
                lock.unlock()
                if done { return }
                continue
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(upstreamPort).bigEndian)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(client)
                close(server)
                continue
            }
            Thread.detachNewThread { [self] in pump(from: client, to: server, record: true) }
            Thread.detachNewThread { [self] in pump(from: server, to: client, record: false) }
        }
    }

    private func pump(from source: Int32, to destination: Int32, record: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(source, &buffer, buffer.count)
            if n <= 0 { break }
            if record {
                lock.lock()
                sent.append(contentsOf: buffer[0..<n])
                lock.unlock()
            }
            var offset = 0
            while offset < n {
                let written = buffer[offset..<n].withUnsafeBytes { write(destination, $0.baseAddress, n - offset) }
                if written <= 0 { break }
                offset += written
            }
            if offset < n { break }
        }
        shutdown(destination, Int32(SHUT_WR))
        shutdown(source, Int32(SHUT_RD))
    }

    struct ProxyError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
