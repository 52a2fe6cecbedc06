import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RagIngest
import RagServer
import RagStore
import RagTesting
import Testing

/// The daemon's HTTP side through its real router: sign-in, sessions, CSRF, roles, streaming,
/// the APIs and admin jobs, over the real store and models.
@Suite(.serialized) struct ServerTests {
    @Test func healthAndReadinessAnswerWithoutSignIn() async throws {
        try await withServer { client, _ in
            #expect(try await client.get("/healthz").status == .ok)
            let ready = try await client.get("/readyz")
            #expect(ready.status == .ok)
            #expect(try ready.json()["status"] as? String == "ready")
            #expect(try await client.get("/static/app.js").status == .ok)
        }
    }

    @Test func everythingElseNeedsSignIn() async throws {
        try await withServer { client, _ in
            let page = try await client.get("/")
            #expect(page.status == .seeOther)
            #expect(page.headers[.location]?.hasPrefix("/login") == true)
            #expect(try await client.get("/documents/1").status == .seeOther, "browsers are sent to sign in")
            for uri in ["/api/v1/search?q=limits", "/metrics", "/api/v1/jobs", "/v1/models"] {
                #expect(try await client.get(uri).status == .unauthorized, "\(uri)")
            }
            #expect(try await client.postJSON("/api/v1/ask", #"{"question":"hi"}"#).status == .unauthorized)
            #expect(try await client.get("/api/v1/search?q=limits", token: "ragd_not-a-token").status == .unauthorized)
        }
    }

    @Test func signInSessionCSRFAndSignOut() async throws {
        try await withServer { client, _ in
            // Wrong password: refused, no session.
            let page = try await client.get("/login")
            let loginCookie = try #require(page.cookie(named: "ragd_login"))
            let csrf = String(try #require(page.text.firstMatch(of: /name="csrf" value="([^"]+)"/)).1)
            let wrong = try await client.postForm("/login", ["name": "alice", "password": "wrong password!", "csrf": csrf],
                                                  cookie: "ragd_login=\(loginCookie)")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.cookie(named: "ragd_session") == nil)
            // A login form without its cookie (cross-site) is refused.
            let forged = try await client.postForm("/login", ["name": "alice", "password": ServerFixture.password, "csrf": csrf])
            #expect(forged.status == .forbidden)

            let session = try await client.signIn("alice")
            let setCookie = try await client.signInResponseHeaders("alice")
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax"))
            let home = try await client.get("/", cookie: session.cookie)
            #expect(home.status == .ok)
            #expect(home.text.contains("<label for=\"question\">Your question</label>"))
            #expect(home.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)

            // State changes need the session's CSRF token.
            let noToken = try await client.postForm("/feedback", ["history_id": "1", "helpful": "yes"], cookie: session.cookie)
            #expect(noToken.status == .forbidden)
            let badToken = try await client.postForm("/logout", ["csrf": "nope"], cookie: session.cookie)
            #expect(badToken.status == .forbidden)

            let out = try await client.postForm("/logout", ["csrf": session.csrf], cookie: session.cookie)
            #expect(out.status == .seeOther)
            #expect(try await client.get("/", cookie: session.cookie).status == .seeOther, "the session ended")
        }
    }

    @Test func trustedHeaderSignInIsOffByDefaultAndOnlyHonouredFromTheProxy() async throws {
        let parts = try await ServerFixture.shared.get()
        // Off by default: the header means nothing.
        let plain = Application(router: parts.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await plain.test(.live) { client in
            let response = try await client.execute(uri: "/", method: .get, headers: [HTTPField.Name("X-Remote-User")!: "adam"])
            #expect(response.status == .seeOther, "no sign-in without configuration")
        }
        var configuration = ServerFixture.configuration
        configuration.trustedHeader = .init(userHeader: "X-Remote-User", groupsHeader: "X-Remote-Groups", trustedProxies: ["127.0.0.1"])
        let proxied = Application(router: parts.router(configuration: configuration),
                                  configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await proxied.test(.live) { client in
            let page = try await client.execute(uri: "/", method: .get, headers: [HTTPField.Name("X-Remote-User")!: "tina"])
            #expect(page.status == .ok, "the proxy's user is signed in (a new employee account)")
            #expect(try parts.store.accounts.user(name: "tina")?.role == .employee)
            let admin = try await client.execute(uri: "/admin", method: .get, headers: [HTTPField.Name("X-Remote-User")!: "tina"])
            #expect(admin.status == .forbidden)
            // A cross-site form post with the header is refused (no CSRF token in this mode).
            let post = try await client.execute(
                uri: "/feedback", method: .post,
                headers: [HTTPField.Name("X-Remote-User")!: "tina", HTTPField.Name("Sec-Fetch-Site")!: "cross-site",
                          .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "history_id=1&helpful=yes"))
            #expect(post.status == .forbidden)
        }
        var elsewhere = configuration
        elsewhere.trustedHeader?.trustedProxies = ["10.9.9.9"]
        let untrusted = Application(router: parts.router(configuration: elsewhere),
                                    configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await untrusted.test(.live) { client in
            let response = try await client.execute(uri: "/", method: .get, headers: [HTTPField.Name("X-Remote-User")!: "adam"])
            #expect(response.status == .seeOther, "headers from anyone but the proxy are ignored")
        }
    }

    @Test func rolesGuardAdminAndMonitoringRoutes() async throws {
        try await withServer { client, parts in
            let employee = parts.tokens["alice"]!, admin = parts.tokens["adam"]!, auditor = parts.tokens["audrey"]!
            #expect(try await client.get("/admin", token: employee).status == .forbidden)
            #expect(try await client.get("/api/v1/jobs", token: employee).status == .forbidden)
            #expect(try await client.get("/metrics", token: employee).status == .forbidden)
            #expect(try await client.get("/admin", token: auditor).status == .forbidden)
            #expect(try await client.get("/admin", token: admin).status == .ok)
            #expect(try await client.get("/api/v1/jobs", token: admin).status == .ok)
            let metrics = try await client.get("/metrics", token: auditor)
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("ragd_http_requests_total"))
            #expect(metrics.text.contains("ragd_chunks"))
        }
    }

    @Test func streamedAnswerOverTheAPIHasSourcesRouteTextAndDone() async throws {
        try await withServer { client, parts in
            let response = try await client.postJSON(
                "/api/v1/ask", #"{"question":"What is the maximum number of tables in a join?","stream":true}"#,
                token: parts.tokens["alice"]!)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let names = response.events.map(\.name)
            #expect(names.first == "sources")
            #expect(names.contains("route"))
            #expect(names.contains("text"))
            #expect(names.last == "done")
            let done = try JSONSerialization.jsonObject(with: Data(response.events.last!.data.utf8)) as! [String: Any]
            #expect(["small_model", "quoted_fallback"].contains(done["path"] as? String))
            #expect(!((done["answer"] as? String) ?? "").isEmpty)
            let sources = done["sources"] as! [[String: Any]]
            #expect(sources.allSatisfy { ($0["link"] as? String)?.hasPrefix("/documents/") == true })
            #expect(done["history_id"] is NSNumber)
        }
    }

    /// The page sends the question being typed; the server reads its prompt ahead. A draft is
    /// not a question: it leaves no history entry and no audit record, and needs the CSRF token.
    @Test func aDraftIsPrefilledWithoutBecomingAQuestion() async throws {
        try await withServer { client, parts in
            let session = try await client.signIn("alice")
            let draft = "What is the maximum number of tables"
            let before = try parts.auditLog.head()
            let response = try await client.postForm("/ask/prefill", ["question": draft, "csrf": session.csrf], cookie: session.cookie)
            #expect(response.status == .ok)
            #expect(try response.json()["prefilled"] as? Bool == true, "\(response.text)")
            let forged = try await client.postForm("/ask/prefill", ["question": draft], cookie: session.cookie)
            #expect(forged.status == .forbidden)

            let alice = try #require(try parts.store.accounts.user(name: "alice")?.id)
            #expect(try parts.store.history.entries(userId: alice, limit: 500).allSatisfy { $0.entry.question != draft })
            let head = try parts.auditLog.head()
            if head.lastId > before.lastId {
                let records = try ((before.lastId + 1)...head.lastId).compactMap { try parts.auditLog.record(id: $0) }
                #expect(records.allSatisfy { $0.event.question?.question != draft })
            }
            // The question itself is answered as usual.
            let answer = try await client.postForm(
                "/ask", ["question": draft + " in a join?", "csrf": session.csrf], cookie: session.cookie,
                headers: [.accept: "text/event-stream"])
            #expect(answer.events.last?.name == "done")
        }
    }

    @Test func openAICompatibleChatCompletions() async throws {
        try await withServer { client, parts in
            let token = parts.tokens["alice"]!
            let models = try await client.get("/v1/models", token: token)
            #expect((try models.json()["data"] as? [[String: Any]])?.first?["id"] as? String == "ragd")
            let plain = try await client.postJSON(
                "/v1/chat/completions",
                #"{"model":"ragd","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"Does SQLite treat NULLs as distinct in a UNIQUE column?"}]}"#,
                token: token)
            #expect(plain.status == .ok)
            let body = try plain.json()
            #expect(body["object"] as? String == "chat.completion")
            let message = ((body["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])
            let content = try #require(message?["content"] as? String)
            #expect(content.contains("Sources:"))
            #expect(content.contains("/documents/"))

            let streamed = try await client.postJSON(
                "/v1/chat/completions",
                #"{"model":"ragd","stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"How many columns can a table have?"}]}]}"#,
                token: token)
            let lines = streamed.text.split(separator: "\n").filter { $0.hasPrefix("data: ") }
            #expect(lines.last == "data: [DONE]")
            #expect(lines.contains { $0.contains("chat.completion.chunk") && $0.contains("\"finish_reason\":\"stop\"") })
        }
    }

    @Test func adminQueuesOneJobPerSourceAndTheWorkerRunsIt() async throws {
        try await withServer { client, parts in
            let admin = parts.tokens["adam"]!
            let first = try await client.postJSON("/api/v1/jobs", #"{"scope":"source","source_id":\#(parts.restrictedSourceId)}"#, token: admin)
            #expect(first.status == .accepted)
            let id = try #require(try first.json()["id"] as? Int)
            let second = try await client.postJSON("/api/v1/jobs", #"{"scope":"all"}"#, token: admin)
            #expect(second.status == .conflict, "one job at a time for a source")

            // The real worker claims it; unchanged files are only hashed.
            let worker = IngestJobWorker(pipeline: IngestPipeline(store: parts.store, embedder: try TestModels.embedder.get()))
            #expect(try await worker.drainQueue() == 1)
            let job = try await client.get("/api/v1/jobs/\(id)", token: admin).json()
            #expect(job["status"] as? String == "done")
            #expect(job["files_done"] as? Int == 1)
            #expect((job["message"] as? String)?.contains("1 unchanged") == true)
        }
    }

    @Test func overloadAnswers503WithRetryAfterAndRateLimit429() async throws {
        var configuration = ServerFixture.configuration
        configuration.maxConcurrentAnswers = 1
        configuration.maxWaitingAnswers = 0
        try await withServer(configuration) { client, parts in
            let token = parts.tokens["alice"]!
            let statuses = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await client.postJSON("/api/v1/ask", #"{"question":"What is the maximum length of a string?"}"#, token: token)
                    }
                }
                return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0.status == .ok }.count >= 1)
            let busy = statuses.filter { $0.status == .serviceUnavailable }
            #expect(!busy.isEmpty, "statuses: \(statuses.map(\.status.code))")
            #expect(busy.allSatisfy { $0.headers[.retryAfter] != nil })
        }
        var limited = ServerFixture.configuration
        limited.questionsPerMinute = 1
        try await withServer(limited) { client, parts in
            let token = parts.tokens["harriet"]!
            // The second question comes while the first is still being answered: a busy machine
            // may take longer than the limit's minute to answer one.
            let first = Task { try await client.postJSON("/api/v1/ask", #"{"question":"What is a NULL?"}"#, token: token) }
            try await Task.sleep(for: .seconds(2))
            let second = try await client.postJSON("/api/v1/ask", #"{"question":"What is a NULL?"}"#, token: token)
            _ = try await first.value
            #expect(second.status == .tooManyRequests)
            #expect(second.headers[.retryAfter] != nil)
        }
    }
}

extension TestClientProtocol {
    /// The Set-Cookie header of a successful sign-in.
    func signInResponseHeaders(_ name: String) async throws -> String {
        let page = try await get("/login")
        let loginCookie = page.cookie(named: "ragd_login")!
        let csrf = page.text.firstMatch(of: /name="csrf" value="([^"]+)"/)!.1
        let response = try await postForm("/login", ["name": name, "password": ServerFixture.password, "csrf": String(csrf)],
                                          cookie: "ragd_login=\(loginCookie)")
        return response.headers[values: .setCookie].first { $0.hasPrefix("ragd_session=") } ?? ""
    }
}
