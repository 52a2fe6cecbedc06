import Foundation
import Hummingbird
import Prometheus
import RagCore
import RagStore

/// ragd's Prometheus metrics. One registry per server (no global bootstrap), so tests can
/// build as many servers as they like and read exactly their own figures.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    let answersInFlight: Gauge
    let answersWaiting: Gauge
    let firstToken: DurationHistogram
    let answerTotal: DurationHistogram
    let retrieval: DurationHistogram

    public init() {
        answersInFlight = registry.makeGauge(name: "ragd_answers_in_flight", help: "Answers being generated now")
        answersWaiting = registry.makeGauge(name: "ragd_answers_waiting", help: "Askers waiting for a model (queue depth)")
        firstToken = registry.makeDurationHistogram(
            name: "ragd_answer_first_token_seconds", buckets: Self.latencyBuckets, help: "Time to the first answer token")
        answerTotal = registry.makeDurationHistogram(
            name: "ragd_answer_seconds", buckets: Self.latencyBuckets, help: "Time to the whole answer")
        retrieval = registry.makeDurationHistogram(
            name: "ragd_retrieval_seconds", buckets: Self.latencyBuckets, help: "Retrieval time per question")
    }

    func request(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            name: "ragd_http_requests_total", labels: [("method", method), ("route", route), ("status", String(status))],
            help: "HTTP requests by route and status"
        ).increment()
        registry.makeDurationHistogram(
            name: "ragd_http_request_duration_seconds", labels: [("route", route)], buckets: Self.latencyBuckets,
            help: "HTTP request latency by route"
        ).record(duration)
    }

    /// Counts an answer, its tokens by route (the path that produced it) and tier, and its
    /// estimated cost: the larger tier's tokens at `pricePer1k` per 1,000; the in-process model
    /// costs nothing.
    func answered(path: String, channel: String, promptTokens: Int, generatedTokens: Int, largeModelTokens: Int = 0,
                  pricePer1k: Double = 0) {
        registry.makeCounter(name: "ragd_answers_total", labels: [("path", path), ("channel", channel)],
                             help: "Answers by path (small_model, large_model, quoted_fallback, not_found)").increment()
        registry.makeCounter(name: "ragd_tokens_total", labels: [("kind", "prompt")], help: "Model tokens")
            .increment(by: Int64(promptTokens))
        registry.makeCounter(name: "ragd_tokens_total", labels: [("kind", "generated")], help: "Model tokens")
            .increment(by: Int64(generatedTokens))
        let large = max(0, min(largeModelTokens, promptTokens + generatedTokens))
        for (tier, tokens) in [("small", promptTokens + generatedTokens - large), ("large", large)] {
            registry.makeCounter(name: "ragd_route_tokens_total", labels: [("path", path), ("tier", tier)],
                                 help: "Model tokens (read plus written) by the answer's path and the tier that spent them")
                .increment(by: Int64(tokens))
        }
        registry.makeCounter(name: "ragd_route_estimated_cost_total", labels: [("path", path)],
                             help: "Estimated cost by the answer's path: larger-tier tokens at large_model.price_per_1k_tokens")
            .increment(by: Double(large) * pricePer1k / 1000)
    }

    /// The configured price, so a dashboard can show what the cost figures assume.
    func setPrice(_ pricePer1k: Double) {
        registry.makeGauge(name: "ragd_large_model_price_per_1k_tokens",
                           help: "Configured price of 1,000 larger-tier tokens (large_model.price_per_1k_tokens; 0: on-prem)")
            .set(pricePer1k)
    }

    /// A draft question's prompt read ahead (`outcome`: prefilled, skipped, failed).
    func prefill(_ outcome: String) {
        registry.makeCounter(name: "ragd_prefills_total", labels: [("outcome", outcome)],
                             help: "Draft questions whose prompt was read while the asker typed").increment()
    }

    func rejected(_ reason: String) {
        registry.makeCounter(name: "ragd_rejected_total", labels: [("reason", reason)],
                             help: "Requests refused (overload, rate_limit)").increment()
    }

    /// Reads the store's state into gauges, then renders the exposition text.
    func render(store: RagStore, extra: [(name: String, help: String, value: Double)]) -> String {
        if let jobs = try? store.jobs.recent(limit: 20) {
            let active = jobs.filter { !$0.status.isFinished }
            registry.makeGauge(name: "ragd_ingest_jobs_active", help: "Ingest jobs queued or running").set(Double(active.count))
            let running = active.first { $0.status == .running }
            registry.makeGauge(name: "ragd_ingest_files_done", help: "Files done in the running ingest job")
                .set(Double(running?.filesDone ?? 0))
            registry.makeGauge(name: "ragd_ingest_files_total", help: "Files in the running ingest job")
                .set(Double(running?.filesTotal ?? 0))
        }
        if let sources = try? store.sources() {
            let now = Date()
            for source in sources.map(\.source) where source.syncSeconds != nil || source.lastSyncAt != nil {
                let labels = [("source_id", String(source.id!))]
                registry.makeGauge(name: "ragd_source_sync_failures", labels: labels,
                                   help: "Failed syncs in a row of a source (0: the last one worked)")
                    .set(Double(source.syncFailures))
                if let last = source.lastSyncAt {
                    registry.makeGauge(name: "ragd_source_last_sync_age_seconds", labels: labels,
                                       help: "Seconds since a source's last sync")
                        .set(now.timeIntervalSince(last))
                }
            }
        }
        if let counts = try? store.indexCounts() {
            registry.makeGauge(name: "ragd_chunks", help: "Chunks in the index").set(Double(counts.chunks))
        }
        if let active = try? store.activeVectorIndex() {
            registry.makeGauge(name: "ragd_vector_index_generation",
                               help: "Generation of the active vector index (each embedding-model switch adds one)")
                .set(Double(active.generation))
        }
        let migration = try? store.runningMigration()
        registry.makeGauge(name: "ragd_embedding_migration_chunks_done",
                           help: "Chunks re-embedded by the running embedding-model migration (0: none runs)")
            .set(Double(migration?.chunksDone ?? 0))
        registry.makeGauge(name: "ragd_embedding_migration_chunks_total",
                           help: "Chunks the running embedding-model migration re-embeds (0: none runs)")
            .set(Double(migration?.chunksTotal ?? 0))
        for item in extra { registry.makeGauge(name: item.name, help: item.help).set(item.value) }
        return registry.emitToString()
    }
}

/// Counts and times every request by its route pattern (never the raw path: no ids or
/// query text in labels), and logs one line per request without its query string.
struct MetricsAndLogMiddleware: RouterMiddleware {
    typealias Context = RagRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        let method = request.method.rawValue
        do {
            let response = try await next(request, context)
            finish(request, context, status: response.status.code, elapsed: clock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            finish(request, context, status: status, elapsed: clock.now - start)
            throw error
        }
        func finish(_ request: Request, _ context: Context, status: Int, elapsed: Duration) {
            let route = context.endpointPath ?? "unmatched"
            metrics.request(method: method, route: route, status: status, duration: elapsed)
            context.logger.info("request", metadata: [
                "method": "\(method)", "route": "\(route)", "status": "\(status)",
                "ms": "\(Int(elapsed.milliseconds))",
            ])
        }
    }
}
