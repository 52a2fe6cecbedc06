import ArgumentParser
import Foundation
import Logging
import RagIngest
import RagInference
import RagStore

/// `ragd ingest PATH…`: brings files and folders into the database.
struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ingest documents (PDF, HTML, text, Markdown) from files or folders.",
        discussion: """
            Folders are read recursively. A file whose content has not changed since the last \
            ingest costs nothing; a changed file has its chunks replaced in one transaction; \
            documents whose files are gone from a folder are removed. A file that cannot be read \
            is recorded with its reason and the others go on. Exits with status 1 when any file \
            failed (encrypted files are skipped, not failed).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Files or folders to ingest.", valueName: "path"))
    var paths: [String]

    @Flag(help: "Print the summary as one JSON object on standard output.")
    var json = false

    @Flag(help: "Re-read and re-embed files even when their content is unchanged.")
    var force = false

    func run() async throws {
        let configuration = try global.load()
        LlamaBackend.initialize(logLevel: global.verbose ? .verbose : .errors)
        let embedder = try LlamaEmbeddingModel(configuration: configuration.embeddingConfiguration)
        let store = try configuration.openStore(embedder: embedder)
        var pipeline = IngestPipeline(store: store, embedder: embedder, extractor: configuration.ingest.extractor)
        pipeline.force = force

        let display = ProgressDisplay(interactive: isatty(STDERR_FILENO) == 1)
        let summary = try await pipeline.ingest(paths: paths) { display.update($0) }
        display.finish()

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(SummaryText.render(summary))
        }
        if !summary.failed.isEmpty { throw ExitCode(1) }
    }
}

/// Ingest progress on standard error: one rewritten line on a terminal, a log line per file otherwise.
final class ProgressDisplay: Sendable {
    let interactive: Bool
    init(interactive: Bool) { self.interactive = interactive }

    func update(_ p: IngestProgress) {
        if interactive {
            let eta = p.etaSeconds.map { " · ETA \(Self.duration($0))" } ?? ""
            let name = (p.currentPath as NSString).lastPathComponent
            let line = "files \(p.filesDone)/\(p.filesTotal) · pages \(p.pages) · chunks \(p.chunks) · "
                + String(format: "%.1f chunks/s", p.chunksPerSecond) + eta + " · \(name)"
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + String(line.prefix(160))).utf8))
        } else {
            FileHandle.standardError.write(Data(
                "ingest: [\(p.filesDone)/\(p.filesTotal)] \(p.outcome) \(p.currentPath)\n".utf8))
        }
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}

enum SummaryText {
    static func render(_ s: IngestSummary) -> String {
        var lines = [
            "\(s.files) files: \(s.new) new, \(s.updated) updated, \(s.unchanged) unchanged, "
                + "\(s.failed.count) failed, \(s.skipped.count) skipped; \(s.removed) removed",
            "\(s.pages) pages, \(s.chunks) chunks in " + String(format: "%.1f s", s.seconds)
                + (s.seconds > 0 && s.chunks > 0 ? String(format: " (%.1f chunks/s)", Double(s.chunks) / s.seconds) : ""),
        ]
        if s.boilerplateBlocks > 0 {
            lines.append("\(s.boilerplateBlocks) repeated blocks (navigation, footers) left out of the chunks")
        }
        if s.truncatedChunks > 0 { lines.append("warning: \(s.truncatedChunks) chunks were cut by the embedding model") }
        for f in s.skipped { lines.append("skipped \(f.path): \(f.reason)") }
        for f in s.failed { lines.append("failed  \(f.path): \(f.reason)") }
        return lines.joined(separator: "\n")
    }
}
