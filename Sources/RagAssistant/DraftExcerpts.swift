import Foundation

/// The source excerpts recent drafts were prompted with, so the question that completes a draft
/// gets the very same excerpts, and with them the prompt whose state the prefill left in the
/// model's cache.
///
/// The passages in a prompt are trimmed around the sentences that best match the question; the
/// words typed after the pause move that match, so without this the question's prompt would
/// diverge from the draft's at its first passage and most of the prefill would be lost. An
/// excerpt is only reused for a question that begins with the draft, and only for a source that
/// the question's own search (with the asker's access) returned: it is a part of that source's
/// text, so nothing a reader may not see can come through it.
public actor DraftExcerpts {
    struct Entry {
        let draft: String
        let excerpts: [Int64: String]
        let at: ContinuousClock.Instant
    }

    private var entries: [Entry] = []
    /// Drafts kept at once (the oldest go first).
    public let capacity: Int
    /// How long a draft's excerpts stay usable.
    public let lifetime: Duration

    public init(capacity: Int = 64, lifetime: Duration = .seconds(120)) {
        self.capacity = capacity
        self.lifetime = lifetime
    }

    /// Records the excerpts (chunk id → text) `draft`'s prompt was built with.
    public func remember(draft: String, excerpts: [Int64: String]) {
        let draft = Self.normalized(draft)
        guard !draft.isEmpty, !excerpts.isEmpty else { return }
        entries.removeAll { $0.draft == draft }
        entries.append(Entry(draft: draft, excerpts: excerpts, at: .now))
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
    }

    /// The excerpts of the longest recent draft that `question` begins with (word by word),
    /// or none.
    public func excerpts(for question: String) -> [Int64: String] {
        let now = ContinuousClock.now
        entries.removeAll { now - $0.at > lifetime }
        let question = Self.normalized(question)
        let match = entries.filter { question == $0.draft || question.hasPrefix($0.draft + " ") }
            .max { $0.draft.count < $1.draft.count }
        return match?.excerpts ?? [:]
    }

    /// Whitespace collapsed to single spaces, trimmed.
    static func normalized(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
