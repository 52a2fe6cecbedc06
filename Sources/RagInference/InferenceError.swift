/// Why an inference call failed, with what to do about it.
///
/// Descriptions never contain prompt or document text: they end up in logs.
public struct InferenceError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case modelFileMissing
        case modelLoadFailed
        case contextCreationFailed
        case tokenizationFailed
        case decodeFailed
        case promptTooLong
        case noChatTemplate
        case remoteUnavailable
        case remoteProtocol
        case invalidConfiguration
    }

    public let kind: Kind
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    static func modelFileMissing(_ path: String, role: String) -> InferenceError {
        InferenceError(
            .modelFileMissing,
            "The \(role) model file \(path) does not exist. Run `make setup` to fetch and convert the default models, "
                + "or point the configuration (models.\(role == "chat" ? "chat" : "embedding")) at a GGUF file."
        )
    }
}
