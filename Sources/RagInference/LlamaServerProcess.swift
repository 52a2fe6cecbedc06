import AsyncHTTPClient
import Foundation
import Logging
import RagCore
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings for `LlamaServerProcess`: which llama-server runs which GGUF, where, and how.
public struct LlamaServerConfiguration: Sendable, Equatable {
    /// llama.cpp's `llama-server` (`make setup` builds it to `$RAGD_CACHE/llama/VERSION/bin/llama-server`).
    public var serverPath: String
    /// The GGUF file to serve.
    public var modelPath: String
    /// The name the server answers to (`--alias`), and the name recorded with every answer.
    public var modelName: String
    /// The loopback port to listen on.
    public var port: Int
    /// Context window in tokens (`-c`): one reply's most, and the cells the slots share
    /// (`--kv-unified`).
    public var contextLength: Int
    /// Replies decoded together (`--parallel`, continuous batching).
    public var parallel: Int
    /// CPU threads for prompt processing and generation (`-t`).
    public var threads: Int
    /// The child's standard output and standard error are appended here.
    public var logPath: String
    /// How long `waitUntilReady()` waits for `GET /health` to answer 200.
    public var readyTimeout: Duration
    /// How long `stop()` waits after SIGTERM before it sends SIGKILL.
    public var stopTimeout: Duration

    public init(serverPath: String, modelPath: String, modelName: String? = nil, port: Int = 8081,
                contextLength: Int = 4096, parallel: Int = 4,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, logPath: String, readyTimeout: Duration = .seconds(180), stopTimeout: Duration = .seconds(5)) {
        self.serverPath = serverPath
        self.modelPath = modelPath
        self.modelName = modelName ?? (modelPath as NSString).lastPathComponent
        self.port = port
        self.contextLength = contextLength
        self.parallel = parallel
        self.threads = threads
        self.logPath = logPath
        self.readyTimeout = readyTimeout
        self.stopTimeout = stopTimeout
    }

    /// The OpenAI-compatible base URL, for `RemoteEndpoint`.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// llama-server's arguments: loopback only, `parallel` slots sharing one KV cache, no web UI, no `/slots` endpoint (it
    /// would show prompts to any local user), no prompt cache in RAM (llama-server's default
    /// may grow to 8 GiB), and no network access of its own (`--offline`).
    public var arguments: [String] {
        ["--host", "127.0.0.1", "--port", String(port), "-m", modelPath, "--alias", modelName,
         "-c", String(contextLength), "-t", String(threads),
         "--parallel", String(parallel), "--kv-unified",
         "--no-webui", "--no-slots", "--cache-ram", "0", "--offline"]
    }
}

/// llama.cpp's `llama-server` as a supervised child of ragd: the larger model tier on loopback.
///
/// `start()` launches it (standard output and error appended to `logPath`, never to ragd's
/// terminal) and returns at once; `waitUntilReady()` waits until `GET /health` answers 200.
/// If the child dies after it was ready, it is started again after a backoff (1 s, doubling to
/// 30 s, back to 1 s once a child has run for a minute), each restart logged. If it dies
/// before it was ever ready (a bad model file, a port taken), `waitUntilReady()` throws with
/// the end of its log instead: that will not fix itself. `stop()` sends SIGTERM, then SIGKILL
/// after `stopTimeout`.
///
/// As a swift-service-lifecycle `Service`, `run()` starts it, waits until it is ready and
/// stops it at graceful shutdown; put it before the services that use it in a `ServiceGroup`
/// (they stop first).
///
/// The child must not outlive ragd, even when ragd is SIGKILLed: on Linux it runs as
/// `setpriv --pdeathsig SIGKILL -- llama-server ...`. SIGKILL, not SIGTERM: on SIGTERM
/// llama-server waits for the requests in flight, and with a client still connected it was
/// seen to outlive ragd by a minute; with its parent gone there is nothing to finish cleanly
/// (`stop()` is the graceful path). The kernel sends that signal when the
/// *thread* that spawned the child ends, so each child is spawned from a thread of its own
/// that then waits for it (`waitpid`) and so lives exactly as long as the child, not from a
/// pool thread that may be retired while the child runs. The child has its own process group
/// (a Ctrl-C on ragd's terminal reaches ragd, which stops it in order) and default signal
/// handling (ragd ignores SIGTERM and SIGINT for its own handlers).
///
/// That is why this spawn stays hand-written while the extraction child uses swift-subprocess:
/// swift-subprocess spawns from whichever thread runs its task and reaps on its own threads,
/// so the spawning thread's lifetime, which `--pdeathsig` ties the child to, is not ours to keep.
public actor LlamaServerProcess: Service {
    public nonisolated let configuration: LlamaServerConfiguration
    private let logger: Logger
    private let httpClient: HTTPClient

    /// The current child (running or exited).
    private var child: Child?
    /// The current child answered `/health` with 200.
    private var ready = false
    /// Some child has been ready once: later exits are crashes to restart, not start-up failures.
    private var wasEverReady = false
    /// Between `start()` and `stop()`: a child that exits is restarted.
    private var supervising = false
    /// Why the first child never became ready; `waitUntilReady()` throws it.
    private var startFailure: InferenceError?
    private var restartTask: Task<Void, Never>?
    private var consecutiveCrashes = 0
    /// How many times a crashed child was started again.
    public private(set) var restarts = 0

    public init(configuration: LlamaServerConfiguration, logger: Logger = Logger(label: "ragd.llama-server"),
                httpClient: HTTPClient = .shared) {
        self.configuration = configuration
        self.logger = logger
        self.httpClient = httpClient
    }

    /// The process id of the running child, if one runs.
    public var pid: Int32? {
        guard let child, child.exitStatus == nil else { return nil }
        return child.pid
    }

    /// The running child's resident memory in bytes (Linux: VmRSS in /proc), if one runs.
    public var residentMemoryBytes: Int? {
        guard let pid else { return nil }
        return ProcessStatus.kibibytes("VmRSS", pid: pid).map { $0 * 1024 }
    }

    // MARK: Start, ready, stop

    /// Launches llama-server and returns without waiting for the model to load; does nothing
    /// if it was started already.
    /// - Throws: `InferenceError` when llama-server or the model file is missing, the port is
    ///   in use, or the process cannot be spawned.
    public func start() async throws(InferenceError) {
        guard !supervising else { return }
        let c = configuration
        guard FileManager.default.isExecutableFile(atPath: c.serverPath) else {
            throw InferenceError(
                .invalidConfiguration,
                "llama-server was not found at \(c.serverPath) (or is not executable). Run `make setup` (it builds "
                    + "llama.cpp's server), set large_model.launch.server, or set large_model: false.")
        }
        guard FileManager.default.fileExists(atPath: c.modelPath) else {
            throw InferenceError(
                .modelFileMissing,
                "The larger model file \(c.modelPath) does not exist. Run `make setup` to fetch it, point "
                    + "large_model.launch.model at a GGUF file, or set large_model: false.")
        }
        startFailure = nil
        wasEverReady = false
        consecutiveCrashes = 0
        try spawnChild()
        supervising = true
    }

    /// Waits until the running child answers `GET /health` with 200 (at most `readyTimeout`).
    /// After a crash it waits for the restarted child.
    /// - Throws: `InferenceError(.remoteUnavailable)` when the first child exited before it was
    ///   ready (with the end of its log) or the time is up (naming the log file);
    ///   `CancellationError` when the calling task is cancelled.
    public func waitUntilReady() async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.readyTimeout
        while true {
            if let startFailure { throw startFailure }
            if ready, let child, child.exitStatus == nil { return }
            guard supervising else {
                throw InferenceError(.remoteUnavailable, "llama-server is not running: start() it first (or it was stopped).")
            }
            guard clock.now < deadline else {
                throw InferenceError(
                    .remoteUnavailable,
                    "llama-server (\(configuration.modelName)) did not become ready at http://127.0.0.1:"
                        + "\(configuration.port)/health within \(configuration.readyTimeout); see its log "
                        + "\(configuration.logPath).")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Stops supervising and ends the child: SIGTERM, then SIGKILL after `stopTimeout`.
    /// Returns once it has exited. Safe to call more than once.
    public func stop() async {
        supervising = false
        ready = false
        restartTask?.cancel()
        restartTask = nil
        guard let child, child.exitStatus == nil else { return }
        logger.info("stopping llama-server", metadata: ["pid": "\(child.pid)"])
        kill(child.pid, SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.stopTimeout
        while child.exitStatus == nil && clock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if child.exitStatus == nil {
            logger.warning("llama-server did not stop on SIGTERM; sending SIGKILL", metadata: ["pid": "\(child.pid)"])
            kill(child.pid, SIGKILL)
            while child.exitStatus == nil { try? await Task.sleep(for: .milliseconds(20)) }
        }
        logger.info("llama-server stopped", metadata: ["pid": "\(child.pid)"])
    }

    /// The `Service` entry point: starts llama-server (unless started already), waits until it
    /// is ready, keeps it running until graceful shutdown or cancellation, then stops it.
    public func run() async throws {
        do {
            try await start()
            try await cancelWhenGracefulShutdown { try await self.waitUntilReady() }
            try await gracefulShutdown()
        } catch is CancellationError {
            // Shut down while waiting: stop below.
        } catch {
            await stop()
            throw error
        }
        await stop()
    }

    // MARK: Supervision

    /// Spawns a child and starts watching its health; its exit comes to `childExited`.
    private func spawnChild() throws(InferenceError) {
        if Self.isPortInUse(configuration.port) {
            throw InferenceError(
                .invalidConfiguration,
                "Port \(configuration.port) on 127.0.0.1 is in use, so ragd cannot launch llama-server there (another "
                    + "ragd serve, or another llama-server?). Set large_model.launch.port to a free port or stop the "
                    + "other process.")
        }
        let (executable, arguments) = Self.command(for: configuration)
        prepareLog(commandLine: ([executable] + arguments).joined(separator: " "))
        let child: Child
        do {
            child = try Child.spawn(executable: executable, arguments: arguments, logPath: configuration.logPath) { [weak self] child in
                Task { await self?.childExited(child) }
            }
        } catch {
            throw InferenceError(
                .remoteUnavailable,
                "ragd could not start \(executable): \(String(cString: strerror(error.code))) (errno \(error.code)).")
        }
        self.child = child
        ready = false
        logger.notice("llama-server starting", metadata: [
            "pid": "\(child.pid)", "model": "\(configuration.modelName)", "url": "\(configuration.baseURL)",
            "log": "\(configuration.logPath)",
        ])
        Task { await self.watchHealth(of: child) }
    }

    /// Polls `/health` until the child answers 200 (it says 503 while loading) or exits.
    private func watchHealth(of child: Child) async {
        let url = "http://127.0.0.1:\(configuration.port)/health"
        while child.exitStatus == nil && self.child === child {
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            if let response = try? await httpClient.execute(request, timeout: .seconds(2)) {
                _ = try? await response.body.collect(upTo: 1 << 16)
                if response.status == .ok, child.exitStatus == nil, self.child === child {
                    ready = true
                    wasEverReady = true
                    let seconds = (ContinuousClock.now - child.started).seconds
                    logger.notice("llama-server ready", metadata: [
                        "pid": "\(child.pid)", "model": "\(configuration.modelName)", "url": "\(configuration.baseURL)",
                        "seconds": "\(String(format: "%.1f", seconds))",
                        "rss_mib": "\(residentMemoryBytes.map { String($0 >> 20) } ?? "?")",
                    ])
                    return
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A child ended: expected after `stop()`; a start-up failure if no child was ever ready;
    /// otherwise a crash, answered by a restart after a backoff.
    private func childExited(_ exited: Child) {
        guard exited === child else { return }
        ready = false
        guard supervising else { return }
        let status = exited.exitDescription
        guard wasEverReady else {
            supervising = false
            startFailure = InferenceError(
                .remoteUnavailable,
                "llama-server \(status) before it was ready (model \(configuration.modelPath), port "
                    + "\(configuration.port)). The end of its log \(configuration.logPath):\n" + logTail())
            logger.error("llama-server failed to start", metadata: ["status": "\(status)", "log": "\(configuration.logPath)"])
            return
        }
        scheduleRestart(after: (ContinuousClock.now - exited.started).seconds, reason: status)
    }

    private func scheduleRestart(after uptime: Double, reason: String) {
        if uptime >= 60 { consecutiveCrashes = 0 }
        consecutiveCrashes += 1
        let delay = min(30, 1 << min(consecutiveCrashes - 1, 5))
        logger.error("llama-server \(reason); restarting", metadata: [
            "restart_in_seconds": "\(delay)", "uptime_seconds": "\(Int(uptime))", "log": "\(configuration.logPath)",
        ])
        restartTask = Task {
            try? await Task.sleep(for: .seconds(delay))
            guard !Task.isCancelled else { return }
            self.restart()
        }
    }

    private func restart() {
        guard supervising, child?.exitStatus != nil else { return }
        restarts += 1
        do {
            try spawnChild()
        } catch {
            logger.error("llama-server could not be restarted: \(error)")
            scheduleRestart(after: 0, reason: "could not be restarted")
        }
    }

    // MARK: Command, log, port

    /// `setpriv --pdeathsig SIGKILL -- llama-server ARGS` where setpriv exists (util-linux),
    /// else llama-server itself.
    static func command(for configuration: LlamaServerConfiguration) -> (String, [String]) {
        #if os(Linux)
        for setpriv in ["/usr/bin/setpriv", "/bin/setpriv"] where FileManager.default.isExecutableFile(atPath: setpriv) {
            return (setpriv, ["--pdeathsig", "SIGKILL", "--", configuration.serverPath] + configuration.arguments)
        }
        #endif
        return (configuration.serverPath, configuration.arguments)
    }

    /// Creates the log's folder, keeps one previous log once it passes 16 MiB, and appends a
    /// line saying what starts.
    private func prepareLog(commandLine: String) {
        let path = configuration.logPath
        let files = FileManager.default
        try? files.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if let size = (try? files.attributesOfItem(atPath: path))?[.size] as? Int, size > 16 << 20 {
            try? files.removeItem(atPath: path + ".1")
            try? files.moveItem(atPath: path, toPath: path + ".1")
        }
        if !files.fileExists(atPath: path) { files.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data("\n==> ragd \(Date()): \(commandLine)\n".utf8))
    }

    /// The last lines of the log, for error messages.
    private func logTail(lines: Int = 12) -> String {
        guard let handle = FileHandle(forReadingAtPath: configuration.logPath) else { return "(no log)" }
        defer { try? handle.close() }
        let end = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: end > 4096 ? end - 4096 : 0)
        let text = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").suffix(lines).map { "  " + $0 }.joined(separator: "\n")
    }

    /// Whether something listens on `port` at 127.0.0.1 (a bind with SO_REUSEADDR fails).
    public static func isPortInUse(_ port: Int) -> Bool {
        withLoopbackSocket(port: port) { _ in true } == nil
    }

    /// A port on 127.0.0.1 that is free now (the kernel's pick), for tests and tools.
    public static func freeLoopbackPort() -> Int? {
        withLoopbackSocket(port: 0) { fd in
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            return named == 0 ? Int(UInt16(bigEndian: address.sin_port)) : nil
        } ?? nil
    }

    /// Binds a TCP socket to 127.0.0.1:`port`, runs `body` with it, closes it; nil if the bind fails.
    private static func withLoopbackSocket<T>(port: Int, _ body: (Int32) -> T) -> T? {
        #if os(Linux)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0 ? body(fd) : nil
    }

    /// Whether a server at 127.0.0.1:`port` lists a model called `name` at `/v1/models` (a
    /// llama-server another ragd process launched with the same settings).
    public static func servesModel(named name: String, port: Int, httpClient: HTTPClient = .shared) async -> Bool {
        struct Models: Decodable {
            struct Model: Decodable { var id: String }
            var data: [Model]
        }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/models")
        request.method = .GET
        guard let response = try? await httpClient.execute(request, timeout: .seconds(2)), response.status == .ok,
              let body = try? await response.body.collect(upTo: 1 << 20),
              let models = try? JSONDecoder().decode(Models.self, from: Data(body.readableBytesView))
        else { return false }
        return models.data.contains { $0.id == name }
    }
}

/// One spawned llama-server: its pid, when it started, and (once it ended) its wait status.
///
/// Spawned by a thread of its own that then blocks in `waitpid` until the child ends, records
/// the status and calls `onExit`; see `LlamaServerProcess` for why the thread matters.
final class Child: Sendable {
    let pid: pid_t
    let started = ContinuousClock.now
    private let status = Mutex<Int32?>(nil)

    private init(pid: pid_t) { self.pid = pid }

    /// The raw wait status once the child has exited.
    var exitStatus: Int32? { status.withLock { $0 } }

    /// "exited with status N" or "was killed by signal N", for logs and errors.
    var exitDescription: String {
        guard let raw = exitStatus else { return "is running" }
        let signal = raw & 0x7F
        return signal == 0 ? "exited with status \((raw >> 8) & 0xFF)" : "was killed by signal \(signal)"
    }

    struct SpawnError: Error { var code: Int32 }

    /// Spawns `executable` with standard input from /dev/null and standard output and error
    /// appended to `logPath`, in its own process group, with default signal handling and an
    /// empty signal mask.
    static func spawn(executable: String, arguments: [String], logPath: String,
                      onExit: @escaping @Sendable (Child) -> Void) throws(SpawnError) -> Child {
        let spawned = Mutex<Result<Child, SpawnError>?>(nil)
        let semaphore = DispatchSemaphore(value: 0)
        let thread = Thread {
            let result = spawnHere(executable: executable, arguments: arguments, logPath: logPath)
            spawned.withLock { $0 = result }
            semaphore.signal()
            guard case .success(let child) = result else { return }
            var raw: Int32 = 0
            while waitpid(child.pid, &raw, 0) == -1 && errno == EINTR {}
            child.status.withLock { $0 = raw }
            onExit(child)
        }
        thread.name = "ragd.llama-server"
        thread.start()
        semaphore.wait()  // posix_spawn returns in milliseconds
        return try spawned.withLock { $0! }.get()
    }

    private static func spawnHere(executable: String, arguments: [String], logPath: String) -> Result<Child, SpawnError> {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o640)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), defaults = sigset_t()
        sigemptyset(&noSignals)
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        return code == 0 ? .success(Child(pid: pid)) : .failure(SpawnError(code: code))
    }
}
