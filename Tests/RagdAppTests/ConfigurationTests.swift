import Foundation
import Testing

@testable import RagdApp

/// The YAML configuration as `ragd --config FILE` reads it: precedence, and every key named when it is wrong.
@Suite struct ConfigurationTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// Writes `yaml` to a file and loads it with `environment` (RAGD_CACHE points into the test folder).
    func load(_ yaml: String, environment: [String: String] = [:],
              flags: CommandLineFlags = CommandLineFlags()) throws -> RagdConfiguration {
        let file = folder.appendingPathComponent("ragd-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        var environment = environment
        environment["RAGD_CACHE"] = folder.path
        return try RagdConfiguration.load(file: file, environment: environment, flags: flags)
    }

    /// The error text of loading `yaml`, or nil when it loads.
    func failure(_ yaml: String, environment: [String: String] = [:]) -> String? {
        do {
            _ = try load(yaml, environment: environment)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aFileSetsEveryLevelAndAMissingKeyKeepsItsDefault() throws {
        let configuration = try load("""
            database: /srv/ragd/ragd.sqlite
            models:
              threads: 3
              embedding_max_tokens: 300
            search:
              rescore_candidates: 120
            routing:
              escalate_below: 0.25
              escalate_complex_questions: false
            server:
              port: 9090
              trusted_header:
                user_header: X-Remote-User
                trusted_proxies: [10.0.0.1]
            ingest:
              ocr_max_pages: 0
            conversations:
              query_rewrite: model
              context_turns: 2
            large_model: false
            """)
        let defaults = RagdConfiguration.defaults(environment: ["RAGD_CACHE": folder.path])
        #expect(configuration.database == "/srv/ragd/ragd.sqlite")
        #expect(configuration.models.threads == 3)
        #expect(configuration.models.embeddingMaxTokens == 300)
        #expect(configuration.models.chat == defaults.models.chat)
        #expect(configuration.search.rescoreCandidates == 120)
        #expect(configuration.routing.escalateBelow == 0.25)
        #expect(configuration.routing.escalateComplexQuestions == false)
        #expect(configuration.routing.notFoundBelow == defaults.routing.notFoundBelow)
        #expect(configuration.server.port == 9090)
        #expect(configuration.conversations.queryRewrite == .model)
        #expect(configuration.conversations.limits.contextTurns == 2)
        #expect(configuration.conversations.limits.maxTurns == defaults.conversations.limits.maxTurns)
        #expect(configuration.server.host == defaults.server.host)
        #expect(configuration.server.trustedHeader?.trustedProxies == ["10.0.0.1"])
        #expect(configuration.ingest.ocrMaxPages == 0)
        #expect(configuration.largeModel == nil)
    }

    /// A file that sets what the environment and the flags can set too.
    static let overridable = """
        database: from-file.sqlite
        server:
          host: 0.0.0.0
          port: 9090
        """

    @Test func theEnvironmentOverridesTheFile() throws {
        let yaml = Self.overridable
        let fileOnly = try load(yaml)
        #expect(fileOnly.database == "from-file.sqlite")
        #expect(fileOnly.server.port == 9090)

        let both = try load(yaml, environment: ["RAGD_DB": "from-env.sqlite", "RAGD_HOST": "127.0.0.2", "RAGD_PORT": "8181"])
        #expect(both.database == "from-env.sqlite")
        #expect(both.server.host == "127.0.0.2")
        #expect(both.server.port == 8181)

        let message = failure(yaml, environment: ["RAGD_PORT": "80a"])
        #expect(message?.contains("RAGD_PORT") == true, "\(message ?? "loaded")")
    }

    @Test func flagsOverrideTheEnvironmentAndTheFile() throws {
        let yaml = Self.overridable
        let environment = ["RAGD_DB": "from-env.sqlite", "RAGD_HOST": "127.0.0.2", "RAGD_PORT": "8181"]
        let flagged = try load(yaml, environment: environment,
                               flags: CommandLineFlags(database: "from-flag.sqlite", host: "127.0.0.3", port: 0))
        #expect(flagged.database == "from-flag.sqlite")
        #expect(flagged.server.host == "127.0.0.3")
        #expect(flagged.server.port == 0)

        // A flag not given leaves what the environment said.
        let partly = try load(yaml, environment: environment, flags: CommandLineFlags(port: 7070))
        #expect(partly.database == "from-env.sqlite")
        #expect(partly.server.host == "127.0.0.2")
        #expect(partly.server.port == 7070)
    }

    @Test(arguments: [
        ("models:\n  thread: 2\n", "models.thread"),
        ("search:\n  rescore: 10\n", "search.rescore"),
        ("routing:\n  escalate_bellow: 0.2\n", "routing.escalate_bellow"),
        ("large_model:\n  url: http://127.0.0.1:8081/v1\n  model: m\n  contxt: 4096\n", "large_model.contxt"),
        ("large_model:\n  launch:\n    prot: 8081\n", "large_model.launch.prot"),
        ("server:\n  trusted_header:\n    user_header: X-User\n    group_header: X-Groups\n", "server.trusted_header.group_header"),
        ("ingest:\n  timeout: 5\n", "ingest.timeout"),
        ("conversations:\n  rewrite: model\n", "conversations.rewrite"),
        ("modles:\n  chat: x.gguf\n", "modles"),
        ("redaction:\n  kind: [EMAIL]\n", "redaction.kind"),
        ("sources:\n  - root: /srv/a\n    sync:\n      evry: 15m\n", "sources[0].sync.evry"),
        ("sources:\n  - root: /srv/a\n  - root: /srv/b\n    group: [hr]\n", "sources[1].group"),
    ])
    func anUnknownKeyIsNamedWithItsPath(yaml: String, key: String) {
        let message = failure(yaml)
        #expect(message?.contains("unknown key '\(key)'") == true, "\(message ?? "loaded")")
    }

    @Test(arguments: [
        ("models:\n  threads: two\n", "models.threads must be a positive integer"),
        ("models:\n  embedding_max_tokens: 4\n", "models.embedding_max_tokens must be an integer from 64 to 8192"),
        ("models: fast\n", "models must be a mapping"),
        ("routing:\n  escalate_below: 1.5\n", "routing.escalate_below must be a number from 0 to 1"),
        ("server:\n  port: 70000\n", "server.port must be an integer from 1 to 65535"),
        ("server:\n  bcrypt_cost: 4\n", "server.bcrypt_cost must be an integer from 10 to 16"),
        ("server:\n  trusted_header:\n    user_header: X-User\n    trusted_proxies: 10.0.0.1\n",
         "server.trusted_header.trusted_proxies must be a list of strings"),
        ("ingest:\n  file_memory_mb: 64\n", "ingest.file_memory_mb must be an integer of at least 256"),
        ("large_model: true\n", "large_model must be a mapping"),
        ("conversations:\n  query_rewrite: llm\n", "conversations.query_rewrite is 'llm'; use off, carry_over, model"),
        ("conversations:\n  context_turns: 99\n", "conversations.context_turns must be an integer from 0 to 20"),
        ("- a\n- b\n", "must be a mapping of keys"),
        ("redaction:\n  kinds: [EMAIL, PASSPORT]\n", "redaction.kinds must be a list of kinds from EMAIL, IBAN"),
        ("redaction:\n  patterns:\n    EMPLOYEE_ID: 'EMP-[0-9'\n", "redaction.patterns: The redaction pattern EMPLOYEE_ID is not a valid regular expression"),
        ("redaction:\n  patterns:\n    employee: 'EMP-[0-9]+'\n", "redaction.patterns: The redaction pattern name 'employee' must be upper-case"),
        ("redaction:\n  enabled: maybe\n", "redaction.enabled must be true or false"),
        ("large_model:\n  launch: {}\n  price_per_1k_tokens: -0.5\n", "large_model.price_per_1k_tokens must be a number of at least 0"),
        ("large_model:\n  launch: {}\n  price_per_1k_tokens: cheap\n", "large_model.price_per_1k_tokens must be a number of at least 0"),
        ("sources:\n  - root: /srv/a\n    sync:\n      every: 5s\n", "sources[0].sync.every must be an interval such as 30s, 15m, 2h or 1d (at least 10s)"),
        ("sources:\n  - root: /srv/a\n    sync:\n      daily_at: '25:00'\n", "sources[0].sync.daily_at must be a time of day"),
        ("sources:\n  - name: Policies\n", "sources[0].root must be the source folder's path"),
        ("sources:\n  - root: /srv/a\n  - root: /srv/a/\n", "sources lists /srv/a twice"),
        ("sources: /srv/a\n", "sources must be a list of sources"),
    ])
    func aWrongValueIsNamedWithWhatItMustBe(yaml: String, expected: String) {
        let message = failure(yaml)
        #expect(message?.contains(expected) == true, "\(message ?? "loaded")")
        #expect(message?.contains("DecodingError") == false, "said in the administrator's words: \(message ?? "")")
    }

    @Test func anEmptyFileKeepsEveryDefaultAndOffTurnsTheLargerModelOff() throws {
        let defaults = RagdConfiguration.defaults(environment: ["RAGD_CACHE": folder.path])
        #expect(try load("") == defaults)
        #expect(try load("# only a comment\n") == defaults)
        #expect(try load("large_model: off\n").largeModel == nil)
        let launched = try load("large_model:\n  launch:\n    port: 9091\n    context: 2048\n")
        #expect(launched.largeModel?.url == "http://127.0.0.1:9091/v1")
        #expect(launched.largeModel?.context == 2048, "the served context follows the launched one")
        #expect(launched.largeModel?.launch?.server == defaults.largeModel?.launch?.server
                    ?? RagdConfiguration.defaultLaunch(cache: folder.path).server)
        #expect(launched.largeModel?.pricePer1kTokens == 0, "on-prem costs nothing unless a price is set")
    }

    /// The larger tier's price reaches the server, which shows cost per route with it.
    @Test func aPricePerThousandTokensReachesTheServer() throws {
        let priced = try load("large_model:\n  url: http://10.0.0.5:8000/v1\n  model: big\n  price_per_1k_tokens: 0.002\n")
        #expect(priced.largeModel?.pricePer1kTokens == 0.002)
        #expect(try load("large_model:\n  launch: {}\n  price_per_1k_tokens: 3\n").largeModel?.pricePer1kTokens == 3)
    }

    @Test func sourcesInTheFileAreAddedAndSetBackToWhatItSays() throws {
        let policies = folder.appendingPathComponent("policies").path
        let payroll = folder.appendingPathComponent("payroll").path
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "RAGD_DB")
        let file = folder.appendingPathComponent("sources.yaml").path
        try """
            database: \(folder.path)/ragd.sqlite
            large_model: false
            sources:
              - root: \(policies)
                name: Policies
                sync:
                  every: 15m
                  on_change: true
              - root: \(payroll)
                groups: [hr]
                on_prem_only: true
                sync:
                  daily_at: "02:30"
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try RagdConfiguration.load(file: file, environment: environment)
        #expect(configuration.sources.map(\.syncSeconds) == [900, nil])
        let context = try AppContext(configuration: configuration)
        let first = try context.applyConfiguredSources()
        #expect(first.map { $0.details["changed"] } == ["added,sync", "added,escalation,sync"])
        let sources = try context.store.sources().map(\.source)
        let p = try #require(sources.first { $0.root == policies })
        let h = try #require(sources.first { $0.root == payroll })
        #expect(p.name == "Policies" && p.syncSeconds == 900 && p.syncOnChange && p.nextSyncAt != nil)
        #expect(h.groups == "[\"hr\"]" && h.onPremOnly && h.syncDailyAt == "02:30" && h.syncSeconds == nil)
        // Unchanged at the next start: nothing to record.
        #expect(try context.applyConfiguredSources().isEmpty)
        // A change made elsewhere (the admin page) to a listed source is set back.
        try context.store.setSourceSync(id: p.id!, seconds: nil)
        try context.store.setSourceOnPremOnly(id: h.id!, false)
        #expect(try context.applyConfiguredSources().map { $0.details["changed"] } == ["sync", "escalation"])
    }

    @Test func theExampleConfigurationLoads() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../deploy/ragd.example.yaml").standardized.path
        let configuration = try RagdConfiguration.load(file: example, environment: ["RAGD_CACHE": folder.path])
        #expect(configuration.models.chatContext > 0)
        #expect(configuration.redaction.enabled && configuration.redaction.patterns["EMPLOYEE_ID"] != nil)
    }
}
