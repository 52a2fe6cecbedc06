import RagInference
import Testing

/// The no-egress rule: model endpoints must be inside the network unless explicitly allowed.
@Suite struct EndpointPolicyTests {
    @Test(arguments: ["http://127.0.0.1:8000/v1", "http://localhost:11434/v1", "http://10.0.0.5:8000/v1",
                      "https://172.20.1.2/v1", "http://192.168.1.10:8080/v1", "http://[::1]:8000/v1", "http://[fd00::5]/v1"])
    func internalEndpointsAreAccepted(_ url: String) throws {
        try EndpointPolicy.check(url: url, allowPublic: false)
    }

    @Test(arguments: ["http://8.8.8.8/v1", "https://1.1.1.1:443/v1", "http://172.32.0.1/v1", "http://[2001:4860:4860::8888]/v1",
                      "http://[::ffff:8.8.8.8]/v1"])
    func publicEndpointsAreRefusedWithAClearError(_ url: String) {
        #expect {
            try EndpointPolicy.check(url: url, allowPublic: false)
        } throws: { error in
            let text = "\(error)"
            return text.contains("outside loopback and private ranges") && text.contains("allow_public_endpoint")
        }
    }

    @Test func anExplicitFlagAllowsAPublicEndpoint() throws {
        try EndpointPolicy.check(url: "http://8.8.8.8/v1", allowPublic: true)
    }

    @Test func unresolvableHostsAndNonHTTPURLsAreRefused() {
        #expect(throws: InferenceError.self) { try EndpointPolicy.check(url: "http://no-such-host.invalid/v1", allowPublic: false) }
        #expect(throws: InferenceError.self) { try EndpointPolicy.check(url: "ftp://10.0.0.1/v1", allowPublic: false) }
    }

    @Test func anIPAddressOrAnAllowedPublicEndpointIsNotPinned() throws {
        let numeric = try EndpointPolicy.pinned(RemoteEndpoint(baseURL: "http://10.0.0.5:8000/v1", model: "m"), allowPublic: false)
        #expect(numeric.pinnedAddress == nil)
        let publicName = try EndpointPolicy.pinned(RemoteEndpoint(baseURL: "http://localhost:8000/v1", model: "m"), allowPublic: true)
        #expect(publicName.pinnedAddress == nil, "nothing was checked, so nothing is pinned")
    }
}
