import ArgumentParser
import Foundation
import RagIngest
import RagStore
import RagdApp

/// `ragd reindex`: moves the database to another embedding model without downtime.
struct Reindex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move to another embedding model: re-embed every chunk in the background, then switch at once.",
        discussion: """
            With --embedding-model, every chunk's stored text is embedded again with the new model \
            into a second vector index, in this process, with progress, while `ragd serve` keeps \
            answering from the active index. When every chunk has its new vector, one transaction \
            makes the new index the active one (questions use it from that moment on; the old \
            vectors are dropped in the same commit). Chunk text, full text and ids are not rebuilt. \
            Run it with the configuration of the model in use (models.embedding still the old one). \
            Stopped or killed, it resumes where it stopped when run again, or in `ragd serve` \
            (which also runs migrations started on the admin page). After the switch, set \
            models.embedding to the new file: ragd refuses to start with a model that did not make \
            the active index. Recorded in the audit log.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The new embedding model's GGUF file.", valueName: "path")) var embeddingModel: String?
    @Flag(help: "Show the active index and the latest migrations.") var status = false
    @Flag(help: "Stop the running migration and drop its vectors (the active index stays).") var cancel = false

    func validate() throws {
        guard [embeddingModel != nil, status, cancel].filter({ $0 }).count == 1 else {
            throw ValidationError("Give one of --embedding-model PATH, --status or --cancel.")
        }
    }

    func run() async throws {
        let app = try AppContext(global)
        let store = app.store
        if status { return try printStatus(store) }
        if cancel {
            let ended = try store.endMigration(as: .cancelled, message: "Cancelled with ragd reindex --cancel.")
            if ended { try await CommandLineAudit.record(global, "index.migration.cancel", [:]) }
            print(ended ? "Migration cancelled; questions are answered from the active index as before." : "No migration is running.")
            return
        }
        let path = URL(fileURLWithPath: embeddingModel!).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("\(path) does not exist (the new model's GGUF file).")
        }
        let model = try app.configuration.loadEmbeddingModel(path: path)
        let record = try store.requestMigration(
            model: model.identifier, modelPath: path, dimensions: model.dimensions, requestedBy: CommandLineAudit.localActor.name)
        if record.chunksDone == 0 {
            try await CommandLineAudit.record(global, "index.migration.start", [
                "from": record.previousModel, "to": record.model, "dimensions": String(record.dimensions),
                "chunks": String(record.chunksTotal)])
        }
        let active = try store.activeVectorIndex()
        print("Re-embedding \(record.chunksTotal) chunks with \(record.model) (\(record.dimensions) dimensions); "
              + "questions are answered from \(active.model) until the switch."
              + (record.chunksDone > 0 ? " Resuming after \(record.chunksDone) chunks." : ""))
        let meter = ProgressMeter(start: record.chunksDone)
        let migrator = EmbeddingMigrator(store: store, model: model, modelPath: path)
        if let switched = try await migrator.run(progress: { meter.report($0) }) {
            try await CommandLineAudit.record(global, "index.migration.switch", [
                "to": switched.model, "generation": String(switched.generation)])
            print(Self.switchedMessage(switched))
            return
        }
        // Another process (ragd serve) works on it: follow its progress.
        print("ragd serve is running this migration; following its progress (Ctrl-C stops following, not the migration).")
        while true {
            try await Task.sleep(for: .seconds(2))
            guard let running = try store.runningMigration() else { break }
            meter.report(running)
        }
        let last = try store.migrations(limit: 1).first
        print(last?.message ?? "The migration ended.")
    }

    static func switchedMessage(_ active: ActiveVectorIndex) -> String {
        "Switched: questions are answered from \(active.model) now (index generation \(active.generation)). "
            + "Set models.embedding: \(active.modelPath ?? active.model) in the configuration before ragd's next start."
    }

    private func printStatus(_ store: RagStore) throws {
        let active = try store.activeVectorIndex()
        print("Active index: \(active.model), \(active.dimensions) dimensions, generation \(active.generation)"
              + (active.modelPath.map { " (\($0))" } ?? ""))
        for m in try store.migrations(limit: 5) {
            let percent = String(format: "%.0f%%", m.fraction * 100)
            print("  #\(m.id ?? 0) \(m.previousModel) → \(m.model)  \(m.status.rawValue)  "
                  + "\(m.chunksDone)/\(m.chunksTotal) chunks (\(percent))  \(m.message ?? "")")
        }
    }
}

/// Prints a migration's progress at most every two seconds: chunks done, rate, time left.
final class ProgressMeter: @unchecked Sendable {
    private let lock = NSLock()
    private let started = Date()
    private let start: Int
    private var printed = Date.distantPast

    init(start: Int) { self.start = start }

    func report(_ record: EmbeddingMigrationRecord) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(printed) >= 2 || record.chunksDone >= record.chunksTotal else { return }
        printed = now
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(record.chunksDone - start) / elapsed : 0
        let left = rate > 0 ? Double(record.chunksTotal - record.chunksDone) / rate : 0
        let done = String(format: "reindex: %d / %d chunks (%.1f%%)", record.chunksDone, record.chunksTotal, record.fraction * 100)
        let line = rate > 0 ? done + String(format: ", %.1f chunks/s, about %.0f s left\n", rate, left) : done + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
