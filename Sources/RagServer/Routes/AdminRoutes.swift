import Foundation
import Hummingbird
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
                _ = try? store.enqueueJob(scope: .source, sourceId: source.id, requestedBy: context.identity.name)
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
        group.post("/admin/sources/{id}/delete") { _, context in
            let id = try sourceId(context)
            let removed = try mapStoreErrors { try store.removeSource(id: id) }
            await recordAction("source.remove", ["source_id": String(id), "documents": String(removed)], context: context)
            return HTML.redirect("/admin")
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
            _ = try store.requestJobCancel(id: id)
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
                let user = try await accounts.addUser(name: try required(form.name, "name"), password: try required(form.password, "password"),
                                                      role: role, groups: GroupList.parse(form.groups ?? ""))
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
            _ = try mapStoreErrors { try store.updateUser(name: name) { $0.disabled = true } }
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
            try store.enqueueJob(scope: scope, sourceId: job.sourceId.flatMap(Int64.init),
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
        let csrf = Layout.csrfField(identity)
        let sources = try store.sources()
        let jobs = try store.jobs(limit: 20)
        let users = try store.users()
        let alert = message.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? ""
        let sourceRows = sources.map { s -> String in
            let id = s.source.id!
            return """
                <tr><td><a href="/admin/documents?source=\(id)">\(HTML.escape(s.source.name))</a><br><code>\(HTML.escape(s.source.root))</code></td>
                <td><form method="post" action="/admin/sources/\(id)/groups" class="inline">\(csrf)
                <label class="visually-hidden" for="groups-\(id)">Groups of \(HTML.escape(s.source.name))</label>
                <input id="groups-\(id)" name="groups" value="\(HTML.escape(GroupList.decode(s.source.groups).joined(separator: ", ")))" placeholder="everyone">
                <button type="submit">Save</button></form></td>
                <td>\(s.documents)</td><td>\(s.failed)</td><td>\(s.chunks)</td>
                <td>\(s.source.lastIngestAt.map { HTML.escape(Self.displayDate($0)) } ?? "never")</td>
                <td><form method="post" action="/admin/jobs" class="inline">\(csrf)<input type="hidden" name="scope" value="source">
                <input type="hidden" name="source_id" value="\(id)"><button type="submit">Re-ingest</button></form>
                <form method="post" action="/admin/sources/\(id)/delete" class="inline" data-confirm="Remove this source and all its documents from the index?">\(csrf)
                <button type="submit" class="danger">Remove</button></form></td></tr>
                """
        }.joined()
        let jobRows = jobs.map { j -> String in
            let id = j.id!
            let target = j.scope == .all ? "everything" : j.scope == .source ? "source \(j.sourceId.map(String.init) ?? "?")"
                : "document \(j.documentId.map(String.init) ?? "?")"
            let cancel = j.status.isFinished ? "" : """
                <form method="post" action="/admin/jobs/\(id)/cancel" class="inline">\(csrf)<button type="submit">Cancel</button></form>
                """
            return """
                <tr data-job="\(id)" data-status="\(j.status.rawValue)"><td>\(id)</td><td>\(HTML.escape(target))</td>
                <td class="job-status">\(j.status.rawValue)\(j.cancelRequested && !j.status.isFinished ? " (stopping)" : "")</td>
                <td class="job-progress"><progress max="\(max(j.filesTotal, 1))" value="\(j.filesDone)"></progress> \(j.filesDone)/\(j.filesTotal) files, \(j.chunks) chunks</td>
                <td class="job-message">\(HTML.escape(j.message ?? j.currentPath.map { ($0 as NSString).lastPathComponent } ?? ""))</td>
                <td>\(HTML.escape(j.requestedBy))</td><td>\(cancel)</td></tr>
                """
        }.joined()
        let userRows = users.map { u in
            let disable = u.disabled || u.name.lowercased() == identity.name.lowercased() ? "" : """
                <form method="post" action="/admin/users/\(HTML.escape(u.name))/disable" class="inline">\(csrf)<button type="submit">Disable</button></form>
                """
            return "<tr><td>\(HTML.escape(u.name))</td><td>\(u.role.rawValue)</td><td>\(HTML.escape(u.groupList.joined(separator: ", ")))</td>"
                + "<td>\(u.disabled ? "disabled" : "active")</td><td>\(disable)</td></tr>"
        }.joined()
        let body = """
            <h1>Administration</h1>
            \(alert)
            <section aria-labelledby="sources-h"><h2 id="sources-h">Sources</h2>
            <p>Groups say who may read a source's documents: users in any of them. No groups: everyone.</p>
            <div class="table-wrap"><table><thead><tr><th>Source</th><th>Groups</th><th>Documents</th><th>Failed</th><th>Chunks</th><th>Last ingest</th><th>Actions</th></tr></thead>
            <tbody>\(sourceRows.isEmpty ? "<tr><td colspan=\"7\">No sources yet.</td></tr>" : sourceRows)</tbody></table></div>
            <form method="post" action="/admin/sources" class="stack narrow">\(csrf)
            <h3>Add a source folder</h3>
            <label for="root">Folder on the server</label><input id="root" name="root" required placeholder="/srv/share/policies">
            <label for="name">Name (optional)</label><input id="name" name="name">
            <label for="groups">Groups (comma-separated; empty: everyone)</label><input id="groups" name="groups">
            <label><input type="checkbox" name="ingest" value="yes" checked> Ingest now</label>
            <button type="submit">Add source</button></form>
            </section>
            <section aria-labelledby="jobs-h" id="jobs"><h2 id="jobs-h">Ingest jobs</h2>
            <form method="post" action="/admin/jobs" class="inline">\(csrf)<input type="hidden" name="scope" value="all">
            <button type="submit">Re-ingest everything</button></form>
            <div class="table-wrap"><table id="job-table" data-live="/api/v1/jobs"><thead><tr><th>Job</th><th>What</th><th>Status</th><th>Progress</th><th>Result</th><th>By</th><th></th></tr></thead>
            <tbody>\(jobRows.isEmpty ? "<tr><td colspan=\"7\">No jobs yet.</td></tr>" : jobRows)</tbody></table></div>
            </section>
            <section aria-labelledby="users-h" id="users"><h2 id="users-h">Users</h2>
            <div class="table-wrap"><table><thead><tr><th>Name</th><th>Role</th><th>Groups</th><th>State</th><th></th></tr></thead>
            <tbody>\(userRows)</tbody></table></div>
            <form method="post" action="/admin/users" class="stack narrow">\(csrf)
            <h3>Add a user</h3>
            <label for="u-name">User name</label><input id="u-name" name="name" required autocomplete="off">
            <label for="u-password">Password (at least \(Accounts.minimumPasswordLength) characters)</label>
            <input id="u-password" name="password" type="password" required minlength="\(Accounts.minimumPasswordLength)" autocomplete="new-password">
            <label for="u-role">Role</label><select id="u-role" name="role"><option>employee</option><option>admin</option><option>auditor</option></select>
            <label for="u-groups">Groups (comma-separated)</label><input id="u-groups" name="groups">
            <button type="submit">Add user</button></form>
            </section>
            """
        return HTML.response(Layout.page(title: "Administration", identity: identity, body: body), status: status)
    }

    func documentsPage(identity: Identity, sourceId: Int64?) throws -> Response {
        let csrf = Layout.csrfField(identity)
        let documents = try store.documents(sourceId: sourceId)
        let rows = documents.map { d -> String in
            let id = d.id!
            return """
                <tr><td><code>\(HTML.escape(d.path))</code>\(d.title.map { "<br>\(HTML.escape($0))" } ?? "")</td>
                <td class="status-\(d.status.rawValue)">\(d.status.rawValue)</td><td>\(d.version)</td><td>\(d.chunkCount)</td>
                <td>\(HTML.escape(Self.displayDate(d.ingestedAt)))</td><td>\(HTML.escape(d.error ?? ""))</td>
                <td><form method="post" action="/admin/jobs" class="inline">\(csrf)<input type="hidden" name="scope" value="document">
                <input type="hidden" name="document_id" value="\(id)"><input type="hidden" name="force" value="yes"><button type="submit">Re-ingest</button></form>
                <form method="post" action="/admin/documents/\(id)/delete" class="inline" data-confirm="Delete this document from the index?">\(csrf)
                <button type="submit" class="danger">Delete</button></form></td></tr>
                """
        }.joined()
        let body = """
            <h1>Documents</h1><p><a href="/admin">← Administration</a></p>
            <div class="table-wrap"><table><thead><tr><th>File</th><th>Status</th><th>Version</th><th>Chunks</th><th>Last ingest</th><th>Error</th><th>Actions</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"7\">No documents.</td></tr>" : rows)</tbody></table></div>
            """
        return HTML.response(Layout.page(title: "Documents", identity: identity, body: body))
    }
}
