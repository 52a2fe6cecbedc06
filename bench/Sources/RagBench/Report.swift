import Foundation
import RagCore

/// One figure measured through ragd and, where there is one, through the raw engine.
struct Row: Encodable {
    var name: String
    var unit: String
    var ragd: Double
    var raw: Double?
    var ratio: Double? { raw.map { $0 > 0 ? ragd / $0 : 0 } }

    enum CodingKeys: String, CodingKey { case name, unit, ragd, raw, ratio }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(unit, forKey: .unit)
        try c.encode(ragd, forKey: .ragd)
        try c.encodeIfPresent(raw, forKey: .raw)
        try c.encodeIfPresent(ratio, forKey: .ratio)
    }
}

struct Report: Encodable {
    var date = ISO8601DateFormatter().string(from: Date())
    var machine = ""
    var rows: [Row] = []

    func print() {
        let w = max(40, rows.map(\.name.count).max() ?? 0)
        Swift.print("\("figure".padding(toLength: w, withPad: " ", startingAt: 0))  \("ragd".leftPad(12))  \("raw engine".leftPad(12))  \("ratio".leftPad(7))  unit")
        for row in rows {
            func format(_ v: Double) -> String { String(format: abs(v) < 10 ? "%.3f" : "%.1f", v) }
            let raw = row.raw.map(format) ?? "-"
            let ratio = row.ratio.map { String(format: "%.3f", $0) } ?? "-"
            Swift.print("\(row.name.padding(toLength: w, withPad: " ", startingAt: 0))  \(format(row.ragd).leftPad(12))  \(raw.leftPad(12))  \(ratio.leftPad(7))  \(row.unit)")
        }
    }

    func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url)
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

func machineDescription() -> String {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores"
}

/// Runs `body` `repeats` times and returns the smallest duration in seconds.
func best(_ repeats: Int, _ body: () async throws -> Void) async rethrows -> Double {
    var bestTime = Double.infinity
    for _ in 0..<max(1, repeats) {
        let start = ContinuousClock.now
        try await body()
        bestTime = min(bestTime, (ContinuousClock.now - start).seconds)
    }
    return bestTime
}
