import Foundation
import RagAudit
import RagCore

extension AnswerAnalytics {
    /// The tables of the analytics page, each downloadable as CSV.
    public enum Table: String, CaseIterable, Sendable {
        case days, routes, gaps, cited
        case feedbackSources = "feedback_sources"
        case feedbackDocuments = "feedback_documents"
    }

    /// `table` as CSV (RFC 4180, CRLF, a header row; cells that look like spreadsheet formulas
    /// get a leading apostrophe, as in the audit export).
    public func csv(_ table: Table) -> Data {
        var out = Data()
        func row(_ fields: [String]) { out.append(csvLine(fields)) }
        func number(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "" }
        switch table {
        case .days:
            row(["day", "small_model", "large_model", "quoted_fallback", "not_found", "verification_failures"])
            for d in days {
                row([d.day] + AnswerPath.allCases.map { String(d.counts[$0] ?? 0) } + [String(d.verificationFailures)])
            }
        case .routes:
            row(["route", "answers", "tokens", "large_model_tokens", "estimated_cost", "price_per_1k_tokens",
                 "first_text_ms_p50", "first_text_ms_p95"])
            for r in routes {
                row([r.path.rawValue, String(r.answers), String(r.tokens), String(r.largeModelTokens),
                     String(format: "%.6f", r.estimatedCost), String(pricePer1kTokens), number(r.firstShownP50),
                     number(r.firstShownP95)])
            }
            row(["all", String(answers), String(routes.map(\.tokens).reduce(0, +)),
                 String(routes.map(\.largeModelTokens).reduce(0, +)), String(format: "%.6f", totalCost), String(pricePer1kTokens),
                 number(firstShownP50), number(firstShownP95)])
        case .gaps:
            row(["key_words", "questions", "wordings", "last_asked"])
            for g in gaps {
                row([g.terms.joined(separator: " "), String(g.count), g.examples.joined(separator: "\n"),
                     ISO8601DateFormatter().string(from: g.lastAsked)])
            }
        case .feedbackSources, .feedbackDocuments:
            let document = table == .feedbackDocuments
            row((document ? ["document_id", "document", "source"] : ["source_id", "source"])
                + ["rated", "not_helpful", "not_helpful_rate", "comments"])
            for f in document ? feedbackByDocument : feedbackBySource {
                let comments = f.comments.map { ($0.helpful ? "helpful: " : "not helpful: ") + $0.text }.joined(separator: "\n")
                row((document ? [f.id.map(String.init) ?? "", f.name, f.source] : [f.id.map(String.init) ?? "", f.name])
                    + [String(f.rated), String(f.notHelpful), String(format: "%.3f", f.notHelpfulRate), comments])
            }
        case .cited:
            row(["document_id", "document", "source", "answers_citing"])
            for c in mostCited { row([String(c.id), c.title, c.source, String(c.answers)]) }
        }
        return out
    }
}
