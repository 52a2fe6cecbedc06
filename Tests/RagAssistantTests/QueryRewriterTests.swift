import Foundation
@testable import RagAssistant
import RagInference
import RagStore
import RagTesting
import Testing

/// Follow-ups searched for with what came before; self-contained questions left alone.
@Suite struct QueryRewriterTests {
    static let wal = Conversation(turns: [.init(question: "How do I switch a database to write-ahead logging (WAL) mode?")])

    @Test(arguments: [
        "How do I turn it off?", "And for columns?", "What about on a read-only medium?", "Which version added that?",
        "Is that the default?", "Why?", "Are they kept after a crash?", "Can it be used over a network file system?",
        "How much free disk space do I need before running it?",
    ])
    func followUpsLeanOnTheConversation(_ question: String) {
        #expect(FollowUpDetector.leansOnContext(question), "\(question)")
    }

    @Test(arguments: [
        "How do I find out which Debian release I am running?", "Is it possible to store JSON in an SQLite column?",
        "What is the maximum number of columns that a table can have?", "How long does it take to rebuild an FTS5 index?",
        "Which package contains the sqlite3 command-line shell?",
        "How long may a checkpoint of a busy WAL file take before it blocks new writers?",
    ])
    func selfContainedQuestionsStandAlone(_ question: String) {
        #expect(!FollowUpDetector.leansOnContext(question), "\(question)")
    }

    @Test func carryOverAddsThePreviousSearchsKeyWordsAndChainsOn() async {
        let rewriter = QueryRewriter(strategy: .carryOver)
        let second = await rewriter.rewrite("How do I turn it off?", after: Self.wal)
        #expect(second.method == .carryOver)
        #expect(second.query.hasPrefix("How do I turn it off?"))
        #expect(second.query.contains("WAL") && second.query.contains("write-ahead"), "\(second.query)")
        #expect(!second.query.contains("(How"), "question words are not carried")
        // Two turns on: the referent is still found, because each search holds what it carried.
        var conversation = Self.wal
        conversation.turns.append(.init(question: "How do I turn it off?", searchedFor: second.query, answer: "Use PRAGMA journal_mode=DELETE."))
        let third = await rewriter.rewrite("Does that need a lock?", after: conversation)
        #expect(third.query.contains("WAL"), "\(third.query)")
    }

    @Test func aSelfContainedQuestionOrNoHistoryIsSearchedForAsTyped() async {
        let rewriter = QueryRewriter(strategy: .carryOver)
        let standalone = "How do I find out which Debian release I am running?"
        #expect(await rewriter.rewrite(standalone, after: Self.wal) == QueryRewrite(query: standalone, method: .none))
        #expect(await rewriter.rewrite("How do I turn it off?", after: .empty).method == .none)
        #expect(await QueryRewriter(strategy: .off).rewrite("How do I turn it off?", after: Self.wal).method == .none)
    }

    /// The deadline does not wait for a body that ignores cancellation (a model busy with
    /// another answer): with a task group it would wait here for ever.
    @Test func theDeadlineReturnsWithoutWaitingForTheBody() async throws {
        let gate = Gate()
        await #expect(throws: DeadlineExceeded.self) {
            _ = try await withDeadline(.milliseconds(20)) {
                await gate.wait()
                return 1
            }
        }
        await gate.open()
        // The caller's cancellation ends the wait at once too.
        let second = Gate()
        let task = Task { try await withDeadline(.seconds(3600)) { await second.wait(); return 2 } }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        await second.open()
    }

    /// A wait that ignores cancellation until `open()`.
    actor Gate {
        private var waiters: [CheckedContinuation<Void, Never>] = []
        private var isOpen = false
        func wait() async {
            if isOpen { return }
            await withCheckedContinuation { waiters.append($0) }
        }
        func open() {
            isOpen = true
            for waiter in waiters { waiter.resume() }
            waiters = []
        }
    }

    @Test func theContextIsBoundedToTheLastTurns() async {
        var limits = ConversationLimits()
        limits.contextTurns = 1
        let conversation = Conversation(turns: [
            .init(question: "How large can a BLOB be?"), .init(question: "What is the default page size?"),
        ])
        let rewritten = await QueryRewriter(strategy: .carryOver, limits: limits).rewrite("Can it be changed later?", after: conversation)
        #expect(rewritten.query.contains("page") && !rewritten.query.contains("BLOB"), "\(rewritten.query)")
        let long = Conversation(turns: [.init(question: "q", answer: String(repeating: "a", count: 1000))])
        #expect(limits.context(of: long)[0].answer.count == limits.answerCharacters + 1)
    }

    @Test func theModelsRewriteIsBoundedInTimeAndFallsBackToTheCarryOver() async throws {
        let model = try TestModels.chat.get()
        // No 0.5B model answers in a millisecond: the rewrite falls back, and says why.
        let hurried = QueryRewriter(strategy: .model, model: model, timeout: .milliseconds(1))
        let fallback = await hurried.rewrite("How do I turn it off?", after: Self.wal)
        #expect(fallback.method == .carryOver)
        #expect(fallback.fallbackReason?.contains("longer than") == true, "\(fallback.fallbackReason ?? "")")

        // With time, the model's rewrite is used when it passes the drift guard, else the carry-over.
        let patient = QueryRewriter(strategy: .model, model: model, timeout: .seconds(60))
        let rewritten = await patient.rewrite("How do I turn it off?", after: Self.wal)
        #expect(rewritten.method == .model || rewritten.fallbackReason != nil, "\(rewritten)")
        #expect(rewritten.query.uppercased().contains("WAL") || rewritten.query.lowercased().contains("write-ahead"), "\(rewritten.query)")
    }

    @Test func aRewriteThatDriftsIsRefused() async throws {
        let context = Self.wal.turns
        // Invented subject matter, a lost question and a runaway reply are all refused.
        #expect(QueryRewriter.drift("How do I disable PostgreSQL replication slots?", question: "How do I turn it off?", context: context) != nil)
        #expect(QueryRewriter.drift("WAL mode", question: "Which checkpoint settings apply to it?", context: context) != nil)
        #expect(QueryRewriter.drift(String(repeating: "WAL ", count: 100), question: "How do I turn it off?", context: context) != nil)
        #expect(QueryRewriter.drift("How do I turn off write-ahead logging (WAL) mode?", question: "How do I turn it off?", context: context) == nil)
    }
}
