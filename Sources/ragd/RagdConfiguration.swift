import Foundation
import RagAssistant
import RagExtraction
import RagInference
import RagServer
import RagStore
import Yams

/// Everything an administrator can set, read from a YAML file, then the environment, then flags.
///
/// Every key is optional in the file; the defaults run the embedded setup that `make setup`
/// prepares under `$RAGD_CACHE` (default `~/.cache/ragd`). deploy/ragd.example.yaml documents
/// each key.
struct RagdConfiguration: Codable, Equatable {
    struct Models: Codable, Equatable {
        /// The in-process chat model (a GGUF with a chat template).
        var chat: String
        /// The in-process embedding model (a GGUF sentence-embedding model).
        var embedding: String
        /// CPU threads for inference.
        var threads: Int
        /// Chat context window in tokens.
        var chatContext: Int
        /// Token budget of one embedding call (see LlamaEmbeddingConfiguration.batchTokenBudget).
        var embeddingBatchTokens: Int
        /// Most tokens of one text the embedding model reads, and so the chunks' size limit
        /// (nil: the model's own, at most 512; see LlamaEmbeddingConfiguration.maxTokens).
        var embeddingMaxTokens: Int? = nil

        enum CodingKeys: String, CodingKey {
            case chat, embedding, threads
            case chatContext = "chat_context"
            case embeddingBatchTokens = "embedding_batch_tokens"
            case embeddingMaxTokens = "embedding_max_tokens"
        }
    }

    /// A larger model at an OpenAI-compatible endpoint inside the network (optional).
    struct LargeModel: Codable, Equatable {
        /// A llama-server that ragd launches and supervises on loopback (`large_model.launch`).
        struct Launch: Codable, Equatable {
            /// llama.cpp's llama-server executable.
            var server: String
            /// The GGUF file it serves.
            var model: String
            /// The loopback port it listens on.
            var port = 8081
            /// Its context window in tokens.
            var context = 4096
            /// CPU threads (default: all cores).
            var threads = ProcessInfo.processInfo.activeProcessorCount
        }

        /// Base URL, e.g. http://10.0.0.5:8000/v1 (with `launch`: http://127.0.0.1:PORT/v1).
        var url: String
        /// The model name the server expects (with `launch`: the GGUF's file name).
        var model: String
        /// Name of an environment variable holding the API key (keys stay out of files).
        var apiKeyEnvironment: String?
        /// The server's context window in tokens.
        var context: Int
        /// Allow an endpoint outside loopback and private ranges (off: ragd refuses to start).
        var allowPublicEndpoint = false
        /// Set when ragd runs the server itself; nil for a server someone else runs.
        var launch: Launch?

        /// llama-server of `launch`, serving on `launch.port`.
        init(launching launch: Launch) {
            self.url = "http://127.0.0.1:\(launch.port)/v1"
            self.model = (launch.model as NSString).lastPathComponent
            self.context = launch.context
            self.launch = launch
        }

        init(url: String, model: String, apiKeyEnvironment: String? = nil, context: Int, allowPublicEndpoint: Bool = false,
             launch: Launch? = nil) {
            self.url = url
            self.model = model
            self.apiKeyEnvironment = apiKeyEnvironment
            self.context = context
            self.allowPublicEndpoint = allowPublicEndpoint
            self.launch = launch
        }
    }

    /// How files are read during ingest: isolation limits and OCR.
    struct IngestSettings: Codable, Equatable {
        /// Extract each file in a child process with the limits below (recommended); false
        /// runs the parsers inside ragd, faster but a hostile file can hang or crash it.
        var isolate = true
        /// Wall-clock limit per file, in seconds.
        var fileTimeoutSeconds = 120
        /// Memory (address-space) limit per file's extraction, in MiB.
        var fileMemoryMB = 2048
        /// OCR of PDF pages without a text layer.
        var ocr = true
        /// At most this many pages per document are OCRed.
        var ocrMaxPages = 200
        /// The extraction helper to run; nil runs this executable's `extract-file`.
        var extractHelper: String?

        enum CodingKeys: String, CodingKey {
            case isolate, ocr
            case fileTimeoutSeconds = "file_timeout_seconds"
            case fileMemoryMB = "file_memory_mb"
            case ocrMaxPages = "ocr_max_pages"
            case extractHelper = "extract_helper"
        }

        /// The extractor these settings describe.
        var extractor: any FileExtracting {
            let ocrOptions = ocr ? OCROptions(maxPages: ocrMaxPages) : nil
            guard isolate else { return DocumentExtractor(ocr: ocrOptions) }
            return IsolatedExtractor(
                helper: extractHelper.map { .ragdExtract(at: $0) } ?? .ragdSubcommand,
                timeLimit: .seconds(fileTimeoutSeconds), memoryLimitMB: fileMemoryMB, ocr: ocrOptions)
        }
    }

    /// Retrieval at scale: how exact the vector search is and how much full-text scoring may cost.
    struct SearchSettings: Codable, Equatable {
        /// Nearest candidates by binary code re-scored with full-precision vectors.
        var rescoreCandidates = StoreConfiguration.defaultRescoreCandidates
        /// Chunks full-text search may score per question (its rarer words first).
        var fullTextPostingBudget = StoreConfiguration.defaultFullTextPostingBudget

        enum CodingKeys: String, CodingKey {
            case rescoreCandidates = "rescore_candidates"
            case fullTextPostingBudget = "full_text_posting_budget"
        }
    }

    /// The SQLite database file.
    var database: String
    /// sqlite-vec's loadable extension.
    var vectorExtension: String
    var models: Models
    var largeModel: LargeModel?
    var routing: RoutingPolicy
    /// `ragd serve`: address, cookies, limits, optional trusted proxy header.
    var server = ServerConfiguration()
    /// The audit log's own SQLite file; nil: beside `database` (see `auditDatabasePath`).
    var auditDatabase: String?
    /// How long audit records are kept at least; they leave only by `ragd audit purge`.
    var auditRetentionDays: Int
    /// `ragd ingest` and the daemon's ingest worker: isolation limits and OCR.
    var ingest = IngestSettings()
    /// Vector re-scoring window and full-text cost bound.
    var search = SearchSettings()

    enum CodingKeys: String, CodingKey {
        case database, models, routing, server, ingest, search
        case vectorExtension = "vector_extension"
        case largeModel = "large_model"
        case auditDatabase = "audit_database"
        case auditRetentionDays = "audit_retention_days"
    }

    /// `audit_database`, or the main database's path with its extension replaced by
    /// `-audit.sqlite` (data/ragd.sqlite → data/ragd-audit.sqlite), so `--db` moves both.
    var auditDatabasePath: String {
        auditDatabase ?? (database as NSString).deletingPathExtension + "-audit.sqlite"
    }

    /// The llama.cpp version `make setup` builds (LLAMA_CPP_PYTHON_VERSION in scripts/pins.sh;
    /// change both together): its llama-server is the default larger model's server.
    static let llamaVersion = "0.3.36"
    /// The larger model `make setup` assembles: Qwen2.5-Coder 1.5B Instruct, Q4_K_M.
    static let largeModelFile = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

    /// `$RAGD_CACHE`, default `~/.cache/ragd`: where `make setup` puts models and libraries.
    static func cacheDirectory(environment: [String: String]) -> String {
        environment["RAGD_CACHE"] ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/ragd")
    }

    /// `large_model.launch` with every key at its default: the llama-server and 1.5B GGUF of `make setup`.
    static func defaultLaunch(cache: String) -> LargeModel.Launch {
        LargeModel.Launch(server: cache + "/llama/\(llamaVersion)/bin/llama-server", model: cache + "/models/" + largeModelFile)
    }

    static func defaults(environment: [String: String]) -> RagdConfiguration {
        let cache = cacheDirectory(environment: environment)
        // The larger tier is on by default when `make setup` has built llama-server and the 1.5B model.
        let launch = defaultLaunch(cache: cache)
        let launchable = FileManager.default.isExecutableFile(atPath: launch.server)
            && FileManager.default.fileExists(atPath: launch.model)
        var configuration = RagdConfiguration(
            database: environment["RAGD_DB"] ?? "data/ragd.sqlite",
            vectorExtension: cache + "/lib/vec0.so",
            models: Models(
                chat: cache + "/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                embedding: cache + "/models/all-MiniLM-L6-v2.f16.gguf",
                threads: ProcessInfo.processInfo.activeProcessorCount,
                chatContext: 4096,
                embeddingBatchTokens: 256),
            largeModel: launchable ? LargeModel(launching: launch) : nil,
            routing: RoutingPolicy(),
            auditDatabase: nil,
            auditRetentionDays: 365)
        if let host = environment["RAGD_HOST"] { configuration.server.host = host }
        if let port = environment["RAGD_PORT"].flatMap(Int.init) { configuration.server.port = port }
        return configuration
    }

    /// Reads `file` over the defaults; a missing key keeps its default.
    /// - Throws: `ConfigurationError` naming the file and the problem.
    static func load(file: String?, environment: [String: String]) throws -> RagdConfiguration {
        var configuration = defaults(environment: environment)
        guard let file else { return configuration }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ConfigurationError("Cannot read the configuration file \(file).")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigurationError("\(file) is not valid YAML: \(error)")
        }
        guard let mapping = node?.mapping else { return configuration }
        try configuration.merge(mapping, file: file, cache: cacheDirectory(environment: environment))
        return configuration
    }

    private mutating func merge(_ root: Node.Mapping, file: String, cache: String) throws {
        func string(_ node: Node?, _ key: String) throws -> String? {
            guard let node else { return nil }
            guard let s = node.string else { throw ConfigurationError("\(file): \(key) must be a string.") }
            return s
        }
        func int(_ node: Node?, _ key: String) throws -> Int? {
            guard let node else { return nil }
            guard let i = node.int, i > 0 else { throw ConfigurationError("\(file): \(key) must be a positive integer.") }
            return i
        }
        let known = Set([
            "database", "vector_extension", "models", "large_model", "routing", "server", "audit_database",
            "audit_retention_days", "ingest", "search",
        ])
        for key in root.keys.compactMap(\.string) where !known.contains(key) {
            throw ConfigurationError("\(file): unknown key '\(key)' (known: \(known.sorted().joined(separator: ", "))).")
        }
        if let v = try string(root["database"], "database") { database = v }
        if let v = try string(root["vector_extension"], "vector_extension") { vectorExtension = v }
        if let v = try string(root["audit_database"], "audit_database") { auditDatabase = v }
        if let v = try int(root["audit_retention_days"], "audit_retention_days") { auditRetentionDays = v }
        if let m = root["models"]?.mapping {
            if let v = try string(m["chat"], "models.chat") { models.chat = v }
            if let v = try string(m["embedding"], "models.embedding") { models.embedding = v }
            if let v = try int(m["threads"], "models.threads") { models.threads = v }
            if let v = try int(m["chat_context"], "models.chat_context") { models.chatContext = v }
            if let v = try int(m["embedding_batch_tokens"], "models.embedding_batch_tokens") { models.embeddingBatchTokens = v }
            if let v = try int(m["embedding_max_tokens"], "models.embedding_max_tokens") { models.embeddingMaxTokens = v }
        }
        if let m = root["search"]?.mapping {
            if let v = try int(m["rescore_candidates"], "search.rescore_candidates") { search.rescoreCandidates = v }
            if let v = try int(m["full_text_posting_budget"], "search.full_text_posting_budget") {
                search.fullTextPostingBudget = v
            }
        }
        if let node = root["large_model"] {
            if node.bool == false {
                largeModel = nil  // `large_model: false` (or off, no): the small model answers everything
            } else if let m = node.mapping {
                largeModel = try Self.largeModel(m, file: file, cache: cache)
            } else {
                throw ConfigurationError("\(file): large_model must be a mapping (url and model, or launch:) or false.")
            }
        }
        if let m = root["server"]?.mapping { try mergeServer(m, file: file) }
        if let m = root["ingest"]?.mapping { try mergeIngest(m, file: file) }
        if let m = root["routing"]?.mapping {
            func double(_ key: String) throws -> Double? {
                guard let node = m[key] else { return nil }
                guard let d = node.float, (0...1).contains(d) else {
                    throw ConfigurationError("\(file): routing.\(key) must be a number from 0 to 1.")
                }
                return d
            }
            func bool(_ key: String) throws -> Bool? {
                guard let node = m[key] else { return nil }
                guard let b = node.bool else { throw ConfigurationError("\(file): routing.\(key) must be true or false.") }
                return b
            }
            if let v = try double("not_found_below") { routing.notFoundBelow = v }
            if let v = try double("escalate_below") { routing.escalateBelow = v }
            if let v = try bool("escalate_complex_questions") { routing.escalateComplexQuestions = v }
            if let v = try bool("escalate_on_failed_verification") { routing.escalateOnFailedVerification = v }
        }
    }

    /// `large_model:` as a mapping: a server at `url`, or one ragd launches (`launch:`).
    private static func largeModel(_ m: Node.Mapping, file: String, cache: String) throws -> LargeModel {
        func string(_ node: Node?, _ key: String) throws -> String? {
            guard let node else { return nil }
            guard let s = node.string, !s.isEmpty else { throw ConfigurationError("\(file): \(key) must be a string.") }
            return s
        }
        func int(_ node: Node?, _ key: String, range: ClosedRange<Int> = 1...Int.max) throws -> Int? {
            guard let node else { return nil }
            guard let i = node.int, range.contains(i) else {
                let bounds = range.upperBound == .max ? "a positive integer" : "an integer from \(range.lowerBound) to \(range.upperBound)"
                throw ConfigurationError("\(file): \(key) must be \(bounds).")
            }
            return i
        }
        func rejectUnknown(_ m: Node.Mapping, _ prefix: String, known: Set<String>) throws {
            for key in m.keys.compactMap(\.string) where !known.contains(key) {
                throw ConfigurationError("\(file): unknown key '\(prefix).\(key)' (known: \(known.sorted().joined(separator: ", "))).")
            }
        }
        try rejectUnknown(m, "large_model", known: ["url", "model", "api_key_env", "context", "allow_public_endpoint", "launch"])
        var launch: LargeModel.Launch?
        if let node = m["launch"] {
            guard let l = node.mapping else {
                throw ConfigurationError("\(file): large_model.launch must be a mapping (server, model, port, context, threads).")
            }
            try rejectUnknown(l, "large_model.launch", known: ["server", "model", "port", "context", "threads"])
            var value = defaultLaunch(cache: cache)
            if let v = try string(l["server"], "large_model.launch.server") { value.server = v }
            if let v = try string(l["model"], "large_model.launch.model") { value.model = v }
            if let v = try int(l["port"], "large_model.launch.port", range: 1...65535) { value.port = v }
            if let v = try int(l["context"], "large_model.launch.context") { value.context = v }
            if let v = try int(l["threads"], "large_model.launch.threads") { value.threads = v }
            launch = value
        }
        var model = launch.map { LargeModel(launching: $0) }
            ?? LargeModel(url: "", model: "", context: 8192)
        if let v = try string(m["url"], "large_model.url") { model.url = v }
        if let v = try string(m["model"], "large_model.model") { model.model = v }
        guard !model.url.isEmpty, !model.model.isEmpty else {
            throw ConfigurationError("\(file): large_model needs url and model, or launch: to have ragd start llama-server.")
        }
        model.apiKeyEnvironment = try string(m["api_key_env"], "large_model.api_key_env")
        if let v = try int(m["context"], "large_model.context") { model.context = v }
        if let launch, model.context > launch.context {
            throw ConfigurationError("\(file): large_model.context (\(model.context)) is larger than the context "
                + "llama-server is launched with (large_model.launch.context: \(launch.context)).")
        }
        if let node = m["allow_public_endpoint"] {
            guard let b = node.bool else {
                throw ConfigurationError("\(file): large_model.allow_public_endpoint must be true or false.")
            }
            model.allowPublicEndpoint = b
        }
        return model
    }

    private mutating func mergeServer(_ m: Node.Mapping, file: String) throws {
        func int(_ key: String) throws -> Int? {
            guard let node = m[key] else { return nil }
            guard let i = node.int, i > 0 else { throw ConfigurationError("\(file): server.\(key) must be a positive integer.") }
            return i
        }
        func bool(_ key: String) throws -> Bool? {
            guard let node = m[key] else { return nil }
            guard let b = node.bool else { throw ConfigurationError("\(file): server.\(key) must be true or false.") }
            return b
        }
        let known = Set(["host", "port", "secure_cookies", "session_hours", "bcrypt_cost", "max_concurrent_answers",
                         "max_waiting_answers", "questions_per_minute", "trusted_header"])
        for key in m.keys.compactMap(\.string) where !known.contains(key) {
            throw ConfigurationError("\(file): unknown key 'server.\(key)' (known: \(known.sorted().joined(separator: ", "))).")
        }
        if let v = m["host"]?.string { server.host = v }
        if let v = try int("port") { server.port = v }
        if let v = try bool("secure_cookies") { server.secureCookies = v }
        if let v = try int("session_hours") { server.sessionHours = Double(v) }
        if let v = try int("bcrypt_cost") {
            guard (10...16).contains(v) else { throw ConfigurationError("\(file): server.bcrypt_cost must be 10 to 16.") }
            server.bcryptCost = v
        }
        if let v = try int("max_concurrent_answers") { server.maxConcurrentAnswers = v }
        if let v = try int("max_waiting_answers") { server.maxWaitingAnswers = v }
        if let v = try int("questions_per_minute") { server.questionsPerMinute = v }
        if let t = m["trusted_header"]?.mapping {
            guard let header = t["user_header"]?.string else {
                throw ConfigurationError("\(file): server.trusted_header needs user_header (e.g. X-Remote-User).")
            }
            let proxies = t["trusted_proxies"]?.sequence?.compactMap(\.string) ?? ["127.0.0.1", "::1"]
            server.trustedHeader = .init(userHeader: header, groupsHeader: t["groups_header"]?.string, trustedProxies: proxies)
        }
    }

    private mutating func mergeIngest(_ m: Node.Mapping, file: String) throws {
        func int(_ key: String, minimum: Int) throws -> Int? {
            guard let node = m[key] else { return nil }
            guard let i = node.int, i >= minimum else {
                throw ConfigurationError("\(file): ingest.\(key) must be an integer of at least \(minimum).")
            }
            return i
        }
        func bool(_ key: String) throws -> Bool? {
            guard let node = m[key] else { return nil }
            guard let b = node.bool else { throw ConfigurationError("\(file): ingest.\(key) must be true or false.") }
            return b
        }
        let known = Set(["isolate", "file_timeout_seconds", "file_memory_mb", "ocr", "ocr_max_pages", "extract_helper"])
        for key in m.keys.compactMap(\.string) where !known.contains(key) {
            throw ConfigurationError("\(file): unknown key 'ingest.\(key)' (known: \(known.sorted().joined(separator: ", "))).")
        }
        if let v = try bool("isolate") { ingest.isolate = v }
        if let v = try int("file_timeout_seconds", minimum: 1) { ingest.fileTimeoutSeconds = v }
        if let v = try int("file_memory_mb", minimum: 256) { ingest.fileMemoryMB = v }
        if let v = try bool("ocr") { ingest.ocr = v }
        if let v = try int("ocr_max_pages", minimum: 0) { ingest.ocrMaxPages = v }
        if let node = m["extract_helper"] {
            guard let path = node.string, path.hasPrefix("/") else {
                throw ConfigurationError("\(file): ingest.extract_helper must be an absolute path (of ragd-extract).")
            }
            ingest.extractHelper = path
        }
    }

    var chatConfiguration: LlamaChatConfiguration {
        LlamaChatConfiguration(modelPath: models.chat, contextLength: models.chatContext, threads: models.threads)
    }

    /// Opens the database for the given embedding model.
    func openStore(embedder: any EmbeddingModel) throws -> RagStore {
        try RagStore(configuration: StoreConfiguration(
            path: database, vectorExtensionPath: vectorExtension,
            embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier,
            rescoreCandidates: search.rescoreCandidates, fullTextPostingBudget: search.fullTextPostingBudget))
    }

    /// The supervised llama-server of `large_model.launch` (nil when ragd launches none). Its
    /// log is `llama-server.log` beside the database (data/ragd.sqlite → data/llama-server.log).
    var llamaServerConfiguration: LlamaServerConfiguration? {
        guard let large = largeModel, let launch = large.launch else { return nil }
        let folder = (database as NSString).deletingLastPathComponent
        return LlamaServerConfiguration(
            serverPath: launch.server, modelPath: launch.model, modelName: large.model, port: launch.port,
            contextLength: launch.context, threads: launch.threads,
            logPath: (folder.isEmpty ? "." : folder) + "/llama-server.log")
    }

    var embeddingConfiguration: LlamaEmbeddingConfiguration {
        LlamaEmbeddingConfiguration(
            modelPath: models.embedding, threads: models.threads, batchTokenBudget: models.embeddingBatchTokens,
            maxTokens: models.embeddingMaxTokens)
    }
}

/// A configuration problem, said in words an administrator can act on.
struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
