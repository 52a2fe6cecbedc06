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

        enum CodingKeys: String, CodingKey {
            case chat, embedding, threads
            case chatContext = "chat_context"
            case embeddingBatchTokens = "embedding_batch_tokens"
        }
    }

    /// A larger model at an OpenAI-compatible endpoint inside the network (optional).
    struct LargeModel: Codable, Equatable {
        /// Base URL, e.g. http://10.0.0.5:8000/v1.
        var url: String
        /// The model name the server expects.
        var model: String
        /// Name of an environment variable holding the API key (keys stay out of files).
        var apiKeyEnvironment: String?
        /// The server's context window in tokens.
        var context: Int
        /// Allow an endpoint outside loopback and private ranges (off: ragd refuses to start).
        var allowPublicEndpoint = false
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

    static func defaults(environment: [String: String]) -> RagdConfiguration {
        let cache = environment["RAGD_CACHE"] ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/ragd")
        var configuration = RagdConfiguration(
            database: environment["RAGD_DB"] ?? "data/ragd.sqlite",
            vectorExtension: cache + "/lib/vec0.so",
            models: Models(
                chat: cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf",
                embedding: cache + "/models/all-MiniLM-L6-v2.f16.gguf",
                threads: ProcessInfo.processInfo.activeProcessorCount,
                chatContext: 4096,
                embeddingBatchTokens: 256),
            largeModel: nil,
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
        try configuration.merge(mapping, file: file)
        return configuration
    }

    private mutating func merge(_ root: Node.Mapping, file: String) throws {
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
        }
        if let m = root["search"]?.mapping {
            if let v = try int(m["rescore_candidates"], "search.rescore_candidates") { search.rescoreCandidates = v }
            if let v = try int(m["full_text_posting_budget"], "search.full_text_posting_budget") {
                search.fullTextPostingBudget = v
            }
        }
        if let m = root["large_model"]?.mapping {
            guard let url = try string(m["url"], "large_model.url"), let model = try string(m["model"], "large_model.model")
            else { throw ConfigurationError("\(file): large_model needs url and model.") }
            largeModel = LargeModel(
                url: url, model: model, apiKeyEnvironment: try string(m["api_key_env"], "large_model.api_key_env"),
                context: try int(m["context"], "large_model.context") ?? 8192,
                allowPublicEndpoint: m["allow_public_endpoint"]?.bool ?? false)
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

    var embeddingConfiguration: LlamaEmbeddingConfiguration {
        LlamaEmbeddingConfiguration(
            modelPath: models.embedding, threads: models.threads, batchTokenBudget: models.embeddingBatchTokens)
    }
}

/// A configuration problem, said in words an administrator can act on.
struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
