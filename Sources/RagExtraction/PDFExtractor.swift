import CPoppler
import Foundation
import RagCore

/// Extracts the text layer of a PDF with poppler-glib into sections that each lie on one page.
///
/// Each page's text comes from `poppler_page_get_text` (reading order, as `pdftotext` without
/// `-layout`) and is split into paragraph blocks by layout; see `PDFPageText`. Every section
/// lies on one page: `page` is the 1-based physical page number (what `pdftotext -f` counts,
/// not the printed folio). Without an outline each page is one section; with one, the
/// section `path` is the bookmark chain, and a page where bookmarks start is cut into one
/// section per bookmark (see `PDFSectionAssembler`). Pages without a text layer (scans) are
/// listed in `pagesWithoutText`; with `ocr` set (the default) the first `ocr.maxPages` of them
/// are rendered and read by Tesseract, and their sections carry `origin == .ocr`.
///
/// Safe to use from several threads at once for different files: each call opens its own
/// `PopplerDocument`, and poppler guards its global parameters itself.
public struct PDFExtractor: Sendable {
    /// How pages without a text layer are read; nil turns OCR off.
    public var ocr: OCROptions?

    public init(ocr: OCROptions? = OCROptions()) {
        self.ocr = ocr
    }

    /// Extracts the PDF at `url` (a file URL); poppler reads it from disk, so it is never
    /// loaded whole into memory.
    ///
    /// Throws `.encrypted` when a password is needed (an empty user password opens without
    /// one), `.corrupt` when poppler cannot read the file as a PDF, `.unreadable` when the
    /// file cannot be opened.
    public func extract(fileAt url: URL) throws(ExtractionError) -> ExtractedDocument {
        var uriError: UnsafeMutablePointer<GError>?
        guard let uri = Poppler.takeString(g_filename_to_uri(url.absoluteURL.path, nil, &uriError)) else {
            if let uriError { g_error_free(uriError) }
            throw .unreadable(reason: "not a local file path")
        }
        var error: UnsafeMutablePointer<GError>?
        guard let document = poppler_document_new_from_file(uri, nil, &error) else {
            throw Poppler.takeOpenError(error)
        }
        defer { Poppler.unref(document) }
        return Self.read(document, ocr: ocr)
    }

    /// Extracts a PDF held in memory.
    public func extract(bytes: [UInt8]) throws(ExtractionError) -> ExtractedDocument {
        let data = bytes.withUnsafeBytes { g_bytes_new($0.baseAddress, gsize($0.count)) }
        defer { g_bytes_unref(data) }
        var error: UnsafeMutablePointer<GError>?
        guard let document = poppler_document_new_from_bytes(data, nil, &error) else {
            throw Poppler.takeOpenError(error)
        }
        defer { Poppler.unref(document) }
        return Self.read(document, ocr: ocr)
    }

    /// Reads metadata, outline and every page of an open document.
    /// Pages without a text layer are OCRed (up to `ocr.maxPages`) when `ocr` is set.
    static func read(_ document: OpaquePointer, ocr: OCROptions?) -> ExtractedDocument {
        let pageCount = Int(max(0, poppler_document_get_n_pages(document)))
        var sections = PDFSectionAssembler(outline: PDFOutline.entries(of: document, pageCount: pageCount))
        var pagesWithoutText: [Int] = []
        var engine: PDFPageOCR?
        var engineTried = false
        for index in 0..<pageCount {
            let paragraphs = pageParagraphs(document, index: index)
            if !paragraphs.isEmpty {
                sections.add(page: index + 1, paragraphs: paragraphs)
                continue
            }
            pagesWithoutText.append(index + 1)
            guard let ocr, pagesWithoutText.count <= ocr.maxPages else {
                sections.add(page: index + 1, paragraphs: [])
                continue
            }
            if !engineTried {
                engine = PDFPageOCR(options: ocr)
                engineTried = true
            }
            let recognised = engine.flatMap { ocrParagraphs(document, index: index, engine: $0) } ?? []
            sections.add(page: index + 1, paragraphs: recognised, origin: .ocr)
        }
        return ExtractedDocument(
            format: .pdf,
            title: Poppler.takeString(poppler_document_get_title(document))?.collapsingWhitespace.nonEmpty,
            author: Poppler.takeString(poppler_document_get_author(document))?.collapsingWhitespace.nonEmpty,
            created: Poppler.takeDate(poppler_document_get_creation_date_time(document)),
            modified: Poppler.takeDate(poppler_document_get_modification_date_time(document)),
            pageCount: pageCount,
            pagesWithoutText: pagesWithoutText,
            sections: sections.sections
        )
    }

    /// The paragraphs of one page; empty when the page has no text layer.
    private static func pageParagraphs(_ document: OpaquePointer, index: Int) -> [PDFPageText.Paragraph] {
        guard let page = poppler_document_get_page(document, Int32(index)) else { return [] }
        defer { Poppler.unref(page) }
        guard let text = Poppler.takeString(poppler_page_get_text(page)), text.hasVisibleText else { return [] }
        return PDFPageText.paragraphs(in: text, boxes: characterBoxes(page))
    }

    /// The paragraphs Tesseract reads on one rendered page (blank lines separate them).
    private static func ocrParagraphs(_ document: OpaquePointer, index: Int, engine: PDFPageOCR) -> [PDFPageText.Paragraph] {
        guard let page = poppler_document_get_page(document, Int32(index)) else { return [] }
        defer { Poppler.unref(page) }
        guard let text = engine.text(of: page), text.hasVisibleText else { return [] }
        return PDFPageText.paragraphs(in: text, boxes: nil)
    }

    /// One box per character of the page text (poppler caches the page's text analysis, so
    /// this second call costs little).
    private static func characterBoxes(_ page: OpaquePointer) -> [PDFPageText.Box]? {
        var rectangles: UnsafeMutablePointer<PopplerRectangle>?
        var count: guint = 0
        guard poppler_page_get_text_layout(page, &rectangles, &count) != 0, let rectangles else { return nil }
        defer { g_free(rectangles) }
        return UnsafeBufferPointer(start: rectangles, count: Int(count)).map {
            PDFPageText.Box(x1: $0.x1, y1: $0.y1, x2: $0.x2, y2: $0.y2)
        }
    }
}

extension String {
    /// Nil for the empty string, so optional metadata stays nil instead of "".
    var nonEmpty: String? { isEmpty ? nil : self }
}
