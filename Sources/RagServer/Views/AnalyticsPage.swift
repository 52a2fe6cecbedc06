import Foundation
import RagCore

/// The admins' answer analytics (`analytics.mustache`): the route mix per day as a chart (an
/// SVG drawn by the template from `RouteChart`, so every value in it is escaped like any
/// other), then the tables, each with its CSV link.
struct AnalyticsPage: PageView {
    static let template = Template.analytics
    let title = "Answer analytics"
    let nav: Navigation?
    let days: Int
    let windows: [Window]
    let since: String
    let answers: Int
    let firstShownP50: String
    let firstShownP95: String
    let price: String
    let totalCost: String
    let chart: RouteChart
    let routes: [Route]
    let gaps: [Gap]
    let feedbackBySource: [Feedback]
    let feedbackByDocument: [Feedback]
    let cited: [Cited]
    let dayRows: [DayRow]

    struct Window {
        let value: Int
        let selected: Bool
    }

    struct Route {
        let path: String
        let label: String
        let answers: Int
        let tokens: Int
        let largeModelTokens: Int
        let cost: String
        let firstShownP50: String
        let firstShownP95: String
    }

    struct Gap {
        let terms: String
        let count: Int
        let examples: [String]
        let lastAsked: String
    }

    struct Feedback {
        let name: String
        let source: String
        let rated: Int
        let notHelpful: Int
        let rate: String
        let comments: [Comment]
    }

    struct Comment {
        let verdict: String
        let text: String
    }

    struct Cited {
        let id: Int64
        let documentTitle: String
        let source: String
        let answers: Int
    }

    struct DayRow {
        let day: String
        let small: Int
        let large: Int
        let quoted: Int
        let notFound: Int
        let failures: Int
    }

    init(identity: Identity, analytics a: AnswerAnalytics, days: Int) {
        nav = Navigation(identity)
        self.days = days
        windows = AnalyticsPage.windows.map { Window(value: $0, selected: $0 == days) }
        since = DisplayDate.string(a.since)
        answers = a.answers
        firstShownP50 = Self.ms(a.firstShownP50)
        firstShownP95 = Self.ms(a.firstShownP95)
        price = Self.money(a.pricePer1kTokens)
        totalCost = Self.money(a.totalCost)
        chart = RouteChart(a.days)
        routes = a.routes.map { r in
            Route(path: r.path.rawValue, label: Self.label(r.path), answers: r.answers, tokens: r.tokens,
                  largeModelTokens: r.largeModelTokens, cost: Self.money(r.estimatedCost), firstShownP50: Self.ms(r.firstShownP50),
                  firstShownP95: Self.ms(r.firstShownP95))
        }
        gaps = a.gaps.map {
            Gap(terms: $0.terms.joined(separator: ", "), count: $0.count, examples: $0.examples, lastAsked: DisplayDate.string($0.lastAsked))
        }
        func feedback(_ rows: [AnswerAnalytics.FeedbackRow]) -> [Feedback] {
            rows.map { r in
                Feedback(name: r.name, source: r.source, rated: r.rated, notHelpful: r.notHelpful,
                         rate: String(format: "%.0f%%", r.notHelpfulRate * 100),
                         comments: r.comments.prefix(5).map { Comment(verdict: $0.helpful ? "helpful" : "not helpful", text: $0.text) })
            }
        }
        feedbackBySource = feedback(a.feedbackBySource)
        feedbackByDocument = feedback(a.feedbackByDocument)
        cited = a.mostCited.map { Cited(id: $0.id, documentTitle: $0.title, source: $0.source, answers: $0.answers) }
        dayRows = a.days.reversed().filter { $0.total > 0 }.map { d in
            DayRow(day: d.day, small: d.counts[.smallModel] ?? 0, large: d.counts[.largeModel] ?? 0,
                   quoted: d.counts[.quotedFallback] ?? 0, notFound: d.counts[.notFound] ?? 0, failures: d.verificationFailures)
        }
    }

    /// The windows the page offers, in days.
    static let windows = [7, 30, 90, 365]

    static func label(_ path: AnswerPath) -> String {
        switch path {
        case .smallModel: "small model"
        case .largeModel: "larger model"
        case .quotedFallback: "quoted"
        case .notFound: "not found"
        }
    }

    static func ms(_ value: Double?) -> String { value.map { "\(Int($0.rounded())) ms" } ?? "–" }
    static func money(_ value: Double) -> String { String(format: "%.4f", value) }
}

/// Answers per day stacked by route, with verification failures as a line: the numbers a
/// template needs to draw it as SVG (no text but labels the template escapes).
struct RouteChart {
    static let width = 720, height = 260
    static let left = 40, right = 10, top = 12, bottom = 40

    struct Bar {
        let x: Int, y: Int, width: Int, height: Int
        /// The route, for its CSS class and colour.
        let path: String
        let fill: String
        /// "2026-12-07: 3 small model", shown on hover.
        let label: String
    }

    struct Tick {
        let x: Int, y: Int
        let text: String
    }

    struct Legend {
        let x: Int
        let fill: String
        let label: String
    }

    let width = RouteChart.width
    let height = RouteChart.height
    let baseline = RouteChart.height - RouteChart.bottom
    let plotLeft = RouteChart.left
    let plotRight = RouteChart.width - RouteChart.right
    let bars: [Bar]
    let xTicks: [Tick]
    let yTicks: [Tick]
    let legend: [Legend]
    /// SVG points of the verification-failure line ("x,y x,y …"), nil when there were none.
    let failurePoints: String?
    let summary: String

    /// Colours by route, distinct in greyscale too.
    static let colours: [AnswerPath: String] = [
        .smallModel: "#0b5cad", .largeModel: "#7c3aed", .quotedFallback: "#d97706", .notFound: "#8c959f",
    ]

    init(_ days: [AnswerAnalytics.Day]) {
        let plotWidth = Self.width - Self.left - Self.right
        let plotHeight = Self.height - Self.top - Self.bottom
        let peak = max(days.map { max($0.total, $0.verificationFailures) }.max() ?? 0, 1)
        // A round top for the scale: 1, 2, 5, 10, 20, 50, ...
        var top = 1, magnitude = 1
        scale: while true {
            for m in [1, 2, 5] where m * magnitude >= peak { top = m * magnitude; break scale }
            magnitude *= 10
        }
        let slot = Double(plotWidth) / Double(max(days.count, 1))
        let barWidth = max(Int(slot * 0.7), 1)
        func y(_ value: Int) -> Double { Double(plotHeight) * Double(value) / Double(top) }
        var bars: [Bar] = []
        var points: [String] = []
        for (i, day) in days.enumerated() {
            let x = Self.left + Int(Double(i) * slot + (slot - Double(barWidth)) / 2)
            var stacked = 0
            for path in AnswerPath.allCases {
                let n = day.counts[path] ?? 0
                guard n > 0 else { continue }
                let bottom = Self.height - Self.bottom - Int(y(stacked).rounded())
                stacked += n
                let topY = Self.height - Self.bottom - Int(y(stacked).rounded())
                bars.append(Bar(x: x, y: topY, width: barWidth, height: max(bottom - topY, 1), path: path.rawValue,
                                fill: Self.colours[path]!, label: "\(day.day): \(n) \(AnalyticsPage.label(path))"))
            }
            points.append("\(x + barWidth / 2),\(Self.height - Self.bottom - Int(y(day.verificationFailures).rounded()))")
        }
        self.bars = bars
        failurePoints = days.contains { $0.verificationFailures > 0 } ? points.joined(separator: " ") : nil
        // About six date labels, first and last included.
        let every = max(days.count / 6, 1)
        xTicks = days.enumerated().filter { $0.offset % every == 0 || $0.offset == days.count - 1 }.map { i, day in
            Tick(x: Self.left + Int(Double(i) * slot + slot / 2), y: Self.height - Self.bottom + 16, text: String(day.day.dropFirst(5)))
        }
        yTicks = Set([0, top / 2, top]).sorted().map {
            Tick(x: Self.left - 6, y: Self.height - Self.bottom - Int(y($0).rounded()) + 4, text: String($0))
        }
        legend = AnswerPath.allCases.enumerated().map {
            Legend(x: Self.left + $0.offset * 130, fill: Self.colours[$0.element]!, label: AnalyticsPage.label($0.element))
        }
        let total = days.map(\.total).reduce(0, +)
        let failures = days.map(\.verificationFailures).reduce(0, +)
        summary = "\(total) answers over \(days.count) days, stacked by route; \(failures) failed verification (red line)."
    }
}
