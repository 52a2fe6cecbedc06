import Foundation

/// Admission control for answers. The models answer a few requests at a time; a bounded
/// number of askers may wait their turn, first come first served. Beyond that ragd says
/// "busy, retry in N s" (503) at once instead of queueing without bound.
actor AnswerGate {
    let maxRunning: Int
    let maxWaiting: Int
    private(set) var running = 0
    /// Askers in line, first come first served; the id lets a cancelled asker leave the line.
    private var waiting: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiterId: UInt64 = 0
    private let metrics: ServerMetrics?
    private let retryAfterSeconds: Int

    init(maxRunning: Int, maxWaiting: Int, metrics: ServerMetrics?, retryAfterSeconds: Int = 5) {
        self.maxRunning = max(1, maxRunning)
        self.maxWaiting = max(0, maxWaiting)
        self.metrics = metrics
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Waits for a turn. - Throws: `ServerError(503)` with Retry-After when the line is full;
    /// `CancellationError` when the asker's task is cancelled while it waits (it leaves the line,
    /// so a client that went away holds no place and gets no turn).
    func enter() async throws {
        if running < maxRunning {
            running += 1
            publish()
            return
        }
        guard waiting.count < maxWaiting else {
            metrics?.rejected("overload")
            throw ServerError(.serviceUnavailable, "ragd is busy. Try again in a few seconds.",
                              headers: [.retryAfter: String(retryAfterSeconds)])
        }
        let id = nextWaiterId
        nextWaiterId += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiting.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
        publish()
    }

    /// Takes a turn only if one is free and nobody waits (work that may be skipped, such as a
    /// draft's prefill, never delays an asker). Call `leave()` after a true.
    func tryEnter() -> Bool {
        guard running < maxRunning, waiting.isEmpty else { return false }
        running += 1
        publish()
        return true
    }

    /// Removes a cancelled asker from the line (if it has not been given its turn already).
    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: index).continuation.resume(throwing: CancellationError())
        publish()
    }

    /// How many askers wait in line.
    var waitingCount: Int { waiting.count }

    /// Gives the turn to the next in line.
    func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().continuation.resume()
        }
        publish()
    }

    private func publish() {
        guard let metrics else { return }
        metrics.answersInFlight.set(Double(running))
        metrics.answersWaiting.set(Double(waiting.count))
    }

    /// Runs `body` in a turn.
    func withTurn<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await enter()
        do {
            let value = try await body()
            leave()
            return value
        } catch {
            leave()
            throw error
        }
    }
}

/// A per-key sliding-window limit (questions per user per minute, failed sign-ins per name).
actor RateLimiter {
    let limit: Int
    let window: TimeInterval
    private var events: [String: [Date]] = [:]

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Records an event for `key`. - Returns: nil if allowed, or the seconds until the next is.
    func hit(_ key: String, now: Date = Date()) -> Int? {
        var recent = (events[key] ?? []).filter { now.timeIntervalSince($0) < window }
        if recent.count >= limit {
            events[key] = recent
            return max(1, Int((window - now.timeIntervalSince(recent[0])).rounded(.up)))
        }
        recent.append(now)
        events[key] = recent
        if events.count > 10_000 { events = events.filter { !$0.value.isEmpty && now.timeIntervalSince($0.value.last!) < window } }
        return nil
    }

    /// Whether `key` is over the limit, without recording anything.
    func isLimited(_ key: String, now: Date = Date()) -> Bool {
        (events[key] ?? []).filter { now.timeIntervalSince($0) < window }.count >= limit
    }

    func reset(_ key: String) { events[key] = nil }
}
