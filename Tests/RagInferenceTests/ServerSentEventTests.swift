import RagCore
import Testing

/// The one server-sent-events format ragd writes (answers, the OpenAI-compatible stream) and
/// reads (a larger model's stream).
@Suite struct ServerSentEventTests {
    @Test func encodedEventsParseBackWhateverTheChunking() {
        let events = [
            ServerSentEvent(name: "text", data: #"{"text":"SQLite allows 64 tables [1]."}"#),
            ServerSentEvent(data: "line one\nline two"),
            ServerSentEvent(name: "done", data: ""),
            ServerSentEvent(data: "[DONE]"),
        ]
        let wire = Array(events.map(\.encoded).joined().utf8)
        #expect(String(decoding: wire, as: UTF8.self).hasPrefix("event: text\ndata: {"))
        // An event with empty data is one empty `data:` line, dispatched as empty data (as the
        // standard says); only an event without any data line is not dispatched.
        let expected = events
        #expect(ServerSentEventParser.events(in: wire) == expected)
        for size in [1, 3, 7, 64] {
            var parser = ServerSentEventParser()
            var parsed: [ServerSentEvent] = []
            for start in stride(from: 0, to: wire.count, by: size) {
                parsed += parser.feed(wire[start..<min(start + size, wire.count)])
            }
            parsed += parser.finish()
            #expect(parsed == expected, "chunks of \(size) bytes")
        }
    }

    @Test func crlfCommentsAndAMissingFinalBlankLine() {
        let body = ": keep-alive\r\nid: 7\r\nevent: route\r\ndata:{\"target\":\"small\"}\r\n\r\ndata: tail"
        #expect(ServerSentEventParser.events(in: Array(body.utf8)) == [
            ServerSentEvent(name: "route", data: #"{"target":"small"}"#), ServerSentEvent(data: "tail"),
        ])
    }
}
