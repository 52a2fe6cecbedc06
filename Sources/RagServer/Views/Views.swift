import Hummingbird
import Mustache

/// The page templates (`Resources/templates/*.mustache`, compiled in with SwiftPM's
/// `embedInCode` so the daemon stays one binary), parsed once into one library.
///
/// Templates escape every `{{value}}` by default; a template uses triple braces only for HTML
/// the Swift side has already built from escaped text, and says so beside it. Views render
/// view-model structs (swift-mustache reads their stored properties through `Mirror`), so
/// a page's data is typed and what a template can reach is what its struct holds.
enum Views {
    /// Every template, parsed once, each escaping with ``HTMLEscaping``.
    static let library: MustacheLibrary = {
        HTMLEscaping.register()
        var library = MustacheLibrary()
        for template in Template.allCases {
            // A file's final newline is not part of the template: partials such as the CSRF
            // field sit inside a line of their caller, as the hand-written pages had them.
            var text = String(decoding: template.bytes, as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            do {
                try library.register(HTMLEscaping.pragma + text, named: template.rawValue)
            } catch {
                // The templates are part of the binary: one that does not parse is a bug every test meets.
                fatalError("The template \(template.rawValue).mustache does not parse: \(error)")
            }
        }
        return library
    }()

    /// `template` rendered with `view`.
    static func render(_ view: Any, template: Template) -> String {
        guard let html = library.render(view, withTemplate: template.rawValue) else {
            fatalError("The template \(template.rawValue) is not in the library.")  // every case is registered above
        }
        return html
    }

    /// A whole page as a response: HTML, never cached (pages hold a user's questions and
    /// documents). The security headers come from ``SecurityHeadersMiddleware``.
    static func response<Page: PageView>(_ page: Page, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: render(page, template: Page.template))))
    }
}

/// A page's view model: the template it fills, plus what the layout reads from it, which must
/// be stored properties (`title: String`, `nav: Navigation?`) because templates see only those.
protocol PageView {
    static var template: Template { get }
}
