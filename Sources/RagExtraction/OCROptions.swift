/// How pages without a text layer (scans) are read by optical character recognition.
///
/// OCR renders each such page with poppler and cairo and reads the image with Tesseract
/// (Debian's `tesseract-ocr` and `tesseract-ocr-eng`). It costs about a second or two of CPU
/// per page, so a document's OCR is capped at `maxPages` pages; the rest stay listed in
/// `ExtractedDocument.pagesWithoutText` without text.
public struct OCROptions: Sendable, Equatable, Codable {
    /// At most this many pages of one document are OCRed (the first ones without text).
    public var maxPages: Int
    /// Rendering resolution; 300 dpi is what Tesseract is trained for.
    public var dpi: Double
    /// A page whose rendering at `dpi` would exceed this many pixels is rendered at a lower
    /// resolution instead (a poster-sized page at 300 dpi would need gigabytes).
    public var maxPixelsPerPage: Int
    /// Tesseract language codes joined by "+", e.g. "eng" or "eng+deu" (each needs its
    /// `tesseract-ocr-LANG` package).
    public var languages: String

    public init(maxPages: Int = 200, dpi: Double = 300, maxPixelsPerPage: Int = 40_000_000, languages: String = "eng") {
        self.maxPages = maxPages
        self.dpi = dpi
        self.maxPixelsPerPage = maxPixelsPerPage
        self.languages = languages
    }
}

extension OCROptions {
    /// Whether Tesseract can load `languages` here (its `tesseract-ocr-LANG` data is
    /// installed). Without it OCR quietly reads nothing, so `ragd doctor` asks this.
    public var engineAvailable: Bool { PDFPageOCR(options: self) != nil }
}
