import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RagAssistant
import RagAudit
import RagCore
import RagInference
import RagServer
import RagStore
import RagTesting
import RagdApp
import Testing

/// The admins' answer analytics, eval from history and the training export, over the seeded
/// history of `AnalyticsFixture` (figures worked out by hand in the comments), and tokens and
/// cost per route from a real answer through a larger model on loopback.
@Suite(.serialized) struct AnalyticsTests {
    func withAnalyticsServer<T: Sendable>(_ body: @Sendable (any TestClientProtocol, AnalyticsFixture.Parts) async throws -> T)
        async throws -> T
    {
        let parts = try await AnalyticsFixture.shared.get()
        return try await Application(router: parts.server.buildRouter()).test(.router) { client in try await body(client, parts) }
    }

    /// CSV rows (the export's cells hold no commas or quotes here but the ones checked).
    static func rows(_ csv: String) -> [[String]] {
        csv.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test func figuresComeFromTheHistoryAndFeedback() async throws {
        try await withAnalyticsServer { client, parts in
            let token = parts.tokens["pat"]!  // an admin in the payroll group: sees all ten answers
            let page = try await client.get("/admin/analytics", token: token)
            #expect(page.status == .ok)
            #expect(page.text.contains("<svg id=\"route-chart\""))
            // Bars: day 0 not found, quoted, larger; day 1 not found, small, larger; day 2 not found, small.
            #expect(page.text.components(separatedBy: "class=\"bar bar-").count - 1 == 8)
            #expect(page.text.contains("<polyline class=\"failures\""), "two answers failed verification")
            // Time to first text over 100, 200, …, 1000 ms (nearest rank).
            #expect(page.text.contains("id=\"first-shown-p50\">500 ms<"))
            #expect(page.text.contains("id=\"first-shown-p95\">1000 ms<"))
            #expect(page.text.contains("id=\"total-cost\">3.0000<"), "1,500 larger-tier tokens at 2 per 1,000")

            let routes = Self.rows(try await client.get("/admin/analytics/export?table=routes", token: token).text)
            #expect(routes.first == ["route", "answers", "tokens", "large_model_tokens", "estimated_cost", "price_per_1k_tokens",
                                     "first_text_ms_p50", "first_text_ms_p95"])
            let byRoute = Dictionary(uniqueKeysWithValues: routes.dropFirst().map { ($0[0], $0) })
            #expect(byRoute["small_model"]?[1...4] == ["2", "750", "0", "0.000000"])
            #expect(byRoute["large_model"]?[1...4] == ["2", "2000", "1500", "3.000000"])
            #expect(byRoute["quoted_fallback"]?[1...2] == ["1", "300"])
            #expect(byRoute["not_found"]?[1...4] == ["5", "0", "0", "0.000000"])
            #expect(byRoute["all"]?[1...7] == ["10", "3050", "1500", "3.000000", "2.0", "500", "1000"])

            // Content gaps: three wordings of the VPN token question are one gap.
            let gaps = try await client.get("/admin/analytics/export?table=gaps", token: token).text
            let gapRows = Self.rows(gaps)
            #expect(gapRows.count == 4, "header, VPN token, dog, payroll hours: \(gaps)")
            #expect(gapRows[1][0].split(separator: " ").sorted() == ["phone", "reset", "token", "vpn"])
            #expect(gapRows[1][1] == "3")
            #expect(gaps.contains("\"reset vpn token phone?\nVPN token reset on my phone\nHow do I reset my VPN token on a phone?\""),
                    "wordings newest first")
            #expect(gaps.contains("'=1+1 can I bring my dog"), "a cell that looks like a formula is defused")

            // Thumbs-down by source: payroll 2 of 2, handbook 1 of 3; all answers 3 of 5.
            let sources = Self.rows(try await client.get("/admin/analytics/export?table=feedback_sources", token: token).text)
            #expect(sources.dropFirst().map { Array($0[1...4]) } == [
                ["All answers", "5", "3", "0.600"], ["Payroll", "2", "2", "1.000"], ["Handbook", "3", "1", "0.333"],
            ])
            let documents = try await client.get("/admin/analytics/export?table=feedback_documents", token: token).text
            #expect(documents.contains("\(parts.payrollId),Payroll calendar,Payroll,2,2,1.000,"), "\(documents)")
            #expect(documents.contains("not helpful: Too slow\nhelpful: Clear <b>and</b> quick"), "comments, newest first")
            #expect(page.text.contains("Clear &lt;b&gt;and&lt;/b&gt; quick") && !page.text.contains("<b>and</b>"),
                    "a comment's markup is text on the page")
            let cited = Self.rows(try await client.get("/admin/analytics/export?table=cited", token: token).text)
            #expect(cited.dropFirst().map { [$0[0], $0[3]] } == [[String(parts.handbookId), "3"], [String(parts.payrollId), "2"]])
            let days = Self.rows(try await client.get("/admin/analytics/export?table=days&days=7", token: token).text)
            #expect(days.count == 8, "a row for each of the 7 days")
            #expect(days.dropFirst().map { Int($0[5])! }.reduce(0, +) == 2, "verification failures")
            #expect(days.suffix(3).map { Array($0[1...4]) } == [["1", "0", "0", "1"], ["1", "1", "0", "1"], ["0", "1", "1", "3"]])
        }
    }

    @Test func anAdminWithoutTheGroupSeesNothingOfTheRestrictedSource() async throws {
        try await withAnalyticsServer { client, parts in
            let token = parts.tokens["ada"]!
            let page = try await client.get("/admin/analytics", token: token)
            #expect(page.status == .ok)
            var everything = page.text
            for table in AnswerAnalytics.Table.allCases {
                let csv = try await client.get("/admin/analytics/export?table=\(table.rawValue)", token: token)
                #expect(csv.status == .ok)
                #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(csv.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"ragd-analytics-\(table.rawValue)-") == true)
                everything += csv.text
            }
            for hint in ["payroll", "salar", "Salary secret comment", "expense", "/documents/\(parts.payrollId)"] {
                #expect(!everything.localizedCaseInsensitiveContains(hint), "leaked \(hint)")
            }
            // Her figures are those of the seven answers that rest on the handbook alone.
            let routes = Self.rows(try await client.get("/admin/analytics/export?table=routes", token: token).text)
            #expect(routes.last.map { Array($0[1...7]) } == ["7", "1600", "500", "1.000000", "2.0", "400", "700"])
            #expect(page.text.contains("id=\"first-shown-p95\">700 ms<"))
            #expect(page.text.components(separatedBy: "class=\"bar bar-").count - 1 == 6)

            // Not for employees; a table that does not exist is a clear 400; exports are recorded.
            #expect(try await client.get("/admin/analytics", token: parts.tokens["emma"]!).status == .forbidden)
            let bad = try await client.get("/admin/analytics/export?table=users", token: token)
            #expect(bad.status == .badRequest)
            var mine = AuditFilter()
            mine.user = "ada"
            let exports = try parts.auditLog.records(matching: mine, limit: 100)
                .filter { $0.event.action == "analytics.export" }
            #expect(exports.count == AnswerAnalytics.Table.allCases.count + 1)
        }
    }

    /// The chart in a real browser: the SVG is laid out at its size, and a screenshot of it shows
    /// the four route colours and the red failure line on the white background.
    @Test(.timeLimit(.minutes(5))) func theChartIsRenderedInABrowser() async throws {
        let parts = try await AnalyticsFixture.shared.get()
        let app = Application(router: parts.server.buildRouter(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)"
            let browser = try HeadlessChromium()
            defer { browser.quit() }
            let page = try await browser.newPage(width: 1000, height: 900, mobile: false)
            try await browser.send("Page.navigate", ["url": base + "/login"], session: page)
            try await browser.waitFor("document.readyState === 'complete' && !!document.getElementById('name')", session: page)
            _ = try await browser.evaluate(
                "document.getElementById('name').value = 'pat'; document.getElementById('password').value = "
                    + "'\(ServerFixture.password)'; document.getElementById('name').form.submit()", session: page)
            try await browser.waitFor("location.pathname === '/' && document.readyState === 'complete'", session: page)
            // Through the navigation, as an admin would.
            _ = try await browser.evaluate("document.querySelector('header nav a[href=\"/admin/analytics\"]').click()", session: page)
            try await browser.waitFor(
                "location.pathname === '/admin/analytics' && document.readyState === 'complete' && !!document.getElementById('route-chart')",
                session: page)
            _ = try await browser.evaluate("document.getElementById('route-chart').scrollIntoView()", session: page)
            let box = try #require(try await browser.evaluate(
                "(() => { const r = document.getElementById('route-chart').getBoundingClientRect(); "
                    + "return [r.x + window.scrollX, r.y + window.scrollY, r.width, r.height, r.y, window.innerHeight]; })()",
                session: page) as? [Double])
            #expect(box[2] >= 600 && box[3] >= 200, "laid out at its size: \(box)")
            #expect(box[4] > -1 && box[4] + box[3] <= box[5] + 1, "on screen (to a pixel's rounding): \(box)")
            let shot = try await browser.send("Page.captureScreenshot", [
                "format": "png", "clip": ["x": box[0], "y": box[1], "width": box[2], "height": box[3], "scale": 1],
            ], session: page)
            let png = try #require(shot["data"] as? String)

            // Decode the screenshot's pixels in a blank page (a canvas), and count colours.
            let blank = try await browser.newPage()
            let counts = try #require(try await browser.evaluate("""
                (async () => {
                  const img = new Image(); img.src = 'data:image/png;base64,\(png)'; await img.decode();
                  const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
                  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
                  const d = g.getImageData(0, 0, c.width, c.height).data;
                  const colours = {small: [11, 92, 173], large: [124, 58, 237], quoted: [217, 119, 6], notFound: [140, 149, 159],
                                   failures: [180, 35, 24]};
                  const out = {pixels: c.width * c.height, background: 0};
                  for (const k in colours) out[k] = 0;
                  for (let i = 0; i < d.length; i += 4) {
                    if (d[i] > 245 && d[i + 1] > 245 && d[i + 2] > 245) { out.background++; continue; }
                    for (const k in colours) {
                      const [r, gr, b] = colours[k];
                      if (Math.abs(d[i] - r) < 12 && Math.abs(d[i + 1] - gr) < 12 && Math.abs(d[i + 2] - b) < 12) out[k]++;
                    }
                  }
                  return out;
                })()
                """, session: blank) as? [String: Int])
            let pixels = try #require(counts["pixels"]), background = try #require(counts["background"])
            #expect(pixels >= 600 * 200)
            #expect(Double(pixels - background) / Double(pixels) > 0.03, "the chart is drawn, not blank: \(counts)")
            for colour in ["small", "large", "quoted", "notFound", "failures"] {
                // A legend swatch is 144 pixels: more means bars (or the line, which has no swatch here).
                #expect((counts[colour] ?? 0) >= 400, "\(colour) is visible: \(counts)")
            }
        }
    }

    @Test func evalFromHistoryTakesHelpfulQuestionsAndTheAskersAccess() async throws {
        let parts = try await AnalyticsFixture.shared.get()
        let set = try HistoryEval(store: parts.store)
        let questions = Set(set.items.map(\.question.question))
        #expect(questions == [
            "How long must the VPN password be?", "Where do visitors park?", "How long must a new VPN password be?",
            "When are salaries paid each month?", "What day of the month are salaries paid?",
        ], "helpful answers only, not found answers and unrated or unhelpful ones left out")
        #expect(set.skipped.map { $0.question.question } == ["When are salaries paid?"], "emma can no longer read its gold")
        #expect(set.skipped.first?.reason.contains("no longer readable by emma") == true)

        let retriever = Retriever(store: parts.store, embedder: try TestModels.embedder.get())
        var outcomes: [HistoryEval.Outcome] = []
        for item in set.items {
            let outcome = try await HistoryEval.evaluate(item, retriever: retriever, method: .hybrid)
            outcomes.append(outcome)
            if item.question.userName == "emma" {
                #expect(!outcome.retrievedDocumentIds.contains(parts.payrollId), "\(item.question.question): retrieved as emma")
                #expect(item.gold == [parts.handbookId])
            }
        }
        let salaries = try #require(zip(set.items, outcomes).first { $0.0.question.question == "When are salaries paid each month?" }?.1)
        #expect(salaries.rank == 1, "paul's payroll question finds the payroll calendar first")
        let summary = HistoryEval.summarize(outcomes)
        #expect(summary.questions == 5)
        #expect(summary.hit_at_5 == 1.0, "each gold document is among the five: \(outcomes)")
    }

    @Test func exportTrainingWritesRedactedChatLinesOfChosenSourcesAndIsAudited() async throws {
        let parts = try await AnalyticsFixture.shared.get()
        let export = TrainingExport(store: parts.store, redactors: RedactorSource(store: parts.store))
        let file = parts.folder.appendingPathComponent("training-\(UUID().uuidString).jsonl").path
        let actor = AuditActor(userId: nil, name: "tester", role: "local-admin", groups: [])
        let summary = try await export.write(to: file, sources: [parts.handbookSourceId], audit: parts.auditLog, actor: actor)
        #expect(summary.examples == 1 && summary.skipped == 1, "the payroll answer stays out: \(summary)")
        #expect(summary.redacted == ["EMAIL": 2, "PERSON": 1])
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["messages"])
        let messages = try #require(object["messages"] as? [[String: String]])
        #expect(messages.map { $0["role"] } == ["system", "user", "assistant"])
        #expect(messages[0]["content"] == PromptBuilder.systemPrompt)
        let user = try #require(messages[1]["content"])
        #expect(user.hasPrefix("Sources:\n\n[1] Remote access handbook › VPN\nTo reset your VPN password"))
        #expect(user.hasSuffix("\n\nQuestion: How do I reset my VPN password?"))
        #expect(user.contains("[EMAIL_1]"))
        #expect(messages[2]["content"] == "Open the self-service portal and choose Reset password [1]. [PERSON_1], write to [EMAIL_1] [1].",
                "one placeholder per value across the messages")
        for planted in ["jane.doe@example.com", "Emma Stone", "Salaries"] { #expect(!text.contains(planted), "\(planted) in the file") }
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let all = try await export.write(to: file, sources: nil, audit: parts.auditLog, actor: actor)
        #expect(all.examples == 2)
        var mine = AuditFilter()
        mine.user = "tester"
        let records = try parts.auditLog.records(matching: mine, limit: 10)
            .filter { $0.event.action == "training.export" }
        #expect(records.map { $0.event.details["examples"] } == ["1", "2"])
        #expect(records.map { $0.event.details["sources"] } == [String(parts.handbookSourceId), "all"])
        #expect(records.first?.event.details["redacted"] == "EMAIL=2,PERSON=1")
        #expect(records.first?.event.details["file"] == file)
    }

    /// A real answer through a larger model on loopback (the small model behind an
    /// OpenAI-compatible endpoint, every question escalated): its tokens and estimated cost by
    /// route on /metrics, and what the history keeps of it.
    @Test func metricsShowTokensAndEstimatedCostPerRoute() async throws {
        let parts = try await ServerFixture.shared.get()
        let endpoint = OpenAICompatibleTestServer(chat: try TestModels.chat.get())
        try await endpoint.run { baseURL in
            let large = RemoteChatModel(endpoint: RemoteEndpoint(baseURL: baseURL, model: "large"), contextLength: 2048)
            var policy = RoutingPolicy()
            policy.escalateBelow = 1.0
            let assistant = Assistant(retriever: parts.server.askService.assistant.retriever,
                                      smallModel: try TestModels.chat.get(), largeModel: large, policy: policy)
            var configuration = ServerFixture.configuration
            configuration.largeModelPricePer1kTokens = 2.5
            let server = RagServer(store: parts.store, assistant: assistant, configuration: configuration)
            try await Application(router: server.buildRouter()).test(.router) { client in
                let asked = try await client.postJSON(
                    "/api/v1/ask", #"{"question":"How many columns can a table have at most?"}"#, token: parts.tokens["alice"]!)
                #expect(asked.status == .ok)
                let answer = try asked.json()
                let path = try #require(answer["path"] as? String)
                let historyId = try #require(answer["history_id"] as? Int64)

                let metrics = try await client.get("/metrics", token: parts.tokens["adam"]!).text
                func value(_ series: String) -> Double? {
                    metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
                }
                let largeTokens = try #require(value("ragd_route_tokens_total{path=\"\(path)\",tier=\"large\"}"))
                let smallTokens = try #require(value("ragd_route_tokens_total{path=\"\(path)\",tier=\"small\"}"))
                #expect(largeTokens > 0, "the larger model read the prompt and wrote")
                #expect(largeTokens + smallTokens == Double((answer["prompt_tokens"] as! Int) + (answer["generated_tokens"] as! Int)))
                let cost = try #require(value("ragd_route_estimated_cost_total{path=\"\(path)\"}"))
                #expect(abs(cost - largeTokens * 2.5 / 1000) < 1e-9, "\(cost) for \(largeTokens) tokens")
                #expect(value("ragd_large_model_price_per_1k_tokens") == 2.5)

                let alice = try #require(try parts.store.accounts.user(name: "alice"))
                let entry = try #require(try parts.store.history.entries(userId: alice.id!, limit: 50).first { $0.entry.id == historyId }?.entry)
                #expect(entry.largeModelTokens == Int(largeTokens))
                #expect(entry.channel == "api")
                #expect(entry.firstShownMs != nil && entry.totalMs != nil)
                #expect(entry.citedNumbers != nil)
                let passages = try #require(entry.passageList, "the passages the larger model was given")
                #expect(!passages.isEmpty && passages.allSatisfy { !$0.text.isEmpty })
                #expect(Set(passages.map(\.documentId)).isSubset(of: Set(parts.publicDocumentIds)))
            }
        }
    }
}
