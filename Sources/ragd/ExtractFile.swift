import ArgumentParser
import Foundation
import RagExtraction

/// `ragd extract-file PATH`: the child process of isolated extraction (hidden).
///
/// `IsolatedExtractor` runs this for each file: it limits its own memory, extracts the file
/// and prints the document or a typed error as JSON (see `ExtractionChild`).
struct ExtractFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract-file",
        abstract: "Extract one file and print it as JSON (used internally by ingest).",
        shouldDisplay: false)

    @Argument(help: "The file to extract.")
    var path: String

    @Option(help: "Address-space limit of this process in MiB.")
    var memoryMb: Int?

    @Option(help: "At most this many pages of the document are OCRed.")
    var ocrMaxPages: Int?

    @Flag(help: "Do not OCR pages without a text layer.")
    var noOcr = false

    @Option(help: "End this process (SIGALRM) after this many seconds.")
    var timeLimit: Int?

    func run() throws {
        var arguments: [String] = []
        if let memoryMb { arguments += ["--memory-mb", String(memoryMb)] }
        if let ocrMaxPages { arguments += ["--ocr-max-pages", String(ocrMaxPages)] }
        if noOcr { arguments.append("--no-ocr") }
        if let timeLimit { arguments += ["--time-limit", String(timeLimit)] }
        guard let request = ExtractionChild.Request.parse(arguments + ["--", path]) else {
            throw ValidationError("--memory-mb and --time-limit must be positive, --ocr-max-pages not negative.")
        }
        let status = ExtractionChild.run(request)
        if status != 0 { throw ExitCode(status) }
    }
}
