import Foundation
import Hummingbird

/// Form posts, decoded with Hummingbird's `URLEncodedFormDecoder` into one small struct per
/// form. Fields are optional strings where the old pages sent free text: a missing or
/// malformed field is then a 400 that names it (``required(_:_:)``), as before, rather than a
/// decoding error about coding paths.
extension Request {
    /// The body as form `Form`. The body is collected (and kept: `AuthenticationMiddleware` may
    /// have read it already for the CSRF field).
    /// - Throws: 400 when the body is not a form (duplicate or malformed keys, bad percent-encoding).
    mutating func decodeForm<Form: Decodable>(_: Form.Type) async throws -> Form {
        let buffer = try await collectBody(upTo: Self.maxFormSize)
        do {
            return try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: buffer))
        } catch {
            throw ServerError.badRequest("The form could not be read. Reload the page and send it again.")
        }
    }

    static let maxFormSize = 256 * 1024
}

/// A required, trimmed, non-empty field. - Throws: 400 naming the field.
func required(_ value: String?, _ name: String) throws -> String {
    guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
        throw ServerError.badRequest("The field \(name) is required.")
    }
    return value
}

/// The CSRF field alone, which every form posted with a session cookie carries.
struct CSRFForm: Decodable {
    var csrf: String?
}

struct LoginForm: Decodable {
    var csrf: String?
    var name: String?
    var password: String?
    var next: String?
}

struct SetupForm: Decodable {
    var token: String?
    var name: String?
    var password: String?
    var password2: String?
    var groups: String?
}

struct AskForm: Decodable {
    var question: String?
    /// The conversation the question continues (empty or absent: a new one).
    var conversationId: String?

    enum CodingKeys: String, CodingKey {
        case question
        case conversationId = "conversation_id"
    }

    /// The stored conversation the form continues (an empty id starts a new one).
    var conversation: ConversationInput {
        .stored(id: conversationId.flatMap { $0.isEmpty ? nil : $0.lowercased() })
    }
}

struct FeedbackFields: Decodable {
    var historyId: String?
    var helpful: String?
    var comment: String?

    enum CodingKeys: String, CodingKey {
        case helpful, comment
        case historyId = "history_id"
    }
}

struct SourceForm: Decodable {
    var root: String?
    var name: String?
    var groups: String?
    /// "yes" when the Ingest now box is ticked.
    var ingest: String?
}

struct GroupsForm: Decodable {
    var groups: String?
}

/// A source's sync interval: every = seconds, or "off".
struct SyncForm: Decodable {
    var every: String?
    /// "yes" when the on-change box is ticked.
    var on_change: String?
    /// A time of day, HH:MM, or empty.
    var daily_at: String?
}

/// An embedding-model migration: the new model's file on the server.
struct MigrationForm: Decodable {
    var model_path: String?
}

/// A source's escalation policy: on_prem_only yes|no.
struct EscalationForm: Decodable {
    var on_prem_only: String?
}

struct UserForm: Decodable {
    var name: String?
    var password: String?
    var role: String?
    var groups: String?
    var display_name: String?
}

/// A re-ingest request, from the admin form or the JSON API: scope (all|source|document),
/// source_id, document_id, force (yes|true).
struct JobRequest: Decodable {
    var scope: String?
    var sourceId: String?
    var documentId: String?
    var force: String?

    enum CodingKeys: String, CodingKey {
        case scope, force
        case sourceId = "source_id"
        case documentId = "document_id"
    }

    /// From the JSON API's object, whose values may be numbers or strings.
    init(fields: [String: String]) {
        scope = fields["scope"]
        sourceId = fields["source_id"]
        documentId = fields["document_id"]
        force = fields["force"]
    }
}
