import CPoppler
import Foundation
import RagCore

/// Small bridges between poppler-glib's C conventions and Swift.
enum Poppler {
    /// Takes ownership of a `g_malloc`ed UTF-8 string: returns it as a Swift string and frees it.
    static func takeString(_ pointer: UnsafeMutablePointer<gchar>?) -> String? {
        guard let pointer else { return nil }
        defer { g_free(pointer) }
        return String(cString: pointer)
    }

    /// Drops one reference to a GObject (documents, pages).
    static func unref(_ object: OpaquePointer) {
        g_object_unref(UnsafeMutableRawPointer(object))
    }

    /// Takes ownership of a GDateTime: returns it as a Date and unrefs it.
    static func takeDate(_ dateTime: OpaquePointer?) -> Date? {
        guard let dateTime else { return nil }
        defer { g_date_time_unref(dateTime) }
        return Date(timeIntervalSince1970: TimeInterval(g_date_time_to_unix(dateTime)))
    }

    /// Maps a GError from opening a document to the extraction error an administrator can act
    /// on, and frees it. Poppler reports a wrong or missing password as ENCRYPTED; damaged
    /// files and non-PDFs as DAMAGED, BAD_CATALOG or INVALID; I/O problems in G_FILE_ERROR.
    static func takeOpenError(_ error: UnsafeMutablePointer<GError>?) -> ExtractionError {
        guard let error else { return .corrupt(reason: "poppler could not open the document") }
        defer { g_error_free(error) }
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
        if error.pointee.domain == poppler_error_quark() {
            if error.pointee.code == Int32(POPPLER_ERROR_ENCRYPTED.rawValue) { return .encrypted }
            return .corrupt(reason: message)
        }
        if error.pointee.domain == g_file_error_quark() {
            return .unreadable(reason: message)
        }
        return .corrupt(reason: message)
    }
}
