import Foundation
import RagCore
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program with a wall-clock limit and collects its output, over swift-subprocess.
///
/// The child runs in its own process group (so a kill reaches anything it started), with
/// default signal handling and an empty signal mask whatever this process set up (the library
/// resets both), standard input /dev/null, and close-on-exec pipes. Standard output and
/// standard error are read while it runs, so a child writing megabytes never blocks on a full
/// pipe. At the deadline, when its output passes `outputLimit`, or when the calling task is
/// cancelled, its whole group gets SIGKILL.
///
/// Its peak resident memory is the kernel's high-water mark (`VmHWM` in /proc/PID/status),
/// sampled while it runs: swift-subprocess reaps the child itself, so `wait4`'s rusage is not
/// available. Growth in the last sampling interval before a kill can be missed; it only serves
/// as a hint that the kernel's OOM killer ended the child.
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
        /// Peak resident memory of the child, in KiB (sampled; see the type's note).
        var maxResidentKB: Int
    }

    /// The child could not be started: the library's description of why.
    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    var executable: String
    var arguments: [String]
    /// Added to (or replacing in) this process's environment.
    var environment: [String: String] = [:]
    var timeLimit: Duration
    var outputLimit = 1 << 30
    var errorTailBytes = 8 << 10
    /// How often the memory high-water mark is read (the deadline is exact).
    var pollInterval: Duration = .milliseconds(25)

    /// Spawns the child and waits until it has exited or been killed.
    func run() async throws(SpawnError) -> Result {
        var options = PlatformOptions()
        options.processGroupID = 0
        var updates: [Environment.Key: String?] = [:]
        for (key, value) in environment {
            if let key = Environment.Key(rawValue: key) { updates[key] = value }
        }
        let watch = Watch()
        let (outputLimit, errorTailBytes, pollInterval) = (self.outputLimit, self.errorTailBytes, self.pollInterval)
        // The limit counts from the spawn, not from when the body below first runs: that body
        // waits for the cooperative pool, which other work may hold for many seconds.
        let deadline = ContinuousClock.now + timeLimit
        do {
            let run = try await withTaskCancellationHandler {
                try await Subprocess.run(
                    .path(FilePath(executable)), arguments: Arguments(arguments), environment: .inherit.updating(updates),
                    platformOptions: options, input: .none, output: .sequence, error: .sequence
                ) { execution in
                    let pid = execution.processIdentifier.value
                    watch.started(pid)
                    // The deadline and the memory high-water mark on a thread of their own: a kill
                    // must not wait for the cooperative pool, which other work may be holding.
                    let finished = DispatchSemaphore(value: 0)
                    Thread {
                        while true {
                            watch.sample(pid)
                            let left = deadline - ContinuousClock.now
                            guard left > .zero else {
                                watch.kill(timedOut: true)
                                return
                            }
                            let wait = min(left, pollInterval)
                            if finished.wait(timeout: .now() + .nanoseconds(Int(wait.seconds * 1e9))) == .success { return }
                        }
                    }.start()
                    defer { finished.signal() }
                    // Standard error beside standard output, so neither pipe fills up.
                    async let errorTail: Data = {
                        var errors = Data()
                        for try await buffer in execution.standardError {
                            buffer.withUnsafeBytes { errors.append(contentsOf: $0) }
                            if errors.count > 2 * errorTailBytes { errors = errors.suffix(errorTailBytes) }
                        }
                        return errors
                    }()
                    var output = Data()
                    for try await buffer in execution.standardOutput {
                        guard output.count + buffer.count <= outputLimit else {
                            watch.overflowed()
                            break
                        }
                        buffer.withUnsafeBytes { output.append(contentsOf: $0) }
                    }
                    // Standard output is closed (the child exited, or was killed): whatever
                    // it started dies with it, so standard error ends too; then the watcher stops.
                    watch.sample(pid)
                    watch.kill(timedOut: false)
                    return (output, try await errorTail)
                }
            } onCancel: {
                watch.kill(timedOut: false)
            }
            let (output, errors) = run.closureResult
            let state = watch.state.withLock { state in
                state.finished = true  // reaped: its pid may be someone else's from now on
                return state
            }
            let termination: Termination = switch run.terminationStatus {
            case .exited(let code): .exited(code)
            case .signaled(let signal): .signaled(signal)
            }
            return Result(
                termination: termination, timedOut: state.timedOut, outputOverflowed: state.overflowed, output: output,
                errorTail: String(decoding: errors.suffix(errorTailBytes), as: UTF8.self), maxResidentKB: state.peakKB)
        } catch {
            throw SpawnError(description: "\(error)")
        }
    }

    /// The running child as the watcher, the reader and cancellation see it.
    private final class Watch: Sendable {
        struct State {
            var pid: pid_t?
            var timedOut = false
            var overflowed = false
            var peakKB = 0
            /// Set once the group has been killed after the child's end: its pid may be reused.
            var finished = false
        }
        let state = Mutex(State())

        func started(_ pid: pid_t) { state.withLock { $0.pid = pid } }

        /// Reads the child's memory high-water mark.
        func sample(_ pid: pid_t) {
            guard let kb = ProcessStatus.kibibytes("VmHWM", pid: pid) else { return }
            state.withLock { $0.peakKB = max($0.peakKB, kb) }
        }

        func overflowed() {
            state.withLock { $0.overflowed = true }
            kill(timedOut: false)
        }

        /// SIGKILL to the child's process group, under the lock and only while the pid is
        /// still the child's.
        func kill(timedOut: Bool) {
            state.withLock { state in
                guard let pid = state.pid, !state.finished else { return }
                if timedOut { state.timedOut = true }
                _ = Glibc.kill(-pid, SIGKILL)
            }
        }
    }
}
