import Foundation
import RagIngest
import RagStore
import RagTesting
import Testing

/// Sources that stay in sync by themselves: the scheduler queues a job when a source's interval
/// has passed, the worker runs it through the incremental path and records the sync.
@Suite(.serialized) struct SourceSyncTests {
    struct Timeout: Error, CustomStringConvertible { let description: String }

    /// Runs due syncs (as `ragd serve` does, but stepped by the test) until `condition` holds.
    func syncUntil(_ what: String, scheduler: SourceSyncScheduler, worker: IngestJobWorker,
                   _ condition: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            scheduler.queueDue()
            try await worker.drainQueue()
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw Timeout(description: "not within 60 s: \(what)")
    }

    @Test func aSyncedFolderFollowsItsFilesAndAFailingOneBacksOff() async throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let docs = folder.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        try "# Parking\n\nVisitors park in the north lot.\n".write(to: docs.appendingPathComponent("parking.md"), atomically: true, encoding: .utf8)
        let store = try Fixtures.store(in: folder)
        let pipeline = try Fixtures.pipeline(store)
        _ = try await pipeline.ingest(paths: [docs.path])
        let source = try #require(try store.sources().first).source
        let id = try #require(source.id)
        try store.setSourceSync(id: id, seconds: 1)
        let scheduler = SourceSyncScheduler(store: store, checkInterval: .milliseconds(100))
        let worker = IngestJobWorker(pipeline: pipeline)
        func paths() throws -> [String] { try store.documents(sourceId: id).map { ($0.path as NSString).lastPathComponent }.sorted() }
        func found(_ word: String) throws -> Bool {
            !(try store.search(SearchRequest(text: word, vector: nil, method: .bm25, limit: 5))).isEmpty
        }

        // A new file is found within an interval, and searchable.
        try "# Canteen\n\nThe canteen serves quinoa bowls on Thursdays.\n".write(
            to: docs.appendingPathComponent("canteen.md"), atomically: true, encoding: .utf8)
        try await syncUntil("the new file", scheduler: scheduler, worker: worker) { try found("quinoa") }
        #expect(try paths() == ["canteen.md", "parking.md"])

        // A changed file is read again; the old text is gone from the index.
        try "# Parking\n\nVisitors park in the south garage.\n".write(to: docs.appendingPathComponent("parking.md"), atomically: true, encoding: .utf8)
        try await syncUntil("the changed file", scheduler: scheduler, worker: worker) { try found("garage") }
        #expect(try !found("north"))

        // A deleted file disappears.
        try FileManager.default.removeItem(at: docs.appendingPathComponent("canteen.md"))
        try await syncUntil("the deleted file", scheduler: scheduler, worker: worker) { try paths() == ["parking.md"] }
        #expect(try !found("quinoa"))

        // Nothing changed: the sync says so, and the next is one interval away.
        try await syncUntil("an unchanged sync", scheduler: scheduler, worker: worker) {
            try store.source(id: id)?.lastSyncResult?.contains("1 unchanged") == true
        }
        let synced = try #require(try store.source(id: id))
        #expect(synced.syncFailures == 0)
        #expect(abs(synced.nextSyncAt!.timeIntervalSince(synced.lastSyncAt!) - 1) < 0.01)

        // A sync never runs twice at once: with a job queued for the source, none is added.
        try store.jobs.enqueue(scope: .source, sourceId: id, requestedBy: "adam")
        #expect(scheduler.queueDue(now: Date().addingTimeInterval(3600)) == 0)
        try await worker.drainQueue()

        // The folder goes away: the source fails, keeps its documents, and waits longer each time.
        let moved = folder.appendingPathComponent("docs-moved")
        try FileManager.default.moveItem(at: docs, to: moved)
        try await syncUntil("a failed sync", scheduler: scheduler, worker: worker) { try store.source(id: id)?.syncFailures == 1 }
        let failing = try #require(try store.source(id: id))
        #expect(failing.lastSyncResult?.contains("backing off") == true, "\(failing.lastSyncResult ?? "")")
        #expect(abs(failing.nextSyncAt!.timeIntervalSince(failing.lastSyncAt!) - 2) < 0.01)
        try await syncUntil("a second failure", scheduler: scheduler, worker: worker) { try store.source(id: id)?.syncFailures == 2 }
        let again = try #require(try store.source(id: id))
        #expect(abs(again.nextSyncAt!.timeIntervalSince(again.lastSyncAt!) - 4) < 0.01)
        #expect(try paths() == ["parking.md"], "documents are kept while the folder is missing")

        // Back again: the next sync works and the back-off ends.
        try FileManager.default.moveItem(at: moved, to: docs)
        try await syncUntil("recovery", scheduler: scheduler, worker: worker) { try store.source(id: id)?.syncFailures == 0 }

        // Turned off: nothing is scheduled any more.
        try store.setSourceSync(id: id, seconds: nil)
        #expect(try store.dueSyncSources(now: Date().addingTimeInterval(86_400 * 365)).isEmpty)
    }

    @Test func aFolderSyncedOnChangeIsSyncedAMomentAfterAFileChanges() async throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let docs = folder.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs.appendingPathComponent("policies"), withIntermediateDirectories: true)
        try "# Badges\n\nLost badges are replaced at reception.\n".write(
            to: docs.appendingPathComponent("badges.md"), atomically: true, encoding: .utf8)
        let store = try Fixtures.store(in: folder)
        let pipeline = try Fixtures.pipeline(store)
        _ = try await pipeline.ingest(paths: [docs.path])
        let id = try #require(try store.sources().first?.source.id)
        // No interval: only a change makes it due.
        try store.setSourceSync(id: id, seconds: nil, onChange: true)
        let scheduler = SourceSyncScheduler(store: store, checkInterval: .milliseconds(100), settleDelay: 0.2)
        let worker = IngestJobWorker(pipeline: pipeline)
        scheduler.refreshWatches()
        #expect(scheduler.queueDue() == 0, "nothing is due before a change")

        // A file written into a subfolder that existed when the watch began.
        try "# Bikes\n\nBikes are parked in the courtyard racks.\n".write(
            to: docs.appendingPathComponent("policies/bikes.md"), atomically: true, encoding: .utf8)
        try await syncUntil("the new file", scheduler: scheduler, worker: worker) {
            !(try store.search(SearchRequest(text: "courtyard", vector: nil, method: .bm25, limit: 5))).isEmpty
        }
        // A folder created after the watch began is watched too.
        try FileManager.default.createDirectory(at: docs.appendingPathComponent("new"), withIntermediateDirectories: true)
        try await Task.sleep(for: .milliseconds(500))
        try "# Keys\n\nSpare keys are kept in the facilities safe.\n".write(
            to: docs.appendingPathComponent("new/keys.md"), atomically: true, encoding: .utf8)
        try await syncUntil("a file in a new folder", scheduler: scheduler, worker: worker) {
            !(try store.search(SearchRequest(text: "safe", vector: nil, method: .bm25, limit: 5))).isEmpty
        }
    }

    @Test func aDailyTimeIsTheNextSuchTimeOfDayAndBacksOffNoFurtherThanIt() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let now = try #require(calendar.date(from: DateComponents(year: 2026, month: 12, day: 7, hour: 15, minute: 0)))
        #expect(RagStore.nextDaily("02:30", after: now, calendar: calendar)
                    == calendar.date(from: DateComponents(year: 2026, month: 12, day: 8, hour: 2, minute: 30)))
        #expect(RagStore.nextDaily("15:30", after: now, calendar: calendar)
                    == calendar.date(from: DateComponents(year: 2026, month: 12, day: 7, hour: 15, minute: 30)))
        for bad in ["2:30", "24:00", "12:60", "noon", "12.30"] { #expect(RagStore.nextDaily(bad, after: now) == nil, "\(bad)") }

        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Fixtures.store(in: folder)
        let source = try store.addSource(root: folder.path, name: "share", groups: [])
        let id = try #require(source.id)
        #expect(throws: StoreError.self) { try store.setSourceSync(id: id, seconds: nil, dailyAt: "25:00") }
        let today = Date()
        try store.setSourceSync(id: id, seconds: nil, dailyAt: "03:15", now: today)
        let daily = try #require(try store.source(id: id))
        #expect(daily.nextSyncAt == RagStore.nextDaily("03:15", after: today))
        // Failing: 30 min, then an hour … but never later than the next daily time.
        try store.recordSync(sourceId: id, failure: "missing", result: "", now: today)
        let failing = try #require(try store.source(id: id))
        let untilDaily = RagStore.nextDaily("03:15", after: today)!.timeIntervalSince(today)
        #expect(abs(failing.nextSyncAt!.timeIntervalSince(today) - min(1800, untilDaily)) < 1)
    }
}
