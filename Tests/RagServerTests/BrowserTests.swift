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
            // A phone-sized window: the page must fit without sideways scrolling.
            let page = try await browser.newPage(width: 375, height: 800, mobile: true)

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

            // A pause while typing sends the draft, whose prompt the server reads ahead.
            _ = try await browser.evaluate("document.getElementById('question').focus()", session: page)
            try await browser.type("What is the maximum number of columns in a", session: page)
            try await browser.waitFor("!!document.getElementById('question').dataset.prefill", session: page, seconds: 120)
            #expect(try await browser.evaluate("document.getElementById('question').dataset.prefill", session: page) as? String
                == "done")
            // Ask with Ctrl+Enter and watch the answer arrive in pieces.
            try await browser.type(" table?", session: page)
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

    /// Ask, follow up, start a new conversation: the thread stays on screen, the follow-up says
    /// what it searched for, and "New conversation" clears both.
    @Test(.timeLimit(.minutes(15))) func askFollowUpAndStartANewConversation() async throws {
        let parts = try await ServerFixture.shared.get()
        let app = Application(router: parts.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let browser = try HeadlessChromium()
            defer { browser.quit() }
            let page = try await browser.newPage()
            try await browser.send("Page.enable", session: page)
            try await browser.send("Page.navigate", ["url": "http://127.0.0.1:\(client.port!)/login"], session: page)
            try await browser.waitFor("document.readyState === 'complete' && !!document.getElementById('name')", session: page)
            // The form posts itself: sign-in by keyboard is the first test's part.
            _ = try await browser.evaluate(
                "document.getElementById('name').value = 'alice'; document.getElementById('password').value = "
                    + "'\(ServerFixture.password)'; document.getElementById('name').form.submit()", session: page)
            try await browser.waitFor("location.pathname === '/' && !!document.getElementById('question')", session: page)
            #expect(try await browser.evaluate("document.getElementById('new-conversation').hidden", session: page) as? Bool == true,
                    "no conversation yet, nothing to start afresh")

            func ask(_ question: String) async throws {
                _ = try await browser.evaluate("document.getElementById('question').focus()", session: page)
                try await browser.type(question, session: page)
                try await browser.press("Enter", code: "Enter", keyCode: 13, modifiers: 2, session: page)
                try await browser.waitFor("document.getElementById('answer').dataset.state === 'streaming'", session: page, seconds: 30, every: 0.02)
                try await browser.waitFor(
                    "['done', 'error'].includes(document.getElementById('answer').dataset.state)", session: page, seconds: 600)
                let state = try await browser.evaluate("document.getElementById('answer').dataset.state", session: page) as? String
                let status = try await browser.evaluate("document.getElementById('answer-status').textContent", session: page) as? String
                #expect(state == "done", "\(question): \(status ?? "")")
            }
            try await ask("What is the maximum number of columns in a table?")
            let id = try await browser.evaluate("document.getElementById('conversation-id').value", session: page) as? String ?? ""
            #expect(id.count == 36, "the page now continues conversation \(id)")
            #expect(try await browser.evaluate("location.search", session: page) as? String == "?c=" + id)
            #expect(try await browser.evaluate("document.getElementById('new-conversation').hidden", session: page) as? Bool == false)
            #expect(try await browser.evaluate("document.getElementById('question').value", session: page) as? String == "",
                    "the box is empty for the follow-up")

            try await ask("Can it be raised when compiling?")
            let thread = try await browser.evaluate(
                "Array.from(document.querySelectorAll('#thread > li .turn-question')).map(h => h.textContent)", session: page) as? [Any]
            #expect(thread?.compactMap { $0 as? String } == ["What is the maximum number of columns in a table?"],
                    "the first turn moved up into the thread")
            #expect(try await browser.evaluate("document.getElementById('answer-question').textContent", session: page) as? String
                    == "Can it be raised when compiling?")
            let searched = try await browser.evaluate(
                "(document.querySelector('#answer-final .searched-for') || {}).textContent || ''", session: page) as? String ?? ""
            #expect(searched.hasPrefix("Searched for: Can it be raised when compiling?") && searched.lowercased().contains("column"),
                    "the follow-up shows what it searched for: \(searched)")
            #expect(try await browser.evaluate("document.getElementById('conversation-id').value", session: page) as? String == id)

            // Reloaded, the page shows the same conversation from the server.
            try await browser.send("Page.reload", session: page)
            try await browser.waitFor(
                "document.readyState === 'complete' && document.querySelectorAll('#thread > li').length === 2 && "
                    + "document.getElementById('answer').dataset.state === 'idle'", session: page)

            // New conversation: an empty page that starts a new thread.
            _ = try await browser.evaluate("document.getElementById('new-conversation').click()", session: page)
            try await browser.waitFor("location.search === '' && document.readyState === 'complete' && !!document.getElementById('thread')",
                                      session: page)
            #expect(try await browser.evaluate("document.querySelectorAll('#thread > li').length", session: page) as? Int == 0)
            #expect(try await browser.evaluate("document.getElementById('conversation-id').value", session: page) as? String == "")
        }
    }
}
