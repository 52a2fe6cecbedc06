/// One server-sent event of a `text/event-stream` body (WHATWG HTML, "Server-sent events"):
/// ragd's streamed answers, the OpenAI-compatible stream it serves, and the streams it reads
/// from a larger model's server all use this one type, its encoding and its parser.
public struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field; nil for an unnamed event ("message" to a browser).
    public var name: String?
    /// The `data:` lines, joined by newlines.
    public var data: String

    public init(name: String? = nil, data: String) {
        self.name = name
        self.data = data
    }

    /// The event on the wire: its `event:` line when named, a `data:` line per line of data,
    /// then the blank line that ends it.
    public var encoded: String {
        var text = name.map { "event: \($0)\n" } ?? ""
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
        return text + "\n"
    }
}

/// Splits a `text/event-stream` body into events as its bytes arrive (in any chunking).
/// Comment lines (":"), `id:` and `retry:` carry nothing ragd uses and are skipped.
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var name: String?
    private var data: [String] = []

    public init() {}

    /// Feeds bytes; returns the events they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var out: [ServerSentEvent] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                if let event = take(String(decoding: line, as: UTF8.self)) { out.append(event) }
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(byte)
            }
        }
        return out
    }

    /// Ends the stream: returns the last event if the body did not end with a blank line.
    public mutating func finish() -> [ServerSentEvent] {
        var out: [ServerSentEvent] = []
        if !line.isEmpty, let event = take(String(decoding: line, as: UTF8.self)) { out.append(event) }
        line.removeAll()
        if let event = take("") { out.append(event) }
        return out
    }

    /// All events of a complete body.
    public static func events(in body: some Sequence<UInt8>) -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        return parser.feed(body) + parser.finish()
    }

    private mutating func take(_ line: String) -> ServerSentEvent? {
        if line.isEmpty {
            defer { (name, data) = (nil, []) }
            return data.isEmpty ? nil : ServerSentEvent(name: name, data: data.joined(separator: "\n"))
        }
        if let value = Self.value(of: "data", in: line) {
            data.append(value)
        } else if let value = Self.value(of: "event", in: line) {
            name = value
        }
        return nil
    }

    /// The value of a `field: value` line (one space after the colon is not part of it).
    private static func value(of field: String, in line: String) -> String? {
        guard line.hasPrefix(field + ":") else { return nil }
        var value = line.dropFirst(field.count + 1)
        if value.first == " " { value = value.dropFirst() }
        return String(value)
    }
}
