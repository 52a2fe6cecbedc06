import ArgumentParser
import Foundation
import RagdApp
import RagAssistant
import RagCore
import RagInference
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
            `evidence`. Reported for bm25, vector and hybrid: hit@1, hit@3, hit@5, MRR; then answer \
            accuracy (final text), generated accuracy (the model's own verified sentences only), \
            evidence-passage accuracy, how many unanswerable questions ended as not found, shown and \
            withheld sentence counts, unsupported sentences shown and citations of missing sources \
            (both must be 0), paths, and latency percentiles (first text shown, first model-written \
            sentence, total). The larger tier runs if configured (llama-server is started when \
            `large_model.launch` is set); --no-large-model measures the small model alone.

            A line with "turns" in place of "question" is a conversation (eval/follow-ups.jsonl): \
            its earlier turns are asked first (answered, unless --retrieval-only), and its last \
            turn is scored, searched for as the query rewrite makes it (--rewrite). For such \
            lines the report adds, per method, the same last questions asked with no history \
            and their hand-written standalone versions. --after-previous asks every single \
            question as a follow-up to the line before it, to check that rewriting leaves \
            self-contained questions alone.

            --from-history takes the questions from the history instead of files: those \
            employees marked helpful (the newest --history-limit, one per wording), with the \
            documents the answer cited as gold. Each is evaluated as its asker: retrieval and \
            the answer use the asker's access groups as they are now, and the gold is cut to \
            what the asker may still read (an item whose gold they cannot read is skipped, \
            with the reason). Reported per method: hit@1, hit@3, hit@5 and MRR over the \
            distinct documents retrieved, and, unless --retrieval-only, how many answers cite \
            a gold document, and their paths.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The question sets (JSON lines); items with \"answerable\": false count as right when ragd says the documents do not answer.")
    var files: [String] = []

    @Flag(help: "Evaluate the questions employees marked helpful in the history, each with its asker's access.")
    var fromHistory = false

    @Option(help: ArgumentHelp("With --from-history: the newest N helpful questions (default: all).", valueName: "n"))
    var historyLimit: Int?

    func validate() throws {
        if fromHistory, !files.isEmpty { throw ValidationError("Give question files or --from-history, not both.") }
        if !fromHistory, files.isEmpty { throw ValidationError("Give one or more question files (JSON lines), or --from-history.") }
        if let historyLimit, historyLimit < 1 { throw ValidationError("--history-limit must be at least 1.") }
    }

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Flag(help: "Skip answer generation: retrieval figures only (fast).")
    var retrievalOnly = false

    @Flag(help: "Answer with the small model only (no larger tier), to measure it alone.")
    var noLargeModel = false

    @Option(help: "Evaluate only the first N questions of each file.")
    var limit: Int?

    @Option(help: "Methods to run, comma-separated (bm25, vector, hybrid).")
    var methods = "bm25,vector,hybrid"

    @Option(help: ArgumentHelp(
        "Write every answer with its verification to this JSON-lines file, to read what the regex rejects.",
        valueName: "path"))
    var details: String?

    @Option(help: ArgumentHelp(
        "Fusion weights of the two rankings, to compare variants (default: the product's).", valueName: "bm25,vector"))
    var fusion: String?

    @Option(help: ArgumentHelp(
        "Passage re-ranking weights, or 'off' for the fused order (default: the product's).",
        valueName: "fused,similarity,focus"))
    var rerank: String?

    @Option(help: ArgumentHelp(
        "Candidates each ranking contributes to the fusion (default: the product's, 50).", valueName: "n"))
    var candidates: Int?

    @Option(name: .customLong("rerank-depth"), help: ArgumentHelp(
        "How many fused candidates the passage ranker re-scores (default: the product's, 30).", valueName: "n"))
    var rerankDepth: Int?

    @Option(help: ArgumentHelp(
        "How follow-ups are searched for: carry_over, model or off (default: the configuration's conversations.query_rewrite).",
        valueName: "strategy"))
    var rewrite: String?

    @Flag(help: "Ask each single question as a follow-up to the previous line's question.")
    var afterPrevious = false

    @Flag(help: ArgumentHelp(
        "Before each answer, prefill the draft the web page would have sent while the question was typed "
            + "(the question without its last word), as the page does after a pause."))
    var prefill = false

    /// Retrieval of conversations' last turns three ways.
    struct FollowUpResult: Encodable {
        struct Ranking: Encodable { var hit_at_1 = 0.0, hit_at_5 = 0.0, mrr = 0.0 }
        var questions = 0
        /// Searched for as the rewrite made it (the main figures of these lines).
        var with_history = Ranking()
        /// The last turn alone, as if it were the first question.
        var no_history = Ranking()
        /// The hand-written standalone version (the ceiling).
        var standalone = Ranking()
        var rewritten = 0
        /// Time the rewrite added to the last turns (wall clock around the whole rewrite).
        var rewrite_ms_p50 = 0.0, rewrite_ms_p95 = 0.0
    }

    struct MethodResult: Encodable {
        var questions = 0, answerable = 0, unanswerable = 0
        var hit_at_1 = 0.0, hit_at_3 = 0.0, hit_at_5 = 0.0, mrr = 0.0
        /// answer_regex on the final text shown (answerable questions).
        var answer_accuracy: Double?
        /// answer_regex on the model's own verified text only (quotes and not-found count as wrong).
        var generated_accuracy: Double?
        /// answer_regex on the evidence passage alone.
        var evidence_accuracy: Double?
        var evidence_shown_rate: Double?
        /// Answerable questions that ended as not_found.
        var not_found_rate: Double?
        /// Unanswerable questions that ended as not_found (count).
        var unanswerable_not_found: Int?
        var sentences_shown: Int?, sentences_withheld: Int?
        /// Shown sentences that verification did not support (must be 0).
        var unsupported_shown: Int?
        /// Citations in shown text of a source number that was not given (must be 0).
        var bad_citations: Int?
        var paths: [String: Int] = [:]
        /// Answerable questions whose gold document is among the sources (any passage of it).
        var document_recall = 0.0
        /// Each miss (gold passage not in the top 5) by id: where the gold passage was instead.
        var misses: [String: String] = [:]
        var retrieval_ms_p50 = 0.0, retrieval_ms_p95 = 0.0
        var first_shown_ms_p50: Double?, first_shown_ms_p95: Double?
        var first_sentence_ms_p50: Double?, first_sentence_ms_p95: Double?
        var total_ms_p50: Double?, total_ms_p95: Double?
        var prompt_tokens_mean: Double?, prompt_ms_p50: Double?
        var by_format: [String: [String: Double]] = [:]
        /// Questions that were searched for as a rewrite (conversations, or --after-previous).
        var rewritten = 0
        var follow_ups: FollowUpResult?
    }

    func run() async throws {
        if fromHistory { return try await runFromHistory() }
        var items: [EvalItem] = []
        for file in files {
            let loaded = try EvalItem.load(file)
            items += limit.map { Array(loaded.prefix($0)) } ?? loaded
        }
        let app = try AppContext(global)
        // The launched larger tier (large_model.launch), started for the run and stopped after.
        let server = retrievalOnly || noLargeModel ? nil : try await app.startLargeModelIfLaunched()
        var assistant = retrievalOnly ? nil : try app.assistant()
        if noLargeModel, let a = assistant {
            assistant = Assistant(retriever: a.retriever, smallModel: a.smallModel, largeModel: nil, policy: a.router.policy)
        }
        var retriever = Retriever(store: app.store, embedder: app.embedder)
        if let fusion {
            let w = try Self.numbers(fusion, count: 2, option: "--fusion")
            retriever.fusion = FusionWeights(bm25: w[0], vector: w[1])
        }
        if let rerank {
            if rerank == "off" {
                retriever.ranker = nil
            } else {
                let w = try Self.numbers(rerank, count: 3, option: "--rerank")
                retriever.ranker?.weights = PassageRanker.Weights(fused: w[0], similarity: w[1], focus: w[2])
            }
        }
        if let candidates {
            guard candidates >= 1 else { throw ValidationError("--candidates must be at least 1.") }
            retriever.candidates = candidates
        }
        if let rerankDepth {
            guard rerankDepth >= 1 else { throw ValidationError("--rerank-depth must be at least 1.") }
            retriever.ranker?.depth = rerankDepth
        }
        if var a = assistant, fusion != nil || rerank != nil || candidates != nil || rerankDepth != nil {
            a.retriever = retriever
            assistant = a
        }
        var rewriter = assistant?.rewriter ?? QueryRewriter(
            strategy: app.configuration.conversations.queryRewrite,
            timeout: .milliseconds(app.configuration.conversations.rewriteTimeoutMilliseconds),
            limits: app.configuration.conversations.limits)
        if let rewrite {
            guard let strategy = QueryRewriter.Strategy(rawValue: rewrite) else {
                throw ValidationError("--rewrite is one of " + QueryRewriter.Strategy.allCases.map(\.rawValue).joined(separator: ", ") + ".")
            }
            rewriter.strategy = strategy
        }
        if rewriter.strategy == .model, rewriter.model == nil {
            rewriter.model = try LlamaChatModel(configuration: app.configuration.chatConfiguration)
        }
        if var a = assistant {
            a.rewriter = rewriter
            assistant = a
        }
        var wide = retriever
        wide.limit = Self.candidatePool
        // Documents with identical content count as one source (the eval README's duplicate pairs).
        let documents = try app.store.documents()
        var byHash: [String: [String]] = [:]
        for d in documents { if let h = d.contentSHA256 { byHash[h, default: []].append(d.path) } }
        let hashOfPath = Dictionary(documents.compactMap { d in d.contentSHA256.map { (d.path, $0) } }, uniquingKeysWith: { a, _ in a })

        var detailLines: [String] = []
        var results: [String: MethodResult] = [:]
        for name in methods.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let method = SearchMethod(rawValue: name) else { throw ValidationError("Unknown method '\(name)'.") }
            var r = MethodResult()
            var retrievalMs: [Double] = [], firstShown: [Double] = [], firstSentence: [Double] = [], total: [Double] = []
            var promptTokens: [Double] = [], promptMs: [Double] = []
            var correct = 0, generated = 0, evidenceCorrect = 0, evidenceShown = 0, notFound = 0, unanswerableNotFound = 0
            var shownSentences = 0, withheldSentences = 0, unsupported = 0, badCitations = 0
            var formatHits: [String: (n: Int, hit5: Int, correct: Int)] = [:]
            var followUps = FollowUpResult()
            var rewriteMs: [Double] = []
            for (index, item) in items.enumerated() {
                // What came before: a conversation's earlier turns (answered in full runs), or
                // with --after-previous the line before.
                var conversation = Conversation()
                for turn in item.earlierTurns {
                    if let assistant {
                        let earlier = try await assistant.complete(turn, access: .unrestricted, method: method, conversation: conversation)
                        conversation.turns.append(Conversation.Turn(question: turn, searchedFor: earlier.rewrite.query, answer: earlier.text))
                    } else {
                        let query = await rewriter.rewrite(turn, after: conversation).query
                        conversation.turns.append(Conversation.Turn(question: turn, searchedFor: query))
                    }
                }
                if afterPrevious, !item.isFollowUp, index > 0 {
                    conversation.turns.append(Conversation.Turn(question: items[index - 1].question))
                }
                // The rewrite's cost is what it adds to a question asked after others: measured
                // around the whole call (detection, carry-over, the model), 0 ms never assumed.
                let clock = ContinuousClock()
                let rewriteStarted = clock.now
                let rewrite = await rewriter.rewrite(item.question, after: conversation)
                if !conversation.isEmpty { rewriteMs.append((clock.now - rewriteStarted).milliseconds) }
                if rewrite.rewritten { r.rewritten += 1 }
                let t0 = clock.now
                let (vector, hits) = try await retriever.retrieve(rewrite.query, method: method, access: .unrestricted)
                retrievalMs.append((clock.now - t0).milliseconds)
                var rank: Int?
                if item.answerable {
                    r.answerable += 1
                    let isGoldPassage = { (hit: SearchHit) in
                        isGold(path: hit.documentPath, item: item, byHash: byHash, hashOfPath: hashOfPath)
                            && (item.page == nil || ((hit.pageStart ?? -1)...(hit.pageEnd ?? -1)).contains(item.page!))
                            && PassageMatch.hits(passage: hit.text, evidence: item.evidence)
                    }
                    rank = hits.prefix(5).firstIndex(where: isGoldPassage)
                    if item.isFollowUp {
                        func add(_ rank: Int?, to ranking: inout FollowUpResult.Ranking) {
                            guard let rank else { return }
                            if rank < 1 { ranking.hit_at_1 += 1 }
                            ranking.hit_at_5 += 1
                            ranking.mrr += 1 / Double(rank + 1)
                        }
                        followUps.questions += 1
                        if rewrite.rewritten { followUps.rewritten += 1 }
                        add(rank, to: &followUps.with_history)
                        let alone = try await retriever.retrieve(item.question, method: method, access: .unrestricted).hits
                        add(alone.prefix(5).firstIndex(where: isGoldPassage), to: &followUps.no_history)
                        if let standalone = item.standalone {
                            let written = try await retriever.retrieve(standalone, method: method, access: .unrestricted).hits
                            add(written.prefix(5).firstIndex(where: isGoldPassage), to: &followUps.standalone)
                        }
                    }
                    let documentFound = hits.contains { isGold(path: $0.documentPath, item: item, byHash: byHash, hashOfPath: hashOfPath) }
                    if documentFound { r.document_recall += 1 }
                    if rank == nil {
                        // Classify the miss: the gold passage further down the fused candidates,
                        // or only its document among the sources, or neither.
                        // The question's vector is reused: only the ranking is wider.
                        let pool = try wide.retrieve(rewrite.query, vector: vector, method: method, access: .unrestricted)
                        if let at = pool.firstIndex(where: isGoldPassage) {
                            r.misses[item.id] = "passage at rank \(at + 1)"
                        } else {
                            r.misses[item.id] = documentFound ? "document among the sources, passage not in the top \(Self.candidatePool)"
                                : "document not among the sources"
                        }
                    }
                    if let rank {
                        if rank < 1 { r.hit_at_1 += 1 }
                        if rank < 3 { r.hit_at_3 += 1 }
                        r.hit_at_5 += 1
                        r.mrr += 1 / Double(rank + 1)
                    }
                    formatHits[item.format, default: (0, 0, 0)].n += 1
                    if rank != nil { formatHits[item.format]!.hit5 += 1 }
                } else {
                    r.unanswerable += 1
                }
                r.questions += 1
                if let assistant {
                    if prefill {
                        // The page's draft after a pause before the last word; the prefill runs to its end
                        // (the employee paused long enough), then the question is sent.
                        let words = item.question.split(separator: " ")
                        if words.count >= 4 {
                            _ = try await assistant.prefill(
                                words.dropLast().joined(separator: " "), access: .unrestricted, conversation: conversation)
                        }
                    }
                    let answer = try await assistant.complete(
                        item.question, access: .unrestricted, method: method, conversation: conversation)
                    if let t = answer.timeToFirstShownMilliseconds { firstShown.append(t) }
                    if let t = answer.timeToFirstSentenceMilliseconds { firstSentence.append(t) }
                    total.append(answer.totalMilliseconds)
                    if answer.promptTokens > 0 { promptTokens.append(Double(answer.promptTokens)); promptMs.append(answer.promptMilliseconds) }
                    r.paths[answer.path.rawValue, default: 0] += 1
                    let modelWrote = answer.path == .smallModel || answer.path == .largeModel
                    let claims = answer.verification?.claims ?? []
                    withheldSentences += claims.filter { !$0.supported }.count
                    let given = Set(answer.sources.map(\.number))
                    badCitations += CitationVerifier.citations(in: answer.text).filter { !given.contains($0) }.count
                    if modelWrote {
                        shownSentences += claims.filter(\.supported).count
                        // Every shown word must belong to a sentence verification supported: take
                        // the supported sentences out of the shown text; what remains (beyond
                        // citations and punctuation) counts as one unsupported sentence shown.
                        var rest = CitationVerifier.stripCitations(answer.text)
                        for claim in claims where claim.supported {
                            if let range = rest.range(of: claim.sentence) { rest.removeSubrange(range) }
                        }
                        if rest.contains(where: { $0.isLetter || $0.isNumber }) { unsupported += 1 }
                    }
                    var ok = false
                    if item.answerable {
                        ok = item.accepts(answer.text)
                        if ok { correct += 1; formatHits[item.format]!.correct += 1 }
                        if modelWrote && item.accepts(answer.text) { generated += 1 }
                        if let e = answer.evidence {
                            evidenceShown += 1
                            if item.accepts(e.sentence) { evidenceCorrect += 1 }
                        }
                        if answer.path == .notFound { notFound += 1 }
                    } else if answer.path == .notFound {
                        unanswerableNotFound += 1
                        ok = true
                    }
                    if details != nil {
                        struct Detail: Encodable {
                            var id: String, method: String, answerable: Bool, correct: Bool, generatedCorrect: Bool
                            var evidenceCorrect: Bool, goldRank: Int?
                            var answer: Answer
                        }
                        let detail = Detail(id: item.id, method: method.rawValue, answerable: item.answerable, correct: ok,
                                            generatedCorrect: modelWrote && item.accepts(answer.text),
                                            evidenceCorrect: answer.evidence.map { item.accepts($0.sentence) } ?? false,
                                            goldRank: rank.map { $0 + 1 }, answer: answer)
                        let encoder = JSONEncoder()
                        encoder.outputFormatting = [.sortedKeys]
                        detailLines.append(String(decoding: try encoder.encode(detail), as: UTF8.self))
                    }
                }
                if !json {
                    FileHandle.standardError.write(Data("\r\u{1B}[Keval \(method.rawValue): \(index + 1)/\(items.count)".utf8))
                }
            }
            if followUps.questions > 0 {
                let m = Double(followUps.questions)
                for path in [\FollowUpResult.with_history, \.no_history, \.standalone] {
                    followUps[keyPath: path].hit_at_1 /= m
                    followUps[keyPath: path].hit_at_5 /= m
                    followUps[keyPath: path].mrr /= m
                }
                followUps.rewrite_ms_p50 = percentile(rewriteMs, 50)
                followUps.rewrite_ms_p95 = percentile(rewriteMs, 95)
                r.follow_ups = followUps
            }
            let n = Double(max(r.answerable, 1))
            r.hit_at_1 /= n; r.hit_at_3 /= n; r.hit_at_5 /= n; r.mrr /= n
            r.document_recall /= n
            r.retrieval_ms_p50 = percentile(retrievalMs, 50)
            r.retrieval_ms_p95 = percentile(retrievalMs, 95)
            if assistant != nil {
                r.answer_accuracy = Double(correct) / n
                r.generated_accuracy = Double(generated) / n
                r.evidence_accuracy = Double(evidenceCorrect) / n
                r.evidence_shown_rate = Double(evidenceShown) / n
                r.not_found_rate = Double(notFound) / n
                r.unanswerable_not_found = unanswerableNotFound
                r.sentences_shown = shownSentences
                r.sentences_withheld = withheldSentences
                r.unsupported_shown = unsupported
                r.bad_citations = badCitations
                r.first_shown_ms_p50 = percentile(firstShown, 50); r.first_shown_ms_p95 = percentile(firstShown, 95)
                r.first_sentence_ms_p50 = firstSentence.isEmpty ? nil : percentile(firstSentence, 50)
                r.first_sentence_ms_p95 = firstSentence.isEmpty ? nil : percentile(firstSentence, 95)
                r.total_ms_p50 = percentile(total, 50); r.total_ms_p95 = percentile(total, 95)
                r.prompt_tokens_mean = promptTokens.isEmpty ? nil : promptTokens.reduce(0, +) / Double(promptTokens.count)
                r.prompt_ms_p50 = promptMs.isEmpty ? nil : percentile(promptMs, 50)
            }
            for (format, f) in formatHits {
                var entry = ["questions": Double(f.n), "hit_at_5": Double(f.hit5) / Double(f.n)]
                if assistant != nil { entry["answer_accuracy"] = Double(f.correct) / Double(f.n) }
                r.by_format[format] = entry
            }
            results[method.rawValue] = r
        }
        // (If a question throws first, the child gets SIGTERM as ragd exits: parent-death signal.)
        await server?.stop()
        if !json { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if let details {
            try (detailLines.joined(separator: "\n") + "\n").write(toFile: details, atomically: true, encoding: .utf8)
        }

        if json {
            struct Output: Encodable { var questions: Int; var methods: [String: MethodResult] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(Output(questions: items.count, methods: results)), as: UTF8.self))
            return
        }
        print("\(items.count) questions from \(files.joined(separator: ", "))\n")
        print("method   hit@1  hit@3  hit@5    MRR  doc@\(retriever.limit)  retr p50/p95 ms")
        for name in ["bm25", "vector", "hybrid"] {
            guard let r = results[name] else { continue }
            print(name.padding(toLength: 7, withPad: " ", startingAt: 0), f(r.hit_at_1), f(r.hit_at_3), f(r.hit_at_5),
                  f(r.mrr), f(r.document_recall), "  ", ms(r.retrieval_ms_p50, r.retrieval_ms_p95))
        }
        for name in ["bm25", "vector", "hybrid"] {
            guard let r = results[name], let u = r.follow_ups else { continue }
            if name == "bm25" || results["bm25"]?.follow_ups == nil {
                print("\nfollow-ups (last turns of \(u.questions) conversations; rewrite: \(rewriter.strategy.rawValue))")
                print("method   history hit@1 hit@5  MRR    no history hit@1 hit@5  MRR    standalone hit@1 hit@5  MRR    rewritten  rewrite p50/p95 ms")
            }
            func trio(_ k: FollowUpResult.Ranking) -> String { "\(f(k.hit_at_1)) \(f(k.hit_at_5)) \(f(k.mrr))" }
            print(name.padding(toLength: 7, withPad: " ", startingAt: 0), "       ", trio(u.with_history), "            ",
                  trio(u.no_history), "            ", trio(u.standalone), "  ", "\(u.rewritten)/\(u.questions)", "    ",
                  ms(u.rewrite_ms_p50, u.rewrite_ms_p95))
        }
        if let r = results.values.first, r.rewritten > 0, results.values.allSatisfy({ $0.follow_ups == nil }) {
            print("\n\(r.rewritten) of \(r.questions) questions were searched for as a rewrite (\(rewriter.strategy.rawValue))")
        }
        for name in ["bm25", "vector", "hybrid"] {
            guard let r = results[name], !r.misses.isEmpty else { continue }
            // Misses by class first (how many are ranking problems), then each one.
            var classes: [String: Int] = [:]
            for reason in r.misses.values {
                classes[reason.hasPrefix("passage at rank") ? "passage further down the candidates" : reason, default: 0] += 1
            }
            print("\n\(name) misses at 5: " + classes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: "; "))
            for (id, reason) in r.misses.sorted(by: { $0.key < $1.key }) { print("  \(id): \(reason)") }
        }
        guard !retrievalOnly else { return }
        for name in ["bm25", "vector", "hybrid"] {
            guard let r = results[name] else { continue }
            print("""

                \(name): \(r.answerable) answerable, \(r.unanswerable) unanswerable
                  answer accuracy \(f(r.answer_accuracy))   generated (model's own verified text) \(f(r.generated_accuracy))   \
                evidence passage \(f(r.evidence_accuracy)) (shown for \(f(r.evidence_shown_rate)))
                  answerable ended not found \(f(r.not_found_rate))   unanswerable ended not found \
                \(r.unanswerable_not_found ?? 0) of \(r.unanswerable)
                  sentences shown \(r.sentences_shown ?? 0), withheld \(r.sentences_withheld ?? 0), \
                unsupported shown \(r.unsupported_shown ?? 0), citations of a source not given \(r.bad_citations ?? 0)
                  first shown p50/p95 \(ms(r.first_shown_ms_p50, r.first_shown_ms_p95)) ms   first sentence \
                \(ms(r.first_sentence_ms_p50, r.first_sentence_ms_p95)) ms   total \(ms(r.total_ms_p50, r.total_ms_p95)) ms
                  prompt tokens mean \(r.prompt_tokens_mean.map { String(format: "%.0f", $0) } ?? "-"), \
                prompt processing p50 \(r.prompt_ms_p50.map { String(format: "%.0f", $0) } ?? "-") ms
                  paths: \(r.paths.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "  "))
                """)
        }
    }

    static func numbers(_ text: String, count: Int, option: String) throws -> [Double] {
        let values = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == count else { throw ValidationError("\(option) takes \(count) numbers separated by commas.") }
        return values
    }

    /// How deep a miss is looked for among the fused candidates.
    static let candidatePool = 50

    private func f(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "  -  " }
    private func ms(_ a: Double?, _ b: Double?) -> String {
        guard let a, let b else { return "-" }
        return String(format: "%.0f/%.0f", a, b)
    }

    func isGold(path: String, item: EvalItem, byHash: [String: [String]], hashOfPath: [String: String]) -> Bool {
        if path.hasSuffix("/" + item.source) || path == item.source { return true }
        guard let hash = hashOfPath[path] else { return false }
        return byHash[hash, default: []].contains { $0.hasSuffix("/" + item.source) }
    }
}
