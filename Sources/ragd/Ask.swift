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

            Without a question, ragd asks for one question per line until end of input (Ctrl-D).
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
        print("ragd: \(documents) documents in \(app.configuration.database). Ask a question (Ctrl-D to quit).")
        while true {
            print("\n> ", terminator: "")
            guard let line = readLine() else { print(); return }
            let question = line.trimmingCharacters(in: .whitespaces)
            guard !question.isEmpty else { continue }
            do {
                try await answer(question, with: assistant)
            } catch {
                print("error: \(error)")
            }
        }
    }

    func answer(_ question: String, with assistant: Assistant) async throws {
        var final: Answer?
        var out = FileHandle.standardOutput
        for try await event in assistant.answer(question, access: .unrestricted) {
            switch event {
            case .evidence(let evidence) where !json:
                print("From the sources [\(evidence.number)]: \"\(evidence.sentence)\"\n", to: &out)
            case .text(let piece) where !json: print(piece, terminator: "", to: &out)
            case .answer(let answer): final = answer
            default: break
            }
        }
        guard let answer = final else { return }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(answer), as: UTF8.self))
            return
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
    }
}

extension FileHandle: @retroactive TextOutputStream {
    public func write(_ string: String) { write(Data(string.utf8)) }
}
