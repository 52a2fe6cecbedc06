import Foundation
import RagCore
import RagExtraction
import Testing

/// Every odd, broken, encrypted and scanned PDF of the corpus (pypdf, pikepdf and ocrmypdf
/// test resources) and the generated odd HTML, through isolated extraction as ingest runs it:
/// the test process must survive, and each file must end with a clear status.
@Suite struct BadInputOutcomeTests {
    /// What ingest would record for a file.
    enum Outcome: String, CaseIterable {
        case ingested, ingestedOCR = "ingested by OCR", skipped, failed
    }

    struct Row {
        var group: String
        var name: String
        var outcome: Outcome
        var reason: String
        var seconds: Double
    }

    /// The status ingest records for this extraction result (see IngestPipeline.finish).
    static func classify(_ result: Result<ExtractedDocument, ExtractionError>) -> (Outcome, String) {
        switch result {
        case .success(let document):
            let visible = document.sections.filter { $0.blocks.contains { !$0.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } }
            if visible.isEmpty { return (.failed, ExtractionError.empty.description) }
            return visible.contains { $0.origin == .ocr } ? (.ingestedOCR, "") : (.ingested, "")
        case .failure(let error):
            return (error == .encrypted ? .skipped : .failed, error.description)
        }
    }

    @Test("every bad file ends ingested, ingested by OCR, skipped or failed with a reason")
    func everyBadFile() async throws {
        guard let helper = ExtractHelper.require(), TestCorpus.require(TestCorpus.oddities) != nil else { return }
        let generated = try OddInputs.write()
        defer { try? FileManager.default.removeItem(at: generated) }

        var found: [(group: String, url: URL)] = []
        for group in ["pypdf", "pikepdf", "ocrmypdf"] {
            let pdfs = TestCorpus.files(under: TestCorpus.oddities.appendingPathComponent(group), suffix: "pdf")
            #expect(!pdfs.isEmpty, "no PDFs from \(group): run `make setup`")
            found += pdfs.map { (group, $0) }
        }
        let odd = try FileManager.default.contentsOfDirectory(at: generated, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        #expect(odd.count == OddInputs.descriptions.count)
        found += odd.map { ("generated", $0) }
        let files = found

        // Defaults but for time: a 30 s limit, and OCR of the first page only, at 150 dpi and at
        // most 10 megapixels (the OCR tests check quality at 300 dpi). With the defaults (120 s,
        // 200 pages, 300 dpi) the run takes about twice as long; RAGD_OUTCOME_FULL=1 runs it so.
        let full = ProcessInfo.processInfo.environment["RAGD_OUTCOME_FULL"] == "1"
        let limit = full ? 120 : 30
        let extractor = IsolatedExtractor(helper: helper, timeLimit: .seconds(limit), memoryLimitMB: 2048,
                                          ocr: full ? OCROptions() : OCROptions(maxPages: 1, dpi: 150, maxPixelsPerPage: 10_000_000))
        let clock = ContinuousClock()
        let started = clock.now
        // Two children at a time (the machines this runs on have two cores), each taking every
        // other file.
        let all: [Row] = await withTaskGroup(of: [(Int, Row)].self) { group in
            for worker in 0..<2 {
                group.addTask {
                    var done: [(Int, Row)] = []
                    for index in stride(from: worker, to: files.count, by: 2) {
                        let (group, url) = files[index]
                        let t0 = clock.now
                        let result: Result<ExtractedDocument, ExtractionError>
                        do throws(ExtractionError) { result = .success(try await extractor.extract(fileAt: url)) } catch {
                            result = .failure(error)
                        }
                        let (outcome, reason) = Self.classify(result)
                        let name = url.path.replacingOccurrences(of: TestCorpus.oddities.path + "/", with: "")
                            .replacingOccurrences(of: generated.path + "/", with: "generated/")
                        done.append((index, Row(group: group, name: name, outcome: outcome, reason: reason,
                                                seconds: (clock.now - t0).seconds)))
                    }
                    return done
                }
            }
            var rows: [(Int, Row)] = []
            for await done in group { rows += done }
            return rows.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let elapsed = clock.now - started
        #expect(all.count == files.count)

        for row in all {
            if row.outcome == .failed || row.outcome == .skipped {
                #expect(!row.reason.isEmpty, "\(row.name): \(row.outcome.rawValue) without a reason")
                #expect(row.reason.contains(":"), "\(row.name): reason without a code: \(row.reason)")
            }
            print("outcome \(row.outcome.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)) "
                  + String(format: "%6.2f s ", row.seconds) + "\(row.name)\(row.reason.isEmpty ? "" : " — " + row.reason.prefix(120))")
        }

        // The table for the record: outcome by group, then failure codes.
        let groups = ["pypdf", "pikepdf", "ocrmypdf", "generated"]
        var lines = ["bad-input outcomes over \(all.count) files in \(elapsed) (per-file limit \(limit) s, "
                     + "OCR \(extractor.ocr.map { "\($0.maxPages) pages at \(Int($0.dpi)) dpi" } ?? "off")):",
                     "outcome".padding(toLength: 16, withPad: " ", startingAt: 0)
                        + groups.map { $0.padding(toLength: 10, withPad: " ", startingAt: 0) }.joined() + "total"]
        for outcome in Outcome.allCases {
            let counts = groups.map { g in all.filter { $0.group == g && $0.outcome == outcome }.count }
            lines.append(outcome.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)
                         + counts.map { String($0).padding(toLength: 10, withPad: " ", startingAt: 0) }.joined()
                         + String(counts.reduce(0, +)))
        }
        let totals = groups.map { g in all.filter { $0.group == g }.count }
        lines.append("files".padding(toLength: 16, withPad: " ", startingAt: 0)
                     + totals.map { String($0).padding(toLength: 10, withPad: " ", startingAt: 0) }.joined() + String(all.count))
        var codes: [String: Int] = [:]
        for row in all where row.outcome == .failed || row.outcome == .skipped {
            codes[String(row.reason.prefix { $0 != ":" }), default: 0] += 1
        }
        lines.append("reasons: " + codes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print(lines.joined(separator: "\n"))

        // What we know about particular files.
        func outcome(_ suffix: String) -> Row? { all.first { $0.name.hasSuffix(suffix) } }
        #expect(outcome("ocrmypdf/tests/resources/linn.pdf")?.outcome == .ingestedOCR)
        #expect(outcome("generated/large-20mb.html")?.outcome == .ingested)
        #expect(outcome("generated/one-line-10mb.html")?.outcome == .ingested)
        #expect(outcome("generated/undeclared-latin1.html")?.outcome == .ingested)
        #expect(outcome("generated/binary.html")?.outcome == .failed)
        #expect(outcome("generated/empty.html")?.reason.hasPrefix("empty") == true)
        #expect(outcome("generated/zero-bytes.pdf")?.outcome == .failed)
        #expect(all.contains { $0.outcome == .skipped }, "the pypdf corpus has encrypted files")
    }
}
