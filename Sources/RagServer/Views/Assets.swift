import Hummingbird

/// The page's stylesheet and script and the API's OpenAPI document: real files in
/// `Resources/`, compiled in (SwiftPM's `embedInCode`) so the daemon is one binary. The pages
/// work without the script (plain form posts); with it, answers stream in and job progress
/// updates. (`X-Content-Type-Options` comes from ``SecurityHeadersMiddleware``, as on every response.)
enum Assets {
    static func response(_ bytes: [UInt8], type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=3600"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static var css: [UInt8] { PackageResources.app_css }
    static var javascript: [UInt8] { PackageResources.app_js }
    /// The JSON API's description (OpenAPI 3.1), served as /openapi.yaml.
    static var openAPI: [UInt8] { PackageResources.openapi_yaml }
}
