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
        return RagdConfiguration(
            database: "data/ragd.sqlite",
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
    }

    /// The defaults, then `file` (a missing key keeps its default), then the environment
    /// (`RAGD_DB`, `RAGD_HOST`, `RAGD_PORT`); the command line's flags come last (GlobalOptions).
    /// - Throws: `ConfigurationError` naming the file, the key and what it must be.
    static func load(file: String?, environment: [String: String]) throws -> RagdConfiguration {
        var configuration = defaults(environment: environment)
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError("Cannot read the configuration file \(file).")
            }
            let node: Node?
            do { node = try Yams.compose(yaml: text) } catch {
                throw ConfigurationError("\(file) is not valid YAML: \(error)")
            }
            if let node {
                guard let mapping = node.mapping else {
                    throw ConfigurationError("\(file): the file must be a mapping of keys (see deploy/ragd.example.yaml).")
                }
                try configuration.merge(
                    YAMLSection(mapping, file: file, path: ""), cache: cacheDirectory(environment: environment))
            }
        }
        try configuration.applyEnvironment(environment)
        return configuration
    }

    /// `RAGD_DB`, `RAGD_HOST` and `RAGD_PORT` override the file.
    private mutating func applyEnvironment(_ environment: [String: String]) throws {
        if let v = environment["RAGD_DB"], !v.isEmpty { database = v }
        if let v = environment["RAGD_HOST"], !v.isEmpty { server.host = v }
        if let v = environment["RAGD_PORT"], !v.isEmpty {
            guard let port = Int(v), (1...65535).contains(port) else {
                throw ConfigurationError("RAGD_PORT must be a port number from 1 to 65535 (it is '\(v)').")
            }
            server.port = port
        }
    }

    private mutating func merge(_ root: YAMLSection, cache: String) throws {
        try root.rejectUnknown([
            "database", "vector_extension", "models", "large_model", "routing", "server", "audit_database",
            "audit_retention_days", "ingest", "search",
        ])
        if let v = try root.string("database") { database = v }
        if let v = try root.string("vector_extension") { vectorExtension = v }
        if let v = try root.string("audit_database") { auditDatabase = v }
        if let v = try root.int("audit_retention_days") { auditRetentionDays = v }
        if let m = try root.section("models") { try mergeModels(m) }
        if let m = try root.section("search") {
            try m.rejectUnknown(["rescore_candidates", "full_text_posting_budget"])
            if let v = try m.int("rescore_candidates") { search.rescoreCandidates = v }
            if let v = try m.int("full_text_posting_budget") { search.fullTextPostingBudget = v }
        }
        if let node = root.mapping["large_model"] {
            if node.bool == false {
                largeModel = nil  // `large_model: false` (or off, no): the small model answers everything
            } else if let m = node.mapping {
                largeModel = try Self.largeModel(YAMLSection(m, file: root.file, path: "large_model"), cache: cache)
            } else {
                throw root.error("large_model", "a mapping (url and model, or launch:) or false")
            }
        }
        if let m = try root.section("server") { try mergeServer(m) }
        if let m = try root.section("ingest") { try mergeIngest(m) }
        if let m = try root.section("routing") {
            try m.rejectUnknown([
                "not_found_below", "escalate_below", "escalate_complex_questions", "escalate_on_failed_verification",
            ])
            if let v = try m.fraction("not_found_below") { routing.notFoundBelow = v }
            if let v = try m.fraction("escalate_below") { routing.escalateBelow = v }
            if let v = try m.bool("escalate_complex_questions") { routing.escalateComplexQuestions = v }
            if let v = try m.bool("escalate_on_failed_verification") { routing.escalateOnFailedVerification = v }
        }
    }

    private mutating func mergeModels(_ m: YAMLSection) throws {
        try m.rejectUnknown([
            "chat", "embedding", "threads", "chat_context", "embedding_batch_tokens", "embedding_max_tokens",
        ])
        if let v = try m.string("chat") { models.chat = v }
        if let v = try m.string("embedding") { models.embedding = v }
        if let v = try m.int("threads") { models.threads = v }
        if let v = try m.int("chat_context", range: 512...Int.max) { models.chatContext = v }
        if let v = try m.int("embedding_batch_tokens") { models.embeddingBatchTokens = v }
        // Room for a chunk after the embedding prefix ("search_document: " is a few tokens).
        if let v = try m.int("embedding_max_tokens", range: Self.embeddingMaxTokensRange) { models.embeddingMaxTokens = v }
    }

    /// What `models.embedding_max_tokens` may be: at least a short chunk after the prefix, at most a long context.
    static let embeddingMaxTokensRange = 64...8192

    /// `large_model:` as a mapping: a server at `url`, or one ragd launches (`launch:`).
    private static func largeModel(_ m: YAMLSection, cache: String) throws -> LargeModel {
        try m.rejectUnknown(["url", "model", "api_key_env", "context", "allow_public_endpoint", "launch"])
        var launch: LargeModel.Launch?
        if let l = try m.section("launch") {
            try l.rejectUnknown(["server", "model", "port", "context", "threads"])
            var value = defaultLaunch(cache: cache)
            if let v = try l.string("server") { value.server = v }
            if let v = try l.string("model") { value.model = v }
            if let v = try l.int("port", range: 1...65535) { value.port = v }
            if let v = try l.int("context") { value.context = v }
            if let v = try l.int("threads") { value.threads = v }
            launch = value
        }
        var model = launch.map { LargeModel(launching: $0) }
            ?? LargeModel(url: "", model: "", context: 8192)
        if let v = try m.string("url") { model.url = v }
        if let v = try m.string("model") { model.model = v }
        guard !model.url.isEmpty, !model.model.isEmpty else {
            throw ConfigurationError("\(m.file): large_model needs url and model, or launch: to have ragd start llama-server.")
        }
        model.apiKeyEnvironment = try m.string("api_key_env")
        if let v = try m.int("context") { model.context = v }
        if let launch, model.context > launch.context {
            throw ConfigurationError("\(m.file): large_model.context (\(model.context)) is larger than the context "
                + "llama-server is launched with (large_model.launch.context: \(launch.context)).")
        }
        if let v = try m.bool("allow_public_endpoint") { model.allowPublicEndpoint = v }
        return model
    }

    private mutating func mergeServer(_ m: YAMLSection) throws {
        try m.rejectUnknown([
            "host", "port", "secure_cookies", "session_hours", "bcrypt_cost", "max_concurrent_answers",
            "max_waiting_answers", "questions_per_minute", "trusted_header",
        ])
        if let v = try m.string("host") { server.host = v }
        if let v = try m.int("port", range: 1...65535) { server.port = v }
        if let v = try m.bool("secure_cookies") { server.secureCookies = v }
        if let v = try m.int("session_hours") { server.sessionHours = Double(v) }
        if let v = try m.int("bcrypt_cost", range: 10...16) { server.bcryptCost = v }
        if let v = try m.int("max_concurrent_answers") { server.maxConcurrentAnswers = v }
        if let v = try m.int("max_waiting_answers") { server.maxWaitingAnswers = v }
        if let v = try m.int("questions_per_minute") { server.questionsPerMinute = v }
        if let t = try m.section("trusted_header") {
            try t.rejectUnknown(["user_header", "groups_header", "trusted_proxies"])
            guard let header = try t.string("user_header") else {
                throw ConfigurationError("\(m.file): server.trusted_header needs user_header (e.g. X-Remote-User).")
            }
            let proxies = try t.strings("trusted_proxies") ?? ["127.0.0.1", "::1"]
            server.trustedHeader = .init(userHeader: header, groupsHeader: try t.string("groups_header"), trustedProxies: proxies)
        }
    }

    private mutating func mergeIngest(_ m: YAMLSection) throws {
        try m.rejectUnknown(["isolate", "file_timeout_seconds", "file_memory_mb", "ocr", "ocr_max_pages", "extract_helper"])
        if let v = try m.bool("isolate") { ingest.isolate = v }
        if let v = try m.int("file_timeout_seconds") { ingest.fileTimeoutSeconds = v }
        if let v = try m.int("file_memory_mb", range: 256...Int.max) { ingest.fileMemoryMB = v }
        if let v = try m.bool("ocr") { ingest.ocr = v }
        if let v = try m.int("ocr_max_pages", range: 0...Int.max) { ingest.ocrMaxPages = v }
        if let path = try m.string("extract_helper") {
            guard path.hasPrefix("/") else {
                throw ConfigurationError("\(m.file): ingest.extract_helper must be an absolute path (of ragd-extract).")
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

/// One mapping of the configuration file, read key by key: every value is checked for its type
/// and range, and every error names the file and the key's full path (`models.threads`).
struct YAMLSection {
    let mapping: Node.Mapping
    let file: String
    /// The dotted path of this mapping ("" at the root).
    let path: String

    init(_ mapping: Node.Mapping, file: String, path: String) {
        self.mapping = mapping
        self.file = file
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func error(_ key: String, _ requirement: String) -> ConfigurationError {
        ConfigurationError("\(file): \(name(key)) must be \(requirement).")
    }

    /// Throws for the first key that is not in `known`, listing the known ones (a typo is named, never ignored).
    func rejectUnknown(_ known: Set<String>) throws {
        for node in mapping.keys {
            guard let key = node.string, known.contains(key) else {
                throw ConfigurationError("\(file): unknown key '\(name(node.string ?? "\(node)"))' "
                    + "(known: \(known.sorted().joined(separator: ", "))).")
            }
        }
    }

    /// The mapping under `key` (nil when absent).
    func section(_ key: String) throws -> YAMLSection? {
        guard let node = mapping[key] else { return nil }
        guard let m = node.mapping else { throw error(key, "a mapping of keys") }
        return YAMLSection(m, file: file, path: name(key))
    }

    func string(_ key: String) throws -> String? {
        guard let node = mapping[key] else { return nil }
        guard node.scalar != nil, let s = node.string, !s.isEmpty else { throw error(key, "a string") }
        return s
    }

    func strings(_ key: String) throws -> [String]? {
        guard let node = mapping[key] else { return nil }
        guard let items = node.sequence, items.allSatisfy({ $0.string != nil }) else {
            throw error(key, "a list of strings")
        }
        return items.compactMap(\.string)
    }

    func int(_ key: String, range: ClosedRange<Int> = 1...Int.max) throws -> Int? {
        guard let node = mapping[key] else { return nil }
        guard let i = node.int, range.contains(i) else {
            let bounds = switch (range.lowerBound, range.upperBound) {
            case (1, .max): "a positive integer"
            case (let low, .max): "an integer of at least \(low)"
            case (let low, let high): "an integer from \(low) to \(high)"
            }
            throw error(key, bounds)
        }
        return i
    }

    /// A number from 0 to 1.
    func fraction(_ key: String) throws -> Double? {
        guard let node = mapping[key] else { return nil }
        guard let d = node.float, (0...1).contains(d) else { throw error(key, "a number from 0 to 1") }
        return d
    }

    func bool(_ key: String) throws -> Bool? {
        guard let node = mapping[key] else { return nil }
        guard let b = node.bool else { throw error(key, "true or false") }
        return b
    }
}
