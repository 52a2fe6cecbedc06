import Foundation
import Hummingbird
import HummingbirdTesting
import RagAudit
import RagInference
import RagServer
import RagStore
import RagTesting
import Testing

/// The admin page's "Embedding index" section: the active model, starting a migration to
/// another model (checked by loading it first), its progress, cancelling it; all audited.
@Suite(.serialized) struct AdminIndexTests {
    @Test func anAdminStartsFollowsAndCancelsAMigration() async throws {
        let parts = try await ServerFixture.shared.get()
        var server = RagServer(store: parts.store, assistant: parts.server.askService.assistant,
                               configuration: ServerFixture.configuration, audit: parts.server.audit)
        server.loadEmbeddingModel = { path in
            guard path == TestModels.nomicPath else { throw NotAnEmbeddingModel() }
            return try TestModels.nomic.get()
        }
        let active = try parts.store.activeVectorIndex()
        try await Application(router: server.buildRouter()).test(.router) { client in
            let session = try await client.signIn("adam")
            defer { _ = try? parts.store.endMigration(as: .cancelled, message: "test cleanup") }
            let page = try await client.get("/admin", cookie: session.cookie)
            #expect(page.text.contains("Questions are answered from vectors of <strong>\(active.model)</strong>"))
            #expect(page.text.contains("Start migration"))

            let missing = try await client.postForm(
                "/admin/index/migrate", ["model_path": "/nowhere/model.gguf", "csrf": session.csrf], cookie: session.cookie)
            #expect(missing.status == .badRequest && missing.text.contains("does not exist on the server"))
            let wrong = try await client.postForm(
                "/admin/index/migrate", ["model_path": TestModels.embeddingPath, "csrf": session.csrf], cookie: session.cookie)
            #expect(wrong.status == .badRequest && wrong.text.contains("cannot be used as an embedding model"))
            #expect(try parts.store.runningMigration() == nil)

            let started = try await client.postForm(
                "/admin/index/migrate", ["model_path": TestModels.nomicPath, "csrf": session.csrf], cookie: session.cookie)
            #expect(started.status == .seeOther)
            let running = try #require(try parts.store.runningMigration())
            #expect(running.model == "nomic-embed-text-v1.5.f16.gguf" && running.dimensions == 768 && running.requestedBy == "adam")
            let progress = try await client.get("/admin", cookie: session.cookie)
            #expect(progress.text.contains("Moving to <strong>nomic-embed-text-v1.5.f16.gguf</strong>"))
            #expect(progress.text.contains("0/\(running.chunksTotal) chunks"))
            #expect(!progress.text.contains("Start migration"), "one migration at a time")
            let metrics = try await client.get("/metrics", cookie: session.cookie)
            #expect(metrics.text.contains("ragd_embedding_migration_chunks_total \(running.chunksTotal)"))

            let cancelled = try await client.postForm("/admin/index/cancel", ["csrf": session.csrf], cookie: session.cookie)
            #expect(cancelled.status == .seeOther)
            #expect(try parts.store.runningMigration() == nil)
            #expect(try parts.store.activeVectorIndex() == active)
            let after = try await client.get("/admin", cookie: session.cookie)
            #expect(after.text.contains("cancelled") && after.text.contains("Start migration"))
            let again = try await client.postForm("/admin/index/cancel", ["csrf": session.csrf], cookie: session.cookie)
            #expect(again.status == .conflict)

            let actions = try parts.auditLog.records(matching: AuditFilter(user: "adam", kind: .admin), limit: 10_000)
                .map(\.event.action)
            #expect(actions.contains("index.migration.start") && actions.contains("index.migration.cancel"))
        }
    }
}

struct NotAnEmbeddingModel: Error {}
