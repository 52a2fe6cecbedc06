import RagInference

/// Builds the model's prompt: a fixed system prompt (its KV cache is reused from one question
/// to the next), then a compact context of numbered sources and the question.
///
/// A small model reads slowly and loses the thread in long prompts: prompt processing, not
/// decoding, is most of the wait. So each source is trimmed to the sentences around those that
/// best match the question, within `perSourceTokens`, and only the best `maxSources` go in,
/// within `sourceTokenBudget` (counted with the model's own tokenizer).
///
/// Source text and questions are data, not instructions: chat-template markers in them
/// (`<|im_start|>` and the like) are broken up so they cannot open a new turn, and the system
/// prompt tells the model to use the sources as reference only. ragd has no tools, so the worst
/// an instruction planted in a document can do is change the wording of an answer — which
/// citation verification then checks against the sources.
public struct PromptBuilder: Sendable {
    public static let systemPrompt = """
        You are a company assistant. Answer the question using only the numbered sources. \
        Reply in one to three short sentences that state the answer directly, with the exact \
        names and numbers from the sources. End each sentence with the number of the source it \
        comes from, like [2]. If the sources do not contain the answer, reply only: NOT FOUND
        """

    /// A worked turn after the system prompt. It is the same for every question, so its KV
    /// cache is reused like the system prompt's, and it shows a small model the shape of an
    /// answer better than rules do. (A second, declined example made Qwen2.5-Coder-0.5B decline
    /// 49 of 60 answerable dev questions: measured in bench/RESULTS.md.)
    public static let examples: [ChatMessage] = [
        .user("""
            Sources:

            [1] Travel policy › Booking
            Employees book flights through the travel portal. Economy class is required for flights under six hours.

            [2] Travel policy › Expenses
            Hotel costs are reimbursed up to 150 euros per night. Receipts must be submitted within 30 days of the trip.

            Question: How long do I have to hand in my receipts after a trip?
            """),
        .assistant("Receipts must be submitted within 30 days of the trip [2]."),
    ]

    /// Tokens the sources may take in total.
    public var sourceTokenBudget: Int
    /// Longest text of one source, in tokens.
    public var perSourceTokens: Int
    /// Most sources in the prompt.
    public var maxSources: Int

    public init(sourceTokenBudget: Int = 360, perSourceTokens: Int = 100, maxSources: Int = 4) {
        self.sourceTokenBudget = sourceTokenBudget
        self.perSourceTokens = perSourceTokens
        self.maxSources = maxSources
    }

    /// The messages for `question` and the sources used, in order. Earlier turns of the
    /// conversation (`history`, oldest first) come before the sources as a short record, the
    /// newest kept first within `historyTokens`; their citations are removed, since their
    /// numbers named other sources.
    ///
    /// `excerpts` (chunk id → excerpt) replaces the trimming of those sources: the excerpts a
    /// draft of this question was given when its prompt was prefilled, so the prompt begins
    /// exactly as the prefilled one did (see `DraftExcerpts`).
    public func messages(question: String, history: [Conversation.Turn] = [], historyTokens: Int = 0, sources: [Source],
                         index: SentenceIndex, model: any ChatModel, excerpts: [Int64: String] = [:]) async throws
        -> (messages: [ChatMessage], used: [Source])
    {
        var earlier: [String] = []
        var historySpent = 0
        for turn in history.reversed() {
            var block = "Q: " + Self.neutralized(turn.question)
            let reply = CitationVerifier.stripCitations(turn.answer).trimmingCharacters(in: .whitespacesAndNewlines)
            if !reply.isEmpty { block += "\nA: " + Self.neutralized(reply) }
            let cost = try await model.tokenCount(block)
            if historySpent + cost > historyTokens { break }
            historySpent += cost
            earlier.insert(block, at: 0)
        }
        var used: [Source] = []
        var blocks: [String] = []
        var spent = 0
        for source in sources.prefix(maxSources) {
            let heading = source.sectionPath.isEmpty ? source.title : source.sectionPath
            let excerpt: String
            if let given = excerpts[source.chunkId] { excerpt = given } else { excerpt = try await trimmed(source, index: index, model: model) }
            let block = "[\(source.number)] \(Self.neutralized(heading))\n\(Self.neutralized(excerpt))"
            let cost = try await model.tokenCount(block)
            if spent + cost > sourceTokenBudget, !used.isEmpty { break }
            spent += cost
            blocks.append(block)
            var shown = source
            shown.text = excerpt
            used.append(shown)
        }
        let conversation = earlier.isEmpty ? "" : "Earlier in this conversation:\n" + earlier.joined(separator: "\n") + "\n\n"
        let user = conversation + "Sources:\n\n" + blocks.joined(separator: "\n\n") + "\n\nQuestion: \(Self.neutralized(question))"
        return ([.system(Self.systemPrompt)] + Self.examples + [.user(user)], used)
    }

    /// The source's best-matching sentence and its neighbours, in source order, within
    /// `perSourceTokens`.
    func trimmed(_ source: Source, index: SentenceIndex, model: any ChatModel) async throws -> String {
        let sentences = index.sentences(of: source.number)
        guard let best = sentences.max(by: { ($0.similarity + 0.3 * $0.coverage) < ($1.similarity + 0.3 * $1.coverage) })
        else { return String(source.text.prefix(perSourceTokens * 4)) }
        var chosen: [Int: String] = [:]
        var spent = 0
        // Widen around the best sentence: next, previous, next but one, ...
        var offsets = [0]
        for d in 1..<max(sentences.count, 1) { offsets += [d, -d] }
        for offset in offsets {
            let position = best.position + offset
            guard let entry = sentences.first(where: { $0.position == position }) else { continue }
            let cost = try await model.tokenCount(entry.text) + 1
            if spent + cost > perSourceTokens { if chosen.isEmpty { chosen[position] = entry.text }; break }
            spent += cost
            chosen[position] = entry.text
        }
        return chosen.keys.sorted().map { chosen[$0]! }.joined(separator: " ")
    }

    /// Breaks up chat-template markers so untrusted text cannot forge a turn.
    public static func neutralized(_ text: String) -> String {
        text.replacingOccurrences(of: "<|", with: "< |")
            .replacingOccurrences(of: "|>", with: "| >")
            .replacingOccurrences(of: "[INST]", with: "[ INST ]")
    }
}
