import CLlama
import Foundation

/// llama.cpp's process-wide state: the ggml backends and the log callback.
///
/// Call `LlamaBackend.initialize()` once at the program's entry point (the `ragd` command or a
/// test helper), before loading any model. It is idempotent: later calls do nothing.
public enum LlamaBackend {
    /// How much of llama.cpp's own logging reaches standard error.
    public enum LogLevel: Sendable { case quiet, errors, verbose }

    /// Whether models may use ggml's extra CPU buffer types (AMX tiles, weight repacking).
    ///
    /// On for every CPU but those with AMX: on this project's AMX-capable Xeon machines (in a
    /// VM) ggml's AMX matrix multiply crashed with a null dereference on the first decode of a
    /// quantized model. Elsewhere the repacked layouts (Q4_K in 8×8 blocks for AVX2/AVX-512)
    /// make prompt processing of Q4_K_M models several times faster, so the workaround must not
    /// apply there. `RAGD_LLAMA_EXTRA_BUFFERS=0` or `=1` overrides the detection.
    public static let useExtraBufferTypes: Bool = {
        if let forced = ProcessInfo.processInfo.environment["RAGD_LLAMA_EXTRA_BUFFERS"] { return forced != "0" }
        return !cpuHasAMX
    }()

    /// Whether the CPU reports AMX tiles (`amx_tile` in /proc/cpuinfo's flags).
    public static let cpuHasAMX: Bool = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        return info.split(separator: "\n").contains { $0.hasPrefix("flags") && $0.split(separator: " ").contains("amx_tile") }
    }()

    private static let once: Void = {
        llama_backend_init()
    }()

    /// Initializes llama.cpp's backends and sets its log level (default: errors only).
    public static func initialize(logLevel: LogLevel = .errors) {
        _ = once
        switch logLevel {
        case .verbose:
            llama_log_set(nil, nil)
        case .errors:
            llama_log_set({ level, text, _ in
                guard level == GGML_LOG_LEVEL_ERROR, let text else { return }
                FileHandle.standardError.write(Data(bytes: text, count: strlen(text)))
            }, nil)
        case .quiet:
            llama_log_set({ _, _, _ in }, nil)
        }
    }
}
