import Foundation
import RagCore
import RagAssistant
import RagStore

/// The question page (`ask.mustache`): the conversation's earlier turns, the answer just given
/// (or none yet), and the form for the next question.
struct AskPage: PageView {
    static let template = Template.ask
    let title = "Ask"
    let nav: Navigation?
    let csrf: String?
    let maxQuestionLength = AskService.maxQuestionLength
    /// Text for the form's question field (empty after an answer: the next one is a follow-up).
    let question: String
    /// The question the answer below answers.
    let answeredQuestion: String
    /// `idle` before a question, `done` with an answer: the page script reads it.
    let state: String
    let answer: AnswerBlock?
    /// The conversation the next question continues (nil: a new one).
    let conversationId: String?
    /// Its earlier turns, oldest first.
    let thread: [ThreadTurn]

    init(identity: Identity, answer: AnswerView?, conversationId: String? = nil, thread: [ThreadTurn] = []) {
        nav = Navigation(identity)
        csrf = identity.csrfToken
        question = ""
        answeredQuestion = answer?.question ?? ""
        state = answer == nil ? "idle" : "done"
        self.answer = answer.map { AnswerBlock($0, identity: identity) }
        self.conversationId = conversationId ?? answer?.conversationId
        self.thread = thread
    }
}

/// A finished turn (`turn.mustache`), in the ask page's thread and on the history page. A turn
/// that showed a source the reader can no longer read keeps its question; its answer and
/// sources are withheld (the same rule as for the conversation the assistant sees).
struct ThreadTurn {
    let id: Int64
    let question: String
    let searchedFor: String?
    let withheld: Bool
    let isoTime: String
    let displayTime: String
    let routeLabel: String
    /// Built by ``CitationLinks`` from escaped text; the template writes it unescaped.
    let answerHTML: String
    let hasSources: Bool
    let sources: [Source]
    /// "helpful" or "not helpful" once the user has said; then no form.
    let feedbackGiven: String?
    let feedback: FeedbackForm?

    struct Source {
        let entryId: Int64
        let number: Int
        let link: String
        let title: String
        let location: String
    }

    /// - Parameter readable: the documents the user may read now.
    init(_ entry: HistoryRecord, helpful: Bool?, readable: Set<Int64>, csrf: String?) {
        let id = entry.id!
        self.id = id
        question = entry.question
        searchedFor = entry.searchedFor
        withheld = !entry.sourceList.allSatisfy { readable.contains($0.documentId) }
        isoTime = ISO8601DateFormatter().string(from: entry.createdAt)
        displayTime = DisplayDate.string(entry.createdAt)
        routeLabel = AnswerBlock.routeLabel(path: entry.path, model: nil)
        answerHTML = withheld ? "" : CitationLinks.html(entry.answer, sourceNumbers: [])
        sources = withheld ? [] : entry.sourceList.map {
            Source(entryId: id, number: $0.number, link: $0.link, title: $0.title, location: $0.location)
        }
        hasSources = !sources.isEmpty
        feedbackGiven = helpful.map { $0 ? "helpful" : "not helpful" }
        feedback = helpful == nil && !withheld ? FeedbackForm(historyId: id, csrf: csrf) : nil
    }
}

/// A user's past questions and answers (`history.mustache`), grouped by conversation, the most
/// recently continued first; within one, the turns in order.
struct HistoryPage: PageView {
    static let template = Template.history
    let title = "My history"
    let nav: Navigation?
    let csrf: String?
    let conversations: [Group]

    struct Group {
        /// nil for a question asked outside a conversation (before there were any, or through the OpenAI endpoint).
        let id: String?
        let turns: [ThreadTurn]
    }

    /// - Parameters:
    ///   - entries: newest first.
    ///   - readable: the documents the user may read now.
    init(identity: Identity, entries: [(entry: HistoryRecord, helpful: Bool?)], readable: Set<Int64>) {
        nav = Navigation(identity)
        csrf = identity.csrfToken
        var order: [String] = []
        var groups: [String: (id: String?, turns: [ThreadTurn])] = [:]
        for item in entries {
            let key = item.entry.conversationId ?? "entry-\(item.entry.id!)"
            if groups[key] == nil { order.append(key); groups[key] = (item.entry.conversationId, []) }
            groups[key]!.turns.insert(
                ThreadTurn(item.entry, helpful: item.helpful, readable: readable, csrf: identity.csrfToken), at: 0)
        }
        conversations = order.map { Group(id: groups[$0]!.id, turns: groups[$0]!.turns) }
    }
}

/// Times as pages show them: minutes, UTC.
enum DisplayDate {
    static func string(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date) + " UTC"
    }
}
