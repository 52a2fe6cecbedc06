import Foundation
import RagPostgres
import RagStore
import RagTesting
import Testing

/// The re-ingest queue's rules, the same on both stores (`IngestJobQueue`).
@Suite("Ingest job queue")
struct JobQueueTests {
    @Test("Jobs are claimed once each, oldest first, and carry their progress to the end", arguments: StoreKind.allCases)
    func jobsAreClaimedOnceOldestFirst(kind: StoreKind) async throws {
        let store = try await StoreUnderTest.open(kind)
        defer { Task { await store.close() } }
        let first = try await store.addSource("/srv/handbook")
        let second = try await store.addSource("/srv/policies")
        let older = try await store.jobs.enqueue(scope: .source, sourceId: first, documentId: nil, requestedBy: "ada", force: false)
        let newer = try await store.jobs.enqueue(scope: .source, sourceId: second, documentId: nil, requestedBy: "ada", force: true)
        #expect(older.status == .queued && newer.force)
        #expect(try await store.jobs.activeCount() == 2)

        let claimed = try #require(try await store.jobs.claimNext())
        #expect(claimed.id == older.id && claimed.status == .running && claimed.startedAt != nil)
        #expect(try await store.jobs.claimNext()?.id == newer.id)
        #expect(try await store.jobs.claimNext() == nil)
        #expect(try await store.jobs.renewLease(id: older.id!))

        try await store.jobs.updateProgress(id: older.id!, filesDone: 3, filesTotal: 7, chunks: 41, currentPath: "/srv/handbook/b.pdf")
        let running = try #require(try await store.jobs.job(id: older.id!))
        #expect(running.filesDone == 3 && running.filesTotal == 7 && running.chunks == 41)
        #expect(running.currentPath == "/srv/handbook/b.pdf")

        try await store.jobs.finish(id: older.id!, status: .done, message: "7 files, 41 chunks")
        let done = try #require(try await store.jobs.job(id: older.id!))
        #expect(done.status == .done && done.finishedAt != nil && done.currentPath == nil && done.message == "7 files, 41 chunks")
        #expect(try await store.jobs.renewLease(id: older.id!) == false)
        #expect(try await store.jobs.activeCount() == 1)
        #expect(try await store.jobs.recent(limit: 10).map(\.id) == [newer.id, older.id])
        #expect(try await store.jobs.job(id: 999_999) == nil)
    }

    @Test("One job per source at a time; a job for everything waits for all", arguments: StoreKind.allCases)
    func oneJobPerSourceAtATime(kind: StoreKind) async throws {
        let store = try await StoreUnderTest.open(kind)
        defer { Task { await store.close() } }
        let handbook = try await store.addSource("/srv/handbook")
        let policies = try await store.addSource("/srv/policies")
        let queued = try await store.jobs.enqueue(scope: .source, sourceId: handbook, documentId: nil, requestedBy: "ada", force: false)

        let again = await #expect(throws: StoreError.self) {
            try await store.jobs.enqueue(scope: .source, sourceId: handbook, documentId: nil, requestedBy: "bob", force: false)
        }
        #expect(again?.kind == .conflict)
        #expect(again?.description.contains("Job \(queued.id!) (source) is queued") == true)
        let everything = await #expect(throws: StoreError.self) {
            try await store.jobs.enqueue(scope: .all, sourceId: nil, documentId: nil, requestedBy: "bob", force: false)
        }
        #expect(everything?.kind == .conflict)
        let missing = await #expect(throws: StoreError.self) {
            try await store.jobs.enqueue(scope: .source, sourceId: 424_242, documentId: nil, requestedBy: "bob", force: false)
        }
        #expect(missing?.kind == .notFound)
        let noDocument = await #expect(throws: StoreError.self) {
            try await store.jobs.enqueue(scope: .document, sourceId: nil, documentId: 424_242, requestedBy: "bob", force: false)
        }
        #expect(noDocument?.kind == .notFound)

        _ = try await store.jobs.enqueue(scope: .source, sourceId: policies, documentId: nil, requestedBy: "bob", force: false)
        _ = try await store.jobs.claimNext()
        try await store.jobs.finish(id: queued.id!, status: .failed, message: "the source no longer exists")
        #expect(try await store.jobs.enqueue(scope: .source, sourceId: handbook, documentId: nil, requestedBy: "ada", force: false)
            .status == .queued)
    }

    @Test("A queued job is cancelled at once, a running one is asked to stop", arguments: StoreKind.allCases)
    func cancelling(kind: StoreKind) async throws {
        let store = try await StoreUnderTest.open(kind)
        defer { Task { await store.close() } }
        let first = try await store.jobs.enqueue(
            scope: .source, sourceId: try await store.addSource("/srv/a"), documentId: nil, requestedBy: "ada", force: false)
        let second = try await store.jobs.enqueue(
            scope: .source, sourceId: try await store.addSource("/srv/b"), documentId: nil, requestedBy: "ada", force: false)
        #expect(try await store.jobs.claimNext()?.id == first.id)

        #expect(try await store.jobs.requestCancel(id: second.id!))
        let cancelled = try #require(try await store.jobs.job(id: second.id!))
        #expect(cancelled.status == .cancelled && cancelled.message == "cancelled before it started")
        #expect(try await store.jobs.isCancelRequested(id: first.id!) == false)
        #expect(try await store.jobs.requestCancel(id: first.id!))
        #expect(try await store.jobs.isCancelRequested(id: first.id!))
        #expect(try await store.jobs.job(id: first.id!)?.status == .running)
        #expect(try await store.jobs.requestCancel(id: second.id!) == false)
        #expect(try await store.jobs.requestCancel(id: 999_999) == false)
        #expect(try await store.jobs.claimNext() == nil)
    }

    @Test("A job running when the node stopped is queued again when it starts", arguments: StoreKind.allCases)
    func interruptedJobsAreQueuedAgain(kind: StoreKind) async throws {
        let store = try await StoreUnderTest.open(kind)
        defer { Task { await store.close() } }
        let job = try await store.jobs.enqueue(
            scope: .source, sourceId: try await store.addSource("/srv/a"), documentId: nil, requestedBy: "ada", force: false)
        _ = try await store.jobs.claimNext()
        #expect(try await store.jobs.requeueInterrupted() == 1)
        let requeued = try #require(try await store.jobs.job(id: job.id!))
        #expect(requeued.status == .queued && requeued.message == "interrupted; queued again")
        #expect(try await store.jobs.claimNext()?.id == job.id)
        #expect(try await store.jobs.requeueInterrupted() == 1)
        #expect(try await store.jobs.requeueInterrupted() == 0)
    }
}

/// What only a store shared by several nodes must do.
@Suite("Ingest job queue shared by nodes")
struct SharedJobQueueTests {
    @Test("Nodes claiming at once never get the same job")
    func nodesNeverClaimTheSameJob() async throws {
        let (url, nodes) = try await PostgresNodes.open(3)
        defer { Task { for node in nodes { await node.close() } } }
        var queued: Set<Int64> = []
        for index in 0..<24 {
            let source = try await PostgresNodes.addSource(url: url, root: "/srv/\(index)")
            queued.insert(try await nodes[0].jobs.enqueue(
                scope: .source, sourceId: source, documentId: nil, requestedBy: "ada", force: false).id!)
        }
        let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for node in nodes {
                group.addTask {
                    var mine: [Int64] = []
                    while let job = try await node.jobs.claimNext() { mine.append(job.id!) }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let all = claims.flatMap { $0 }
        #expect(all.count == queued.count)
        #expect(Set(all) == queued)
    }

    @Test("A job whose node stopped renewing its claim is taken over after the lease, and only then")
    func aJobIsTakenOverAfterItsLease() async throws {
        let (_, nodes) = try await PostgresNodes.open(2, jobLease: .milliseconds(1_500))
        defer { Task { for node in nodes { await node.close() } } }
        let (a, b) = (nodes[0].jobs, nodes[1].jobs)
        let job = try await a.enqueue(scope: .all, sourceId: nil, documentId: nil, requestedBy: "ada", force: false)
        #expect(try await a.claimNext()?.id == job.id)

        // While node A renews its claim, node B finds nothing to do.
        for _ in 0..<4 {
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await a.renewLease(id: job.id!))
            #expect(try await b.claimNext() == nil)
        }
        // Node A goes silent (as if killed); after the lease node B takes the job over.
        try await Task.sleep(for: .milliseconds(1_700))
        let taken = try #require(try await b.claimNext())
        #expect(taken.id == job.id && taken.status == .running)
        #expect(taken.message == "taken over from node-a after its lease ran out")

        // Node A, come back, can no longer touch it: no renewal, no progress, no end.
        #expect(try await a.renewLease(id: job.id!) == false)
        try await a.updateProgress(id: job.id!, filesDone: 99, filesTotal: 99, chunks: 99, currentPath: nil)
        try await a.finish(id: job.id!, status: .failed, message: "stale")
        #expect(try await b.job(id: job.id!)?.status == .running)
        #expect(try await b.job(id: job.id!)?.filesDone == 0)
        // Nor does its restart put node B's job back in the queue.
        #expect(try await a.requeueInterrupted() == 0)
        try await b.finish(id: job.id!, status: .done, message: "done on node-b")
        #expect(try await a.job(id: job.id!)?.status == .done)
    }

    @Test("Nodes opening a new database together apply each migration once")
    func nodesMigrateTogether() async throws {
        let url = try await PostgresTestServer.shared.databaseURL()
        let nodes = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for index in 0..<4 {
                group.addTask {
                    try await PostgresStore.open(PostgresStoreConfiguration(location: PostgresLocation(url: url), node: "n\(index)"))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        defer { Task { for node in nodes { await node.close() } } }
        // Each migration recorded once, 1…N with no gap (a second application would have failed).
        let versions = try await PostgresTestServer.shared.psql(
            url, "SELECT count(*) >= 2 AND count(*) = max(version) AND min(version) = 1 FROM ragd_schema")
        #expect(versions.trimmingCharacters(in: .whitespacesAndNewlines) == "t")
        let extensions = try await PostgresTestServer.shared.psql(url, "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        #expect(extensions.trimmingCharacters(in: .whitespacesAndNewlines) == "0.8.2")
    }

    @Test("A store that cannot be reached, or a wrong URL, gets an error that says so")
    func clearErrors() async throws {
        let url = try await PostgresTestServer.shared.databaseURL()
        let noDatabase = url.replacingOccurrences(of: "/ragd_test_", with: "/no_such_db_")
        let missing = await #expect(throws: StoreError.self) {
            try await PostgresStore.open(PostgresStoreConfiguration(location: PostgresLocation(url: noDatabase)))
        }
        #expect(missing?.description.contains("does not exist") == true)
        #expect(missing?.kind == .open)

        let nobodyListens = "postgres://ragd@127.0.0.1:1/ragd"
        let unreachable = await #expect(throws: StoreError.self) {
            try await PostgresStore.open(PostgresStoreConfiguration(location: PostgresLocation(url: nobodyListens)))
        }
        #expect(unreachable?.description.contains("cannot reach PostgreSQL") == true)

        for bad in ["mysql://ragd@db/ragd", "postgres://db/ragd", "postgres://ragd@db/", "postgres://ragd@db/x?sslmode=maybe"] {
            let error = #expect(throws: StoreError.self) { try PostgresLocation(url: bad) }
            #expect(error?.kind == .invalid)
        }
        let remote = try PostgresLocation(url: "postgres://ragd:secret@db.internal/ragd")
        #expect(remote.tls == .verifyFull && remote.port == 5432)
        #expect(!remote.description.contains("secret"))
        #expect(try PostgresLocation(url: "postgres://ragd@127.0.0.1:6000/ragd").tls == .disable)
    }

    @Test("The store reads the server's and pgvector's versions; iterative scans need pgvector 0.8")
    func versions() async throws {
        let (_, nodes) = try await PostgresNodes.open(1)
        defer { Task { await nodes[0].close() } }
        #expect(nodes[0].versions.server >= 180_000)
        #expect(nodes[0].versions.pgvector == "0.8.2" && nodes[0].versions.hasIterativeScans)
        #expect(!PostgresVersions(server: 150_000, pgvector: "0.7.4").hasIterativeScans)
        #expect(PostgresVersions(server: 150_000, pgvector: "0.10.0").hasIterativeScans)
    }
}
