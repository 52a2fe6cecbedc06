/// What came before a question: the earlier turns of its conversation, oldest first.
///
/// Whoever builds one decides what the asker may still see: the daemon leaves out every turn
/// that showed a source the asker can no longer read (see `RagServer`'s conversation loading),
/// so nothing from such a document comes back through the rewrite, the prompt or the page.
public struct Conversation: Sendable, Equatable {
    public struct Turn: Sendable, Equatable, Codable {
        /// The question as the user typed it.
        public var question: String
        /// What the turn was searched for: its standalone rewrite, or the question itself.
        public var searchedFor: String
        /// The answer as shown (verified sentences or a quote); empty when not known.
        public var answer: String
        /// The turn showed a passage of a source kept on-prem: its answer never goes to the
        /// larger model as history.
        public var keptOnPrem: Bool

        public init(question: String, searchedFor: String? = nil, answer: String = "", keptOnPrem: Bool = false) {
            self.question = question
            self.searchedFor = searchedFor ?? question
            self.answer = answer
            self.keptOnPrem = keptOnPrem
        }
    }

    public var turns: [Turn]

    public init(turns: [Turn] = []) {
        self.turns = turns
    }

    public static let empty = Conversation()

    public var isEmpty: Bool { turns.isEmpty }
}

/// How much of a conversation is kept and used.
///
/// The rule: a conversation stores at most `maxTurns` questions (then the employee is asked to
/// start a new one); the rewrite and the prompt see only the last `contextTurns` turns, each
/// answer cut to `answerCharacters`, and the prompt's history stays within `promptTokens`
/// (older turns are dropped first).
public struct ConversationLimits: Sendable, Equatable, Codable {
    public var maxTurns: Int
    public var contextTurns: Int
    public var answerCharacters: Int
    public var promptTokens: Int

    public init(maxTurns: Int = 50, contextTurns: Int = 3, answerCharacters: Int = 300, promptTokens: Int = 160) {
        self.maxTurns = maxTurns
        self.contextTurns = contextTurns
        self.answerCharacters = answerCharacters
        self.promptTokens = promptTokens
    }

    /// The turns the rewrite and the prompt may use, oldest first, answers cut.
    public func context(of conversation: Conversation) -> [Conversation.Turn] {
        conversation.turns.suffix(max(contextTurns, 0)).map { turn in
            var turn = turn
            if turn.answer.count > answerCharacters { turn.answer = String(turn.answer.prefix(answerCharacters)) + "…" }
            return turn
        }
    }
}
