import Foundation
import RagInference
import RagTesting
import Testing

/// The default chat model (Qwen2.5-Coder-0.5B-Instruct), in-process, answering from a short context.
@Suite(.serialized) struct ChatModelTests {
    static let context = """
        Source [1]: The Oslo office badge desk is on floor 7. Lost badges are replaced there \
        by Ingrid Halvorsen between 9:00 and 11:00.
        """

    static let messages: [ChatMessage] = [
        .system("Answer the question using only the source. Be brief."),
        .user("\(context)\n\nQuestion: On which floor is the Oslo badge desk?"),
    ]

    @Test func answersWithTheFactFromTheContext() async throws {
        let model = try TestModels.chat.get()
        let reply = try await model.complete(Self.messages, options: GenerationOptions(maxTokens: 40))
        #expect(reply.text.contains("7"), "reply: \(reply.text)")
        #expect(reply.stats.generatedTokens > 0)
        #expect(reply.stats.promptTokens > 40)
        #expect([.endOfGeneration, .tokenLimit].contains(reply.stats.finishReason))
    }

    /// SmolLM2-135M stays a configured option (`models.chat`): it loads and answers too.
    @Test func theEarlierDefaultStillLoadsAndAnswers() async throws {
        let model = try LlamaChatModel(configuration: LlamaChatConfiguration(
            modelPath: try TestModels.require(TestModels.smolLM2Path), contextLength: 1024, threads: 2))
        let reply = try await model.complete(Self.messages, options: GenerationOptions(maxTokens: 16))
        #expect(reply.stats.generatedTokens > 0)
        #expect(!reply.text.isEmpty)
    }

    @Test func streamingYieldsTheSameTextAsACompleteCall() async throws {
        let model = try TestModels.chat.get()
        let options = GenerationOptions(maxTokens: 32)
        let whole = try await model.complete(Self.messages, options: options)
        var pieces: [String] = []
        var stats: GenerationStats?
        for try await event in model.stream(Self.messages, options: options) {
            switch event {
            case .text(let piece): pieces.append(piece)
            case .finished(let s): stats = s
            }
        }
        #expect(pieces.joined() == whole.text)
        #expect(pieces.count > 1, "the reply should arrive in pieces")
        // The second call shares the whole prompt with the first: its state comes from the cache.
        #expect((stats?.cachedPromptTokens ?? 0) > 0)
    }

    @Test func cancellingStopsGenerationPromptly() async throws {
        let model = try TestModels.chat.get()
        let long = [ChatMessage.user("Write a very long story about a lighthouse keeper, in many chapters.")]
        let options = GenerationOptions(maxTokens: 2000, temperature: 0.8, repeatPenalty: 1.3)
        let task = Task { () -> Int in
            var count = 0
            for try await event in model.stream(long, options: options) {
                if case .text = event { count += 1 }
            }
            return count
        }
        try await Task.sleep(for: .milliseconds(400))
        let clock = ContinuousClock()
        let cancelledAt = clock.now
        task.cancel()
        let count = try? await task.value
        let stopDelay = clock.now - cancelledAt
        #expect(stopDelay < .seconds(1), "stopped after \(stopDelay)")
        #expect((count ?? 0) < 2000)
        // The model is free again right away.
        let after = try await model.complete([.user("Say OK.")], options: GenerationOptions(maxTokens: 4))
        #expect(after.stats.generatedTokens > 0)
    }

    /// A question asked while another reply is being written is answered in the same decode
    /// batches: it does not wait for the other reply's end.
    @Test func aNewQuestionIsAnsweredWhileAnotherReplyIsStillBeingWritten() async throws {
        let model = try TestModels.chat.get()
        let log = EventLog()
        let long = Task {
            var first = true
            for try await event in model.stream(
                [.user("Count from 1 to 300, one number per line, nothing else.")],
                options: GenerationOptions(maxTokens: 200, repeatPenalty: 1))
            {
                if case .text = event, first { first = false; await log.add("long: first text") }
                if case .finished(let stats) = event { await log.add("long: finished \(stats.finishReason.rawValue)") }
            }
        }
        while await !log.entries.contains("long: first text") { try await Task.sleep(for: .milliseconds(20)) }
        let short = try await model.complete(Self.messages, options: GenerationOptions(maxTokens: 40))
        await log.add("short: finished")
        try await long.value
        let entries = await log.entries
        #expect(entries == ["long: first text", "short: finished", "long: finished length"], "\(entries)")
        #expect(short.text.contains("7"), "reply: \(short.text)")
    }

    /// Replies decoded in one batch keep to their own sequences: each gets its own answer.
    @Test func repliesInOneBatchEachAnswerTheirOwnQuestion() async throws {
        let model = try TestModels.chat.get()
        #expect(model.parallel > 1)
        let questions = [
            ("On which floor is the Oslo badge desk?", "7"),
            ("Who replaces lost badges?", "Ingrid"),
            ("Until what time are lost badges replaced?", "11"),
        ]
        let replies = try await withThrowingTaskGroup(of: (Int, ChatCompletion).self) { group in
            for (i, (question, _)) in questions.enumerated() {
                group.addTask {
                    let messages: [ChatMessage] = [
                        .system("Answer the question using only the source. Be brief."),
                        .user("\(Self.context)\n\nQuestion: \(question)"),
                    ]
                    return (i, try await model.complete(messages, options: GenerationOptions(maxTokens: 40)))
                }
            }
            return try await group.reduce(into: [Int: ChatCompletion]()) { $0[$1.0] = $1.1 }
        }
        for (i, (_, fact)) in questions.enumerated() {
            #expect(replies[i]?.text.contains(fact) == true, "reply \(i): \(replies[i]?.text ?? "none")")
        }
    }

    /// A draft's prompt read ahead is not read again: the question sent after it evaluates only
    /// the words that differ.
    @Test func aPrefilledDraftLeavesOnlyTheQuestionsLastWordsToRead() async throws {
        let model = try TestModels.chat.get()
        // A system prompt no other test uses, so nothing but the prefill can have cached it.
        let system = ChatMessage.system("Session \(UUID().uuidString). Answer the question using only the source. Be brief.")
        try await model.prefill([system, .user("\(Self.context)\n\nQuestion: On which floor is the Oslo")])
        let reply = try await model.complete(
            [system, .user("\(Self.context)\n\nQuestion: On which floor is the Oslo badge desk?")],
            options: GenerationOptions(maxTokens: 24))
        #expect(reply.stats.promptTokens - reply.stats.cachedPromptTokens < 12, "\(reply.stats)")
        #expect(reply.text.contains("7"), "reply: \(reply.text)")
    }

    @Test func tokenLimitIsRespected() async throws {
        let model = try TestModels.chat.get()
        let reply = try await model.complete(
            [.user("Count from one to one hundred in words.")], options: GenerationOptions(maxTokens: 10))
        #expect(reply.stats.generatedTokens == 10)
        #expect(reply.stats.finishReason == .tokenLimit)
    }

    @Test func stopStringsEndTheReplyWithoutShowingThem() async throws {
        let model = try TestModels.chat.get()
        let reply = try await model.complete(
            [.user("List the numbers 1, 2, 3, 4, 5 separated by commas.")],
            options: GenerationOptions(maxTokens: 40, stop: ["3"]))
        #expect(!reply.text.contains("3"), "reply: \(reply.text)")
        #expect(reply.stats.finishReason == .stopSequence, "reply: \(reply.text)")
    }

    @Test func usesTheChatTemplateFromTheModelFile() async throws {
        let model = try TestModels.chat.get()
        let prompt = try await model.formattedPrompt([.system("S"), .user("U")])
        #expect(prompt.contains("<|im_start|>system\nS<|im_end|>"))
        #expect(prompt.hasSuffix("<|im_start|>assistant\n"))
    }
}

/// Events of concurrent streams, in the order they happened.
private actor EventLog {
    private(set) var entries: [String] = []
    func add(_ entry: String) { entries.append(entry) }
}
