import Foundation
import Hummingbird
import HummingbirdTesting
import RagServer
import RagTesting
import Testing

/// The employee's path in a real browser: sign in with the keyboard, ask, watch the answer
/// stream in, follow a citation to the original document at its anchor.
@Suite(.serialized) struct BrowserTests {
    @Test(.timeLimit(.minutes(15))) func signInAskStreamAndFollowACitation() async throws {
        let parts = try await ServerFixture.shared.get()
        let app = Application(router: parts.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)"
            let browser = try HeadlessChromium()
            defer { browser.quit() }
            let page = try await browser.newPage()
            try await browser.send("Page.enable", session: page)
            // A phone-sized window: the page must fit without sideways scrolling.
            try await browser.send("Emulation.setDeviceMetricsOverride",
                                   ["width": 375, "height": 800, "deviceScaleFactor": 1, "mobile": true], session: page)

            try await browser.send("Page.navigate", ["url": base + "/"], session: page)
            try await browser.waitFor("location.pathname === '/login' && document.readyState === 'complete'", session: page)
            // Sign in by keyboard: the name field has focus, Tab to the password, Enter submits.
            try await browser.waitFor("document.activeElement && document.activeElement.id === 'name'", session: page)
            try await browser.type("alice", session: page)
            _ = try await browser.evaluate("document.getElementById('password').focus()", session: page)
            try await browser.type(ServerFixture.password, session: page)
            try await browser.press("Enter", code: "Enter", keyCode: 13, session: page)
            try await browser.waitFor("location.pathname === '/' && !!document.getElementById('question')", session: page)
            #expect(try await browser.evaluate("!!document.querySelector('label[for=question]')", session: page) as? Bool == true)
            let fits = try await browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth", session: page)
            #expect(fits as? Bool == true, "the ask page fits a 375 px screen")

            // Ask with Ctrl+Enter and watch the answer arrive in pieces.
            _ = try await browser.evaluate("document.getElementById('question').focus()", session: page)
            try await browser.type("What is the maximum number of columns in a table?", session: page)
            try await browser.press("Enter", code: "Enter", keyCode: 13, modifiers: 2, session: page)
            var sawStreamingText = false
            try await browser.waitFor(
                "document.getElementById('answer').dataset.state === 'done' || document.getElementById('answer').dataset.state === 'error'",
                session: page, seconds: 600, every: 0.05,
                observe: { browser in
                    let partial = try await browser.evaluate(
                        "document.getElementById('answer').dataset.state === 'streaming' && (document.getElementById('answer-draft').textContent.length > 0 || document.getElementById('answer-evidence').textContent.length > 0)",
                        session: page)
                    if partial as? Bool == true { sawStreamingText = true }
                })
            let state = try await browser.evaluate("document.getElementById('answer').dataset.state", session: page) as? String
            let status = try await browser.evaluate("document.getElementById('answer-status').textContent", session: page) as? String
            #expect(state == "done", "answer state \(state ?? "?"): \(status ?? "")")
            #expect(sawStreamingText, "evidence or verified text appeared before the answer was complete")
            let answer = try await browser.evaluate("document.querySelector('#answer-final .answer-text').textContent", session: page) as? String
            #expect(!(answer ?? "").isEmpty)
            let route = try await browser.evaluate("document.querySelector('#answer-final .route').dataset.path", session: page) as? String
            #expect(["small_model", "large_model", "quoted_fallback", "not_found"].contains(route ?? ""))

            // Follow the first citation: the original page opens at its section anchor.
            let href = try #require(try await browser.evaluate(
                "document.querySelector('#answer-final a.source-link').getAttribute('href')", session: page) as? String)
            #expect(href.hasPrefix("/documents/"))
            try await browser.send("Page.navigate", ["url": base + href], session: page)
            try await browser.waitFor("location.pathname.startsWith('/documents/') && document.readyState === 'complete'", session: page)
            let loaded = try await browser.evaluate(
                "performance.getEntriesByType('navigation')[0].responseStatus", session: page) as? Int
            #expect(loaded == 200)
            #expect(try await browser.evaluate("document.title", session: page) as? String == "Implementation Limits For SQLite")
            if let fragment = href.split(separator: "#").last, href.contains("#") {
                let found = try await browser.evaluate(
                    "!!document.getElementById(decodeURIComponent('\(fragment)')) || !!document.getElementsByName(decodeURIComponent('\(fragment)')).length",
                    session: page)
                #expect(found as? Bool == true, "anchor #\(fragment) exists in the document")
            }
        }
    }
}
