import Foundation
import RagInference
import RagTesting
import Testing

/// The converted all-MiniLM-L6-v2 reproduces the reference implementation (Hugging Face
/// transformers) on ../shared/reference/minilm-reference.json.
@Suite struct EmbeddingReferenceTests {
    struct Reference: Decodable {
        var texts: [String]
        var token_ids: [[Int32]]
        var embeddings: [[Float]]
    }

    static func reference() throws -> Reference {
        let url = TestModels.sharedFolder.appendingPathComponent("reference/minilm-reference.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    @Test func tokenIdsMatchTheReference() async throws {
        let model = try TestModels.embedder.get()
        let reference = try Self.reference()
        for (i, text) in reference.texts.enumerated() {
            let tokens = try await model.tokens(text)
            #expect(tokens == reference.token_ids[i], "text \(i + 1)")
        }
    }

    @Test func vectorsMatchTheReference() async throws {
        let model = try TestModels.embedder.get()
        let reference = try Self.reference()
        let batch = try await model.embed(reference.texts)
        #expect(batch.vectors.count == reference.texts.count)
        for (i, vector) in batch.vectors.enumerated() {
            #expect(vector.count == 384)
            let cosine = cosineSimilarity(vector, reference.embeddings[i])
            #expect(cosine >= 0.999, "text \(i + 1): cosine \(cosine)")
        }
        // Text 8 is longer than the model's 256-token limit.
        #expect(batch.truncatedCount == 1)
        #expect(batch.tokenCounts[7] == 256)
    }

    @Test func packedAndSingleCallsAgree() async throws {
        let model = try TestModels.embedder.get()
        let texts = ["short", "a somewhat longer sentence about expense claims", "", "VPN password reset"]
        let packed = try await model.embed(texts)
        for (i, text) in texts.enumerated() {
            let alone = try await model.embed(text)
            #expect(cosineSimilarity(alone, packed.vectors[i]) > 0.9999, "text \(i)")
        }
    }

    @Test func relatedTextsAreCloserThanUnrelatedOnes() async throws {
        let model = try TestModels.embedder.get()
        let v = try await model.embed([
            "How do I reset my VPN password?",
            "Resetting the password of your VPN account",
            "The cafeteria serves lunch from noon.",
        ]).vectors
        #expect(cosineSimilarity(v[0], v[1]) > cosineSimilarity(v[0], v[2]) + 0.2)
    }

    @Test func missingModelFileSaysWhatToDo() {
        #expect {
            _ = try LlamaEmbeddingModel(configuration: LlamaEmbeddingConfiguration(modelPath: "/nonexistent/model.gguf"))
        } throws: { error in
            let error = error as? InferenceError
            return error?.kind == .modelFileMissing && error?.description.contains("make setup") == true
        }
    }
}

@Suite("Embedding task prefixes")
struct EmbeddingPrefixTests {
    @Test("nomic-bert reads search_query/search_document prefixes; other architectures none")
    func prefixesByArchitecture() {
        let nomic = EmbeddingPrefixes.forArchitecture("nomic-bert")
        #expect(nomic.apply("What is WAL?", for: .query) == "search_query: What is WAL?")
        #expect(nomic.apply("WAL is a journal mode.", for: .document) == "search_document: WAL is a journal mode.")
        #expect(EmbeddingPrefixes.forArchitecture("bert").apply("x", for: .query) == "x")
    }

    @Test("tokens(_:as:) shows the prefix the model reads, and the chunk limit leaves room for it")
    func prefixedTokensAndLimit() async throws {
        // Prefixes of different lengths (e5-style), so the longer one sets the limit.
        let prefixes = EmbeddingPrefixes(query: "query: ", document: "passage of a document: ")
        let model = try LlamaEmbeddingModel(configuration: LlamaEmbeddingConfiguration(
            modelPath: TestModels.embeddingPath, threads: 1, maxTokens: 64, prefixes: prefixes))
        let plain = try TestModels.embedder.get()
        let bare = try await plain.tokens("What is WAL?")
        let asQuery = try await model.tokens("What is WAL?", as: .query)
        let asDocument = try await model.tokens("What is WAL?", as: .document)
        #expect(asQuery.count > bare.count && asDocument.count > asQuery.count)
        #expect(asQuery.suffix(5) == bare.suffix(5))
        // The chunk limit is the read limit less the longer prefix.
        let prefixTokens = asDocument.count - bare.count
        #expect(model.maxTokens == 64 - prefixTokens)

        #expect {
            _ = try LlamaEmbeddingModel(configuration: LlamaEmbeddingConfiguration(
                modelPath: TestModels.embeddingPath, threads: 1, maxTokens: 12, prefixes: prefixes))
        } throws: { error in
            (error as? InferenceError)?.description.contains("embedding_max_tokens") == true
        }
    }

    @Test("MiniLM's architecture has no prefixes, so its vectors are unchanged by purpose")
    func miniLMIgnoresPurpose() async throws {
        let embedder = try TestModels.embedder.get()
        let asQuery = try await embedder.embed("How large can a BLOB be?", as: .query)
        let asDocument = try await embedder.embed("How large can a BLOB be?", as: .document)
        #expect(asQuery == asDocument)
    }
}
