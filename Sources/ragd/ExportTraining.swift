import ArgumentParser
import Foundation
import RagAudit
import RagdApp
import RagStore

/// `ragd export-training`: the larger tier's verified answers as a chat-format JSONL file for
/// fine-tuning the small model (see `TrainingExport`).
struct ExportTraining: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-training",
        abstract: "Write the larger model's verified answers as chat-format JSONL for fine-tuning the small model.",
        discussion: """
            One line per answer the larger model wrote and the citation check passed: \
            {"messages":[system, user, assistant]}, where the system message is ragd's system \
            prompt, the user message the passages the larger model was given and the question, \
            and the assistant message the answer as shown. Personal data is replaced by \
            placeholders in every message ([EMAIL_1], [PERSON_1], …: the redaction section's \
            kinds, names and patterns, and every account's display name), also when \
            redaction.enabled is false. Only answers whose passages all come from the chosen \
            sources are written (--source, repeatable; default every source). The file is \
            created readable by its owner only, and the run is recorded in the audit log \
            (training.export).
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The JSONL file to write (replaced if it exists).", valueName: "file"))
    var out: String

    @Option(name: .customLong("source"), help: ArgumentHelp(
        "A source whose passages may go in (see `ragd source list`); repeat for more. Default: every source.", valueName: "id"))
    var sources: [Int64] = []

    func run() async throws {
        let app = try AppContext(global)
        let known = Set(try app.store.sources().compactMap(\.source.id))
        for id in sources where !known.contains(id) {
            throw ValidationError("There is no source \(id): see `ragd source list`.")
        }
        let log = try AuditLog(path: app.configuration.auditDatabasePath)
        let summary = try await app.trainingExport().write(
            to: out, sources: sources.isEmpty ? nil : Set(sources), audit: log, actor: CommandLineAudit.localActor)
        let redacted = summary.redacted.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)" + (n == 1 ? "" : "s") }
        print("Wrote \(count(summary.examples, "example")) to \(out)"
              + (summary.skipped > 0
                 ? "; \(count(summary.skipped, "answer")) left out (a passage from another source, or a document since removed)" : "")
              + (redacted.isEmpty ? "." : "; replaced \(redacted)."))
    }
}
