import ArgumentParser
import Foundation
import RagdApp
import RagCore
import RagExtraction
import RagInference

/// `ragd doctor`: checks that the models load and run, so setup problems surface before users do.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the installation: extract a page as ingest does, load both models, embed a sentence, generate a short reply.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let configuration = try global.load()
        LlamaBackend.initialize(logLevel: global.verbose ? .verbose : .errors)

        let clock = ContinuousClock()
        var start = clock.now
        try await checkExtraction(configuration.ingest)
        let ingest = configuration.ingest
        let mode = ingest.isolate
            ? "child process, limits \(ingest.fileTimeoutSeconds) s and \(ingest.fileMemoryMB) MiB per file"
            : "in process (ingest.isolate: false)"
        print("extraction       ok  \(mode), \(String(format: "%.2f s", (clock.now - start).seconds))")
        if configuration.ingest.ocr {
            guard OCROptions().engineAvailable else {
                throw ValidationError("OCR is on but Tesseract cannot load its English data: install Debian's "
                    + "tesseract-ocr-eng (make setup does), or set ingest.ocr: false.")
            }
            print("ocr              ok  Tesseract (eng), at most \(configuration.ingest.ocrMaxPages) pages per document")
        } else {
            print("ocr              off (ingest.ocr: false)")
        }

        start = clock.now
        let embedder = try LlamaEmbeddingModel(configuration: configuration.embeddingConfiguration)
        let vector = try await embedder.embed("ragd checks that the embedding model works.")
        print("embedding model  ok  \(embedder.identifier): \(vector.count) dimensions, "
              + "max \(embedder.maxTokens) tokens, \(String(format: "%.2f s", (clock.now - start).seconds)) to load and embed")

        start = clock.now
        let chat = try LlamaChatModel(configuration: configuration.chatConfiguration)
        let reply = try await chat.complete(
            [.system("Answer in one short sentence."), .user("What colour is the sky on a clear day?")],
            options: GenerationOptions(maxTokens: 24))
        print("chat model       ok  \(chat.identifier): context \(chat.contextLength) tokens, "
              + String(format: "%.0f prompt tok/s, %.0f generated tok/s", reply.stats.promptTokensPerSecond,
                       reply.stats.generationTokensPerSecond))
        print("                     reply: \(reply.text.trimmingCharacters(in: .whitespacesAndNewlines))")
        _ = start
    }

    /// Extracts a small generated page with the configured extractor (a child process when
    /// isolated), so a missing or broken helper shows here rather than on every file.
    private func checkExtraction(_ settings: RagdConfiguration.IngestSettings) async throws {
        let page = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-doctor-\(UUID().uuidString).html")
        try Data("<html><body><h1>ragd</h1><p>Extraction works.</p></body></html>".utf8).write(to: page)
        defer { try? FileManager.default.removeItem(at: page) }
        do {
            let document = try await settings.extractor.extract(fileAt: page)
            guard document.sections.first?.blocks.first?.text == "Extraction works." else {
                throw ValidationError("extraction: the test page came back without its text")
            }
        } catch let error as ExtractionError {
            throw ValidationError("extraction failed on a test page: \(error)")
        }
    }
}
