import ArgumentParser
import Foundation
import RagAssistant
import RagdApp
import RagStore

extension Eval {
    /// `ragd eval --from-history`: the helpful questions of the history, each as its asker (see `HistoryEval`).
    func runFromHistory() async throws {
        let app = try AppContext(global)
        let set = try HistoryEval(store: app.store, limit: historyLimit)
        guard !set.items.isEmpty else {
            let why = set.skipped.isEmpty ? "no question in the history is marked helpful (with a cited source) yet"
                : "\(set.skipped.count) helpful questions, none whose gold documents their asker can still read"
            throw ValidationError("Nothing to evaluate: \(why).")
        }
        let server = retrievalOnly || noLargeModel ? nil : try await app.startLargeModelIfLaunched()
        var assistant = retrievalOnly ? nil : try app.assistant()
        if noLargeModel, let a = assistant {
            assistant = Assistant(retriever: a.retriever, smallModel: a.smallModel, largeModel: nil, policy: a.router.policy)
        }
        let retriever = assistant?.retriever ?? Retriever(store: app.store, embedder: app.embedder)
        var summaries: [String: HistoryEval.Summary] = [:]
        var outcomes: [String: [HistoryEval.Outcome]] = [:]
        do {
            for name in methods.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                guard let method = SearchMethod(rawValue: name) else { throw ValidationError("Unknown method '\(name)'.") }
                var list: [HistoryEval.Outcome] = []
                for (i, item) in set.items.enumerated() {
                    list.append(try await HistoryEval.evaluate(item, retriever: retriever, method: method, assistant: assistant))
                    if !json { FileHandle.standardError.write(Data("\r\u{1B}[Keval \(name): \(i + 1)/\(set.items.count)".utf8)) }
                }
                outcomes[name] = list
                summaries[name] = HistoryEval.summarize(list)
            }
        } catch {
            await server?.stop()
            throw error
        }
        await server?.stop()
        if !json { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if let details {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var lines: [String] = []
            for (method, list) in outcomes.sorted(by: { $0.key < $1.key }) {
                for o in list {
                    struct Line: Encodable { let method: String; let outcome: HistoryEval.Outcome }
                    lines.append(String(decoding: try encoder.encode(Line(method: method, outcome: o)), as: UTF8.self))
                }
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: details, atomically: true, encoding: .utf8)
        }
        if json {
            struct Skipped: Encodable { let history_id: Int64; let reason: String }
            struct Output: Encodable { let questions: Int; let skipped: [Skipped]; let methods: [String: HistoryEval.Summary] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let output = Output(questions: set.items.count, skipped: set.skipped.map { Skipped(history_id: $0.question.historyId, reason: $0.reason) },
                                methods: summaries)
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
            return
        }
        print("\(set.items.count) helpful questions from the history, each evaluated with its asker's access"
              + (set.skipped.isEmpty ? "" : " (\(set.skipped.count) skipped: gold no longer readable)") + "\n")
        print("method   hit@1  hit@3  hit@5    MRR" + (retrievalOnly ? "" : "  cites gold  paths"))
        for name in ["bm25", "vector", "hybrid"] {
            guard let s = summaries[name] else { continue }
            var line = name.padding(toLength: 7, withPad: " ", startingAt: 0)
            line += [s.hit_at_1, s.hit_at_3, s.hit_at_5, s.mrr].map { String(format: "  %.3f", $0) }.joined()
            if let cites = s.answer_cites_gold {
                line += String(format: "     %.3f  ", cites) + s.paths.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            }
            print(line)
        }
    }
}
