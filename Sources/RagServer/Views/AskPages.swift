import Foundation
import RagCore
import RagAssistant
import RagStore

/// The question page (`ask.mustache`), empty or with a finished answer below the form.
struct AskPage: PageView {
    static let template = Template.ask
    let title = "Ask"
    let nav: Navigation?
    let csrf: String?
    let maxQuestionLength = AskService.maxQuestionLength
    /// The question asked, kept in the form.
    let question: String
    /// `idle` before a question, `done` with an answer: the page script reads it.
    let state: String
    let answer: AnswerBlock?

    init(identity: Identity, answer: AnswerView?) {
        nav = Navigation(identity)
        csrf = identity.csrfToken
        question = answer?.question ?? ""
        state = answer == nil ? "idle" : "done"
        self.answer = answer.map { AnswerBlock($0, identity: identity) }
    }
}

/// A user's past questions and answers (`history.mustache`), newest first.
struct HistoryPage: PageView {
    static let template = Template.history
    let title = "My history"
    let nav: Navigation?
    let csrf: String?
    let entries: [Entry]

    struct Entry {
        let id: Int64
        let question: String
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
    }

    struct Source {
        let entryId: Int64
        let number: Int
        let link: String
        let title: String
        let location: String
    }

    /// - Parameter readable: the documents the user may read now; other sources are left out.
    init(identity: Identity, entries: [(entry: HistoryRecord, helpful: Bool?)], readable: Set<Int64>) {
        nav = Navigation(identity)
        csrf = identity.csrfToken
        let iso = ISO8601DateFormatter()
        self.entries = entries.map { item in
            let entry = item.entry
            let id = entry.id!
            let sources = entry.sourceList.filter { readable.contains($0.documentId) }.map {
                Source(entryId: id, number: $0.number, link: $0.link, title: $0.title, location: $0.location)
            }
            return Entry(
                id: id, question: entry.question, isoTime: iso.string(from: entry.createdAt),
                displayTime: DisplayDate.string(entry.createdAt),
                routeLabel: AnswerBlock.routeLabel(path: entry.path, model: nil),
                answerHTML: CitationLinks.html(entry.answer, sourceNumbers: []),
                hasSources: !sources.isEmpty, sources: sources,
                feedbackGiven: item.helpful.map { $0 ? "helpful" : "not helpful" },
                feedback: item.helpful == nil ? FeedbackForm(historyId: id, csrf: identity.csrfToken) : nil)
        }
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
