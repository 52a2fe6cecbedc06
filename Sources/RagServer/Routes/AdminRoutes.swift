import Foundation
import Hummingbird
import RagInference
import RagStore

/// Admin pages: sources and their groups, documents with status and errors, re-ingest jobs
/// with live progress, users. Every change is recorded in the audit log.
extension RagServer {
    func addAdminRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("/admin") { _, context in try adminPage(identity: context.identity, message: nil) }
        group.get("/admin/documents") { request, context in
            let sourceId = request.uri.queryParameters["source"].flatMap { Int64(String($0)) }
            return try documentsPage(identity: context.identity, sourceId: sourceId)
        }
        group.post("/admin/sources") { request, context in
            var request = request
            let form = try await request.decodeForm(SourceForm.self)
            let root = URL(fileURLWithPath: try required(form.root, "root")).standardizedFileURL.resolvingSymlinksInPath().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
                return try adminPage(identity: context.identity, message: "\(root) does not exist on the server.", status: .badRequest)
            }
            let name = form.name.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
            let groups = GroupList.parse(form.groups ?? "")
            let source = try store.addSource(root: root, name: name, groups: groups)
            await recordAction("source.add", ["source": root, "groups": groups.joined(separator: ",")], context: context)
            if form.ingest == "yes" {
                _ = try? store.jobs.enqueue(scope: .source, sourceId: source.id, requestedBy: context.identity.name)
            }
            return HTML.redirect("/admin")
        }
        group.post("/admin/sources/{id}/groups") { request, context in
            var request = request
            let form = try await request.decodeForm(GroupsForm.self)
            let id = try sourceId(context)
            let groups = GroupList.parse(form.groups ?? "")
            try mapStoreErrors { try store.setSourceGroups(id: id, groups: groups) }
            await recordAction("source.groups", ["source_id": String(id), "groups": groups.joined(separator: ",")], context: context)
            return HTML.redirect("/admin")
        }
        group.post("/admin/sources/{id}/sync") { request, context in
            var request = request
            let form = try await request.decodeForm(SyncForm.self)
            let id = try sourceId(context)
            let every = form.every ?? ""
            let seconds: Int? = every == "off" ? nil : Int(every)
            guard every == "off" || (seconds ?? 0) >= 10 else { throw ServerError.badRequest("every must be off or at least 10 seconds.") }
            let onChange = form.on_change == "yes"
            let daily = form.daily_at.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
            if let daily, RagStore.nextDaily(daily, after: Date()) == nil {
                throw ServerError.badRequest("daily_at must be a time of day as HH:MM.")
            }
            try mapStoreErrors { try store.setSourceSync(id: id, seconds: seconds, dailyAt: daily, onChange: onChange) }
            await recordAction("source.sync", ["source_id": String(id), "every_seconds": seconds.map(String.init) ?? "off",
                                               "daily_at": daily ?? "", "on_change": String(onChange)], context: context)
            return HTML.redirect("/admin")
        }
        group.post("/admin/sources/{id}/escalation") { request, context in
            var request = request
            let form = try await request.decodeForm(EscalationForm.self)
            let id = try sourceId(context)
            guard let value = form.on_prem_only, ["yes", "no"].contains(value) else {
                throw ServerError.badRequest("on_prem_only must be yes or no.")
            }
            try mapStoreErrors { try store.setSourceOnPremOnly(id: id, value == "yes") }
            await recordAction("source.escalation", ["source_id": String(id), "on_prem_only": value == "yes" ? "true" : "false"],
                               context: context)
            return HTML.redirect("/admin")
        }
        group.post("/admin/sources/{id}/delete") { _, context in
            let id = try sourceId(context)
            let removed = try mapStoreErrors { try store.removeSource(id: id) }
            await recordAction("source.remove", ["source_id": String(id), "documents": String(removed)], context: context)
            return HTML.redirect("/admin")
        }
        group.post("/admin/index/migrate") { request, context in
            var request = request
            let form = try await request.decodeForm(MigrationForm.self)
            let path = URL(fileURLWithPath: try required(form.model_path, "model_path")).standardizedFileURL.path
            guard FileManager.default.fileExists(atPath: path) else {
                return try adminPage(identity: context.identity, message: "\(path) does not exist on the server.", status: .badRequest)
            }
            guard let load = loadEmbeddingModel else {
                throw ServerError(.conflict, "This server cannot load models: run `ragd reindex --embedding-model \(path)`.")
            }
            let model: any EmbeddingModel
            do {
                model = try load(path)
            } catch {
                return try adminPage(identity: context.identity, message: "\(path) cannot be used as an embedding model: \(error)",
                                     status: .badRequest)
            }
            let record = try mapStoreErrors {
                try store.requestMigration(model: model.identifier, modelPath: path, dimensions: model.dimensions,
                                           requestedBy: context.identity.name)
            }
            await recordAction("index.migration.start", [
                "from": record.previousModel, "to": record.model, "dimensions": String(record.dimensions),
                "chunks": String(record.chunksTotal)], context: context)
            return HTML.redirect("/admin#index")
        }
        group.post("/admin/index/cancel") { _, context in
            guard try store.endMigration(as: .cancelled, message: "Cancelled by \(context.identity.name) on the admin page.") else {
                throw ServerError(.conflict, "No migration is running.")
            }
            await recordAction("index.migration.cancel", [:], context: context)
            return HTML.redirect("/admin#index")
        }
        group.post("/admin/jobs") { request, context in
            var request = request
            let job = try enqueue(try await request.decodeForm(JobRequest.self), identity: context.identity)
            await recordAction("reingest", ["job": String(job.id!), "scope": job.scope.rawValue,
                                            "source_id": job.sourceId.map(String.init) ?? "",
                                            "document_id": job.documentId.map(String.init) ?? ""], context: context)
            return HTML.redirect("/admin#jobs")
        }
        group.post("/admin/jobs/{id}/cancel") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { throw ServerError.notFound() }
            _ = try store.jobs.requestCancel(id: id)
            await recordAction("reingest.cancel", ["job": String(id)], context: context)
            return HTML.redirect("/admin#jobs")
        }
        group.post("/admin/documents/{id}/delete") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self), let document = try store.document(id: id) else {
                throw ServerError.notFound()
            }
            try store.deleteDocument(id: id)
            await recordAction("document.delete", ["document_id": String(id), "path": document.path], context: context)
            return HTML.redirect("/admin/documents" + (document.sourceId.map { "?source=\($0)" } ?? ""))
        }
        group.post("/admin/users") { request, context in
            var request = request
            let form = try await request.decodeForm(UserForm.self)
            guard let role = form.role.flatMap(Role.init(rawValue:)) else { throw ServerError.badRequest("Choose a role.") }
            do {
                var user = try await accounts.addUser(name: try required(form.name, "name"), password: try required(form.password, "password"),
                                                      role: role, groups: GroupList.parse(form.groups ?? ""))
                if let display = form.display_name?.trimmingCharacters(in: .whitespaces), !display.isEmpty {
                    user = try store.accounts.updateUser(name: user.name) { $0.displayName = display }
                }
                await recordAction("user.add", ["name": user.name, "role": role.rawValue, "groups": user.groupList.joined(separator: ",")],
                                   context: context)
            } catch let error as AccountError {
                return try adminPage(identity: context.identity, message: error.description, status: .badRequest)
            } catch let error as StoreError {
                return try adminPage(identity: context.identity, message: error.description, status: .conflict)
            }
            return HTML.redirect("/admin#users")
        }
        group.post("/admin/users/{name}/disable") { _, context in
            guard let name = context.parameters.get("name") else { throw ServerError.notFound() }
            guard name.lowercased() != context.identity.name.lowercased() else {
                throw ServerError.badRequest("You cannot disable your own account.")
            }
            _ = try mapStoreErrors { try store.accounts.updateUser(name: name) { $0.disabled = true } }
            await recordAction("user.disable", ["name": name], context: context)
            return HTML.redirect("/admin#users")
        }
    }

    func sourceId(_ context: SignedInContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw ServerError.notFound() }
        return id
    }

    /// Queues a job from the admin form or the JSON API.
    func enqueue(_ job: JobRequest, identity: Identity) throws -> IngestJobRecord {
        guard let scope = job.scope.flatMap(IngestJobRecord.Scope.init(rawValue:)) else {
            throw ServerError.badRequest("scope must be all, source or document.")
        }
        return try mapStoreErrors {
            try store.jobs.enqueue(scope: scope, sourceId: job.sourceId.flatMap(Int64.init),
                                 documentId: job.documentId.flatMap(Int64.init), requestedBy: identity.name,
                                 force: job.force == "yes" || job.force == "true")
        }
    }

    /// Store errors as HTTP statuses.
    func mapStoreErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as StoreError {
            switch error.kind {
            case .conflict: throw ServerError(.conflict, error.description)
            case .notFound: throw ServerError(.notFound, error.description)
            case .invalid: throw ServerError(.badRequest, error.description)
            default: throw error
            }
        }
    }

    func adminPage(identity: Identity, message: String?, status: HTTPResponse.Status = .ok) throws -> Response {
        let page = AdminPage(identity: identity, message: message, sources: try store.sources(), jobs: try store.jobs.recent(limit: 20),
                             users: try store.accounts.users(), index: try store.activeVectorIndex(),
                             migrations: try store.migrations(limit: 5), canMigrate: loadEmbeddingModel != nil)
        return Views.response(page, status: status)
    }

    func documentsPage(identity: Identity, sourceId: Int64?) throws -> Response {
        Views.response(DocumentsPage(identity: identity, documents: try store.documents(sourceId: sourceId)))
    }
}
