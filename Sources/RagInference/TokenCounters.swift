import CLlama
import RagCore

/// Counts tokens with a llama.cpp vocabulary. Safe to call from any thread: llama.cpp's
/// tokenizer only reads the loaded vocabulary.
public struct LlamaTokenCounter: TokenCounter {
    let model: LlamaModelHandle
    public let specialTokens: Int

    init(model: LlamaModelHandle) {
        self.model = model
        // What tokenizing with add_special adds (e.g. [CLS] and [SEP] for BERT).
        let with = (try? model.tokenize("a", addSpecial: true, parseSpecial: false).count) ?? 1
        let without = (try? model.tokenize("a", addSpecial: false, parseSpecial: false).count) ?? 1
        self.specialTokens = max(0, with - without)
    }

    public func count(_ text: String) -> Int {
        (try? model.tokenize(text, addSpecial: false, parseSpecial: false).count) ?? (text.utf8.count + 3) / 4
    }
}

/// An estimate for remote models whose tokenizer is not available here: a token per four
/// bytes, which over-counts English WordPiece/BPE slightly (so chunks stay under the limit).
public struct EstimatingTokenCounter: TokenCounter {
    public let specialTokens: Int
    public init(specialTokens: Int = 2) { self.specialTokens = specialTokens }
    public func count(_ text: String) -> Int { (text.utf8.count + 3) / 4 }
}
