import Foundation
import RagIngest
import RagPostgres
import RagStore
import RagTesting
import Testing

/// The ingest worker on a queue that nodes share (PostgreSQL): a node that dies mid-job leaves
/// it to another after the lease; a live node keeps its job however long it runs.
@Suite(.serialized) struct SharedQueueWorkerTests {
    /// A folder with `count` pages of SQLite's documentation, registered as a source of a new
    /// local store, and that store's pipeline.
    func node(pages count: Int) throws -> (folder: URL, store: RagStore, pipeline: IngestPipeline) {
        let folder = try Fixtures.temporaryFolder()
        let docs = folder.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        let pages = try FileManager.default.contentsOfDirectory(atPath: TestModels.sqliteDocs)
            .filter { $0.hasSuffix(".html") }.sorted().prefix(count)
        for page in pages {
            try FileManager.default.copyItem(atPath: TestModels.sqliteDocs + "/" + page, toPath: docs.appendingPathComponent(page).path)
        }
        let store = try Fixtures.store(in: folder)
        _ = try store.source(root: docs.path)
        return (folder, store, try Fixtures.pipeline(store))
    }

    static func openNodes(lease: Duration) async throws -> [PostgresStore] {
        let url = try await PostgresTestServer.shared.databaseURL()
        var nodes: [PostgresStore] = []
        for name in ["node-a", "node-b"] {
            nodes.append(try await PostgresStore.open(PostgresStoreConfiguration(
                location: PostgresLocation(url: url), node: name, jobLease: lease)))
        }
        return nodes
    }

    @Test func aJobLeftByANodeThatDiedIsCompletedByAnotherAfterTheLease() async throws {
        let nodes = try await Self.openNodes(lease: .milliseconds(1_500))
        defer { Task { for node in nodes { await node.close() } } }
        let (folder, store, pipeline) = try node(pages: 3)
        defer { try? FileManager.default.removeItem(at: folder) }
        let job = try await nodes[0].jobs.enqueue(scope: .all, sourceId: nil, documentId: nil, requestedBy: "ada", force: false)
        // Node A claims the job and dies before its first renewal.
        #expect(try await nodes[0].jobs.claimNext()?.id == job.id)

        let worker = IngestJobWorker(pipeline: pipeline, jobs: nodes[1].jobs)
        #expect(try await worker.drainQueue() == 0)  // the claim still holds
        try await Task.sleep(for: .milliseconds(1_700))
        #expect(try await worker.drainQueue() == 1)
        let done = try #require(try await nodes[1].jobs.job(id: job.id!))
        #expect(done.status == .done)
        #expect(done.message?.hasPrefix("3 files: 3 new") == true)
        #expect(done.filesDone == 3 && done.filesTotal == 3)
        #expect(try store.documents().count == 3)
    }

    @Test func aLiveNodeKeepsItsJobLongerThanTheLease() async throws {
        let lease = Duration.seconds(1)
        let nodes = try await Self.openNodes(lease: lease)
        defer { Task { for node in nodes { await node.close() } } }
        let (folder, store, pipeline) = try node(pages: 6)
        defer { try? FileManager.default.removeItem(at: folder) }
        let job = try await nodes[0].jobs.enqueue(scope: .all, sourceId: nil, documentId: nil, requestedBy: "ada", force: false)

        var worker = IngestJobWorker(pipeline: pipeline, jobs: nodes[0].jobs)
        worker.heartbeatInterval = .milliseconds(200)
        let started = ContinuousClock.now
        let running = Task { [worker] in try await worker.drainQueue() }
        var tries = 0
        while try await nodes[0].jobs.job(id: job.id!)?.status.isFinished == false {
            #expect(try await nodes[1].jobs.claimNext() == nil)
            tries += 1
            try await Task.sleep(for: .milliseconds(150))
        }
        let took = ContinuousClock.now - started
        #expect(try await running.value == 1)
        #expect(took > lease * 2, "the job must outlast its lease for this test to mean anything (took \(took))")
        #expect(tries > 5)
        let done = try #require(try await nodes[0].jobs.job(id: job.id!))
        #expect(done.status == .done && done.filesDone == 6)
        #expect(try store.documents().count == 6)
    }
}
