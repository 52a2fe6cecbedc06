import ArgumentParser
import Foundation
import RagTesting
import RagInference

/// `make bench`: ragd's layers measured beside the raw engines, in the same process and run.
@main
struct RagBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ragd-bench",
        abstract: "Benchmarks: ragd's Swift layers against the raw engines underneath, same run, same inputs.")

    @Option(help: "CPU threads for inference.")
    var threads = 2

    @Option(help: "Repetitions of each measurement (the best is kept).")
    var repeats = 3

    @Option(help: "Which benchmarks: inference, ingest, retrieval, daemon, audit (comma-separated).")
    var only = "inference,ingest,retrieval,daemon,audit"

    @Option(help: "Daemon: seconds of load per number of clients.")
    var daemonSeconds = 120

    @Option(help: "Daemon: numbers of concurrent clients (comma-separated).")
    var daemonClients = "1,4,16"

    @Option(help: "Daemon: replies decoded together, one daemon run each (comma-separated; the first also times memory and an ingest).")
    var chatParallel = "4,1"

    @Option(help: "Daemon: questions timed for time to first token (0: skip).")
    var ttftQuestions = 12

    @Option(help: "Daemon: the port `ragd serve` listens on during the benchmark.")
    var port = 18181

    @Option(help: "Daemon: the ragd executable (release build).")
    var ragd = ".build/release/ragd"

    @Option(help: "Retrieval: corpus sizes in chunks (comma-separated).")
    var scales = "10000,100000,1000000"

    @Option(help: "Retrieval: queries per corpus size.")
    var queries = 50

    @Option(help: "Retrieval: re-scoring windows compared at the largest size (comma-separated).")
    var rescoreSweep = "400,800,1600"

    @Flag(help: "Retrieval: also measure the PostgreSQL store (pgvector) on the same rows and queries.")
    var postgres = false

    @Option(help: "Retrieval, PostgreSQL: search widths compared at the largest size (HNSW ef_search; IVFFlat probes x10).")
    var efSearchSweep = "40,100,200,400"

    @Option(help: "Retrieval, PostgreSQL: the vector index built after the load, hnsw (the store's) or ivfflat.")
    var pgIndex = "hnsw"

    @Option(help: "Ingest only the first N SQLite HTML pages (0: all 766).")
    var htmlPages = 120

    @Flag(help: "Ingest: read the next file while embedding the current one.")
    var readAhead = false

    @Option(help: "Ingest: alternating ragd/raw pairs on a subset (0: none).")
    var ingestPairs = 3

    @Option(help: "Audit benchmark: records appended in all, per setting.")
    var auditRecords = 4000

    @Option(help: "Write the figures as JSON to this file.")
    var json: String = "bench/results/bench.json"

    func run() async throws {
        LlamaBackend.initialize(logLevel: .errors)
        let cache = ProcessInfo.processInfo.environment["RAGD_CACHE"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/ragd")
        var report = Report()
        report.machine = machineDescription()
        print("ragd-bench  \(report.machine)  threads=\(threads)  repeats=\(repeats) (best kept)\n")

        let parts = Set(only.split(separator: ",").map(String.init))
        if parts.contains("inference") {
            let inference = InferenceBench(
                embeddingPath: cache + "/models/all-MiniLM-L6-v2.f16.gguf",
                chatPath: cache + "/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                threads: threads, repeats: repeats)
            report.rows += try await inference.run()
        }
        if parts.contains("ingest") {
            var ingest = IngestBench(cache: cache, threads: threads, htmlLimit: htmlPages > 0 ? htmlPages : nil)
            ingest.readAhead = readAhead
            ingest.pairs = ingestPairs
            ingest.keepAs = cache + "/bench/base.sqlite"
            report.rows += try await ingest.run()
        }
        if parts.contains("retrieval") {
            var retrieval = RetrievalBench(
                cache: cache, threads: threads, scales: scales.split(separator: ",").compactMap { Int($0) },
                queries: queries, rescoreSweep: rescoreSweep.split(separator: ",").compactMap { Int($0) })
            if postgres {
                retrieval.postgres = PostgresTestServer(settings: PostgresRetrievalBench.settings)
                retrieval.efSearchSweep = efSearchSweep.split(separator: ",").compactMap { Int($0) }
                retrieval.postgresIndex = pgIndex
            }
            report.rows += try await retrieval.run()
        }
        if parts.contains("daemon") {
            var daemon = DaemonBench(
                cache: cache, threads: threads, ragd: ragd, secondsPerLevel: daemonSeconds,
                clientCounts: daemonClients.split(separator: ",").compactMap { Int($0) }, port: port)
            daemon.ttftQuestions = ttftQuestions
            daemon.chatParallel = chatParallel.split(separator: ",").compactMap { Int($0) }
            report.rows += try await daemon.run()
        }
        if parts.contains("audit") {
            report.rows += try await AuditBench(tasks: 16, records: auditRecords).run()
        }

        report.print()
        try report.write(to: json)
        print("\nwrote \(json)")
    }
}
