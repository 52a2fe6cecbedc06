import Foundation
import RagAssistant
import RagInference
import RagStore

/// The models, the database and the assistant, assembled from the configuration.
/// The only place that turns configuration into running parts.
struct AppContext {
    let configuration: RagdConfiguration
    let embedder: LlamaEmbeddingModel
    let store: RagStore

    init(_ global: GlobalOptions) throws {
        configuration = try global.load()
        LlamaBackend.initialize(logLevel: global.verbose ? .verbose : .errors)
        embedder = try LlamaEmbeddingModel(configuration: configuration.embeddingConfiguration)
        store = try configuration.openStore(embedder: embedder)
    }

    /// The assistant with the in-process small model and, if configured, the larger model.
    func assistant() throws -> Assistant {
        let small = try LlamaChatModel(configuration: configuration.chatConfiguration)
        var large: (any ChatModel)?
        if let l = configuration.largeModel {
            // No egress: refuse to start with an endpoint outside the network (unless allowed).
            try EndpointPolicy.check(url: l.url, allowPublic: l.allowPublicEndpoint)
            let key = l.apiKeyEnvironment.flatMap { ProcessInfo.processInfo.environment[$0] }
            large = RemoteChatModel(endpoint: RemoteEndpoint(baseURL: l.url, model: l.model, apiKey: key), contextLength: l.context)
        }
        return Assistant(
            retriever: Retriever(store: store, embedder: embedder), smallModel: small, largeModel: large,
            policy: configuration.routing)
    }
}
