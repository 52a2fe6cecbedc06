import Foundation
import RagAudit
import RagCore

/// The audit log under concurrent askers: append latency as each asker sees it, and throughput.
///
/// Realistic question records (an answer of about 2 KB, 8 sources), in three loads:
/// - one asker appending back to back: the floor, what one append costs;
/// - `tasks` askers each waiting 100–500 ms between appends: still 10–50 times the rate at
///   which 16 askers can get answers out of the models (seconds each), the load the < 5 ms p95
///   target is about;
/// - `tasks` askers appending back to back: saturation, for the throughput ceiling of each
///   durability and commit setting (latency is then queueing: tasks ÷ throughput).
/// Each run has a fresh file in a temporary folder on the same disk. Then the cost of
/// verifying and exporting what the default setting wrote.
struct AuditBench {
    var tasks = 16
    var records = 4000

    func run() async throws -> [Row] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-audit-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let perTask = max(1, records / tasks)
        var rows: [Row] = []
        let settings: [(String, AuditLogOptions)] = [
            ("FULL sync, group commit (default)", AuditLogOptions(fullSync: true, groupCommit: true)),
            ("FULL sync, one transaction per record", AuditLogOptions(fullSync: true, groupCommit: false)),
            ("NORMAL sync, group commit", AuditLogOptions(fullSync: false, groupCommit: true)),
            ("NORMAL sync, one transaction per record", AuditLogOptions(fullSync: false, groupCommit: false)),
        ]
        print("audit: 1 task × 500 appends, default settings...")
        let single = try AuditLog(path: folder.appendingPathComponent("audit-single.sqlite").path)
        let (singleLatencies, singleSeconds) = try await appendConcurrently(single, tasks: 1, perTask: 500, pause: nil)
        rows += latencyRows("audit append, 1 task, FULL sync, group commit", singleLatencies, singleSeconds)

        print("audit: \(tasks) tasks × 20 appends, 100–500 ms apart, default settings...")
        let paced = try AuditLog(path: folder.appendingPathComponent("audit-paced.sqlite").path)
        let (pacedLatencies, pacedSeconds) = try await appendConcurrently(paced, tasks: tasks, perTask: 20, pause: 100...500)
        rows += latencyRows("audit append, \(tasks) tasks 100–500 ms apart, FULL sync, group commit", pacedLatencies, pacedSeconds)

        var defaultLog: AuditLog?
        for (index, (label, options)) in settings.enumerated() {
            print("audit: \(tasks) tasks × \(perTask) appends, \(label)...")
            let log = try AuditLog(path: folder.appendingPathComponent("audit-\(index).sqlite").path, options: options)
            let (latencies, seconds) = try await appendConcurrently(log, tasks: tasks, perTask: perTask, pause: nil)
            rows += latencyRows("audit append, \(tasks) tasks back to back, \(label)", latencies, seconds)
            if index == 0 { defaultLog = log }
        }

        if let log = defaultLog {
            let count = try log.head().count
            var start = ContinuousClock.now
            let verification = try log.verify()
            precondition(verification.isIntact, "the benchmark's own chain does not verify: \(String(describing: verification.failure))")
            rows.append(Row(name: "audit verify (\(count) records)", unit: "records/s",
                            ragd: Double(count) / (ContinuousClock.now - start).seconds, raw: nil))
            start = ContinuousClock.now
            var bytes = 0
            let exported = try log.export(format: .jsonl) { bytes += $0.count }
            rows.append(Row(name: "audit export JSONL (\(exported) records, \(bytes / 1_048_576) MiB)", unit: "records/s",
                            ragd: Double(exported) / (ContinuousClock.now - start).seconds, raw: nil))
            let size = (try? FileManager.default.attributesOfItem(atPath: log.path)[.size] as? Int) ?? 0
            let wal = (try? FileManager.default.attributesOfItem(atPath: log.path + "-wal")[.size] as? Int) ?? 0
            rows.append(Row(name: "audit file + WAL size per record", unit: "bytes",
                            ragd: Double(size + wal) / Double(max(1, count)), raw: nil))
        }
        return rows
    }

    /// Each task appends `perTask` records; returns every append's latency (ms) and the wall time (s).
    private func appendConcurrently(
        _ log: AuditLog, tasks: Int, perTask: Int, pause: ClosedRange<Int>?
    ) async throws -> ([Double], Double) {
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var mine: [Double] = []
                    mine.reserveCapacity(perTask)
                    for i in 0..<perTask {
                        if let pause { try await Task.sleep(for: .milliseconds(Int.random(in: pause))) }
                        let event = Self.event(task: task, index: i)
                        let t0 = ContinuousClock.now
                        _ = try await log.append(event)
                        mine.append((ContinuousClock.now - t0).milliseconds)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [Double]()) { $0 += $1 }
        }
        return (latencies, (ContinuousClock.now - start).seconds)
    }

    private func latencyRows(_ name: String, _ latencies: [Double], _ seconds: Double) -> [Row] {
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return [
            Row(name: "\(name): p50", unit: "ms", ragd: percentile(0.50), raw: nil),
            Row(name: "\(name): p95", unit: "ms", ragd: percentile(0.95), raw: nil),
            Row(name: "\(name): p99", unit: "ms", ragd: percentile(0.99), raw: nil),
            Row(name: "\(name): throughput", unit: "records/s", ragd: Double(latencies.count) / seconds, raw: nil),
        ]
    }

    /// A question record as the assistant would write it: ~2 KB answer, 8 sources.
    static func event(task: Int, index: Int) -> AuditEvent {
        let sentence = "The reimbursement policy allows economy travel for trips under six hours, and the approver is the cost-centre manager [3]. "
        let answer = String(repeating: sentence, count: 16)  // about 2 KB
        var sources: [AuditSource] = []
        for s in 0..<8 {
            let documentId = Int64(100 + (index + s) % 400)
            let chunk = Int64(index * 8 + s)
            let score: Double = 0.9 - Double(s) * 0.05
            sources.append(AuditSource(
                documentId: documentId, documentVersion: 2,
                contentSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                title: "Travel and expenses policy, part \(s + 1)", location: "Policies › Travel › Section \(s + 1).\(index % 7)",
                chunkIds: [chunk, chunk + 1], score: score))
        }
        return .question(
            AuditQuestion(
                question: "Asker \(task): may I fly business class to the Lisbon office for a two-day visit (question \(index))?",
                answer: answer, sources: sources, route: "small_model", model: "SmolLM2-135M-Instruct.Q4_1.gguf",
                modelSHA256: "d2f6f5c8a1b7e3c9f0a4b6d8e2c1f3a5b7d9e0c2a4f6b8d0e1c3a5f7b9d2e4c6",
                routeReason: "confidence 0.82 ≥ escalate_below 0.45", verification: "8/8 sentences supported",
                retrievalMs: 38.2, firstTokenMs: 412.5, totalMs: 5210.7, promptTokens: 1840, generatedTokens: 410,
                filteredOut: 3),
            actor: AuditActor(userId: Int64(task + 1), name: "user\(task)", role: "user", groups: ["staff", "finance"]),
            channel: "web", clientAddress: "10.0.3.\(task + 10)")
    }
}
