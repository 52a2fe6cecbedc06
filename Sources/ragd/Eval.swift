import ArgumentParser
import Foundation
import RagAssistant
import RagCore
import RagStore

/// `ragd eval FILE.jsonl`: retrieval and answer quality on a question set, three methods side by side.
struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate retrieval and answers on a question set (JSON lines) against the ingested corpus.",
        discussion: """
            Each line holds id, question, answer_regex, source, page and evidence (the format of \
            shared/eval/dev-questions.jsonl). The system sees only the question. A retrieved chunk \
            is a hit when its document's path ends with `source` (or the document has the same \
            content as that file), its page range holds `page` (PDF), and it contains or overlaps \
            `evidence`. Reported for bm25, vector and hybrid: hit@1, hit@3, hit@5, MRR, answer \
            accuracy (with and without the quoted fallback), the not-found rate, the route mix and \
            latency percentiles.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The question set (JSON lines).")
    var file: String

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Flag(help: "Skip answer generation: retrieval figures only (fast).")
    var retrievalOnly = false

    @Option(help: "Evaluate only the first N questions.")
    var limit: Int?

    @Option(help: "Methods to run, comma-separated (bm25, vector, hybrid).")
    var methods = "bm25,vector,hybrid"

    @Option(help: ArgumentHelp(
        "Write every answer with its verification to this JSON-lines file, to read what the regex rejects.",
        valueName: "path"))
    var details: String?

    struct MethodResult: Encodable {
        var hit_at_1 = 0.0, hit_at_3 = 0.0, hit_at_5 = 0.0, mrr = 0.0
        var answer_accuracy: Double?
        var answer_accuracy_without_fallback: Double?
        var not_found_rate: Double?
        var retrieval_ms_p50 = 0.0, retrieval_ms_p95 = 0.0
        var ttft_ms_p50: Double?, ttft_ms_p95: Double?
        var total_ms_p50: Double?, total_ms_p95: Double?
        var by_format: [String: [String: Double]] = [:]
    }

    func run() async throws {
        var items = try EvalItem.load(file)
        if let limit { items = Array(items.prefix(limit)) }
        let app = try AppContext(global)
        let assistant = retrievalOnly ? nil : try app.assistant()
        let retriever = Retriever(store: app.store, embedder: app.embedder)
        // Documents with identical content count as one source (the eval README's duplicate pairs).
        let documents = try app.store.documents()
        var byHash: [String: [String]] = [:]
        for d in documents { if let h = d.contentSHA256 { byHash[h, default: []].append(d.path) } }
        let hashOfPath = Dictionary(documents.compactMap { d in d.contentSHA256.map { (d.path, $0) } }, uniquingKeysWith: { a, _ in a })

        var detailLines: [String] = []
        var results: [String: MethodResult] = [:]
        var routes: [String: Int] = [:]
        for name in methods.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let method = SearchMethod(rawValue: name) else { throw ValidationError("Unknown method '\(name)'.") }
            var r = MethodResult()
            var retrievalMs: [Double] = [], ttft: [Double] = [], total: [Double] = []
            var correct = 0, correctRaw = 0, notFound = 0
            var formatHits: [String: (n: Int, hit5: Int, correct: Int)] = [:]
            for (index, item) in items.enumerated() {
                let clock = ContinuousClock()
                let t0 = clock.now
                let (_, hits) = try await retriever.retrieve(item.question, method: method, access: .unrestricted)
                retrievalMs.append((clock.now - t0).milliseconds)
                let rank = hits.prefix(5).firstIndex { hit in
                    isGold(path: hit.documentPath, item: item, byHash: byHash, hashOfPath: hashOfPath)
                        && (item.page == nil || ((hit.pageStart ?? -1)...(hit.pageEnd ?? -1)).contains(item.page!))
                        && PassageMatch.hits(passage: hit.text, evidence: item.evidence)
                }
                if let rank {
                    if rank < 1 { r.hit_at_1 += 1 }
                    if rank < 3 { r.hit_at_3 += 1 }
                    r.hit_at_5 += 1
                    r.mrr += 1 / Double(rank + 1)
                }
                formatHits[item.format, default: (0, 0, 0)].n += 1
                if rank != nil { formatHits[item.format]!.hit5 += 1 }
                if let assistant {
                    let answer = try await assistant.complete(item.question, access: .unrestricted, method: method)
                    ttft.append(answer.timeToFirstTokenMilliseconds ?? answer.totalMilliseconds)
                    total.append(answer.totalMilliseconds)
                    let ok = item.accepts(answer.text)
                    if ok { correct += 1; formatHits[item.format]!.correct += 1 }
                    if item.accepts(answer.rejectedText ?? answer.text) { correctRaw += 1 }
                    if answer.path == .notFound { notFound += 1 }
                    if details != nil {
                        struct Detail: Encodable {
                            var id: String, method: String, correct: Bool, generatedCorrect: Bool, goldRank: Int?
                            var answer: Answer
                        }
                        let detail = Detail(id: item.id, method: method.rawValue, correct: ok,
                                            generatedCorrect: item.accepts(answer.rejectedText ?? answer.text),
                                            goldRank: rank.map { $0 + 1 }, answer: answer)
                        let encoder = JSONEncoder()
                        encoder.outputFormatting = [.sortedKeys]
                        detailLines.append(String(decoding: try encoder.encode(detail), as: UTF8.self))
                    }
                    routes["\(method.rawValue).\(answer.path.rawValue)", default: 0] += 1
                    if method == .hybrid { routes["route.\(answer.route.target.rawValue)", default: 0] += 1 }
                }
                if !json {
                    FileHandle.standardError.write(Data("\r\u{1B}[Keval \(method.rawValue): \(index + 1)/\(items.count)".utf8))
                }
            }
            let n = Double(max(items.count, 1))
            r.hit_at_1 /= n; r.hit_at_3 /= n; r.hit_at_5 /= n; r.mrr /= n
            r.retrieval_ms_p50 = percentile(retrievalMs, 50)
            r.retrieval_ms_p95 = percentile(retrievalMs, 95)
            if assistant != nil {
                r.answer_accuracy = Double(correct) / n
                r.answer_accuracy_without_fallback = Double(correctRaw) / n
                r.not_found_rate = Double(notFound) / n
                r.ttft_ms_p50 = percentile(ttft, 50); r.ttft_ms_p95 = percentile(ttft, 95)
                r.total_ms_p50 = percentile(total, 50); r.total_ms_p95 = percentile(total, 95)
            }
            for (format, f) in formatHits {
                var entry = ["questions": Double(f.n), "hit_at_5": Double(f.hit5) / Double(f.n)]
                if assistant != nil { entry["answer_accuracy"] = Double(f.correct) / Double(f.n) }
                r.by_format[format] = entry
            }
            results[method.rawValue] = r
        }
        if !json { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if let details {
            try (detailLines.joined(separator: "\n") + "\n").write(toFile: details, atomically: true, encoding: .utf8)
        }

        if json {
            struct Output: Encodable { var questions: Int; var methods: [String: MethodResult]; var routes: [String: Int] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(Output(questions: items.count, methods: results, routes: routes)), as: UTF8.self))
        } else {
            print("\(items.count) questions from \(file)\n")
            print("method   hit@1  hit@3  hit@5    MRR  answer  no-fallback  not-found  retr p50/p95 ms  ttft p50/p95 ms  total p50/p95 ms")
            for name in ["bm25", "vector", "hybrid"] {
                guard let r = results[name] else { continue }
                func f(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "  -  " }
                func ms(_ a: Double?, _ b: Double?) -> String {
                    guard let a, let b else { return "-" }
                    return String(format: "%.0f/%.0f", a, b)
                }
                print(name.padding(toLength: 7, withPad: " ", startingAt: 0),
                      f(r.hit_at_1), f(r.hit_at_3), f(r.hit_at_5), f(r.mrr), " ", f(r.answer_accuracy), "     ",
                      f(r.answer_accuracy_without_fallback), "     ", f(r.not_found_rate), "     ",
                      ms(r.retrieval_ms_p50, r.retrieval_ms_p95), "         ", ms(r.ttft_ms_p50, r.ttft_ms_p95), "        ",
                      ms(r.total_ms_p50, r.total_ms_p95))
            }
            if !routes.isEmpty {
                print("\nroutes: " + routes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "  "))
            }
        }
    }

    func isGold(path: String, item: EvalItem, byHash: [String: [String]], hashOfPath: [String: String]) -> Bool {
        if path.hasSuffix("/" + item.source) || path == item.source { return true }
        guard let hash = hashOfPath[path] else { return false }
        return byHash[hash, default: []].contains { $0.hasSuffix("/" + item.source) }
    }
}
