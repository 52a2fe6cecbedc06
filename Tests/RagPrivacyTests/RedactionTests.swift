import Foundation
import Testing

@testable import RagPrivacy

/// The redactor on the project's labelled snippets (eval/pii-snippets.jsonl), and the
/// placeholders' round trip through a streamed reply.
@Suite struct RedactionTests {
    /// The account display names the labelled set was written for.
    static let knownNames = ["Alice Example", "Bob Müller", "Chen Wei", "Priya Raman", "Olusegun Adeyemi"]

    struct Snippet: Decodable {
        struct Label: Decodable, Hashable { var type: String; var value: String }
        var id: String
        var text: String
        var pii: [Label]
    }

    static func snippets() throws -> [Snippet] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("eval/pii-snippets.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Snippet.self, from: Data($0.utf8)) }
    }

    /// Exact spans: a match counts only when its kind and its text are the label's.
    @Test func precisionAndRecallOnTheLabelledSet() throws {
        let snippets = try Self.snippets()
        #expect(snippets.count >= 200)
        let redactor = PersonalDataRedactor(names: Self.knownNames)
        var truePositives: [String: Int] = [:], falsePositives: [String: Int] = [:], falseNegatives: [String: Int] = [:]
        var mistakes: [String] = []
        for snippet in snippets {
            var expected = snippet.pii.map { "\($0.type)\u{0}\($0.value)" }
            for match in redactor.matches(in: snippet.text) {
                let key = "\(match.kind.rawValue)\u{0}\(match.value)"
                if let i = expected.firstIndex(of: key) {
                    expected.remove(at: i)
                    truePositives[match.kind.rawValue, default: 0] += 1
                } else {
                    falsePositives[match.kind.rawValue, default: 0] += 1
                    mistakes.append("\(snippet.id) extra \(match.kind.rawValue) '\(match.value)'")
                }
            }
            for key in expected {
                let parts = key.split(separator: "\u{0}", maxSplits: 1).map(String.init)
                falseNegatives[parts[0], default: 0] += 1
                mistakes.append("\(snippet.id) missed \(parts[0]) '\(parts[1])'")
            }
        }
        let kinds = Set(truePositives.keys).union(falsePositives.keys).union(falseNegatives.keys).sorted()
        var report = "kind      found  missed  extra  precision  recall\n"
        for kind in kinds {
            let tp = truePositives[kind, default: 0], fp = falsePositives[kind, default: 0], fn = falseNegatives[kind, default: 0]
            report += kind.padding(toLength: 9, withPad: " ", startingAt: 0)
                + String(format: " %5d  %6d  %5d      %.3f   %.3f\n", tp, fn, fp,
                         Double(tp) / Double(max(tp + fp, 1)), Double(tp) / Double(max(tp + fn, 1)))
        }
        let tp = truePositives.values.reduce(0, +), fp = falsePositives.values.reduce(0, +), fn = falseNegatives.values.reduce(0, +)
        let precision = Double(tp) / Double(max(tp + fp, 1)), recall = Double(tp) / Double(max(tp + fn, 1))
        report += String(format: "all       %5d  %6d  %5d      %.3f   %.3f (%d snippets)", tp, fn, fp, precision, recall, snippets.count)
        print(report)
        for line in mistakes { print("  " + line) }
        #expect(recall >= 0.98, "recall \(recall)")
        #expect(precision >= 0.95, "precision \(precision)")
    }

    @Test func aValueHasOnePlaceholderAndEveryOccurrenceIsCounted() {
        let redactor = PersonalDataRedactor(names: ["Alice Example"])
        var redaction = Redaction()
        let first = redactor.redact("Write to alice@corp.example or call +49 30 901820.", into: &redaction)
        let second = redactor.redact("Alice Example (ALICE@corp.example) approved it.", into: &redaction)
        #expect(first == "Write to [EMAIL_1] or call [PHONE_1].")
        #expect(second == "[PERSON_1] ([EMAIL_1]) approved it.")
        #expect(redaction.countsByName == ["EMAIL": 2, "PHONE": 1, "PERSON": 1])
        #expect(redaction.restore("Ask [PERSON_1] at [EMAIL_1] [2].") == "Ask Alice Example at alice@corp.example [2].")
        // A placeholder this redaction did not make stays as written.
        #expect(redaction.restore("[EMAIL_7] and [2]") == "[EMAIL_7] and [2]")
    }

    @Test func aReplySplitAnywhereIsRestoredWhole() {
        let redactor = PersonalDataRedactor()
        var redaction = Redaction()
        _ = redactor.redact("Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00.", into: &redaction)
        let reply = "The card [CARD_1] [1] is charged; refunds go to [IBAN_1] [2]. See [3"
        let expected = redaction.restore(reply)
        #expect(expected.contains("4111 1111 1111 1111") && expected.contains("DE89 3704 0044 0532 0130 00"))
        for cut in 0...reply.count {
            for cut2 in cut...reply.count {
                var restorer = PlaceholderRestorer(redaction: redaction)
                let a = reply.prefix(cut), b = reply.dropFirst(cut).prefix(cut2 - cut), c = reply.dropFirst(cut2)
                let out = restorer.append(String(a)) + restorer.append(String(b)) + restorer.append(String(c)) + restorer.finish()
                #expect(out == expected, "cut at \(cut), \(cut2)")
                if out != expected { return }
            }
        }
    }

    @Test(arguments: [
        // Shapes that continue past the value.
        ("Pay to DE89 3704 0044 0532 0130 00 EUR by Friday.", ["IBAN:DE89 3704 0044 0532 0130 00"]),
        ("Visa 4111-1111-1111-1111 12 27 expired.", ["CARD:4111-1111-1111-1111"]),
        // Look-alikes that stay.
        ("Upgrade to version 2.4.1.0 before the 10.20.30.40 host is patched.", ["IP:10.20.30.40"]),
        ("ISBN 978-3-16-148410-0, published 2024-01-15, error 0x80070005.", []),
        ("Order number 1234 5678 9012 3456 shipped on 15.01.2024 at 12:30:45.", []),
        ("Form code 000-12-3456 and 666-12-3456; SSN 123-45-6789.", ["SSN:123-45-6789"]),
        ("Listen on fe80::1ff:fe23:4567:890a: port 8080, std::vector too.", ["IP:fe80::1ff:fe23:4567:890a"]),
        ("Phone: (415) 555-0132; fax 020 7946 0958; mobile +33 1 42 68 53 00.",
         ["PHONE:(415) 555-0132", "PHONE:020 7946 0958", "PHONE:+33 1 42 68 53 00"]),
    ])
    func shapesAndLookAlikes(text: String, expected: [String]) {
        let found = PersonalDataRedactor().matches(in: text).map { "\($0.kind.rawValue):\($0.value)" }
        #expect(found == expected)
    }

    @Test func anAdministratorsPatternIsItsOwnKind() throws {
        let pattern = try CustomPattern(name: "EMPLOYEE", pattern: "EMP-[0-9]{6}")
        var redaction = Redaction()
        let text = PersonalDataRedactor(customPatterns: [pattern]).redact("Badge EMP-004211 expired.", into: &redaction)
        #expect(text == "Badge [EMPLOYEE_1] expired.")
        #expect(throws: RedactionError.self) { try CustomPattern(name: "employee id", pattern: "x") }
        #expect(throws: RedactionError.self) { try CustomPattern(name: "EMAIL", pattern: "x") }
        #expect(throws: RedactionError.self) { try CustomPattern(name: "BROKEN", pattern: "([") }
    }

    @Test func oneWordNamesMatchOnlyAsWritten() {
        let redactor = PersonalDataRedactor(names: ["Mercedes", "Priya Raman"])
        let found = redactor.matches(in: "mercedes wrote to Mercedes and PRIYA RAMAN.").map(\.value)
        #expect(found == ["Mercedes", "PRIYA RAMAN"])
    }
}
