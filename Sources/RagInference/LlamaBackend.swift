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
    /// Off: on this project's Xeon machines (AMX-capable, in a VM) ggml's AMX matrix multiply
    /// crashes with a null dereference on the first decode of a quantized model, and the
    /// repacked layouts do not apply to our models (Q4_1 chat, F16 embeddings) anyway. The raw
    /// engine figures in `make bench` use the same setting.
    public static let useExtraBufferTypes = false

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
