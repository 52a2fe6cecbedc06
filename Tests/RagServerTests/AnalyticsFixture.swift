import Foundation
import RagAssistant
import RagAudit
import RagCore
import RagIngest
import RagServer
import RagStore
import RagTesting

/// A small daemon of its own for the analytics tests, so their figures are exactly what they
/// seeded (the shared server fixture's history grows with every suite that asks): a public
/// handbook and a payroll source restricted to the group `payroll`, ingested with the real
/// embedding model, two admins (with and without the group), two employees, and a history
/// with feedback spread over three days.
actor AnalyticsFixture {
    static let shared = AnalyticsFixture()

    static let handbook = """
        # Remote access handbook

        ## VPN

        To reset your VPN password, open the self-service portal and choose Reset password. \
        The new password must be at least 14 characters long. For help, write to Jane Doe at \
        jane.doe@example.com or call the service desk.

        ## Parking

        Visitors park in the north garage. Employees need a parking badge from reception.
        """
    static let payroll = """
        # Payroll calendar

        Salaries are paid on the 25th of each month. Expense claims submitted by the 10th are \
        reimbursed with the same month's salary. Payroll questions go to the payroll office.
        """

    /// The price per 1,000 larger-tier tokens the fixture's server is configured with.
    static let price = 2.0

    struct Parts: Sendable {
        let store: RagStore
        let server: RagServer
        let auditLog: AuditLog
        let folder: URL
        let handbookId: Int64
        let payrollId: Int64
        let handbookSourceId: Int64
        let payrollSourceId: Int64
        /// API tokens by user: admins "ada" (no groups) and "pat" (payroll), employees "emma" (no groups) and "paul" (payroll).
        let tokens: [String: String]
        let userIds: [String: Int64]
    }

    private var parts: Parts?

    struct NotIngested: Error, CustomStringConvertible {
        let folder: String
        var description: String { "\(folder): the handbook and the payroll calendar were not both ingested" }
    }

    func get() async throws -> Parts {
        if let parts { return parts }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-analytics-\(UUID().uuidString)")
        let open = folder.appendingPathComponent("handbook"), restricted = folder.appendingPathComponent("payroll")
        for dir in [open, restricted] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        try Self.handbook.write(to: open.appendingPathComponent("remote-access.md"), atomically: true, encoding: .utf8)
        try Self.payroll.write(to: restricted.appendingPathComponent("payroll-calendar.md"), atomically: true, encoding: .utf8)
        let embedder = try TestModels.embedder.get()
        let store = try RagStore(configuration: StoreConfiguration(
            path: folder.appendingPathComponent("ragd.sqlite").path, vectorExtensionPath: TestModels.vectorExtension,
            embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier))
        let handbookSource = try store.addSource(root: open.path, name: "Handbook", groups: [])
        let payrollSource = try store.addSource(root: restricted.path, name: "Payroll", groups: ["payroll"])
        _ = try await IngestPipeline(store: store, embedder: embedder).ingest(paths: [open.path, restricted.path])
        let documents = try store.documents()
        guard let handbookId = documents.first(where: { $0.path.hasSuffix("remote-access.md") && $0.chunkCount > 0 })?.id,
              let payrollId = documents.first(where: { $0.path.hasSuffix("payroll-calendar.md") && $0.chunkCount > 0 })?.id
        else { throw NotIngested(folder: folder.path) }

        var configuration = ServerFixture.configuration
        configuration.largeModelPricePer1kTokens = Self.price
        // The assistant is never asked here: the history is seeded.
        let assistant = Assistant(retriever: Retriever(store: store, embedder: embedder), smallModel: try TestModels.chat.get())
        let auditLog = try AuditLog(path: folder.appendingPathComponent("ragd-audit.sqlite").path)
        let server = RagServer(store: store, assistant: assistant, configuration: configuration,
                               audit: AuditLogRecorder(log: auditLog, modelHashes: [:]))
        var tokens: [String: String] = [:], userIds: [String: Int64] = [:]
        for (name, role, groups) in [("ada", Role.admin, [String]()), ("pat", .admin, ["payroll"]),
                                     ("emma", .employee, []), ("paul", .employee, ["payroll"])] {
            let user = try await server.accounts.addUser(name: name, password: ServerFixture.password, role: role, groups: groups)
            tokens[name] = try server.accounts.issueToken(for: user, name: "tests")
            userIds[name] = user.id!
        }
        _ = try store.accounts.updateUser(name: "emma") { $0.displayName = "Emma Stone" }

        let parts = Parts(store: store, server: server, auditLog: auditLog, folder: folder, handbookId: handbookId,
                          payrollId: payrollId, handbookSourceId: handbookSource.id!, payrollSourceId: payrollSource.id!,
                          tokens: tokens, userIds: userIds)
        try seed(parts)
        self.parts = parts
        return parts
    }

    /// One seeded answer: what the history keeps of it.
    struct Seed {
        var user: String
        var question: String
        var path: AnswerPath
        /// Documents shown, in order (numbered from 1); the first is cited unless the path is not found.
        var shown: [Int64]
        var daysAgo: Int
        var firstShownMs: Double
        var tokens: Int = 0
        var largeTokens: Int = 0
        var verification: String? = "passed"
        var helpful: Bool? = nil
        var comment: String? = nil
        var answer = "An answer [1]."
        /// The passages the larger model was given (large_model answers).
        var passages: [HistoryPassage]? = nil
    }

    static func handbookPassage(_ p: Parts) -> HistoryPassage {
        HistoryPassage(number: 1, documentId: p.handbookId, heading: "Remote access handbook › VPN",
                       text: "To reset your VPN password, open the self-service portal and choose Reset password. For help, "
                           + "write to Jane Doe at jane.doe@example.com or call the service desk.")
    }

    /// The seeded history. Handbook: 6 answers (3 rated: 1 not helpful), payroll: 2 answers (2
    /// rated, both not helpful, one with a comment only payroll readers may see).
    static func seeds(_ p: Parts) -> [Seed] {
        let (h, pay) = (p.handbookId, p.payrollId)
        return [
            // Content gaps: three wordings of one VPN question, one parking question.
            Seed(user: "emma", question: "How do I reset my VPN token on a phone?", path: .notFound, shown: [h], daysAgo: 2,
                 firstShownMs: 100, verification: nil),
            Seed(user: "emma", question: "VPN token reset on my phone", path: .notFound, shown: [h], daysAgo: 1, firstShownMs: 200,
                 verification: nil),
            Seed(user: "paul", question: "reset vpn token phone?", path: .notFound, shown: [h], daysAgo: 0, firstShownMs: 300,
                 verification: nil),
            Seed(user: "emma", question: "=1+1 can I bring my dog to the office?", path: .notFound, shown: [h], daysAgo: 0,
                 firstShownMs: 400, verification: nil),
            // Answers resting on the handbook.
            Seed(user: "emma", question: "How long must the VPN password be?", path: .smallModel, shown: [h], daysAgo: 2,
                 firstShownMs: 500, tokens: 400, helpful: true, comment: "Clear <b>and</b> quick"),
            Seed(user: "emma", question: "How do I reset my VPN password?", path: .largeModel, shown: [h], daysAgo: 1,
                 firstShownMs: 600, tokens: 900, largeTokens: 500, helpful: false, comment: "Too slow",
                 answer: "Open the self-service portal and choose Reset password [1]. Emma Stone, write to jane.doe@example.com [1].",
                 passages: [handbookPassage(p)]),
            Seed(user: "paul", question: "Where do visitors park?", path: .quotedFallback, shown: [h], daysAgo: 0,
                 firstShownMs: 700, tokens: 300, verification: "failed", helpful: true),
            // Answers resting on the payroll calendar (restricted).
            Seed(user: "paul", question: "When are salaries paid?", path: .largeModel, shown: [pay, h], daysAgo: 0,
                 firstShownMs: 800, tokens: 1100, largeTokens: 1000, helpful: false, comment: "Salary secret comment",
                 answer: "Salaries are paid on the 25th of each month [1].",
                 passages: [HistoryPassage(number: 1, documentId: pay, heading: "Payroll calendar",
                                           text: "Salaries are paid on the 25th of each month."), handbookPassage(p)]),
            Seed(user: "paul", question: "When are expense claims reimbursed?", path: .smallModel, shown: [pay], daysAgo: 1,
                 firstShownMs: 900, tokens: 350, verification: "failed", helpful: false),
            Seed(user: "paul", question: "Payroll office opening hours?", path: .notFound, shown: [pay], daysAgo: 0,
                 firstShownMs: 1000, verification: nil),
        ] + evalSeeds(p)
    }

    /// Older than any analytics window (366 days at most), for `ragd eval --from-history`:
    /// helpful questions of askers with and without the payroll group.
    static func evalSeeds(_ p: Parts) -> [Seed] {
        let (h, pay) = (p.handbookId, p.payrollId)
        return [
            Seed(user: "emma", question: "How long must a new VPN password be?", path: .smallModel, shown: [h], daysAgo: 400,
                 firstShownMs: 1, helpful: true),
            Seed(user: "paul", question: "When are salaries paid each month?", path: .smallModel, shown: [pay], daysAgo: 400,
                 firstShownMs: 1, helpful: true),
            // Emma once read the payroll calendar; she may not now: skipped.
            Seed(user: "emma", question: "When are salaries paid?", path: .smallModel, shown: [pay], daysAgo: 400,
                 firstShownMs: 1, helpful: true),
            // About salaries, but answered from the handbook: evaluated over what emma may read.
            Seed(user: "emma", question: "What day of the month are salaries paid?", path: .smallModel, shown: [h], daysAgo: 400,
                 firstShownMs: 1, helpful: true),
            Seed(user: "emma", question: "Is parking free for employees?", path: .smallModel, shown: [h], daysAgo: 400,
                 firstShownMs: 1, helpful: false),
            Seed(user: "emma", question: "What is the VPN password length?", path: .smallModel, shown: [h], daysAgo: 400,
                 firstShownMs: 1),
        ]
    }

    private func seed(_ p: Parts) throws {
        let now = Date()
        for s in Self.seeds(p) {
            let sources = s.shown.enumerated().map { i, id in
                HistorySource(number: i + 1, documentId: id, title: id == p.handbookId ? "Remote access handbook" : "Payroll calendar",
                              location: "", link: "/documents/\(id)")
            }
            var entry = HistoryRecord(userId: p.userIds[s.user]!, question: s.question, answer: s.answer, path: s.path,
                                      sources: sources, createdAt: now.addingTimeInterval(-Double(s.daysAgo) * 86_400))
            entry.channel = "web"
            entry.firstShownMs = s.firstShownMs
            entry.promptTokens = s.tokens * 3 / 4
            entry.generatedTokens = s.tokens - s.tokens * 3 / 4
            entry.largeModelTokens = s.largeTokens
            entry.verification = s.verification
            entry.withheld = 0
            entry.citedNumbers = s.path == .notFound ? [] : [1]
            entry.passageList = s.passages
            let saved = try p.store.history.add(entry)
            if let helpful = s.helpful {
                try p.store.history.setFeedback(historyId: saved.id!, userId: saved.userId, helpful: helpful, comment: s.comment)
            }
        }
    }
}
