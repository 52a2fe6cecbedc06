import Foundation
import RagStore

/// The administration page (`admin.mustache`): sources and their groups, ingest jobs with
/// live progress, users, and the forms that change them.
struct AdminPage: PageView {
    static let template = Template.admin
    let title = "Administration"
    let nav: Navigation?
    let csrf: String?
    /// What went wrong with the last form, shown above everything.
    let error: String?
    let sources: [Source]
    let jobs: [Job]
    let users: [User]
    let minimumPasswordLength = Accounts.minimumPasswordLength
    /// The embedding index: its model, and migrations to another.
    let index: Index

    struct Index {
        let model: String
        let dimensions: Int
        let generation: Int64
        let modelPath: String
        /// The running migration, if any.
        let running: Migration?
        /// Finished ones, newest first.
        let history: [Migration]
        let hasHistory: Bool
        /// The form is offered (the server can load models).
        let canMigrate: Bool
    }

    struct Migration {
        let id: Int64
        let from: String
        let to: String
        let status: String
        let chunksDone: Int
        let progressMax: Int
        let chunksTotal: Int
        let percent: String
        let requestedBy: String
        let started: String
        let message: String

        init(_ m: EmbeddingMigrationRecord) {
            id = m.id ?? 0
            from = m.previousModel
            to = m.model
            status = m.status.rawValue
            chunksDone = m.chunksDone
            progressMax = max(m.chunksTotal, 1)
            chunksTotal = m.chunksTotal
            percent = String(format: "%.0f%%", m.fraction * 100)
            requestedBy = m.requestedBy
            started = DisplayDate.string(m.createdAt)
            message = m.message ?? (m.heartbeatAt.map { "last progress " + DisplayDate.string($0) } ?? "waiting for ragd serve to start it")
        }
    }

    struct Source {
        let id: Int64
        let name: String
        let root: String
        let groups: String
        let documents: Int
        let failed: Int
        let chunks: Int
        let lastIngest: String
        /// Its passages never go to the larger model.
        let onPremOnly: Bool
        let syncChoices: [SyncChoice]
        let syncOnChange: Bool
        let syncDailyAt: String
        /// "every 15 min; next 14:05; last 13:50: 3 files: …", nil when it never synced and has no interval.
        let syncStatus: String?
        /// Set while the source keeps failing: why, and when it is tried again.
        let syncFailing: String?
    }

    struct SyncChoice {
        let value: String
        let label: String
        let selected: Bool

        /// The intervals the page offers, with the source's own when it is another.
        static func choices(current: Int?) -> [SyncChoice] {
            var options: [(String, String)] = [("off", "only when asked"), ("900", "every 15 min"), ("3600", "every hour"),
                                                ("86400", "every day")]
            if let current, !options.contains(where: { $0.0 == String(current) }) {
                options.append((String(current), "every " + RagStore.describe(seconds: TimeInterval(current))))
            }
            return options.map { SyncChoice(value: $0.0, label: $0.1, selected: $0.0 == (current.map(String.init) ?? "off")) }
        }
    }

    struct Job {
        let id: Int64
        let status: String
        let target: String
        let stopping: Bool
        let progressMax: Int
        let filesDone: Int
        let filesTotal: Int
        let chunks: Int
        let message: String
        let requestedBy: String
        let cancellable: Bool
    }

    struct User {
        let name: String
        let displayName: String
        let role: String
        let groups: String
        let state: String
        /// The disable form's action; nil for disabled users and for the admin themself.
        let disablePath: String?
    }

    init(identity: Identity, message: String?, sources: [SourceSummary], jobs: [IngestJobRecord], users: [UserRecord],
         index: ActiveVectorIndex, migrations: [EmbeddingMigrationRecord], canMigrate: Bool) {
        let running = migrations.first { $0.status == .running }
        self.index = Index(
            model: index.model, dimensions: index.dimensions, generation: index.generation, modelPath: index.modelPath ?? "",
            running: running.map(Migration.init), history: migrations.filter { $0.status != .running }.map(Migration.init),
            hasHistory: migrations.contains { $0.status != .running }, canMigrate: canMigrate && running == nil)
        nav = Navigation(identity)
        csrf = identity.csrfToken
        error = message
        self.sources = sources.map { s in
            Source(
                id: s.source.id!, name: s.source.name, root: s.source.root,
                groups: GroupList.decode(s.source.groups).joined(separator: ", "),
                documents: s.documents, failed: s.failed, chunks: s.chunks,
                lastIngest: s.source.lastIngestAt.map(DisplayDate.string) ?? "never", onPremOnly: s.source.onPremOnly,
                syncChoices: SyncChoice.choices(current: s.source.syncSeconds), syncOnChange: s.source.syncOnChange,
                syncDailyAt: s.source.syncDailyAt ?? "", syncStatus: Self.syncStatus(s.source),
                syncFailing: s.source.syncFailures > 0 ? s.source.lastSyncResult : nil)
        }
        self.jobs = jobs.map { j in
            let target = j.scope == .all ? "everything" : j.scope == .source ? "source \(j.sourceId.map(String.init) ?? "?")"
                : "document \(j.documentId.map(String.init) ?? "?")"
            return Job(
                id: j.id!, status: j.status.rawValue, target: target, stopping: j.cancelRequested && !j.status.isFinished,
                progressMax: max(j.filesTotal, 1), filesDone: j.filesDone, filesTotal: j.filesTotal, chunks: j.chunks,
                message: j.message ?? j.currentPath.map { ($0 as NSString).lastPathComponent } ?? "",
                requestedBy: j.requestedBy, cancellable: !j.status.isFinished)
        }
        self.users = users.map { u in
            let mayDisable = !u.disabled && u.name.lowercased() != identity.name.lowercased()
            return User(
                name: u.name, displayName: u.displayName ?? "", role: u.role.rawValue, groups: u.groupList.joined(separator: ", "),
                state: u.disabled ? "disabled" : "active", disablePath: mayDisable ? "/admin/users/\(u.name)/disable" : nil)
        }
    }
}

extension AdminPage {
    static func syncStatus(_ source: SourceRecord) -> String? {
        var parts: [String] = []
        if let next = source.nextSyncAt { parts.append("next " + DisplayDate.string(next)) }
        if let last = source.lastSyncAt, source.syncFailures == 0 {
            parts.append("last " + DisplayDate.string(last) + (source.lastSyncResult.map { ": " + $0 } ?? ""))
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}

/// The documents of one source, or of all (`documents.mustache`): status, errors, actions.
struct DocumentsPage: PageView {
    static let template = Template.documents
    let title = "Documents"
    let nav: Navigation?
    let csrf: String?
    let documents: [Document]

    struct Document {
        let id: Int64
        let path: String
        /// Named so that a document without a title cannot pick up the page's `title`.
        let documentTitle: String?
        let status: String
        let version: Int
        let chunks: Int
        let lastIngest: String
        let failure: String
    }

    init(identity: Identity, documents: [DocumentRecord]) {
        nav = Navigation(identity)
        csrf = identity.csrfToken
        self.documents = documents.map { d in
            Document(id: d.id!, path: d.path, documentTitle: d.title, status: d.status.rawValue, version: d.version,
                     chunks: d.chunkCount, lastIngest: DisplayDate.string(d.ingestedAt), failure: d.error ?? "")
        }
    }
}
