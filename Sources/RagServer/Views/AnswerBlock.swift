import Foundation
import RagCore
import RagAssistant

/// The view model of `answer.mustache`: an answer with its route, evidence, sources and
/// feedback form, as the page without scripts shows it and the streamed page ends with.
struct AnswerBlock {
    let path: String
    let routeLabel: String
    /// Shown before the text unless the answer is itself quoted from the sources.
    let evidence: EvidenceView?
    /// Built by ``CitationLinks`` from escaped text; the template writes it unescaped.
    let textHTML: String
    let withheldNote: String?
    let sourceList: SourceList?
    let feedback: FeedbackForm?
    /// The standalone query a follow-up was searched for.
    let searchedFor: String?

    init(_ view: AnswerView, identity: Identity?) {
        searchedFor = view.searchedFor
        path = view.path.rawValue
        routeLabel = Self.routeLabel(path: view.path, model: view.route.model)
        evidence = view.path == .quotedFallback ? nil : view.evidence
        textHTML = CitationLinks.html(view.answer, sourceNumbers: Set(view.sources.map(\.number)))
        let n = view.withheld
        withheldNote = n > 0
            ? "\(n) generated sentence\(n == 1 ? " was" : "s were") withheld: no source supports \(n == 1 ? "it" : "them")."
            : nil
        sourceList = SourceList(view.sources)
        feedback = view.historyId.map { FeedbackForm(historyId: $0, csrf: identity?.csrfToken) }
    }

    static func routeLabel(path: AnswerPath, model: String?) -> String {
        let name = model.map { " (\($0))" } ?? ""
        switch path {
        case .smallModel: return "Answered by the on-prem model\(name); every sentence cites a source that supports it."
        case .largeModel: return "Answered by the larger in-network model\(name); every sentence cites a source that supports it."
        case .quotedFallback: return "Quoted from the sources: nothing the model wrote passed the citation check, so these are the documents' own words."
        case .notFound: return "Not found in the documents you can read."
        }
    }

    /// The HTML the streamed page inserts when the answer is done.
    static func html(_ view: AnswerView, identity: Identity?) -> String {
        Views.render(AnswerBlock(view, identity: identity), template: .answer)
    }

    /// The HTML of the evidence passage, streamed before the model writes.
    static func evidenceHTML(_ evidence: EvidenceView) -> String {
        Views.render(evidence, template: .evidence)
    }
}

/// Sources grouped under their document (`sources.mustache`): one entry per document, in
/// the order they first appear, its passages below it.
struct SourceList {
    struct Document {
        let title: String
        let passages: [Passage]
    }

    struct Passage {
        let number: Int
        let link: String
        /// Where in the document (page, section), or its title when it has no location.
        let label: String
        let excerpt: String
    }

    let documents: [Document]

    /// nil when there are no sources: the page then shows no Sources heading.
    init?(_ sources: [SourceView]) {
        guard !sources.isEmpty else { return nil }
        var order: [Int64] = []
        var byDocument: [Int64: [SourceView]] = [:]
        for s in sources {
            if byDocument[s.documentId] == nil { order.append(s.documentId) }
            byDocument[s.documentId, default: []].append(s)
        }
        documents = order.map { id in
            let group = byDocument[id]!
            return Document(title: group[0].title, passages: group.map {
                Passage(number: $0.number, link: $0.link, label: $0.location.isEmpty ? $0.title : $0.location, excerpt: $0.excerpt)
            })
        }
    }
}

/// The feedback form under an answer (`feedback.mustache`).
struct FeedbackForm {
    let historyId: Int64
    let csrf: String?
}
