import Foundation
import RagAssistant
import RagIngest
import RagInference
import RagPrivacy
import RagStore
import RagTesting
import Testing

/// What leaves for the larger model, read off the wire: a recording proxy on loopback in front
/// of the real llama-server records every byte ragd sends it.
@Suite(.serialized) struct PrivacyOnTheWireTests {
    /// Planted in the handbook: each must reach the larger model only as a placeholder.
    static let planted = [
        "Priya Raman", "priya.raman@corp.example", "+49 30 901820", "DE89 3704 0044 0532 0130 00", "DE89370400440532013000",
        "4111 1111 1111 1111", "123-45-6789", "10.20.30.40",
    ]
    static let handbook = """
        # Payroll and expenses

        Payroll questions are handled by Priya Raman in the finance office. Write to priya.raman@corp.example \
        or call +49 30 901820 on weekdays between 9 and 12. Salaries are paid on the 25th of each month.

        Expense refunds are paid to the company account IBAN DE89 3704 0044 0532 0130 00 within ten working days. \
        The corporate card 4111 1111 1111 1111 is for travel only. The payroll export for tax ID 123-45-6789 \
        runs on the server at 10.20.30.40 every night.
        """
    /// Phrases of the confidential source: none may reach the larger model at all.
    static let confidential = ["Project Nightjar", "Fabrikam", "41 million"]
    static let boardMinutes = """
        # Board minutes, March

        Project Nightjar: the board approved the acquisition of Fabrikam for 41 million euros. \
        The deal closes at the end of the second quarter, and staff are told after signing.
        """

    @Test func personalDataAndOnPremSourcesNeverReachTheLargerModel() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-wire-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, text) in [("handbook/payroll.md", Self.handbook), ("board/minutes.md", Self.boardMinutes)] {
            let file = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        let embedder = try TestModels.embedder.get()
        let store = try RagStore(configuration: StoreConfiguration(
            path: folder.appendingPathComponent("ragd.sqlite").path, vectorExtensionPath: TestModels.vectorExtension,
            embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier))
        try store.accounts.addUser(UserRecord(name: "priya", passwordHash: nil, role: .employee, groups: [],
                                              displayName: "Priya Raman"))
        let pipeline = IngestPipeline(store: store, embedder: embedder)
        _ = try await pipeline.ingest(paths: [folder.appendingPathComponent("handbook").path])

        let server = try await LargeModelServer.shared.server()
        let proxy = try RecordingProxy(upstreamPort: server.configuration.port)
        defer { proxy.stop() }
        let remote = RemoteChatModel(endpoint: RemoteEndpoint(baseURL: proxy.baseURL, model: LargeModelServer.modelName),
                                     contextLength: 4096)
        let large = RedactingChatModel(remote, redactors: RedactorSource(store: store))
        // Every question goes to the larger model (confidence is always below 0.99).
        var assistant = Assistant(retriever: Retriever(store: store, embedder: embedder), smallModel: try TestModels.chat.get(),
                                  largeModel: large, policy: RoutingPolicy(notFoundBelow: 0.0, escalateBelow: 0.99))
        assistant.quotedFallbackEnabled = true

        // 1. Escalated questions whose sources hold personal data (the prompt keeps the
        // sentences that match each question, so two questions between them send every kind).
        // The shared llama-server serves other suites too and answers 503 while busy; the
        // assistant then answers on-prem (as it should), so a question is asked again until
        // the larger model took it.
        // Another suite SIGKILLs it to test the restart: a reply cut off after its first sentence
        // is an error (what was shown cannot be taken back), and the question is asked again.
        func escalated(_ question: String) async throws -> Answer {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    let answer = try await assistant.complete(question, access: .unrestricted)
                    guard attempt < 6, answer.route.reason.contains("the larger model failed") else { return answer }
                } catch let error where attempt < 6 && !(error is CancellationError) {
                    print("PrivacyOnTheWireTests: the larger model's reply broke off (\(error)); asking again")
                }
                try await Task.sleep(for: .seconds(3))
            }
        }
        let payroll = try await escalated("Who handles payroll questions and how can I reach them?")
        #expect(payroll.route.target == .large, "\(payroll.route.reason)")
        let export = try await escalated("Which server runs the nightly payroll export, for which tax ID, and which card is for travel?")
        #expect(export.route.target == .large, "\(export.route.reason)")
        let wire = proxy.recorded
        #expect(wire.contains("POST /v1/chat/completions"), "the request went through the proxy")
        for value in Self.planted { #expect(!wire.contains(value), "'\(value)' was sent to the larger model") }
        for placeholder in ["[PERSON_1]", "[EMAIL_1]", "[PHONE_1]", "[IBAN_1]", "[CARD_1]", "[SSN_1]", "[IP_1]"] {
            #expect(wire.contains(placeholder), "\(placeholder) missing from the request")
        }
        #expect(payroll.redacted["EMAIL"] == 1 && payroll.redacted["PERSON", default: 0] >= 1, "\(payroll.redacted)")
        // What the reader sees has the values back, never a placeholder.
        #expect(!payroll.text.contains("_1]"), "\(payroll.text)")

        // 2. A source kept on-prem: a question it answers is not escalated, and says why.
        _ = try await pipeline.ingest(paths: [folder.appendingPathComponent("board").path])
        let board = try #require(try store.sources().first { $0.source.root.hasSuffix("/board") })
        try store.setSourceOnPremOnly(id: board.source.id!, true)
        let before = proxy.recorded.count
        let merger = try await assistant.complete("What did the board approve in Project Nightjar?", access: .unrestricted)
        #expect(merger.route.target == .small, "\(merger.route.reason)")
        #expect(merger.route.reason.contains("kept on-prem"), "\(merger.route.reason)")
        #expect(!merger.keptOnPrem.isEmpty)
        #expect(merger.sources.contains { $0.text.contains("Fabrikam") })

        // 3. Whatever else is asked, nothing of the board's minutes crosses the wire.
        _ = try await assistant.complete("When are salaries paid?", access: .unrestricted)
        let after = proxy.recorded
        for phrase in Self.confidential { #expect(!after.contains(phrase), "'\(phrase)' was sent to the larger model") }
        for value in Self.planted { #expect(!after.contains(value), "'\(value)' was sent to the larger model") }
        #expect(after.count >= before)
    }
}
