import AsyncHTTPClient
import Foundation
import NIOCore
import RagCore
import RagAssistant
import RagInference
import RagStore

/// The daemon as users meet it: `ragd serve` (release build) on the sample corpus, asked over
/// HTTP. Time to first token through the daemon beside raw llama.cpp processing of the very
/// prompt the daemon builds; answered questions per minute at 1, 4 and 16 concurrent clients;
/// resident memory idle, answering and ingesting.
struct DaemonBench {
    let cache: String
    let threads: Int
    let ragd: String
    let secondsPerLevel: Int
    let clientCounts: [Int]
    let port: Int
    var ttftQuestions = 12

    /// A workload of everyday questions about the sample corpus (SQLite pages, Debian FAQ).
    static let questions = [
        "What is the maximum length of a string or BLOB in SQLite?",
        "How does SQLite treat NULL values in a UNIQUE column?",
        "What does the ON CONFLICT DO UPDATE clause do?",
        "What is type affinity?",
        "How does a write-ahead log checkpoint work?",
        "How many tables can be joined in one query?",
        "What is Debian?",
        "How do I keep my Debian system up to date?",
        "Where can I find the Debian FAQ?",
        "How much disk space does Debian need?",
        "Which storage classes does SQLite have?",
        "Can a WAL database be read over a network file system?",
    ]

    var folder: String { cache + "/bench/daemon" }
    var database: String { folder + "/ragd.sqlite" }
    var base: String { "http://127.0.0.1:\(port)" }

    /// Replies the chat models decode together, one daemon run each (`models.chat_parallel`,
    /// `large_model.launch.parallel`); the first also times the first token, memory and an ingest.
    var chatParallel = [4, 1]

    func run() async throws -> [Row] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        print("daemon: ingesting the sample corpus (unchanged files are skipped)...")
        _ = try command([ragd, "ingest", "--db", database, cache + "/sample/sqlite-docs", cache + "/sample/debian-faq"])
        // Accounts with a throwaway password (the benchmark signs in with tokens only).
        let password = UUID().uuidString + "\n"
        _ = try? command([ragd, "user", "add", "bench", "--password-stdin", "--db", database], input: password)
        _ = try? command([ragd, "user", "add", "bench-admin", "--role", "admin", "--password-stdin", "--db", database],
                         input: password)
        let token = try bearer("bench")
        let adminToken = try bearer("bench-admin")
        // Askers may wait minutes in line (16 clients, one chat model): no read timeout short of that.
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                timeout: .init(connect: .seconds(10), read: .seconds(900)),
                connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)))
        defer { _ = client.shutdown() }

        var rows: [Row] = []
        for (run, parallel) in chatParallel.enumerated() {
            let server = try startDaemon(parallel: parallel)
            defer { if server.isRunning { server.terminate(); server.waitUntilExit() } }
            try await waitUntilReady(client)
            try await Task.sleep(for: .seconds(3))
            let pid = server.processIdentifier
            let idleRSS = Self.memory(pid, "VmRSS")
            if run == 0, ttftQuestions > 0 { rows += try await timeToFirstToken(client, token: token) }

            let monitor = PeakMemory(pid: pid)
            let monitorTask = Task { await monitor.run() }
            var perMinute: [Int: Double] = [:]
            let setting = "\(parallel) repl\(parallel == 1 ? "y" : "ies") decoded together"
            for clients in clientCounts {
                let level = try await load(client, token: token, clients: clients)
                perMinute[clients] = Double(level.answered) * 60 / level.seconds
                let who = "\(clients) client\(clients == 1 ? "" : "s"), \(setting)"
                rows.append(Row(name: "daemon: answered questions/min, \(who)", unit: "q/min",
                                ragd: perMinute[clients]!, raw: nil))
                let firstText = Percentiles(level.firstText)
                rows.append(Row(name: "  time to first text p50 / p95 (raw column), \(who)", unit: "ms",
                                ragd: firstText.p50 * 1000, raw: firstText.p95 * 1000))
                if level.rejected > 0 {
                    rows.append(Row(name: "  turned away (503/429), \(who)", unit: "requests", ragd: Double(level.rejected), raw: nil))
                }
            }
            if let one = perMinute[1], one > 0 {
                for (clients, rate) in perMinute.sorted(by: { $0.key < $1.key }) where clients > 1 {
                    rows.append(Row(name: "  answers/min at \(clients) clients ÷ 1 client, \(setting)", unit: "ratio",
                                    ragd: rate / one, raw: nil))
                }
            }
            guard run == 0 else { monitorTask.cancel(); continue }
            let answeringPeak = await monitor.peak
            await monitor.reset()
            let ingestSeconds = try await ingestJob(client, token: adminToken)
            let ingestPeak = await monitor.peak
            monitorTask.cancel()

            rows.append(Row(name: "daemon RSS idle (default models, sample corpus)", unit: "MB", ragd: idleRSS, raw: nil))
            rows.append(Row(name: "daemon RSS peak while answering (\(clientCounts.max() ?? 0) clients)", unit: "MB",
                            ragd: answeringPeak, raw: nil))
            rows.append(Row(name: String(format: "daemon RSS peak while ingesting (forced re-ingest, %.0f s)", ingestSeconds),
                            unit: "MB", ragd: ingestPeak, raw: nil))
        }
        return rows
    }

    /// `ragd serve` on the benchmark database with `parallel` replies decoded together by both
    /// tiers; one chat model at a time before batching was `parallel: 1` with two answers admitted.
    private func startDaemon(parallel: Int) throws -> Process {
        let config = folder + "/bench.yaml"
        // Room for 16 waiting askers and no per-user limit: the figure is the daemon's throughput.
        try """
            models:
              chat_parallel: \(parallel)
            large_model:
              launch:
                parallel: \(parallel)
            server:
              port: \(port)
              max_concurrent_answers: \(max(2, parallel))
              max_waiting_answers: 64
              questions_per_minute: 100000
            """.write(toFile: config, atomically: true, encoding: .utf8)
        print("daemon: ragd serve with \(parallel) replies decoded together...")
        let server = Process()
        server.executableURL = URL(fileURLWithPath: ragd)
        server.arguments = ["serve", "--db", database, "--config", config]
        server.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        server.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try server.run()
        return server
    }

    // MARK: time to first token

    /// One client, one question at a time: the first streamed token as the client sees it,
    /// against raw llama.cpp decoding the same prompt (the daemon's retrieval and prompt
    /// builder, run here on the same database) from an empty cache.
    private func timeToFirstToken(_ client: HTTPClient, token: String) async throws -> [Row] {
        let embedder = try LlamaEmbeddingModel(configuration: .init(
            modelPath: cache + "/models/all-MiniLM-L6-v2.f16.gguf", threads: threads))
        let chatPath = cache + "/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
        let chat = try LlamaChatModel(configuration: .init(modelPath: chatPath, contextLength: 4096, threads: threads))
        let store = try RagStore(configuration: StoreConfiguration(
            path: database, vectorExtensionPath: cache + "/lib/vec0.so",
            embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier))
        let retriever = Retriever(store: store, embedder: embedder)
        let builder = PromptBuilder()
        let raw = try RawChat(path: chatPath, threads: threads, contextLength: 4096)

        var daemon: [Double] = []
        var engine: [Double] = []
        var ratios: [Double] = []
        var tokens: [Int] = []
        var mismatched = 0
        _ = try await streamedFirstToken(client, token: token, question: "What is SQLite?")
        // Each question once, after a warm-up question so model and pages are loaded.
        for question in Self.questions.prefix(ttftQuestions) {
            guard let (first, daemonTokens) = try await streamedFirstToken(client, token: token, question: question) else { continue }
            let retrieval = try await retriever.retrieval(question, access: .unrestricted)
            let sources = retrieval.sources
            let index = try await SentenceIndex.build(
                question: question, questionVector: retrieval.vector, sources: Array(sources.prefix(5)), embedder: embedder)
            let (messages, _) = try await builder.messages(question: question, sources: sources, index: index, model: chat)
            let prompt = try await chat.formattedPrompt(messages)
            let r = try raw.run(prompt: prompt, maxTokens: 1)
            // The same prompt on both sides, or the comparison says nothing (the BOS token aside).
            if abs(daemonTokens - r.promptTokens) > 1 { mismatched += 1 }
            daemon.append(first)
            engine.append(r.promptSeconds)
            ratios.append(first / r.promptSeconds)
            print(String(format: "  TTFT %5.0f ms through the daemon, %5.0f ms raw, %d prompt tokens: %@",
                         first * 1000, r.promptSeconds * 1000, r.promptTokens, question))
            tokens.append(r.promptTokens)
        }
        let d = Percentiles(daemon), e = Percentiles(engine), q = Percentiles(ratios)
        let meanTokens = tokens.isEmpty ? 0 : tokens.reduce(0, +) / tokens.count
        var rows = [
            Row(name: "TTFT through the daemon p50 (raw: prompt processing, ~\(meanTokens) tok)", unit: "ms",
                ragd: d.p50 * 1000, raw: e.p50 * 1000),
            Row(name: "TTFT through the daemon p95 (raw: prompt processing)", unit: "ms", ragd: d.p95 * 1000, raw: e.p95 * 1000),
            Row(name: "TTFT / raw prompt time, same prompt: p50", unit: "ratio", ragd: q.p50, raw: nil),
            Row(name: "TTFT / raw prompt time, same prompt: p95", unit: "ratio", ragd: q.p95, raw: nil),
        ]
        if mismatched > 0 {
            rows.append(Row(name: "  prompts whose token counts differed (daemon vs rebuilt)", unit: "prompts", ragd: Double(mismatched), raw: nil))
        }
        return rows
    }

    /// Seconds from sending the question to the first `text` event of the answer stream (since
    /// issue 13: the first verified sentence, or the quote / not-found text), or nil when the
    /// answer had no generated text.
    private func streamedFirstToken(_ client: HTTPClient, token: String, question: String) async throws -> (Double, Int)? {
        var request = HTTPClientRequest(url: base + "/api/v1/ask")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["question": question, "stream": true])))
        let start = ContinuousClock.now
        let response = try await client.execute(request, timeout: .seconds(300))
        guard response.status == .ok else { throw BenchError(description: "ask: HTTP \(response.status.code)") }
        var first: Double?
        var text = ""
        for try await buffer in response.body {
            text += String(buffer: buffer)
            if first == nil, text.contains("event: text\n") { first = (ContinuousClock.now - start).seconds }
        }
        guard let first, let range = text.range(of: "\"prompt_tokens\":") else { return nil }
        let digits = text[range.upperBound...].prefix { $0.isNumber }
        return (first, Int(digits) ?? 0)
    }

    // MARK: throughput

    /// `clients` askers asking one question after another for `secondsPerLevel`, streamed:
    /// answers completed, requests turned away, the seconds taken, and each answer's time from
    /// sending the question to its first `text` event.
    private func load(_ client: HTTPClient, token: String, clients: Int) async throws
        -> (answered: Int, rejected: Int, seconds: Double, firstText: [Double])
    {
        print("daemon: \(clients) concurrent client(s) for \(secondsPerLevel) s...")
        let start = ContinuousClock.now
        let deadline = start + .seconds(secondsPerLevel)
        let results = try await withThrowingTaskGroup(of: (Int, Int, [Double]).self) { group in
            for c in 0..<clients {
                group.addTask {
                    var answered = 0, rejected = 0, i = c
                    var firstText: [Double] = []
                    while ContinuousClock.now < deadline {
                        var request = HTTPClientRequest(url: base + "/api/v1/ask")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        let question = Self.questions[i % Self.questions.count]
                        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(
                            withJSONObject: ["question": question, "stream": true])))
                        i += clients
                        let sent = ContinuousClock.now
                        let response = try await client.execute(request, timeout: .seconds(600))
                        guard response.status == .ok else {
                            _ = try await response.body.collect(upTo: 1 << 20)
                            rejected += 1
                            try await Task.sleep(for: .seconds(1))
                            continue
                        }
                        var text = "", first: Double?
                        for try await buffer in response.body {
                            text += String(buffer: buffer)
                            if first == nil, text.contains("event: text\n") { first = (ContinuousClock.now - sent).seconds }
                        }
                        answered += 1
                        if let first { firstText.append(first) }
                    }
                    return (answered, rejected, firstText)
                }
            }
            return try await group.reduce((0, 0, [Double]())) { ($0.0 + $1.0, $0.1 + $1.1, $0.2 + $1.2) }
        }
        // Answers in flight at the deadline are counted, and so is the time they took.
        return (results.0, results.1, (ContinuousClock.now - start).seconds, results.2)
    }

    // MARK: ingesting

    /// A forced re-ingest of the sample corpus through the daemon's job API (admin token);
    /// returns its duration.
    private func ingestJob(_ client: HTTPClient, token: String) async throws -> Double {
        print("daemon: forced re-ingest of every source through /api/v1/jobs...")
        var request = HTTPClientRequest(url: base + "/api/v1/jobs")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["scope": "all", "force": "true"])))
        let start = ContinuousClock.now
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .accepted,
              let job = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let id = job["id"] as? Int
        else { throw BenchError(description: "jobs: HTTP \(response.status.code) \(String(buffer: body))") }
        while true {
            try await Task.sleep(for: .seconds(1))
            var poll = HTTPClientRequest(url: base + "/api/v1/jobs/\(id)")
            poll.headers.add(name: "Authorization", value: "Bearer \(token)")
            let r = try await client.execute(poll, timeout: .seconds(30))
            let b = try await r.body.collect(upTo: 1 << 20)
            let status = (try JSONSerialization.jsonObject(with: Data(b.readableBytesView)) as? [String: Any])?["status"] as? String
            if status != "queued" && status != "running" { break }
        }
        return (ContinuousClock.now - start).seconds
    }

    // MARK: helpers

    private func waitUntilReady(_ client: HTTPClient) async throws {
        for _ in 0..<120 {
            if let response = try? await client.execute(HTTPClientRequest(url: base + "/readyz"), timeout: .seconds(2)),
               response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw BenchError(description: "ragd serve did not become ready on port \(port)")
    }

    private func bearer(_ user: String) throws -> String {
        let out = try command([ragd, "user", "token", user, "--label", "bench-\(UUID().uuidString.prefix(8))", "--db", database])
        guard let token = out.split(whereSeparator: \.isWhitespace).last(where: { $0.count >= 32 }) else {
            throw BenchError(description: "no token in: \(out)")
        }
        return String(token)
    }

    @discardableResult
    private func command(_ arguments: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let out = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw BenchError(description: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(out)")
        }
        return out
    }

    /// A /proc/PID/status figure in MB (VmRSS: now; VmHWM: peak).
    static func memory(_ pid: Int32, _ key: String) -> Double {
        Double(ProcessStatus.kibibytes(key, pid: pid) ?? 0) / 1024
    }
}

/// The largest resident size of a process, sampled every 200 ms.
actor PeakMemory {
    let pid: Int32
    private(set) var peak = 0.0
    init(pid: Int32) { self.pid = pid }
    func reset() { peak = 0 }
    func run() async {
        while !Task.isCancelled {
            peak = max(peak, DaemonBench.memory(pid, "VmRSS"))
            try? await Task.sleep(for: .milliseconds(200))
        }
    }
}
