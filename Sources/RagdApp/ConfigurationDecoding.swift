import Foundation
import RagAssistant
import RagPrivacy
import RagServer
import RagStore
import Yams

// The configuration file, decoded with Yams' `YAMLDecoder`. Every type reads its mapping through
// `ConfigSection`, whose known keys are the type's own `CodingKeys` (so the keys the code reads
// and the keys it accepts cannot drift apart): an unknown key, a wrong type or a value out of
// range is an error that names the file, the key's full path (`models.threads`) and what the
// value must be. A key that is absent keeps its default.

extension RagdConfiguration {
    /// The defaults, then `file` (a missing key keeps its default), then the environment
    /// (`RAGD_DB`, `RAGD_HOST`, `RAGD_PORT`), then the command line's `flags`.
    /// - Throws: `ConfigurationError` naming the file, the key and what it must be.
    public static func load(file: String?, environment: [String: String],
                            flags: CommandLineFlags = CommandLineFlags()) throws -> RagdConfiguration {
        let defaults = defaults(environment: environment)
        var configuration = defaults
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError("Cannot read the configuration file \(file).")
            }
            let node: Node?
            do { node = try Yams.compose(yaml: text) } catch {
                throw ConfigurationError("\(file) is not valid YAML: \(error)")
            }
            // An empty file (or only comments) keeps every default.
            if let node {
                let context = DecodingContext(file: file, defaults: defaults, cache: cacheDirectory(environment: environment),
                                              environment: environment)
                do {
                    configuration = try YAMLDecoder().decode(RagdConfiguration.self, from: node,
                                                             userInfo: [DecodingContext.key: context])
                } catch let error as ConfigurationError {
                    throw error
                } catch {
                    throw ConfigurationError("\(file): \(error)")
                }
            }
        }
        try configuration.applyEnvironment(environment)
        configuration.apply(flags)
        return configuration
    }

    mutating func apply(_ flags: CommandLineFlags) {
        if let database = flags.database { self.database = database }
        if let host = flags.host { server.host = host }
        if let port = flags.port { server.port = port }
    }

    /// `RAGD_DB`, `RAGD_HOST` and `RAGD_PORT` override the file.
    mutating func applyEnvironment(_ environment: [String: String]) throws {
        if let v = environment["RAGD_DB"], !v.isEmpty { database = v }
        if let v = environment["RAGD_HOST"], !v.isEmpty { server.host = v }
        if let v = environment["RAGD_PORT"], !v.isEmpty {
            guard let port = Int(v), (1...65535).contains(port) else {
                throw ConfigurationError("RAGD_PORT must be a port number from 1 to 65535 (it is '\(v)').")
            }
            server.port = port
        }
    }
}

/// The settings a command line gives as flags (`--db`, `--host`, `--port`), which override the
/// file and the environment. Nil leaves the setting as they made it.
public struct CommandLineFlags: Sendable {
    public var database: String?
    public var host: String?
    public var port: Int?

    public init(database: String? = nil, host: String? = nil, port: Int? = nil) {
        self.database = database
        self.host = host
        self.port = port
    }
}

/// A configuration problem, said in words an administrator can act on.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What every type decoding a part of the file needs: the file's name for messages, and the
/// defaults a missing key keeps.
struct DecodingContext {
    static let key = CodingUserInfoKey(rawValue: "ragd.configuration")!
    let file: String
    let defaults: RagdConfiguration
    let cache: String
    /// For secrets named by the file (`client_secret_env`).
    var environment: [String: String] = [:]

    static func of(_ decoder: any Decoder) -> DecodingContext {
        guard let context = decoder.userInfo[key] as? DecodingContext else {
            preconditionFailure("the configuration is decoded by RagdConfiguration.load, which sets its context")
        }
        return context
    }
}

/// One mapping of the configuration file, read key by key.
struct ConfigSection<Key: CodingKey & CaseIterable> {
    let container: KeyedDecodingContainer<Key>
    let context: DecodingContext
    /// The dotted path of this mapping ("" at the root).
    let path: String

    /// - Throws: when the value is not a mapping, or holds a key that `Key` does not list.
    init(_ decoder: any Decoder, _ keys: Key.Type) throws {
        context = DecodingContext.of(decoder)
        // "sources[0].sync": list positions as [n].
        path = decoder.codingPath.reduce(into: "") { path, key in
            if let index = key.intValue { path += "[\(index)]" } else { path += (path.isEmpty ? "" : ".") + key.stringValue }
        }
        let all: KeyedDecodingContainer<AnyKey>
        do {
            all = try decoder.container(keyedBy: AnyKey.self)
            container = try decoder.container(keyedBy: Key.self)
        } catch {
            throw path.isEmpty
                ? ConfigurationError("\(context.file): the file must be a mapping of keys (see deploy/ragd.example.yaml).")
                : ConfigurationError("\(context.file): \(path) must be a mapping of keys.")
        }
        let known = Key.allCases.map(\.stringValue)
        for key in all.allKeys where !known.contains(key.stringValue) {
            throw ConfigurationError("\(context.file): unknown key '\(name(key.stringValue))' "
                + "(known: \(known.sorted().joined(separator: ", "))).")
        }
    }

    func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func error(_ key: Key, _ requirement: String) -> ConfigurationError {
        ConfigurationError("\(context.file): \(name(key.stringValue)) must be \(requirement).")
    }

    /// The value at `key` decoded as `T`, nil when absent; a value of the wrong type throws
    /// `requirement` (a nested type's own errors pass through).
    func decode<T: Decodable>(_ type: T.Type, _ key: Key, requirement: String) throws -> T? {
        do {
            return try container.decodeIfPresent(T.self, forKey: key)
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw self.error(key, requirement)
        }
    }

    /// A part of the file with its own type (a mapping).
    func section<T: Decodable>(_ key: Key) throws -> T? {
        try decode(T.self, key, requirement: "a mapping of keys")
    }

    func string(_ key: Key) throws -> String? {
        guard let value = try decode(String.self, key, requirement: "a string") else { return nil }
        guard !value.isEmpty else { throw error(key, "a string") }
        return value
    }

    func strings(_ key: Key) throws -> [String]? {
        try decode([String].self, key, requirement: "a list of strings")
    }

    func int(_ key: Key, range: ClosedRange<Int> = 1...Int.max) throws -> Int? {
        let requirement = switch (range.lowerBound, range.upperBound) {
        case (1, .max): "a positive integer"
        case (let low, .max): "an integer of at least \(low)"
        case (let low, let high): "an integer from \(low) to \(high)"
        }
        guard let value = try decode(Int.self, key, requirement: requirement) else { return nil }
        guard range.contains(value) else { throw error(key, requirement) }
        return value
    }

    /// A number from 0 to 1.
    func fraction(_ key: Key) throws -> Double? {
        guard let value = try decode(Double.self, key, requirement: "a number from 0 to 1") else { return nil }
        guard (0...1).contains(value) else { throw error(key, "a number from 0 to 1") }
        return value
    }

    /// A number of at least `low`.
    func number(_ key: Key, atLeast low: Double) throws -> Double? {
        let requirement = "a number of at least \(low == low.rounded() ? String(Int(low)) : String(low))"
        guard let value = try decode(Double.self, key, requirement: requirement) else { return nil }
        guard value >= low, value.isFinite else { throw error(key, requirement) }
        return value
    }

    func bool(_ key: Key) throws -> Bool? {
        try decode(Bool.self, key, requirement: "true or false")
    }
}

/// Any key of a mapping, to find those a type does not know.
struct AnyKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

extension RagdConfiguration: Decodable {
    public init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        self = s.context.defaults
        if let v = try s.string(.database) { database = v }
        if let v = try s.string(.vectorExtension) { vectorExtension = v }
        if let v = try s.string(.auditDatabase) { auditDatabase = v }
        if let v = try s.int(.auditRetentionDays) { auditRetentionDays = v }
        if let v: Models = try s.section(.models) { models = v }
        if let v: SearchSettings = try s.section(.search) { search = v }
        if let v: LargeModelSetting = try s.decode(LargeModelSetting.self, .largeModel,
                                                   requirement: "a mapping (url and model, or launch:) or false") {
            largeModel = v.model
        }
        if let v: ServerSection = try s.section(.server) { server = v.value }
        if let v: IngestSettings = try s.section(.ingest) { ingest = v }
        if let v: RoutingSection = try s.section(.routing) { routing = v.value }
        if let v: ConversationSettings = try s.section(.conversations) { conversations = v }
        if let v: RedactionSettings = try s.section(.redaction) { redaction = v }
        if let v = try s.decode([SourceSettings].self, .sources, requirement: "a list of sources (each a mapping with root:)") {
            let roots = v.map(\.root)
            if let twice = roots.first(where: { root in roots.filter { $0 == root }.count > 1 }) {
                throw ConfigurationError("\(s.context.file): sources lists \(twice) twice.")
            }
            sources = v
        }
    }
}

extension RagdConfiguration.SourceSettings: Decodable {
    public init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        guard let root = try s.string(.root) else { throw s.error(.root, "the source folder's path") }
        self.init(root: URL(fileURLWithPath: root).standardizedFileURL.path)
        name = try s.string(.name)
        if let v = try s.strings(.groups) { groups = v }
        if let v = try s.bool(.onPremOnly) { onPremOnly = v }
        if try s.container.contains(.sync) {
            let sync = try s.container.superDecoder(forKey: .sync)
            let t = try ConfigSection(sync, SyncKeys.self)
            if let v = try t.decode(String.self, .every, requirement: "an interval such as 30s, 15m, 2h or 1d (at least 10s)") {
                guard let seconds = Self.seconds(v), seconds >= 10 else {
                    throw t.error(.every, "an interval such as 30s, 15m, 2h or 1d (at least 10s)")
                }
                syncSeconds = seconds
            }
            if let v = try t.string(.dailyAt) {
                guard RagStore.nextDaily(v, after: Date()) != nil else { throw t.error(.dailyAt, "a time of day as \"HH:MM\"") }
                syncDailyAt = v
            }
            if let v = try t.bool(.onChange) { syncOnChange = v }
        }
    }
}

extension RagdConfiguration.RedactionSettings: Decodable {
    public init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        self = s.context.defaults.redaction
        if let v = try s.bool(.enabled) { enabled = v }
        if let v = try s.strings(.kinds) {
            let known = PersonalDataKind.builtIn.map(\.rawValue)
            for kind in v where !known.contains(kind) {
                throw s.error(.kinds, "a list of kinds from \(known.joined(separator: ", ")) (it has '\(kind)')")
            }
            kinds = Set(v.map(PersonalDataKind.init(rawValue:)))
        }
        if let v = try s.strings(.names) { names = v }
        if let v = try s.decode([String: String].self, .patterns, requirement: "a mapping of NAME: regular expression") {
            patterns = v
            do {
                _ = try customPatterns()
            } catch let error as RedactionError {
                throw ConfigurationError("\(s.context.file): \(s.name("patterns")): \(error.description)")
            }
        }
    }
}

extension RagdConfiguration.ConversationSettings: Decodable {
    public init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        self = s.context.defaults.conversations
        if let v = try s.string(.queryRewrite) {
            guard let strategy = QueryRewriter.Strategy(rawValue: v) else {
                throw ConfigurationError("\(s.context.file): conversations.query_rewrite is '\(v)'; use "
                    + QueryRewriter.Strategy.allCases.map(\.rawValue).joined(separator: ", ") + ".")
            }
            queryRewrite = strategy
        }
        if let v = try s.int(.rewriteTimeoutMilliseconds, range: 100...10_000) { rewriteTimeoutMilliseconds = v }
        if let v = try s.int(.maxTurns, range: 1...1000) { limits.maxTurns = v }
        if let v = try s.int(.contextTurns, range: 0...20) { limits.contextTurns = v }
        if let v = try s.int(.historyPromptTokens, range: 0...4096) { limits.promptTokens = v }
    }
}

extension RagdConfiguration.Models: Decodable {
    public init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        self = s.context.defaults.models
        if let v = try s.string(.chat) { chat = v }
        if let v = try s.string(.embedding) { embedding = v }
        if let v = try s.int(.threads) { threads = v }
        if let v = try s.int(.chatContext, range: 512...Int.max) { chatContext = v }
        if let v = try s.int(.chatParallel, range: 1...16) { chatParallel = v }
        if let v = try s.int(.embeddingBatchTokens) { embeddingBatchTokens = v }
        // Room for a chunk after the embedding prefix ("search_document: " is a few tokens).
        if let v = try s.int(.embeddingMaxTokens, range: RagdConfiguration.embeddingMaxTokensRange) { embeddingMaxTokens = v }
    }
}

extension RagdConfiguration.SearchSettings: Decodable {
    public init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        self = s.context.defaults.search
        if let v = try s.int(.rescoreCandidates) { rescoreCandidates = v }
        if let v = try s.int(.fullTextPostingBudget) { fullTextPostingBudget = v }
    }
}

/// `large_model:` is a mapping (a server at `url`, or one ragd launches with `launch:`), or
/// `false` (also `off`, `no`): the small model answers everything.
struct LargeModelSetting: Decodable {
    let model: RagdConfiguration.LargeModel?

    init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let flag = try? single.decode(Bool.self) {
            guard !flag else {
                throw ConfigurationError("\(DecodingContext.of(decoder).file): large_model must be a mapping "
                    + "(url and model, or launch:) or false.")
            }
            model = nil
        } else {
            model = try RagdConfiguration.LargeModel(from: decoder)
        }
    }
}

extension RagdConfiguration.LargeModel: Decodable {
    public init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        let launch: Launch? = try s.section(.launch)
        self = launch.map { Self(launching: $0) } ?? Self(url: "", model: "", context: 8192)
        if let v = try s.string(.url) { url = v }
        if let v = try s.string(.model) { model = v }
        guard !url.isEmpty, !model.isEmpty else {
            throw ConfigurationError("\(s.context.file): large_model needs url and model, or launch: to have ragd start llama-server.")
        }
        apiKeyEnvironment = try s.string(.apiKeyEnvironment)
        if let v = try s.int(.context) { context = v }
        if let launch, context > launch.context {
            throw ConfigurationError("\(s.context.file): large_model.context (\(context)) is larger than the context "
                + "llama-server is launched with (large_model.launch.context: \(launch.context)).")
        }
        if let v = try s.bool(.allowPublicEndpoint) { allowPublicEndpoint = v }
        if let v = try s.number(.pricePer1kTokens, atLeast: 0) { pricePer1kTokens = v }
    }
}

extension RagdConfiguration.LargeModel.Launch: Decodable {
    public init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        self = RagdConfiguration.defaultLaunch(cache: s.context.cache)
        if let v = try s.string(.server) { server = v }
        if let v = try s.string(.model) { model = v }
        if let v = try s.int(.port, range: 1...65535) { port = v }
        if let v = try s.int(.context) { context = v }
        if let v = try s.int(.parallel, range: 1...16) { parallel = v }
        if let v = try s.int(.threads) { threads = v }
    }
}

extension RagdConfiguration.IngestSettings: Decodable {
    public init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        self = s.context.defaults.ingest
        if let v = try s.bool(.isolate) { isolate = v }
        if let v = try s.int(.fileTimeoutSeconds) { fileTimeoutSeconds = v }
        if let v = try s.int(.fileMemoryMB, range: 256...Int.max) { fileMemoryMB = v }
        if let v = try s.bool(.ocr) { ocr = v }
        if let v = try s.int(.ocrMaxPages, range: 0...Int.max) { ocrMaxPages = v }
        if let v = try s.int(.syncCheckSeconds, range: 1...3600) { syncCheckSeconds = v }
        if let path = try s.string(.extractHelper) {
            guard path.hasPrefix("/") else {
                throw ConfigurationError("\(s.context.file): ingest.extract_helper must be an absolute path (of ragd-extract).")
            }
            extractHelper = path
        }
    }
}

/// `server:`, decoded onto RagServer's `ServerConfiguration` (which knows nothing of files).
struct ServerSection: Decodable {
    var value: ServerConfiguration

    enum CodingKeys: String, CodingKey, CaseIterable {
        case host, port
        case secureCookies = "secure_cookies"
        case sessionHours = "session_hours"
        case bcryptCost = "bcrypt_cost"
        case maxConcurrentAnswers = "max_concurrent_answers"
        case maxWaitingAnswers = "max_waiting_answers"
        case questionsPerMinute = "questions_per_minute"
        case trustedHeader = "trusted_header"
        case oidc
        case localAccounts = "local_accounts"
    }

    init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        value = s.context.defaults.server
        if let v = try s.string(.host) { value.host = v }
        if let v = try s.int(.port, range: 1...65535) { value.port = v }
        if let v = try s.bool(.secureCookies) { value.secureCookies = v }
        if let v = try s.int(.sessionHours) { value.sessionHours = Double(v) }
        if let v = try s.int(.bcryptCost, range: 10...16) { value.bcryptCost = v }
        if let v = try s.int(.maxConcurrentAnswers) { value.maxConcurrentAnswers = v }
        if let v = try s.int(.maxWaitingAnswers) { value.maxWaitingAnswers = v }
        if let v = try s.int(.questionsPerMinute) { value.questionsPerMinute = v }
        if let v: TrustedHeaderSection = try s.section(.trustedHeader) { value.trustedHeader = v.value }
        if let v: OIDCSection = try s.section(.oidc) { value.oidc = v.value }
        if let v = try s.bool(.localAccounts) { value.localAccounts = v }
        if !value.localAccounts && value.oidc == nil && value.trustedHeader == nil {
            throw ConfigurationError("\(s.context.file): server.local_accounts is false, but neither server.oidc nor "
                                     + "server.trusted_header is set: nobody could sign in.")
        }
    }
}

/// `server.oidc:`: the identity provider. The client secret comes from the environment or a
/// file, never from this file.
struct OIDCSection: Decodable {
    var value: OIDCSettings

    enum CodingKeys: String, CodingKey, CaseIterable {
        case issuer
        case clientId = "client_id"
        case clientSecretEnv = "client_secret_env"
        case clientSecretFile = "client_secret_file"
        case redirectURL = "redirect_url"
        case scopes
        case usernameClaim = "username_claim"
        case groupsClaim = "groups_claim"
        case roleGroups = "role_groups"
        case providerName = "provider_name"
        case allowPublicIssuer = "allow_public_issuer"
    }

    init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        func needed(_ key: CodingKeys, _ example: String) throws -> String {
            guard let v = try s.string(key) else {
                throw ConfigurationError("\(s.context.file): server.oidc needs \(key.stringValue) (e.g. \(example)).")
            }
            return v
        }
        let issuer = try needed(.issuer, "https://sso.example.com/realms/corp")
        let redirect = try needed(.redirectURL, "https://ragd.example.com/auth/oidc/callback")
        guard URL(string: redirect)?.path == "/auth/oidc/callback" else {
            throw s.error(.redirectURL, "this server's address followed by /auth/oidc/callback")
        }
        var secret: String?
        if let name = try s.string(.clientSecretEnv) {
            guard let v = s.context.environment[name], !v.isEmpty else {
                throw ConfigurationError("\(s.context.file): server.oidc.client_secret_env names \(name), which is not set in the environment.")
            }
            secret = v
        }
        if let path = try s.string(.clientSecretFile) {
            guard secret == nil else { throw s.error(.clientSecretFile, "left out when client_secret_env is set") }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            else {
                throw ConfigurationError("\(s.context.file): server.oidc.client_secret_file \(path) cannot be read or is empty.")
            }
            secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        value = OIDCSettings(issuer: issuer, clientId: try needed(.clientId, "ragd"), clientSecret: secret, redirectURL: redirect)
        if let v = try s.strings(.scopes) {
            guard v.contains("openid") else { throw s.error(.scopes, "a list of scopes that includes openid") }
            value.scopes = v
        }
        if let v = try s.string(.usernameClaim) { value.usernameClaim = v }
        if let v = try s.string(.groupsClaim) { value.groupsClaim = v }
        if let v = try s.decode([String: String].self, .roleGroups, requirement: "a mapping of admin/auditor: group name") {
            for role in v.keys where role != "admin" && role != "auditor" {
                throw s.error(.roleGroups, "a mapping with the keys admin and auditor (it has '\(role)')")
            }
            value.roleGroups = v
        }
        if let v = try s.string(.providerName) { value.providerName = v }
        if let v = try s.bool(.allowPublicIssuer) { value.allowPublicIssuer = v }
    }
}

/// `server.trusted_header:`.
struct TrustedHeaderSection: Decodable {
    var value: ServerConfiguration.TrustedHeader

    enum CodingKeys: String, CodingKey, CaseIterable {
        case userHeader = "user_header"
        case groupsHeader = "groups_header"
        case trustedProxies = "trusted_proxies"
    }

    init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        guard let header = try s.string(.userHeader) else {
            throw ConfigurationError("\(s.context.file): server.trusted_header needs user_header (e.g. X-Remote-User).")
        }
        value = .init(userHeader: header, groupsHeader: try s.string(.groupsHeader),
                      trustedProxies: try s.strings(.trustedProxies) ?? ["127.0.0.1", "::1"])
    }
}

/// `routing:`, decoded onto RagAssistant's `RoutingPolicy`.
struct RoutingSection: Decodable {
    var value: RoutingPolicy

    enum CodingKeys: String, CodingKey, CaseIterable {
        case notFoundBelow = "not_found_below"
        case escalateBelow = "escalate_below"
        case escalateComplexQuestions = "escalate_complex_questions"
        case escalateOnFailedVerification = "escalate_on_failed_verification"
    }

    init(from decoder: any Decoder) throws {
        let s = try ConfigSection(decoder, CodingKeys.self)
        value = s.context.defaults.routing
        if let v = try s.fraction(.notFoundBelow) { value.notFoundBelow = v }
        if let v = try s.fraction(.escalateBelow) { value.escalateBelow = v }
        if let v = try s.bool(.escalateComplexQuestions) { value.escalateComplexQuestions = v }
        if let v = try s.bool(.escalateOnFailedVerification) { value.escalateOnFailedVerification = v }
    }
}
