import Foundation
import RagCore

/// Reads one file of any supported format into an `ExtractedDocument`.
///
/// A value type with no state: one instance may be used from many threads at once, each
/// call working on its own file. Calls block (parsing is CPU work), so async callers should
/// run them off the cooperative pool or accept that a large PDF holds a thread for a while.
public struct DocumentExtractor: FileExtracting {
    /// Files larger than this are refused as unreadable rather than loaded into memory
    /// (HTML, text and Markdown are read whole; PDFs are read by poppler from disk and may be
    /// larger).
    public var maxTextFileBytes: Int

    /// How PDF pages without a text layer are read (see `OCROptions`); nil turns OCR off.
    public var ocr: OCROptions?

    public init(maxTextFileBytes: Int = 256 << 20, ocr: OCROptions? = OCROptions()) {
        self.maxTextFileBytes = maxTextFileBytes
        self.ocr = ocr
    }

    /// Detects the format (see `format(of:prefix:)`) and extracts the file.
    ///
    /// Throws `.unsupportedFormat` for files ragd does not read, `.unreadable` for I/O errors,
    /// `.corrupt` for damaged files or binary data under a text name, `.encrypted` for
    /// password-protected PDFs, and `.empty` when an HTML, text or Markdown file has no text.
    /// A PDF without any text layer is *not* `.empty`: it is returned with every page listed
    /// in `pagesWithoutText` (and, with `ocr` set, those pages are OCRed first); the caller
    /// decides what a document without text means. A PDF with no pages at all is `.empty`.
    ///
    /// Runs the C parsers in this process with no time or memory limit: for files from
    /// untrusted places use `IsolatedExtractor`, which runs this in a child process.
    public func extract(fileAt url: URL) throws(ExtractionError) -> ExtractedDocument {
        let prefix = try Self.readPrefix(of: url, count: FormatDetection.sniffLength)
        guard let format = Self.format(of: url, prefix: prefix) else {
            let ext = url.pathExtension.isEmpty ? "no extension" : ".\(url.pathExtension)"
            throw .unsupportedFormat("\(ext) is not PDF, HTML, Markdown or text")
        }
        let document: ExtractedDocument
        switch format {
        case .pdf:
            document = try PDFExtractor(ocr: ocr).extract(fileAt: url)
            if document.pageCount == 0 { throw .empty }
            return document
        case .html:
            document = try HTMLExtractor().extract(bytes: try readWhole(url))
        case .markdown, .text:
            document = try TextExtractor().extract(bytes: try readWhole(url), as: format)
        }
        guard document.hasText else { throw .empty }
        return document
    }

    /// The format of a file named `url` whose first bytes are `prefix` (4 KiB is plenty; fewer
    /// works), or nil when it is not a document ragd reads.
    ///
    /// A `%PDF-` header makes any file a PDF. Otherwise the extension decides: `.pdf`;
    /// `.html`/`.htm`/`.xhtml`; `.md`/`.markdown`; `.txt`/`.text`/`.rst`. Files with another
    /// extension are HTML if they start like HTML, and files without one are text unless
    /// binary. A binary file named `.html` still reports `.html`: extraction then fails with
    /// `.corrupt`, which tells an administrator more than silently skipping it would.
    public static func format(of url: URL, prefix: [UInt8]) -> DocumentFormat? {
        FormatDetection.format(of: url, prefix: prefix)
    }

    static func readPrefix(of url: URL, count: Int) throws(ExtractionError) -> [UInt8] {
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            return [UInt8](try handle.read(upToCount: count) ?? Data())
        } catch {
            throw .unreadable(reason: Self.describe(error))
        }
    }

    private func readWhole(_ url: URL) throws(ExtractionError) -> [UInt8] {
        do {
            let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
            if size > maxTextFileBytes {
                throw ExtractionError.unreadable(reason: "file is \(size) bytes, above the \(maxTextFileBytes)-byte limit for text formats")
            }
            return [UInt8](try Data(contentsOf: url, options: .mappedIfSafe))
        } catch let error as ExtractionError {
            throw error
        } catch {
            throw .unreadable(reason: Self.describe(error))
        }
    }

    /// An I/O error as a short reason that names the problem, not the file's content.
    static func describe(_ error: any Error) -> String {
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        return (error as NSError).localizedDescription
    }
}

extension ExtractedDocument {
    /// Whether any block holds visible text.
    var hasText: Bool {
        sections.contains { $0.blocks.contains { $0.text.hasVisibleText } }
    }
}
