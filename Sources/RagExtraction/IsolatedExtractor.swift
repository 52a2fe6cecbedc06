import Foundation
import RagCore

#if canImport(Glibc)
import Glibc
#endif

/// Extracts each file in a child process, so that a hostile or broken file can cost at most
/// one child: a hang is killed after `timeLimit`, a parser that balloons hits the child's
/// address-space limit (`memoryLimitMB`), and a crash is a signal, not the end of ragd.
///
/// The child is `helper` (by default this very executable, `/proc/self/exe extract-file`,
/// which is what `ragd` is) running `ExtractionChild.run` on one file with `DocumentExtractor`,
/// so isolated and in-process extraction read a file the same way. The reply comes back as
/// JSON on a pipe. How the child ended becomes the error:
/// - killed at the time limit: `.timedOut(seconds:)`;
/// - died of a signal after running out of memory (an allocation failure on its standard
///   error, or a peak resident size near the limit): `.tooLarge(limitMB:)`;
/// - any other signal (SIGSEGV, SIGABRT, …): `.crashed(signal:)`;
/// - a helper that cannot be started or says something unexpected: `.unreadable` with what
///   to check.
///
/// Each file pays for a process start: about 40 ms of CPU for a debug `ragd-extract` and 60 ms
/// for a debug `ragd` on a small page (measured on two loaded cores), small beside parsing and
/// embedding. Thread-safe: every call spawns its own child.
public struct IsolatedExtractor: FileExtracting {
    /// The program to run and the arguments before the request's own.
    public struct Helper: Sendable, Equatable {
        public var executable: String
        public var arguments: [String]

        public init(executable: String, arguments: [String] = []) {
            self.executable = executable
            self.arguments = arguments
        }

        /// This executable's `extract-file` subcommand: right when the running program is `ragd`.
        public static let ragdSubcommand = Helper(executable: "/proc/self/exe", arguments: ["extract-file"])

        /// The `ragd-extract` executable (product `ragd-extract`) at `path`.
        public static func ragdExtract(at path: String) -> Helper { Helper(executable: path) }
    }

    public var helper: Helper
    /// Wall-clock limit per file; the child is killed with SIGKILL after it.
    public var timeLimit: Duration
    /// Address-space limit of the child in MiB (`RLIMIT_AS`); nil for none.
    public var memoryLimitMB: Int?
    /// OCR in the child; nil turns it off.
    public var ocr: OCROptions?
    /// Threads Tesseract may use in the child (`OMP_THREAD_LIMIT`); 1 leaves the other cores
    /// to embedding and to other children.
    public var ocrThreads = 1

    public init(helper: Helper = .ragdSubcommand, timeLimit: Duration = .seconds(120), memoryLimitMB: Int? = 2048,
                ocr: OCROptions? = OCROptions()) {
        self.helper = helper
        self.timeLimit = timeLimit
        self.memoryLimitMB = memoryLimitMB
        self.ocr = ocr
    }

    /// Extracts `url` in a child process, without holding a thread while it runs; the child is
    /// killed (SIGKILL, with its process group) when the task is cancelled, and a cancelled
    /// extraction throws `.unreadable(reason: "cancelled: …")`.
    /// - Throws: the child's own `ExtractionError`, or `.timedOut`, `.crashed`, `.tooLarge`
    ///   or `.unreadable` (helper problems) as described on the type.
    public func extract(fileAt url: URL) async throws(ExtractionError) -> ExtractedDocument {
        // The child's own alarm is a backstop a little after ours, for when this process dies.
        let request = ExtractionChild.Request(
            path: url.path, memoryLimitMB: memoryLimitMB, ocr: ocr, timeLimitSeconds: Self.seconds(timeLimit) + 10)
        let process = ChildProcess(
            executable: helper.executable, arguments: helper.arguments + request.arguments,
            environment: ["OMP_THREAD_LIMIT": String(ocrThreads)], timeLimit: timeLimit)
        let result: ChildProcess.Result
        do {
            result = try await process.run()
        } catch {
            throw .unreadable(reason: "the extraction helper \(helper.executable) could not be started "
                + "(\(error)); check ingest.extract_helper in the configuration")
        }
        do {
            return try Self.interpret(result, timeLimit: timeLimit, memoryLimitMB: memoryLimitMB, helper: helper)
        } catch {
            if Task.isCancelled { throw .unreadable(reason: "cancelled: the ingest was stopped") }
            throw error
        }
    }

    /// Maps how the child ended to a document or an error.
    static func interpret(_ result: ChildProcess.Result, timeLimit: Duration, memoryLimitMB: Int?, helper: Helper)
        throws(ExtractionError) -> ExtractedDocument
    {
        if result.timedOut { throw .timedOut(seconds: seconds(timeLimit)) }
        if result.outputOverflowed { throw .tooLarge(limitMB: (1 << 30) >> 20) }
        switch result.termination {
        case .exited(0):
            switch try? JSONDecoder().decode(ExtractionChild.Reply.self, from: result.output) {
            case .document(let document): return document
            case .failure(let error): throw error
            case nil:
                throw .unreadable(reason: "the extraction helper \(helper.executable) gave no readable reply; "
                    + "check that it is the same ragd version (\(Self.lastLine(result.errorTail)))")
            }
        case .exited(let status):
            if let memoryLimitMB, Self.ranOutOfMemory(result, limitMB: memoryLimitMB) { throw .tooLarge(limitMB: memoryLimitMB) }
            throw .unreadable(reason: "the extraction helper \(helper.executable) exited with status \(status) "
                + "(\(Self.lastLine(result.errorTail)))")
        case .signaled(let signal):
            if let memoryLimitMB, Self.ranOutOfMemory(result, limitMB: memoryLimitMB) { throw .tooLarge(limitMB: memoryLimitMB) }
            throw .crashed(signal: signal)
        }
    }

    /// Whether a child that died looks like it ran out of memory: an allocation failure on
    /// its standard error (C++ `bad_alloc`, GLib, cairo, the Swift runtime), or a resident
    /// size within 10 % of the limit. A SIGKILL that is not ours also counts when resident
    /// memory was high: that is the kernel's OOM killer.
    static func ranOutOfMemory(_ result: ChildProcess.Result, limitMB: Int) -> Bool {
        let text = result.errorTail.lowercased()
        let markers = ["bad_alloc", "out of memory", "cannot allocate memory", "could not allocate", "failed to allocate",
                       "memory exhausted", "no_memory"]
        if markers.contains(where: text.contains) { return true }
        return result.maxResidentKB >= limitMB * 1024 * 9 / 10
    }

    /// Whole seconds, rounded up, at least 1.
    static func seconds(_ duration: Duration) -> Int {
        max(1, Int(duration.seconds.rounded(.up)))
    }

    static func lastLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        return line.isEmpty ? "no message" : String(line.prefix(200))
    }
}
