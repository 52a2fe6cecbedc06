import Foundation
import RagCore
import RagExtraction
import Testing

/// The `ragd-extract` helper next to the test binary (`swift build --build-tests` builds it),
/// or the one `RAGD_EXTRACT_HELPER` names.
enum ExtractHelper {
    static let path: String = {
        if let path = ProcessInfo.processInfo.environment["RAGD_EXTRACT_HELPER"], !path.isEmpty { return path }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return ((me as NSString).deletingLastPathComponent as NSString).appendingPathComponent("ragd-extract")
    }()

    /// The helper, or nil after recording how to build it.
    static func require(sourceLocation: SourceLocation = #_sourceLocation) -> IsolatedExtractor.Helper? {
        if FileManager.default.isExecutableFile(atPath: path) { return .ragdExtract(at: path) }
        Issue.record("no extraction helper at \(path): run `swift build --build-tests` (or `swift build --product ragd-extract`)",
                     sourceLocation: sourceLocation)
        return nil
    }

    /// A shell script as a helper (the request's arguments become its positional parameters).
    static func shell(_ script: String) -> IsolatedExtractor.Helper {
        IsolatedExtractor.Helper(executable: "/bin/sh", arguments: ["-c", script, "sh"])
    }
}

@Suite struct IsolatedExtractorTests {
    @Test("a child extracts a PDF and an HTML page exactly like DocumentExtractor")
    func sameAsInProcess() async throws {
        guard let helper = ExtractHelper.require(),
              let faq = TestCorpus.require(TestCorpus.debianFAQ),
              let page = TestCorpus.require(TestCorpus.sqliteDocs.appendingPathComponent("lang_select.html"))
        else { return }
        let isolated = IsolatedExtractor(helper: helper, timeLimit: .seconds(60))
        for url in [faq, page] {
            let expected = try await DocumentExtractor().extract(fileAt: url)
            #expect(try await isolated.extract(fileAt: url) == expected, "\(url.lastPathComponent)")
        }
    }

    @Test("typed errors cross the process boundary")
    func typedErrors() async throws {
        guard let helper = ExtractHelper.require(),
              let encrypted = TestCorpus.require(TestCorpus.pypdf.appendingPathComponent("encryption/r4-user-password.pdf"))
        else { return }
        let isolated = IsolatedExtractor(helper: helper)
        await #expect(throws: ExtractionError.encrypted) { try await isolated.extract(fileAt: encrypted) }
        await #expect(throws: ExtractionError.self) { try await isolated.extract(fileAt: URL(fileURLWithPath: "/nonexistent/ragd.pdf")) }
    }

    @Test("a hanging child is killed at the time limit")
    func timeout() async throws {
        // A child that never ends by itself: `.timedOut` is set only by our deadline's kill.
        // (With `sleep 30`, a CI run whose suites held the cooperative pool for over 30 s saw
        // the child finish on its own before the watcher had started.) No wall-clock bound
        // here: handing the result back needs the cooperative pool, which the suites beside
        // this one kept busy for a minute in a clean-clone run on two cores.
        let isolated = IsolatedExtractor(helper: ExtractHelper.shell("while :; do sleep 1; done"), timeLimit: .seconds(1))
        await #expect(throws: ExtractionError.timedOut(seconds: 1)) { try await isolated.extract(fileAt: URL(fileURLWithPath: "/dev/null")) }
        #expect(ExtractionError.timedOut(seconds: 120).description.hasPrefix("timeout: extraction took longer than 120 s"))
    }

    @Test("a real extraction over its time limit is stopped")
    func realTimeout() async throws {
        guard let helper = ExtractHelper.require(),
              let scan = TestCorpus.require(TestCorpus.ocrmypdf.appendingPathComponent("linn.pdf"))
        else { return }
        // OCR of one page at 300 dpi takes well over 50 ms.
        let isolated = IsolatedExtractor(helper: helper, timeLimit: .milliseconds(50))
        await #expect(throws: ExtractionError.timedOut(seconds: 1)) { try await isolated.extract(fileAt: scan) }
    }

    @Test("a crash is a per-file failure that names the signal")
    func crash() async throws {
        let isolated = IsolatedExtractor(helper: ExtractHelper.shell("kill -SEGV $$"))
        await #expect(throws: ExtractionError.crashed(signal: 11)) { try await isolated.extract(fileAt: URL(fileURLWithPath: "/dev/null")) }
        #expect(ExtractionError.crashed(signal: 11).description.hasPrefix("crashed: the parser was killed by signal 11"))
    }

    @Test("a child that runs out of memory is 'too large'")
    func outOfMemory() async throws {
        let isolated = IsolatedExtractor(
            helper: ExtractHelper.shell("echo \"terminate called after throwing an instance of 'std::bad_alloc'\" >&2; kill -ABRT $$"),
            memoryLimitMB: 512)
        await #expect(throws: ExtractionError.tooLarge(limitMB: 512)) { try await isolated.extract(fileAt: URL(fileURLWithPath: "/dev/null")) }
        #expect(ExtractionError.tooLarge(limitMB: 512).description.hasPrefix("too large: memory limit"))
    }

    @Test("the memory limit holds a real parser: a 20 MB page in 200 MiB of address space")
    func realMemoryLimit() async throws {
        guard let helper = ExtractHelper.require() else { return }
        let directory = try OddInputs.write()
        defer { try? FileManager.default.removeItem(at: directory) }
        let large = directory.appendingPathComponent("large-20mb.html")
        let roomy = IsolatedExtractor(helper: helper, memoryLimitMB: 2048)
        #expect(try await roomy.extract(fileAt: large).sections.count > 10_000)
        let tight = IsolatedExtractor(helper: helper, memoryLimitMB: 200)
        do {
            let document = try await tight.extract(fileAt: large)
            Issue.record("extracted \(document.sections.count) sections in 200 MiB; expected the limit to stop it")
        } catch {
            #expect(error.code == "too_large", "\(error)")
        }
    }

    @Test("a missing helper is reported as such")
    func missingHelper() async throws {
        let isolated = IsolatedExtractor(helper: .ragdExtract(at: "/nonexistent/ragd-extract"))
        do {
            _ = try await isolated.extract(fileAt: URL(fileURLWithPath: "/dev/null"))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == "unreadable")
            #expect(error.description.contains("could not be started"))
        }
    }

    @Test("cancelling the task kills the child")
    func cancellation() async throws {
        let isolated = IsolatedExtractor(helper: ExtractHelper.shell("sleep 300"), timeLimit: .seconds(600))
        let clock = ContinuousClock()
        let started = clock.now
        let task = Task { () async throws -> ExtractedDocument in
            try await isolated.extract(fileAt: URL(fileURLWithPath: "/dev/null"))
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let result = await task.result
        // Well under the child's 300 s. Not tighter: blocking tests running beside this one
        // hold the cooperative pool's threads, so resuming after the sleep can take a minute
        // on a loaded two-core machine. The "cancelled" error shows the kill path ran.
        #expect(clock.now - started < .seconds(200))
        guard case .failure(let error) = result else { Issue.record("expected an error"); return }
        #expect((error as? ExtractionError)?.description.hasPrefix("unreadable: cancelled") == true, "\(error)")
    }

    @Test("the child's command line round-trips")
    func requestArguments() {
        let request = ExtractionChild.Request(path: "--odd name.pdf", memoryLimitMB: 300, ocr: OCROptions(maxPages: 7))
        #expect(ExtractionChild.Request.parse(request.arguments) == request)
        let noOCR = ExtractionChild.Request(path: "/a.pdf", memoryLimitMB: nil, ocr: nil)
        #expect(ExtractionChild.Request.parse(noOCR.arguments) == noOCR)
        #expect(ExtractionChild.Request.parse(["--memory-mb", "x", "a.pdf"]) == nil)
    }
}
