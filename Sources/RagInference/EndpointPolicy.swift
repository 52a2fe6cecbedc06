import AsyncHTTPClient
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The no-egress rule for model endpoints: ragd talks only to servers inside the network.
///
/// An endpoint must resolve to loopback or private addresses only (IPv4 127/8, 10/8,
/// 172.16/12, 192.168/16, 100.64/10, 169.254/16; IPv6 ::1, fc00::/7, fe80::/10). Anything else
/// — or a name that does not resolve — is refused at start-up with a clear error, unless the
/// administrator allows public endpoints explicitly.
public enum EndpointPolicy {
    /// Checks `endpoint` and pins it to an address that passed: the HTTP client then connects
    /// to that address and never resolves the name again, so a resolver that answers
    /// differently later (DNS rebinding) cannot steer requests out of the network. TLS still
    /// verifies the certificate for the configured name. An IP-address URL needs no pin; with
    /// `allowPublic` nothing is checked and nothing is pinned.
    /// - Throws: `InferenceError(.invalidConfiguration)` as `check` does.
    public static func pinned(_ endpoint: RemoteEndpoint, allowPublic: Bool) throws(InferenceError) -> RemoteEndpoint {
        let addresses = try check(url: endpoint.baseURL, allowPublic: allowPublic)
        var pinned = endpoint
        if let host = URL(string: endpoint.baseURL)?.host, !isNumeric(host), let first = addresses.first {
            pinned.pinnedAddress = first
        }
        return pinned
    }

    /// Checks `url`. - Returns: the addresses its host resolved to, all inside the network
    /// (empty when `allowPublic` skipped the check).
    /// - Throws: `InferenceError(.invalidConfiguration)` saying why and what to do.
    @discardableResult
    /// - Parameters:
    ///   - setting: the configuration key the URL came from, for the message.
    ///   - allowKey: the key that would allow a public address, for the message.
    public static func check(url text: String, allowPublic: Bool, setting: String = "large_model.url",
                             allowKey: String = "large_model.allow_public_endpoint") throws(InferenceError) -> [String] {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else {
            throw InferenceError(.invalidConfiguration, "\(setting) \(text) is not an http(s) URL.")
        }
        if allowPublic { return [] }
        let addresses = resolve(host)
        guard !addresses.isEmpty else {
            throw InferenceError(.invalidConfiguration,
                                 "\(setting): the host \(host) does not resolve, so ragd cannot check that it is inside "
                                     + "the network. Use an IP address or a name your resolver knows.")
        }
        let outside = addresses.filter { !isInternal($0) }
        guard outside.isEmpty else {
            throw InferenceError(.invalidConfiguration,
                                 "\(setting) \(text) resolves to \(outside.joined(separator: ", ")), outside loopback and "
                                     + "private ranges: ragd refuses to send anything out of the network. Use an "
                                     + "endpoint inside the network, or set \(allowKey): true if you really "
                                     + "mean to.")
        }
        return addresses
    }

    /// An HTTP client for requests to `url` after `check`: it connects to the checked address
    /// and never resolves the name again (see `pinned`). A URL with an IP address, or one
    /// allowed public, gets the shared client.
    /// - Throws: `InferenceError(.invalidConfiguration)` as `check` does.
    public static func client(for url: String, allowPublic: Bool, setting: String, allowKey: String) throws(InferenceError) -> HTTPClient {
        let addresses = try check(url: url, allowPublic: allowPublic, setting: setting, allowKey: allowKey)
        guard let host = URL(string: url)?.host, !isNumeric(host), let first = addresses.first else { return .shared }
        return PinnedHTTPClients.client(connecting: host, to: first)
    }

    /// Whether `host` is an IPv4 or IPv6 literal (with or without brackets).
    static func isNumeric(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, bare, &v4) == 1 || inet_pton(AF_INET6, bare, &v6) == 1
    }

    /// The numeric addresses `host` resolves to.
    static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0 else { return [] }
        defer { freeaddrinfo(result) }
        var addresses: [String] = []
        var cursor = result
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(cString: buffer))
            }
            cursor = info.pointee.ai_next
        }
        return Array(Set(addresses)).sorted()
    }

    /// Whether a numeric address is loopback, private or link-local.
    public static func isInternal(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            let a = UInt32(bigEndian: v4.s_addr)
            func within(_ net: UInt32, _ bits: UInt32) -> Bool { a >> (32 - bits) == net >> (32 - bits) }
            return within(0x7F00_0000, 8) || within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16)
                || within(0x6440_0000, 10) || within(0xA9FE_0000, 16)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address.split(separator: "%").first.map(String.init) ?? address, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            if bytes.dropLast().allSatisfy({ $0 == 0 }) && bytes.last == 1 { return true }  // ::1
            if bytes[0] & 0xFE == 0xFC { return true }  // fc00::/7
            if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return true }  // fe80::/10
            // IPv4-mapped (::ffff:a.b.c.d): judge the IPv4 part.
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                return isInternal(bytes[12...].map(String.init).joined(separator: "."))
            }
        }
        return false
    }
}
