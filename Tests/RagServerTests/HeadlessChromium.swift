import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real headless Chromium (Debian's chromium-headless-shell), driven over the DevTools
/// protocol on a pipe (--remote-debugging-pipe: fd 3 in, fd 4 out, NUL-separated JSON), so
/// the browser test needs no WebDriver, no Node and no network.
final class HeadlessChromium: @unchecked Sendable {
    // @unchecked: `pending`, `buffer` and `nextId` are only touched under `lock`.
    static let candidates = ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium"]

    private let pid: pid_t
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let profile: URL
    private let lock = NSLock()
    private var nextId = 0
    private var pending: [Int: CheckedContinuation<Data, any Error>] = [:]
    private var reader: Thread?

    struct Failure: Error, CustomStringConvertible { let description: String }

    static func executable() throws -> String {
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "No headless Chromium: run `make setup` (installs Debian's chromium-headless-shell).")
        }
        return path
    }

    init() throws {
        let executable = try Self.executable()
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-chromium-\(UUID().uuidString)")
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0 else { throw Failure(description: "pipe() failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 3)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 4)
        let devNull = open("/dev/null", O_WRONLY)
        posix_spawn_file_actions_adddup2(&actions, devNull, 1)
        posix_spawn_file_actions_adddup2(&actions, devNull, 2)
        let arguments = [
            executable, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=\(profile.path)", "about:blank",
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Its own process group, so quitting ends the renderer and zygote processes too.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, &argv, environ)
        close(devNull)
        close(inPipe[0])
        close(outPipe[1])
        guard status == 0 else { throw Failure(description: "could not start \(executable): \(status)") }
        pid = child
        toBrowser = inPipe[1]
        fromBrowser = outPipe[0]
        let thread = Thread { [weak self] in self?.readLoop() }
        reader = thread
        thread.start()
    }

    deinit { quit() }

    private var quitDone = false

    /// Ends the browser (idempotent).
    func quit() {
        lock.lock()
        defer { lock.unlock() }
        guard !quitDone else { return }
        quitDone = true
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(toBrowser)
        try? FileManager.default.removeItem(at: profile)
    }

    /// Sends a DevTools command and waits for its result.
    @discardableResult
    func send(_ method: String, _ params: [String: Any] = [:], session: String? = nil) async throws -> [String: Any] {
        let reply = try await exchange(method, params, session: session)
        let json = try JSONSerialization.jsonObject(with: reply) as? [String: Any] ?? [:]
        if let error = json["error"] { throw Failure(description: "DevTools error for \(method): \(error)") }
        return json["result"] as? [String: Any] ?? [:]
    }

    private func exchange(_ method: String, _ params: [String: Any], session: String?) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            nextId += 1
            let id = nextId
            pending[id] = continuation
            lock.unlock()
            var message: [String: Any] = ["id": id, "method": method, "params": params]
            if let session { message["sessionId"] = session }
            var data = try! JSONSerialization.data(withJSONObject: message)
            data.append(0)
            data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(toBrowser, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        }
    }

    private func readLoop() {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fromBrowser, &chunk, chunk.count)
            if n <= 0 { break }
            buffer.append(contentsOf: chunk[0..<n])
            while let end = buffer.firstIndex(of: 0) {
                let message = buffer[buffer.startIndex..<end]
                buffer = Data(buffer[(end + 1)...])
                guard let json = try? JSONSerialization.jsonObject(with: message) as? [String: Any],
                      let id = json["id"] as? Int else { continue }
                lock.lock()
                let continuation = pending.removeValue(forKey: id)
                lock.unlock()
                continuation?.resume(returning: Data(message))
            }
        }
        lock.lock()
        let waiting = pending
        pending = [:]
        lock.unlock()
        for (_, continuation) in waiting { continuation.resume(throwing: Failure(description: "the browser exited")) }
    }

    /// A new tab, attached. - Returns: its session id.
    func newPage() async throws -> String {
        let target = try await send("Target.createTarget", ["url": "about:blank"])
        let attached = try await send("Target.attachToTarget", ["targetId": target["targetId"]!, "flatten": true])
        return attached["sessionId"] as! String
    }

    /// A new tab with page events on and a window of `width` × `height` CSS pixels (a phone's
    /// with `mobile`). - Returns: its session id.
    func newPage(width: Int, height: Int, mobile: Bool) async throws -> String {
        let page = try await newPage()
        try await send("Page.enable", session: page)
        try await send("Emulation.setDeviceMetricsOverride",
                       ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile], session: page)
        return page
    }

    /// Evaluates JavaScript in the page and returns its value (JSON-compatible).
    func evaluate(_ expression: String, session: String) async throws -> Any? {
        let result = try await send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true],
                                    session: session)
        if let exception = result["exceptionDetails"] { throw Failure(description: "page script failed: \(exception)") }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Polls `condition` (a JavaScript boolean expression) until true. - Throws: after `seconds`.
    func waitFor(_ condition: String, session: String, seconds: Double = 30, every: Double = 0.1,
                 observe: ((HeadlessChromium) async throws -> Void)? = nil) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let observe { try await observe(self) }
            if (try? await evaluate(condition, session: session)) as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(Int(every * 1000)))
        }
        let whereAt = (try? await evaluate("location.href + ' :: ' + document.body.innerText.slice(0, 300)", session: session)) ?? nil
        throw Failure(description: "timed out after \(Int(seconds)) s waiting for: \(condition) (page: \(whereAt ?? "?"))")
    }

    /// Types text into the focused element, as a keyboard would.
    func type(_ text: String, session: String) async throws {
        try await send("Input.insertText", ["text": text], session: session)
    }

    /// Presses a key (with modifiers: 2 = Ctrl) on the focused element.
    func press(_ key: String, code: String, keyCode: Int, modifiers: Int = 0, session: String) async throws {
        for type in ["keyDown", "keyUp"] {
            var params: [String: Any] = ["type": type, "key": key, "code": code, "windowsVirtualKeyCode": keyCode,
                                         "modifiers": modifiers]
            if type == "keyDown", key == "Enter", modifiers == 0 { params["text"] = "\r" }
            try await send("Input.dispatchKeyEvent", params, session: session)
        }
    }
}
