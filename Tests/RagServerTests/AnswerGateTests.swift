import Foundation
@testable import RagServer
import RagStore
import RagTesting
import Testing

/// Admission control and sign-in costs: the parts of the server a slow or hostile client
/// could otherwise use against the others.
@Suite struct AnswerGateTests {
    /// Waits (up to 10 s) until `condition` holds.
    static func eventually(_ condition: @Sendable () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while await !condition() {
            guard ContinuousClock.now < deadline else { Issue.record("condition not reached in 10 s"); return }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func aCancelledWaiterLeavesTheLineAndGetsNoTurn() async throws {
        let gate = AnswerGate(maxRunning: 1, maxWaiting: 1, metrics: nil)
        try await gate.enter()  // the one running answer
        let cancelled = Task { try await gate.enter() }
        try await Self.eventually { await gate.waitingCount == 1 }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(await gate.waitingCount == 0, "the cancelled asker no longer holds the only place in line")

        // The place is free for the next asker, who gets the turn the cancelled one would have had.
        let next = Task { try await gate.enter() }
        try await Self.eventually { await gate.waitingCount == 1 }
        await gate.leave()
        try await next.value
        #expect(await gate.running == 1, "the turn passed to the next asker, not to the cancelled one")
        await gate.leave()
        #expect(await gate.running == 0)
    }

    /// Work that may be skipped (a draft's prefill) takes a free turn, and never one an asker
    /// waits for.
    @Test func aSkippableTurnIsTakenOnlyWhenNobodyWaits() async throws {
        let gate = AnswerGate(maxRunning: 2, maxWaiting: 4, metrics: nil)
        #expect(await gate.tryEnter())
        try await gate.enter()
        #expect(await gate.tryEnter() == false, "every turn is taken")
        let waiter = Task { try await gate.enter() }
        try await Self.eventually { await gate.waitingCount == 1 }
        await gate.leave()
        try await waiter.value
        #expect(await gate.running == 2)
        await gate.leave()
        #expect(await gate.tryEnter(), "a turn is free and nobody waits")
        await gate.leave()
        await gate.leave()
        #expect(await gate.running == 0)
    }

    @Test func anAlreadyCancelledAskerDoesNotQueue() async throws {
        let gate = AnswerGate(maxRunning: 1, maxWaiting: 4, metrics: nil)
        try await gate.enter()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await gate.enter()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(await gate.waitingCount == 0)
    }

    /// An unknown user name is verified against a dummy hash of the configured cost, so the
    /// time a wrong sign-in takes does not tell existing names from unknown ones.
    @Test(arguments: [4, 5]) func theUnknownUserHashHasTheConfiguredCost(_ cost: Int) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-gate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RagStore(configuration: StoreConfiguration(
            path: folder.appendingPathComponent("ragd.sqlite").path, vectorExtensionPath: TestModels.vectorExtension,
            embeddingDimensions: 4, embeddingModel: "none"))
        let accounts = Accounts(store: store, bcryptCost: cost)
        let hash = Accounts.unknownUserHash(cost: accounts.bcryptCost)
        #expect(hash.hasPrefix(String(format: "$2b$%02d$", cost)) || hash.hasPrefix(String(format: "$2a$%02d$", cost)),
                "hash: \(hash)")
        try await accounts.addUser(name: "alice", password: "correct horse battery", role: .employee, groups: [])
        let stored = try #require(try store.accounts.user(name: "alice")?.passwordHash)
        #expect(stored.prefix(7).suffix(3) == hash.prefix(7).suffix(3), "the same cost as a real account's hash")
        #expect(await accounts.authenticate(name: "mallory", password: "correct horse battery") == nil)
        #expect(await accounts.authenticate(name: "alice", password: "correct horse battery")?.name == "alice")
    }
}
