import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program with a wall-clock limit and collects its output.
///
/// `posix_spawn`, not Foundation's `Process`: standard output and standard error are read
/// on their own threads while the child runs (so a child writing megabytes never blocks on a
/// full pipe), the child (in its own process group, with anything it started) is killed with
/// SIGKILL when the time is up, and its exit status and
/// peak memory come from `wait4`. Standard input is /dev/null. The pipes are created
/// close-on-exec, so children spawned at the same time from other threads don't inherit them.
struct ChildProcess {
    enum Termination: Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    struct Result {
        var termination: Termination
        /// True when the wall-clock limit killed the child.
        var timedOut: Bool
        /// True when standard output passed `outputLimit` and the child was killed.
        var outputOverflowed: Bool
        var output: Data
        /// The last few KiB of standard error.
        var errorTail: String
        /// Peak resident memory of the child, in KiB.
        var maxResidentKB: Int
    }

    enum SpawnError: Error {
        case spawn(Int32)
        case pipe(Int32)
    }

    var executable: String
    var arguments: [String]
    /// Added to (or replacing in) this process's environment.
    var environment: [String: String] = [:]
    var timeLimit: Duration
    var outputLimit = 1 << 30
    var errorTailBytes = 8 << 10

    /// Spawns the child and blocks until it has exited or been killed.
    /// - Parameter onSpawn: called with the child's pid once it runs (for cancellation).
    func run(onSpawn: (pid_t) -> Void = { _ in }) throws(SpawnError) -> Result {
        let (pid, outFD, errFD) = try spawn()
        onSpawn(pid)

        let state = Mutex(CollectedOutput())
        let outputLimit = self.outputLimit, errorTailBytes = self.errorTailBytes
        let readers = DispatchGroup()
        readers.enter()
        Thread {
            Self.drain(outFD) { chunk in
                state.withLock { output in
                    if output.stdout.count + chunk.count > outputLimit {
                        output.overflowed = true
                        kill(-pid, SIGKILL)
                        return false
                    }
                    output.stdout.append(chunk)
                    return true
                }
            }
            close(outFD)
            readers.leave()
        }.start()
        readers.enter()
        Thread {
            Self.drain(errFD) { chunk in
                state.withLock { output in
                    output.stderr.append(chunk)
                    if output.stderr.count > 2 * errorTailBytes { output.stderr = output.stderr.suffix(errorTailBytes) }
                    return true
                }
            }
            close(errFD)
            readers.leave()
        }.start()

        // Wait for exit (polling wait4 keeps this thread free of signals); kill at the deadline.
        let clock = ContinuousClock()
        let deadline = clock.now + timeLimit
        var timedOut = false
        var rawStatus: Int32 = 0
        var usage = rusage()
        var delayMicroseconds: UInt32 = 1_000
        while true {
            let reaped = wait4(pid, &rawStatus, WNOHANG, &usage)
            if reaped == pid { break }
            if reaped == -1 && errno != EINTR { break }
            if !timedOut && clock.now >= deadline {
                timedOut = true
                kill(-pid, SIGKILL)
            }
            usleep(delayMicroseconds)
            delayMicroseconds = min(delayMicroseconds * 2, 20_000)
        }
        // Whatever the child started dies with it, which closes the pipes; don't wait long
        // for that (a reader still running only appends to state nobody reads any more).
        kill(-pid, SIGKILL)
        _ = readers.wait(timeout: .now() + 2)

        let output = state.withLock { $0 }
        let signal = rawStatus & 0x7F
        return Result(
            termination: signal == 0 ? .exited((rawStatus >> 8) & 0xFF) : .signaled(signal),
            timedOut: timedOut,
            outputOverflowed: output.overflowed,
            output: output.stdout,
            errorTail: String(decoding: output.stderr.suffix(errorTailBytes), as: UTF8.self),
            maxResidentKB: usage.ru_maxrss)
    }

    /// Pipes are made close-on-exec and the child spawned while holding `spawnLock`, so a
    /// child spawned at the same time from another thread never inherits our pipes (glibc's
    /// `pipe2` is not visible to Swift, so `pipe` + `FD_CLOEXEC` must not be interleaved
    /// with another spawn).
    private func spawn() throws(SpawnError) -> (pid: pid_t, stdout: Int32, stderr: Int32) {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        return try Self.spawnLock.withLock { _ throws(SpawnError) in
            var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
            guard pipe(&outPipe) == 0 else { throw .pipe(errno) }
            guard pipe(&errPipe) == 0 else {
                let code = errno
                close(outPipe[0]); close(outPipe[1])
                throw .pipe(code)
            }
            for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

            // Default signal handling and an empty mask in the child, whatever the parent set
            // up (a server ignores SIGPIPE and blocks SIGTERM for its own handlers).
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var noSignals = sigset_t(), defaults = sigset_t()
            sigemptyset(&noSignals)
            sigemptyset(&defaults)
            for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGALRM] { sigaddset(&defaults, signal) }
            posix_spawnattr_setsigmask(&attributes, &noSignals)
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            // Its own process group, so that a kill reaches anything it started too.
            posix_spawnattr_setpgroup(&attributes, 0)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

            var pid: pid_t = 0
            let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
            close(outPipe[1])
            close(errPipe[1])
            guard status == 0 else {
                close(outPipe[0]); close(errPipe[0])
                throw .spawn(status)
            }
            return (pid, outPipe[0], errPipe[0])
        }
    }

    private static let spawnLock = Mutex(())

    private struct CollectedOutput {
        var stdout = Data()
        var stderr = Data()
        var overflowed = false
    }

    /// Reads `fd` to its end (or until `consume` says stop), 64 KiB at a time.
    private static func drain(_ fd: Int32, consume: (Data) -> Bool) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                if !consume(Data(buffer[0..<count])) { return }
            } else if count == 0 || errno != EINTR {
                return
            }
        }
    }
}
