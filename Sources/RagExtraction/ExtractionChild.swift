import Foundation
import RagCore

#if canImport(Glibc)
import Glibc
#endif

/// The child's side of `IsolatedExtractor`: what `ragd extract-file` and `ragd-extract` run.
///
/// The child limits its own address space (`setrlimit(RLIMIT_AS)`) and, as a backstop for
/// when its parent is gone and cannot kill it, its own run time (`alarm`), extracts one file with `DocumentExtractor` and writes one
/// `Reply` as JSON to standard output. Exit status 0 means a reply was written (a document or
/// a typed error); anything else, or death by a signal, is for the parent to classify.
public enum ExtractionChild {
    /// What the parent asks for. Its command-line form is `[--memory-mb N] [--no-ocr]
    /// [--ocr-max-pages N] [--time-limit S] [--] PATH`, the same for `ragd extract-file` and `ragd-extract`.
    public struct Request: Sendable, Equatable {
        public var path: String
        /// The address-space limit in MiB; nil for none.
        public var memoryLimitMB: Int?
        /// OCR settings; nil turns OCR off.
        public var ocr: OCROptions?
        /// The child ends itself (SIGALRM) after this many seconds; nil for never. The parent
        /// kills it at its own limit; this only matters when the parent died first.
        public var timeLimitSeconds: Int?

        public init(path: String, memoryLimitMB: Int? = 2048, ocr: OCROptions? = OCROptions(), timeLimitSeconds: Int? = nil) {
            self.path = path
            self.memoryLimitMB = memoryLimitMB
            self.ocr = ocr
            self.timeLimitSeconds = timeLimitSeconds
        }

        /// The command-line arguments that `parse` reads back (the path last, after `--`, so
        /// that no file name is taken for an option).
        public var arguments: [String] {
            var arguments: [String] = []
            if let memoryLimitMB { arguments += ["--memory-mb", String(memoryLimitMB)] }
            if let ocr { arguments += ["--ocr-max-pages", String(ocr.maxPages)] } else { arguments.append("--no-ocr") }
            if let timeLimitSeconds { arguments += ["--time-limit", String(timeLimitSeconds)] }
            return arguments + ["--", path]
        }

        /// Reads `arguments` (without the program name or subcommand); nil when malformed.
        public static func parse(_ arguments: [String]) -> Request? {
            var request = Request(path: "", memoryLimitMB: nil)
            var path: String?
            var rest = arguments[...]
            while let argument = rest.popFirst() {
                switch argument {
                case "--memory-mb":
                    guard let value = rest.popFirst().flatMap(Int.init), value > 0 else { return nil }
                    request.memoryLimitMB = value
                case "--ocr-max-pages":
                    guard let value = rest.popFirst().flatMap(Int.init), value >= 0 else { return nil }
                    request.ocr = (request.ocr ?? OCROptions()).with(maxPages: value)
                case "--time-limit":
                    guard let value = rest.popFirst().flatMap(Int.init), value > 0 else { return nil }
                    request.timeLimitSeconds = value
                case "--no-ocr":
                    request.ocr = nil
                case "--":
                    path = rest.popFirst()
                default:
                    guard path == nil, !argument.hasPrefix("--") else { return nil }
                    path = argument
                }
            }
            guard let path else { return nil }
            request.path = path
            return request
        }
    }

    /// The JSON the child writes: the document, or why there is none.
    public enum Reply: Codable, Sendable, Equatable {
        case document(ExtractedDocument)
        case failure(ExtractionError)
    }

    /// Runs `request` in this process (which should be a fresh child): applies the limits,
    /// extracts, writes the reply to standard output. - Returns: the exit status (0, or 70
    /// when the reply could not be written).
    public static func run(_ request: Request) -> Int32 {
        prepareProcess(memoryLimitMB: request.memoryLimitMB, timeLimitSeconds: request.timeLimitSeconds)
        let reply: Reply
        do {
            reply = .document(try DocumentExtractor(ocr: request.ocr).extract(fileAt: URL(fileURLWithPath: request.path)))
        } catch .tooLarge {
            reply = .failure(.tooLarge(limitMB: request.memoryLimitMB ?? 0))
        } catch {
            reply = .failure(error)
        }
        do {
            let data = try JSONEncoder().encode(reply)
            try FileHandle.standardOutput.write(contentsOf: data)
            return 0
        } catch {
            FileHandle.standardError.write(Data("ragd extract-file: cannot write the reply: \(error)\n".utf8))
            return 70
        }
    }

    /// Caps the run time and the address space.
    private static func prepareProcess(memoryLimitMB: Int?, timeLimitSeconds: Int?) {
        if let timeLimitSeconds { alarm(UInt32(clamping: timeLimitSeconds)) }
        if let memoryLimitMB {
            let bytes = rlim_t(memoryLimitMB) << 20
            var limit = rlimit(rlim_cur: bytes, rlim_max: bytes)
            #if os(Linux)
            _ = setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
            #else
            _ = setrlimit(RLIMIT_AS, &limit)
            #endif
        }
    }
}

extension OCROptions {
    func with(maxPages: Int) -> OCROptions {
        var copy = self
        copy.maxPages = maxPages
        return copy
    }
}
