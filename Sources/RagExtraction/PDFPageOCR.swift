import CPoppler
import CTesseract
import Foundation
import RagCore

/// Reads the text of rendered PDF pages with Tesseract.
///
/// One engine per document: loading a language model takes a few tenths of a second, and a
/// Tesseract handle is not thread-safe, so an engine is used by one thread at a time (it is
/// created and dropped inside one `PDFExtractor.read` call and never shared).
final class PDFPageOCR {
    private let api: OpaquePointer
    private let options: OCROptions

    /// Nil when Tesseract cannot load `options.languages` (its traineddata is not installed):
    /// pages without a text layer then stay without text, as with OCR off.
    init?(options: OCROptions) {
        guard let api = TessBaseAPICreate() else { return nil }
        // Tesseract's progress and debug chatter would go to stderr; keep it quiet.
        _ = TessBaseAPISetVariable(api, "debug_file", "/dev/null")
        guard TessBaseAPIInit3(api, nil, options.languages) == 0 else {
            TessBaseAPIDelete(api)
            return nil
        }
        TessBaseAPISetPageSegMode(api, PSM_AUTO)
        self.api = api
        self.options = options
    }

    deinit {
        TessBaseAPIEnd(api)
        TessBaseAPIDelete(api)
    }

    /// The recognised text of `page` (a `PopplerPage`), lines separated by newlines and
    /// paragraphs by blank lines; nil when the page cannot be rendered (no size, or no memory
    /// for the image).
    func text(of page: OpaquePointer) -> String? {
        // Blank pages (between chapters, say) are common and Tesseract takes most of a second
        // to find nothing on one: a 36 dpi thumbnail tells first.
        if Self.looksBlank(page) { return nil }
        guard let image = Self.render(page, options: options) else { return nil }
        defer { cairo_surface_destroy(image.surface) }
        guard let data = cairo_image_surface_get_data(image.surface) else { return nil }
        // Cairo's RGB24 pixels are 32-bit words; Tesseract reads 4 bytes per pixel as RGBA and
        // converts to grey itself. On little-endian machines red and blue trade places, which
        // changes the grey of coloured pixels slightly and the text on a scan not at all.
        TessBaseAPISetImage(api, data, Int32(image.width), Int32(image.height), 4,
                            cairo_image_surface_get_stride(image.surface))
        TessBaseAPISetSourceResolution(api, Int32(image.dpi.rounded()))
        defer { TessBaseAPIClear(api) }
        guard let utf8 = TessBaseAPIGetUTF8Text(api) else { return nil }
        defer { TessDeleteText(utf8) }
        return String(cString: utf8)
    }

    /// A rendered page: a cairo RGB24 image surface the caller destroys.
    struct RenderedPage {
        var surface: OpaquePointer
        var width: Int
        var height: Int
        var dpi: Double
    }

    /// Whether `page` renders as pure white at 36 dpi (nothing for OCR to read).
    static func looksBlank(_ page: OpaquePointer) -> Bool {
        let thumbnail = OCROptions(dpi: 36, maxPixelsPerPage: 1_000_000)
        guard let image = render(page, options: thumbnail) else { return false }
        defer { cairo_surface_destroy(image.surface) }
        guard let data = cairo_image_surface_get_data(image.surface) else { return false }
        let stride = Int(cairo_image_surface_get_stride(image.surface))
        for y in 0..<image.height {
            let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<image.width where row[x] & 0x00FF_FFFF != 0x00FF_FFFF { return false }
        }
        return true
    }

    /// Renders `page` on white at `options.dpi`, lowered so the image stays within
    /// `options.maxPixelsPerPage` and cairo's 32767-pixel side limit.
    static func render(_ page: OpaquePointer, options: OCROptions) -> RenderedPage? {
        var pageWidth = 0.0, pageHeight = 0.0
        poppler_page_get_size(page, &pageWidth, &pageHeight)
        guard pageWidth.isFinite, pageHeight.isFinite, pageWidth >= 1, pageHeight >= 1 else { return nil }
        var scale = options.dpi / 72
        let pixels = pageWidth * scale * pageHeight * scale
        if pixels > Double(options.maxPixelsPerPage) { scale *= (Double(options.maxPixelsPerPage) / pixels).squareRoot() }
        scale = min(scale, 32767 / max(pageWidth, pageHeight))
        let width = Int((pageWidth * scale).rounded(.up)), height = Int((pageHeight * scale).rounded(.up))
        guard width >= 1, height >= 1 else { return nil }

        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height)) else { return nil }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let cr = cairo_create(surface) else {
            cairo_surface_destroy(surface)
            return nil
        }
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        cairo_scale(cr, scale, scale)
        poppler_page_render(page, cr)
        cairo_destroy(cr)
        cairo_surface_flush(surface)
        return RenderedPage(surface: surface, width: width, height: height, dpi: scale * 72)
    }
}
