import ArgumentParser
import Foundation
import RagdApp
import RagAssistant
import RagStore

/// `ragd ask "question"`: streams a cited answer, then lists the sources.
struct Ask: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a question from the ingested documents, with sources.",
        discussion: """
            First the source sentence that best states what was asked is shown as a quote (when \
            one does). Then the model's answer streams sentence by sentence: each sentence is \
            shown only once a source supports it, with that source's number [n]; unsupported \
            sentences are withheld and counted, never shown. When nothing the model wrote \
            survives, the sources are quoted instead, or ragd says the documents do not answer. \
            The last lines say which path produced the answer and why.

            Without a question, ragd asks for one question per line until end of input (Ctrl-D), \
            as one conversation: a follow-up ("And how do I turn it off?") is searched for with \
            what came before (the line "Searched for: …" shows how), and the last turns go into \
            the model's prompt. Type /new to start a new conversation.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The question (omit it to ask several, one per line).")
    var question: String?

    @Flag(help: "Print the final answer as one JSON object instead of streaming text.")
    var json = false

    func run() async throws {
        let app = try AppContext(global)
        // The launched larger tier (large_model.launch) runs while this command does.
        try await app.withLargeModelIfLaunched { try await session(app) }
    }

    func session(_ app: AppContext) async throws {
        let assistant = try app.assistant()
        if let question {
            try await answer(question, with: assistant)
            return
        }
        let documents = try app.store.documents().count
        print("ragd: \(documents) documents in \(app.configuration.database). Ask a question (/new starts a new conversation, Ctrl-D quits).")
        var conversation = Conversation()
        while true {
            print("\n> ", terminator: "")
            guard let line = readLine() else { print(); return }
            let question = line.trimmingCharacters(in: .whitespaces)
            guard !question.isEmpty else { continue }
            if question == "/new" {
                conversation = Conversation()
                print("New conversation.")
                continue
            }
            do {
                if let answer = try await answer(question, with: assistant, after: conversation) {
                    conversation.turns.append(Conversation.Turn(
                        question: question, searchedFor: answer.rewrite.query, answer: answer.text))
                    conversation.turns = Array(conversation.turns.suffix(assistant.rewriter.limits.maxTurns))
                }
            } catch {
                print("error: \(error)")
            }
        }
    }

    @discardableResult
    func answer(_ question: String, with assistant: Assistant, after conversation: Conversation = .empty) async throws -> Answer? {
        var final: Answer?
        var out = FileHandle.standardOutput
        for try await event in assistant.answer(question, access: .unrestricted, conversation: conversation) {
            switch event {
            case .searchedFor(let rewrite) where !json: print("Searched for: \(rewrite.query)\n", to: &out)
            case .evidence(let evidence) where !json:
                print("From the sources [\(evidence.number)]: \"\(evidence.sentence)\"\n", to: &out)
            case .text(let piece) where !json: print(piece, terminator: "", to: &out)
            case .answer(let answer): final = answer
            default: break
            }
        }
        guard let answer = final else { return nil }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(answer), as: UTF8.self))
            return answer
        }
        print("\n")
        let shown = answer.path == .notFound ? answer.sources.prefix(3) : answer.sources.filter { answer.cited.contains($0.number) }.prefix(8)
        if !shown.isEmpty { print(answer.path == .notFound ? "Closest sources:" : "Sources:") }
        for source in shown {
            print("  [\(source.number)] \(source.title) — \(source.location)\n      \(source.path)"
                  + (source.anchor.map { "#\($0)" } ?? ""))
        }
        print("\nPath: \(answer.path.rawValue) (\(answer.route.model ?? "no model")): \(answer.route.reason)")
        if let v = answer.verification, answer.path != .notFound { print("Verification: \(v.reason)") }
        if !answer.withheld.isEmpty, answer.path == .smallModel || answer.path == .largeModel {
            print("Withheld: \(answer.withheld.count) sentence(s) no source supports.")
        }
        return answer
    }
}

extension FileHandle: @retroactive TextOutputStream {
    public func write(_ string: String) { write(Data(string.utf8)) }
}
