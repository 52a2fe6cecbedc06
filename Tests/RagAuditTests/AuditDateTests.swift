import Foundation
import RagAudit
import Testing

/// The dates auditors type on the web form and the command line, read by one parser.
@Suite struct AuditDateTests {
    @Test func aBareDayIsUTCMidnightAndItsEndTheNextMidnight() throws {
        let start = try #require(AuditDate.parse("2026-11-22"))
        #expect(start == Date(timeIntervalSince1970: 1_795_305_600))  // 2026-11-22T00:00:00Z
        #expect(AuditDate.parse("2026-11-22", endOfDay: true) == start.addingTimeInterval(86_400))
    }

    @Test func iso8601WithAndWithoutFractionalSecondsIsExactAndNeverMovedToTheEndOfDay() throws {
        let plain = try #require(AuditDate.parse("2026-11-22T09:30:00Z", endOfDay: true))
        #expect(plain == Date(timeIntervalSince1970: 1_795_305_600 + 9.5 * 3600))
        let fractional = try #require(AuditDate.parse("2026-11-22T09:30:00.250Z"))
        #expect(abs(fractional.timeIntervalSince(plain) - 0.25) < 0.001)
    }

    @Test(arguments: ["", "22/11/2026", "2026-13-01", "yesterday", "2026-11-22 09:30"])
    func anythingElseIsRejected(text: String) {
        #expect(AuditDate.parse(text) == nil)
    }
}
