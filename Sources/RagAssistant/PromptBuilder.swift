import RagInference

/// Builds the model's prompt: numbered sources, then the question, within a token budget.
///
/// Source text and questions are data, not instructions: chat-template markers in them
/// (`<|im_start|>` and the like) are broken up so they cannot open a new turn, and the system
/// prompt tells the model to treat the sources as quotations. ragd has no tools, so the worst
/// an instruction planted in a document can do is change the wording of an answer — which
/// citation verification then checks against the sources.
public struct PromptBuilder: Sendable {
    public static let systemPrompt = """
        You answer employees' questions using only the numbered sources. \
        Quote the exact words from the sources that answer the question, and put the source \
        number in brackets after each sentence, like [1]. Be brief. \
        If the sources do not contain the answer, reply: The documents do not answer this.
        """

    /// Tokens the sources may take in total.
    public var sourceTokenBudget: Int
    /// Longest text of one source, in tokens (longer ones are cut at a sentence).
    public var perSourceTokens: Int

    public init(sourceTokenBudget: Int = 700, perSourceTokens: Int = 260) {
        self.sourceTokenBudget = sourceTokenBudget
        self.perSourceTokens = perSourceTokens
    }

    /// The messages for `question` and the sources that fit the budget, in order.
    public func messages(question: String, sources: [Source], model: any ChatModel) async throws
        -> (messages: [ChatMessage], used: [Source])
    {
        var used: [Source] = []
        var blocks: [String] = []
        var spent = 0
        for source in sources {
            let heading = source.sectionPath.isEmpty ? source.title : source.sectionPath
            let block = "[\(source.number)] \(Self.neutralized(heading))\n\(Self.neutralized(source.text))"
            let cost = try await model.tokenCount(block)
            if spent + cost > sourceTokenBudget {
                if used.isEmpty {
                    // Always give the best source, cut to the per-source limit.
                    let cut = String(block.prefix(perSourceTokens * 4))
                    blocks.append(cut)
                    used.append(source)
                }
                break
            }
            spent += cost
            blocks.append(block)
            used.append(source)
        }
        let user = "Sources:\n\n" + blocks.joined(separator: "\n\n")
            + "\n\nQuestion: \(Self.neutralized(question))\nAnswer with citations:"
        return ([.system(Self.systemPrompt), .user(user)], used)
    }

    /// Breaks up chat-template markers so untrusted text cannot forge a turn.
    public static func neutralized(_ text: String) -> String {
        text.replacingOccurrences(of: "<|", with: "< |")
            .replacingOccurrences(of: "|>", with: "| >")
            .replacingOccurrences(of: "[INST]", with: "[ INST ]")
    }
}
