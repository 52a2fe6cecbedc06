import ArgumentParser
import Foundation
import RagInference

/// `ragd doctor`: checks that the models load and run, so setup problems surface before users do.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the installation: load both models, embed a sentence, generate a short reply.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let configuration = try global.load()
        LlamaBackend.initialize(logLevel: global.verbose ? .verbose : .errors)

        let clock = ContinuousClock()
        var start = clock.now
        let embedder = try LlamaEmbeddingModel(configuration: configuration.embeddingConfiguration)
        let vector = try await embedder.embed("ragd checks that the embedding model works.")
        print("embedding model  ok  \(embedder.identifier): \(vector.count) dimensions, "
              + "max \(embedder.maxTokens) tokens, \(clock.now - start) to load and embed")

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
}
