import Foundation
import RagAssistant
import RagCore
import RagStore

/// The figures of the admins' analytics page, computed from the history entries (with their
/// feedback) one admin may see: content gaps, feedback by source and by document, routes and
/// verification failures per day, the most-cited documents, time to first text and cost.
///
/// Pure: built from `HistoryStore.analytics(since:access:)`'s entries, which already leave out
/// every entry that showed a document the admin's groups do not allow.
public struct AnswerAnalytics: Sendable {
    /// Questions that ended "not in the documents", grouped by similar wording.
    public struct ContentGap: Sendable, Equatable {
        /// The key words most of the group's questions share.
        public var terms: [String]
        public var count: Int
        /// Distinct wordings, newest first (at most three).
        public var examples: [String]
        public var lastAsked: Date
    }

    /// Feedback on the answers that rested on one source or one document.
    public struct FeedbackRow: Sendable, Equatable {
        public var id: Int64?
        public var name: String
        /// The source a document belongs to ("" for source rows).
        public var source: String
        public var rated: Int
        public var notHelpful: Int
        /// Comments, newest first, each with its verdict.
        public var comments: [(helpful: Bool, text: String)]
        /// Thumbs-down share of the rated answers (0...1).
        public var notHelpfulRate: Double { rated == 0 ? 0 : Double(notHelpful) / Double(rated) }

        public static func == (a: FeedbackRow, b: FeedbackRow) -> Bool {
            a.id == b.id && a.name == b.name && a.source == b.source && a.rated == b.rated && a.notHelpful == b.notHelpful
                && a.comments.map(\.text) == b.comments.map(\.text) && a.comments.map(\.helpful) == b.comments.map(\.helpful)
        }
    }

    /// One day's answers by path, and how many failed verification.
    public struct Day: Sendable, Equatable {
        /// "2026-12-07" (UTC).
        public var day: String
        public var counts: [AnswerPath: Int]
        public var verificationFailures: Int
        public var total: Int { counts.values.reduce(0, +) }
    }

    public struct CitedDocument: Sendable, Equatable {
        public var id: Int64
        public var title: String
        public var source: String
        /// Answers that cite it.
        public var answers: Int
    }

    /// Answers, tokens and estimated cost of one route.
    public struct Route: Sendable, Equatable {
        public var path: AnswerPath
        public var answers: Int
        /// Tokens read and written by both tiers.
        public var tokens: Int
        /// Of those, the larger tier's.
        public var largeModelTokens: Int
        /// `largeModelTokens` at the configured price per 1,000.
        public var estimatedCost: Double
        public var firstShownP50: Double?
        public var firstShownP95: Double?
    }

    public var since: Date
    public var answers: Int
    public var gaps: [ContentGap]
    /// Every rated answer first (name "All answers"), then by source.
    public var feedbackBySource: [FeedbackRow]
    public var feedbackByDocument: [FeedbackRow]
    public var days: [Day]
    public var mostCited: [CitedDocument]
    public var routes: [Route]
    /// Time to the first text shown, over every answer that recorded it.
    public var firstShownP50: Double?
    public var firstShownP95: Double?
    public var pricePer1kTokens: Double
    public var totalCost: Double { routes.map(\.estimatedCost).reduce(0, +) }

    /// How many of the most-cited documents are listed.
    public static let citedLimit = 10

    public init(entries: [AnalyticsEntry], documents: [Int64: AnalyticsDocument], since: Date, until: Date = Date(),
                pricePer1kTokens: Double) {
        self.since = since
        self.pricePer1kTokens = pricePer1kTokens
        answers = entries.count
        gaps = Self.contentGaps(entries.filter { $0.record.path == .notFound })

        // Feedback and citations rest on the documents an answer cites; entries from before
        // citations were kept count every source they showed.
        func restingOn(_ e: AnalyticsEntry) -> [Int64] {
            let shown = e.record.sourceList
            let ids = e.record.citedNumbers.map { cited in shown.filter { cited.contains($0.number) } } ?? shown
            var unique: [Int64] = []
            for id in ids.map(\.documentId) where !unique.contains(id) { unique.append(id) }
            return unique
        }
        var overall = FeedbackRow(id: nil, name: "All answers", source: "", rated: 0, notHelpful: 0, comments: [])
        var bySource: [Int64: FeedbackRow] = [:]
        var byDocument: [Int64: FeedbackRow] = [:]
        var citations: [Int64: Int] = [:]
        for e in entries.reversed() {  // newest first, so comments come newest first
            let ids = restingOn(e)
            if e.record.path != .notFound { for id in ids { citations[id, default: 0] += 1 } }
            guard let helpful = e.helpful else { continue }
            func add(_ row: inout FeedbackRow) {
                row.rated += 1
                if !helpful { row.notHelpful += 1 }
                if let comment = e.comment?.trimmingCharacters(in: .whitespacesAndNewlines), !comment.isEmpty {
                    row.comments.append((helpful, comment))
                }
            }
            add(&overall)
            var sources: Set<Int64> = []
            for id in ids {
                guard let d = documents[id] else { continue }
                add(&byDocument[id, default: FeedbackRow(id: id, name: d.title, source: d.sourceName, rated: 0, notHelpful: 0,
                                                          comments: [])])
                if let s = d.sourceId, sources.insert(s).inserted {
                    add(&bySource[s, default: FeedbackRow(id: s, name: d.sourceName, source: "", rated: 0, notHelpful: 0,
                                                           comments: [])])
                }
            }
        }
        let worstFirst: (FeedbackRow, FeedbackRow) -> Bool = {
            ($0.notHelpfulRate, $0.rated, -($0.id ?? 0)) > ($1.notHelpfulRate, $1.rated, -($1.id ?? 0))
        }
        feedbackBySource = [overall] + bySource.values.sorted(by: worstFirst)
        feedbackByDocument = byDocument.values.sorted(by: worstFirst)
        mostCited = citations.compactMap { id, n in
            documents[id].map { CitedDocument(id: id, title: $0.title, source: $0.sourceName, answers: n) }
        }.sorted { ($0.answers, -$0.id) > ($1.answers, -$1.id) }.prefix(Self.citedLimit).map { $0 }

        // Every day of the window, so the chart's gaps are days without questions.
        var days: [String: Day] = [:]
        var order: [String] = []
        var day = Self.dayStart(since)
        while day <= until {
            let key = Self.dayKey(day)
            days[key] = Day(day: key, counts: [:], verificationFailures: 0)
            order.append(key)
            day = day.addingTimeInterval(86_400)
        }
        for e in entries {
            let key = Self.dayKey(e.record.createdAt)
            if days[key] == nil { days[key] = Day(day: key, counts: [:], verificationFailures: 0); order.append(key) }
            days[key]!.counts[e.record.path, default: 0] += 1
            if e.record.verification == "failed" { days[key]!.verificationFailures += 1 }
        }
        self.days = order.sorted().map { days[$0]! }

        routes = AnswerPath.allCases.map { path in
            let on = entries.filter { $0.record.path == path }
            let tokens = on.map { ($0.record.promptTokens ?? 0) + ($0.record.generatedTokens ?? 0) }.reduce(0, +)
            let large = on.map { $0.record.largeModelTokens ?? 0 }.reduce(0, +)
            let shown = on.compactMap(\.record.firstShownMs)
            return Route(path: path, answers: on.count, tokens: tokens, largeModelTokens: large,
                         estimatedCost: Double(large) * pricePer1kTokens / 1000,
                         firstShownP50: Self.percentile(shown, 50), firstShownP95: Self.percentile(shown, 95))
        }
        let shown = entries.compactMap(\.record.firstShownMs)
        firstShownP50 = Self.percentile(shown, 50)
        firstShownP95 = Self.percentile(shown, 95)
    }

    /// Nearest-rank percentile; nil for no values.
    public static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// Questions grouped when their key words overlap enough (Jaccard similarity of at least
    /// `gapSimilarity` with one of the group's first `gapComparisons` questions): "How do I
    /// reset my VPN password?" and "vpn password reset" meet; "parking permit" stays apart.
    /// Only groups sharing a key word are compared, so thousands of questions stay cheap.
    /// Largest groups first.
    static func contentGaps(_ entries: [AnalyticsEntry]) -> [ContentGap] {
        struct Group { var members: [(question: String, terms: Set<String>, at: Date)] }
        var groups: [Group] = []
        var groupsWithTerm: [String: [Int]] = [:]
        for e in entries {
            let question = e.record.question
            var terms = Terms.keyTerms(question)
            if terms.isEmpty { terms = Set(question.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)) }
            var best: (index: Int, similarity: Double)?
            for i in Set(terms.flatMap { groupsWithTerm[$0] ?? [] }).sorted() {
                let similarity = groups[i].members.prefix(gapComparisons).map { Self.jaccard($0.terms, terms) }.max() ?? 0
                if similarity >= gapSimilarity, similarity > (best?.similarity ?? 0) { best = (i, similarity) }
            }
            let index: Int
            if let best {
                index = best.index
                groups[index].members.append((question, terms, e.record.createdAt))
            } else {
                index = groups.count
                groups.append(Group(members: [(question, terms, e.record.createdAt)]))
            }
            if groups[index].members.count <= gapComparisons {
                for term in terms where groupsWithTerm[term]?.last != index { groupsWithTerm[term, default: []].append(index) }
            }
        }
        return groups.map { group in
            var frequency: [String: Int] = [:]
            for m in group.members { for t in m.terms { frequency[t, default: 0] += 1 } }
            let shared = frequency.filter { $0.value * 2 >= group.members.count }
                .sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
            var examples: [String] = []
            for m in group.members.sorted(by: { $0.at > $1.at }) {
                let text = m.question.trimmingCharacters(in: .whitespacesAndNewlines)
                if examples.count < 3, !examples.contains(where: { $0.caseInsensitiveCompare(text) == .orderedSame }) {
                    examples.append(text)
                }
            }
            return ContentGap(terms: Array(shared.prefix(6)), count: group.members.count, examples: examples,
                              lastAsked: group.members.map(\.at).max()!)
        }.sorted { ($0.count, $0.lastAsked) > ($1.count, $1.lastAsked) }
    }

    /// How much two questions' key words must overlap to be one gap.
    static let gapSimilarity = 0.5
    /// How many of a group's questions a new one is compared with.
    static let gapComparisons = 20

    static func jaccard(_ a: Set<String>, _ b: Set<String>) -> Double {
        let union = a.union(b).count
        return union == 0 ? 0 : Double(a.intersection(b).count) / Double(union)
    }

    static func dayStart(_ date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.startOfDay(for: date)
    }

    static func dayKey(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
