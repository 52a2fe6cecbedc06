import Foundation
import RagAssistant
import RagExtraction
import RagInference
import RagPrivacy
import RagServer
import RagStore

/// Everything an administrator can set. Precedence, lowest first: the defaults, the YAML file
/// (`load(file:environment:flags:)`), the environment (`RAGD_DB`, `RAGD_HOST`, `RAGD_PORT`), then
/// the command line's flags.
///
/// Every key is optional in the file; the defaults run the embedded setup that `make setup`
/// prepares under `$RAGD_CACHE` (default `~/.cache/ragd`). deploy/ragd.example.yaml documents
/// each key; ConfigurationDecoding.swift reads them.
public struct RagdConfiguration: Sendable, Equatable {
    public struct Models: Sendable, Equatable {
        /// The in-process chat model (a GGUF with a chat template).
        public var chat: String
        /// The in-process embedding model (a GGUF sentence-embedding model).
        public var embedding: String
        /// CPU threads for inference.
        public var threads: Int
        /// Chat context window in tokens (one reply at most; the replies in flight share it).
        public var chatContext: Int
        /// Replies the in-process chat model decodes together in one batch.
        public var chatParallel = 4
        /// Token budget of one embedding call (see LlamaEmbeddingConfiguration.batchTokenBudget).
        public var embeddingBatchTokens: Int
        /// Most tokens of one text the embedding model reads, and so the chunks' size limit
        /// (nil: the model's own, at most 512; see LlamaEmbeddingConfiguration.maxTokens).
        public var embeddingMaxTokens: Int? = nil

        enum CodingKeys: String, CodingKey, CaseIterable {
            case chat, embedding, threads
            case chatContext = "chat_context"
            case chatParallel = "chat_parallel"
            case embeddingBatchTokens = "embedding_batch_tokens"
            case embeddingMaxTokens = "embedding_max_tokens"
        }
    }

    /// A larger model at an OpenAI-compatible endpoint inside the network (optional).
    public struct LargeModel: Sendable, Equatable {
        /// A llama-server that ragd launches and supervises on loopback (`large_model.launch`).
        public struct Launch: Sendable, Equatable {
            /// llama.cpp's llama-server executable.
            public var server: String
            /// The GGUF file it serves.
            public var model: String
            /// The loopback port it listens on.
            public var port = 8081
            /// Its context window in tokens (one reply's most; its slots share it).
            public var context = 4096
            /// Replies it decodes together (llama-server's `--parallel`).
            public var parallel = 4
            /// CPU threads (default: all cores).
            public var threads = ProcessInfo.processInfo.activeProcessorCount

            public init(server: String, model: String) {
                self.server = server
                self.model = model
            }

            enum CodingKeys: String, CodingKey, CaseIterable { case server, model, port, context, parallel, threads }
        }

        /// Base URL, e.g. http://10.0.0.5:8000/v1 (with `launch`: http://127.0.0.1:PORT/v1).
        public var url: String
        /// The model name the server expects (with `launch`: the GGUF's file name).
        public var model: String
        /// Name of an environment variable holding the API key (keys stay out of files).
        public var apiKeyEnvironment: String?
        /// The server's context window in tokens.
        public var context: Int
        /// Allow an endpoint outside loopback and private ranges (off: ragd refuses to start).
        public var allowPublicEndpoint = false
        /// Set when ragd runs the server itself; nil for a server someone else runs.
        public var launch: Launch?
        /// What 1,000 of its tokens (read plus written) cost, for the estimated cost on /metrics
        /// and the analytics page; 0 (the default) for a server on the company's own hardware.
        public var pricePer1kTokens = 0.0

        enum CodingKeys: String, CodingKey, CaseIterable {
            case url, model, context, launch
            case apiKeyEnvironment = "api_key_env"
            case allowPublicEndpoint = "allow_public_endpoint"
            case pricePer1kTokens = "price_per_1k_tokens"
        }

        /// llama-server of `launch`, serving on `launch.port`.
        public init(launching launch: Launch) {
            self.url = "http://127.0.0.1:\(launch.port)/v1"
            self.model = (launch.model as NSString).lastPathComponent
            self.context = launch.context
            self.launch = launch
        }

        public init(url: String, model: String, apiKeyEnvironment: String? = nil, context: Int, allowPublicEndpoint: Bool = false,
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
    public struct IngestSettings: Sendable, Equatable {
        /// Extract each file in a child process with the limits below (recommended); false
        /// runs the parsers inside ragd, faster but a hostile file can hang or crash it.
        public var isolate = true
        /// Wall-clock limit per file, in seconds.
        public var fileTimeoutSeconds = 120
        /// Memory (address-space) limit per file's extraction, in MiB.
        public var fileMemoryMB = 2048
        /// OCR of PDF pages without a text layer.
        public var ocr = true
        /// At most this many pages per document are OCRed.
        public var ocrMaxPages = 200
        /// The extraction helper to run; nil runs this executable's `extract-file`.
        public var extractHelper: String?
        /// How often `ragd serve` looks for sources whose scheduled sync is due, in seconds.
        public var syncCheckSeconds = 5

        enum CodingKeys: String, CodingKey, CaseIterable {
            case isolate, ocr
            case syncCheckSeconds = "sync_check_seconds"
            case fileTimeoutSeconds = "file_timeout_seconds"
            case fileMemoryMB = "file_memory_mb"
            case ocrMaxPages = "ocr_max_pages"
            case extractHelper = "extract_helper"
        }

        /// The extractor these settings describe.
        public var extractor: any FileExtracting {
            let ocrOptions = ocr ? OCROptions(maxPages: ocrMaxPages) : nil
            guard isolate else { return DocumentExtractor(ocr: ocrOptions) }
            return IsolatedExtractor(
                helper: extractHelper.map { .ragdExtract(at: $0) } ?? .ragdSubcommand,
                timeLimit: .seconds(fileTimeoutSeconds), memoryLimitMB: fileMemoryMB, ocr: ocrOptions)
        }
    }

    /// Retrieval at scale: how exact the vector search is and how much full-text scoring may cost.
    public struct SearchSettings: Sendable, Equatable {
        /// Nearest candidates by binary code re-scored with full-precision vectors.
        public var rescoreCandidates = StoreConfiguration.defaultRescoreCandidates
        /// Chunks full-text search may score per question (its rarer words first).
        public var fullTextPostingBudget = StoreConfiguration.defaultFullTextPostingBudget

        enum CodingKeys: String, CodingKey, CaseIterable {
            case rescoreCandidates = "rescore_candidates"
            case fullTextPostingBudget = "full_text_posting_budget"
        }
    }

    /// Follow-up questions: how they are searched for, and how much of a conversation is kept.
    public struct ConversationSettings: Sendable, Equatable {
        /// `carry_over` (default), `model` (the small model rewrites, within `rewrite_timeout_ms`) or `off`.
        public var queryRewrite = QueryRewriter.Strategy.carryOver
        public var rewriteTimeoutMilliseconds = 1500
        public var limits = ConversationLimits()

        enum CodingKeys: String, CodingKey, CaseIterable {
            case queryRewrite = "query_rewrite"
            case rewriteTimeoutMilliseconds = "rewrite_timeout_ms"
            case maxTurns = "max_turns"
            case contextTurns = "context_turns"
            case historyPromptTokens = "history_prompt_tokens"
        }
    }

    /// Personal data replaced by placeholders in everything sent to the larger model.
    public struct RedactionSettings: Sendable, Equatable {
        /// On by default: nothing personal leaves the process unless an admin turns this off.
        public var enabled = true
        /// The built-in kinds redacted (`EMAIL`, `PHONE`, `IBAN`, `CARD`, `SSN`, `IP`, `PERSON`).
        public var kinds: Set<PersonalDataKind> = Set(PersonalDataKind.builtIn)
        /// People's names redacted besides the accounts' display names.
        public var names: [String] = []
        /// An administrator's own kinds: placeholder name → regular expression.
        public var patterns: [String: String] = [:]

        /// The compiled patterns. - Throws: `RedactionError` naming a bad one.
        public func customPatterns() throws -> [CustomPattern] {
            try patterns.sorted { $0.key < $1.key }.map { try CustomPattern(name: $0.key, pattern: $0.value) }
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case enabled, kinds, names, patterns
        }
    }

    /// The SQLite database file.
    public var database: String
    /// sqlite-vec's loadable extension.
    public var vectorExtension: String
    public var models: Models
    public var largeModel: LargeModel?
    public var routing: RoutingPolicy
    /// `ragd serve`: address, cookies, limits, optional trusted proxy header.
    public var server = ServerConfiguration()
    /// The audit log's own SQLite file; nil: beside `database` (see `auditDatabasePath`).
    public var auditDatabase: String?
    /// How long audit records are kept at least; they leave only by `ragd audit purge`.
    public var auditRetentionDays: Int
    /// `ragd ingest` and the daemon's ingest worker: isolation limits and OCR.
    public var ingest = IngestSettings()
    /// Vector re-scoring window and full-text cost bound.
    public var search = SearchSettings()
    /// Follow-up questions and conversation limits.
    public var conversations = ConversationSettings()
    /// What is stripped from prompts before they leave for the larger model.
    public var redaction = RedactionSettings()
    /// Source folders kept as configured here (`SourceSettings`), applied at `ragd serve`'s start.
    public var sources: [SourceSettings] = []

    /// A source folder as the file describes it: `ragd serve` adds it if missing and sets its
    /// name, groups, escalation policy and sync schedule at every start (the file wins over
    /// changes made on the admin page to the sources it lists). Sources it does not list are
    /// left as they are.
    public struct SourceSettings: Sendable, Equatable {
        public var root: String
        public var name: String?
        /// Who may read it (empty: everyone).
        public var groups: [String] = []
        /// Its passages never go to the larger model.
        public var onPremOnly = false
        /// Sync every this many seconds (`every: 15m`), at a daily time (`daily_at: "02:30"`),
        /// and/or when its files change (`on_change: true`).
        public var syncSeconds: Int?
        public var syncDailyAt: String?
        public var syncOnChange = false

        public init(root: String) { self.root = root }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case root, name, groups, sync
            case onPremOnly = "on_prem_only"
        }
        enum SyncKeys: String, CodingKey, CaseIterable {
            case every
            case dailyAt = "daily_at"
            case onChange = "on_change"
        }

        /// "30s", "15m", "2h", "1d" (or a bare number of seconds) in seconds; nil when unreadable.
        public static func seconds(_ text: String) -> Int? {
            if let n = Int(text), n > 0 { return n }
            let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
            guard let unit = text.last.flatMap({ units[$0] }), let n = Int(text.dropLast()), n > 0 else { return nil }
            return n * unit
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case database, models, routing, server, ingest, search, conversations, redaction, sources
        case vectorExtension = "vector_extension"
        case largeModel = "large_model"
        case auditDatabase = "audit_database"
        case auditRetentionDays = "audit_retention_days"
    }

    /// `audit_database`, or the main database's path with its extension replaced by
    /// `-audit.sqlite` (data/ragd.sqlite → data/ragd-audit.sqlite), so `--db` moves both.
    public var auditDatabasePath: String {
        auditDatabase ?? (database as NSString).deletingPathExtension + "-audit.sqlite"
    }

    /// The llama.cpp version `make setup` builds (LLAMA_CPP_PYTHON_VERSION in scripts/pins.sh;
    /// change both together): its llama-server is the default larger model's server.
    public static let llamaVersion = "0.3.36"
    /// The larger model `make setup` assembles: Qwen2.5-Coder 1.5B Instruct, Q4_K_M.
    public static let largeModelFile = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

    /// `$RAGD_CACHE`, default `~/.cache/ragd`: where `make setup` puts models and libraries.
    public static func cacheDirectory(environment: [String: String]) -> String {
        environment["RAGD_CACHE"] ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/ragd")
    }

    /// `large_model.launch` with every key at its default: the llama-server and 1.5B GGUF of `make setup`.
    public static func defaultLaunch(cache: String) -> LargeModel.Launch {
        LargeModel.Launch(server: cache + "/llama/\(llamaVersion)/bin/llama-server", model: cache + "/models/" + largeModelFile)
    }

    public static func defaults(environment: [String: String]) -> RagdConfiguration {
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

    /// What `models.embedding_max_tokens` may be: at least a short chunk after the prefix, at most a long context.
    public static let embeddingMaxTokensRange = 64...8192

    public var chatConfiguration: LlamaChatConfiguration {
        LlamaChatConfiguration(modelPath: models.chat, contextLength: models.chatContext, threads: models.threads,
                               parallel: models.chatParallel)
    }

    /// Loads the embedding model in `path` in-process, with the configured threads and limits
    /// (an embedding-model migration's new model).
    @Sendable public func loadEmbeddingModel(path: String) throws -> any EmbeddingModel {
        var settings = embeddingConfiguration
        settings.modelPath = path
        return try LlamaEmbeddingModel(configuration: settings)
    }

    /// Opens the database for the given embedding model.
    public func openStore(embedder: any EmbeddingModel) throws -> RagStore {
        try RagStore(configuration: StoreConfiguration(
            path: database, vectorExtensionPath: vectorExtension,
            embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier,
            rescoreCandidates: search.rescoreCandidates, fullTextPostingBudget: search.fullTextPostingBudget,
            embeddingModelPath: models.embedding))
    }

    /// The supervised llama-server of `large_model.launch` (nil when ragd launches none). Its
    /// log is `llama-server.log` beside the database (data/ragd.sqlite → data/llama-server.log).
    public var llamaServerConfiguration: LlamaServerConfiguration? {
        guard let large = largeModel, let launch = large.launch else { return nil }
        let folder = (database as NSString).deletingLastPathComponent
        return LlamaServerConfiguration(
            serverPath: launch.server, modelPath: launch.model, modelName: large.model, port: launch.port,
            contextLength: launch.context, parallel: launch.parallel, threads: launch.threads,
            logPath: (folder.isEmpty ? "." : folder) + "/llama-server.log")
    }

    public var embeddingConfiguration: LlamaEmbeddingConfiguration {
        LlamaEmbeddingConfiguration(
            modelPath: models.embedding, threads: models.threads, batchTokenBudget: models.embeddingBatchTokens,
            maxTokens: models.embeddingMaxTokens)
    }
}

