import ArgumentParser
import Foundation
import RagdApp
import RagAudit

/// `ragd audit`: check, publish, export and purge the tamper-evident audit log.
///
/// Opens only the audit file (`audit_database`): no model is loaded, the main database is not
/// opened, so it runs while the daemon serves.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify, export and purge the tamper-evident audit log.",
        discussion: """
            The audit log records every question (who, from where, the answer shown, its sources \
            and model) and every administrative and auditing action, in a SHA-256 hash chain in \
            its own SQLite file (audit_database; default: the database path with .sqlite replaced \
            by -audit.sqlite). Publish `ragd audit head` somewhere the file's owner cannot rewrite, \
            and check it later with `ragd audit verify --head ID:HASH`.

            Dates are YYYY-MM-DD (UTC midnight; as --to, the end of that day) or ISO-8601 \
            (2026-11-22T09:30:00Z).
            """,
        subcommands: [AuditVerify.self, AuditHeadCommand.self, AuditExport.self, AuditPurge.self])
}

/// Options every `ragd audit` subcommand takes.
struct AuditOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("audit-db"), help: ArgumentHelp("The audit SQLite file (overrides audit_database).", valueName: "path"))
    var auditDatabase: String?

    func load() throws -> (configuration: RagdConfiguration, log: AuditLog) {
        var configuration = try global.load()
        if let auditDatabase { configuration.auditDatabase = auditDatabase }
        return (configuration, try AuditLog(path: configuration.auditDatabasePath))
    }

    /// The person at the command line, as the audit records them.
    var localActor: AuditActor { CommandLineAudit.localActor }
}

/// `ragd audit verify`: recompute the whole chain.
struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the hash chain; exit 1 naming the first broken record.")

    @OptionGroup var options: AuditOptions

    @Option(help: ArgumentHelp(
        "A head published earlier (`ragd audit head`): its record must still carry that hash.", valueName: "id:hash"))
    var head: String?

    func run() async throws {
        let published = try head.map(Self.parseHead)
        let (_, log) = try options.load()
        let result = try log.verify(expecting: published)
        if let failure = result.failure {
            var message = "chain broken: \(failure)"
            if result.recordsChecked > 0 { message += " (\(result.recordsChecked) records read)" }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            throw ExitCode(1)
        }
        var line = "chain intact: \(result.recordsChecked) records, head \(result.head.hash)"
        if let checkpoint = result.checkpoint {
            line += " (starts after checkpoint \(checkpoint.id): records up to \(checkpoint.purgedThroughId) purged)"
        }
        if let published {
            line += result.checkedPublishedHead
                ? "; matches the published head at record \(published.lastId)"
                : "; the published head at record \(published.lastId) was purged and cannot be checked"
        }
        print(line)
    }

    static func parseHead(_ text: String) throws -> AuditHead {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let id = Int64(parts[0]), parts[1].count == 64 else {
            throw ValidationError("--head takes ID:HASH as `ragd audit head` prints it, e.g. 1234:3f2a…(64 hex digits).")
        }
        return AuditHead(lastId: id, hash: String(parts[1]).lowercased(), count: 0)
    }
}

/// `ragd audit head`: the last record's id and hash, to publish elsewhere.
struct AuditHeadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head",
        abstract: "Print the last record's id and hash (publish it where the log's owner cannot rewrite it).")

    @OptionGroup var options: AuditOptions

    @Flag(help: "Print JSON: {\"count\":…,\"hash\":…,\"lastId\":…}.")
    var json = false

    func run() async throws {
        let head = try options.load().log.head()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(head), as: UTF8.self))
        } else {
            print("\(head.lastId):\(head.hash)")
        }
    }
}

/// `ragd audit export`: records to CSV or JSONL, streamed; the export itself is recorded.
struct AuditExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export records as CSV or JSONL (to stdout or a file); the export is itself recorded.")

    @OptionGroup var options: AuditOptions

    @Option(help: ArgumentHelp("Records at or after this date.", valueName: "date"))
    var from: String?

    @Option(help: ArgumentHelp("Records before this time; a bare date includes that whole day.", valueName: "date"))
    var to: String?

    @Option(help: ArgumentHelp("Only this user's records (login name).", valueName: "name"))
    var user: String?

    @Option(help: ArgumentHelp("Only records whose question or answer contains all these words.", valueName: "words"))
    var text: String?

    @Option(help: ArgumentHelp("Only answers that cited this document id.", valueName: "id"))
    var document: Int64?

    @Option(help: "Only answers by this route: small_model, large_model, quoted_fallback, not_found.")
    var route: String?

    @Option(help: "csv or jsonl.")
    var format: String = "csv"

    @Option(help: ArgumentHelp("Write to this file (created readable by its owner only) instead of stdout.", valueName: "path"))
    var output: String?

    func run() async throws {
        guard let exportFormat = AuditExportFormat(rawValue: format) else {
            throw ValidationError("--format must be csv or jsonl, not '\(format)'.")
        }
        let filter = AuditFilter(
            user: user, from: try from.map { try AuditDate.parse($0, option: "--from") },
            to: try to.map { try AuditDate.parse($0, option: "--to", endOfDay: true) }, text: text,
            documentId: document, route: route)
        let (_, log) = try options.load()
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let file = FileHandle(forWritingAtPath: output)
            else { throw AuditError("Cannot create \(output): check that its folder exists and is writable.") }
            handle = file
        } else {
            handle = FileHandle.standardOutput
        }
        let count = try log.export(matching: filter, format: exportFormat) { try handle.write(contentsOf: $0) }
        if output != nil { try handle.close() }

        var details = filter.details
        details["format"] = format
        details["records"] = String(count)
        details["output"] = output ?? "stdout"
        let record = try await log.append(AuditEvent(
            kind: .audit, actor: options.localActor, channel: "cli", action: "audit.export", details: details))
        FileHandle.standardError.write(Data("exported \(count) records; the export is audit record \(record.id)\n".utf8))
    }
}

/// `ragd audit purge`: remove records older than the retention period, recorded and checkpointed.
struct AuditPurge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove records older than a date (at least audit_retention_days old); the purge is recorded.")

    @OptionGroup var options: AuditOptions

    @Option(help: ArgumentHelp(
        "Remove records before this date (default: today minus audit_retention_days).", valueName: "date"))
    var before: String?

    func run() async throws {
        let (configuration, log) = try options.load()
        let retention = configuration.auditRetentionDays
        let cut = try before.map { try AuditDate.parse($0, option: "--before") }
            ?? Date().addingTimeInterval(-Double(retention) * 86_400)
        let result = try log.purge(before: cut, actor: options.localActor, channel: "cli", retentionDays: retention)
        if let checkpoint = result.checkpoint {
            print("purged \(result.recordsPurged) records (up to record \(checkpoint.purgedThroughId))")
            print("checkpoint \(checkpoint.id): last purged hash \(checkpoint.lastPurgedHash)")
        } else {
            print("nothing to purge before \(ISO8601DateFormatter().string(from: cut))")
        }
        print("recorded as audit record \(result.record.id); head \(result.record.id):\(result.record.hash)")
    }
}

extension AuditDate {
    /// A date option of the command line (`--from`, `--to`, `--before`).
    /// - Throws: `ValidationError` naming the option and the two forms it takes.
    static func parse(_ text: String, option: String, endOfDay: Bool = false) throws -> Date {
        guard let date = parse(text, endOfDay: endOfDay) else {
            throw ValidationError("\(option) takes a date as YYYY-MM-DD or ISO-8601 (2026-11-22T09:30:00Z), not '\(text)'.")
        }
        return date
    }
}

/// Records an administrative command-line action in the audit log.
enum CommandLineAudit {
    static func record(_ global: GlobalOptions, _ action: String, _ details: [String: String]) async throws {
        let configuration = try global.load()
        let log = try AuditLog(path: configuration.auditDatabasePath)
        _ = try await log.append(AuditEvent(kind: .admin, actor: localActor, channel: "cli", action: action, details: details))
    }

    /// The person at the command line (the sudo caller, else the login user), as the audit records them.
    static var localActor: AuditActor {
        let name = ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        return AuditActor(userId: nil, name: name, role: "local-admin", groups: [])
    }
}
