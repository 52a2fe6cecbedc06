import ArgumentParser
import Foundation
import RagdApp
import RagStore

/// `ragd source …`: the folders documents come from, and who may read them.
struct SourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Manage source folders, their groups and their escalation policy: add, list, on-prem, remove.",
        discussion: """
            A source's groups decide who may read its documents: users in any of the groups. A \
            source without groups is open to every signed-in user. Changing groups takes effect \
            at once; `ragd ingest` (or the admin page) reads the files. A source kept on-prem \
            (`ragd source on-prem ID`) never has its passages sent to the larger model.
            """,
        subcommands: [Add.self, List.self, Sync.self, OnPrem.self, Remove.self])

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keep a source in sync by itself: re-ingest it every interval (or, with --off, only when asked).",
            discussion: """
                `ragd serve` queues a re-ingest job when the interval has passed (new, changed and \
                deleted files; unchanged files cost a hash). A source whose folder cannot be read \
                waits twice as long after each failure, up to a day. `ragd source list` shows the \
                last sync, the next, and what it found. Recorded in the audit log.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The source's id (see `ragd source list`).") var id: Int64
        @Option(help: ArgumentHelp("How often: 30s, 15m, 2h or 1d (at least 10s).", valueName: "interval")) var every: String?
        @Option(help: ArgumentHelp("Also sync every day at this time (the server's local time).", valueName: "HH:MM"))
        var dailyAt: String?
        @Flag(help: "Also sync a moment after the folder's files change (inotify; not on network file systems).")
        var onChange = false
        @Flag(help: "Sync only when asked.") var off = false
        func run() async throws {
            guard off != (every != nil || dailyAt != nil || onChange) else {
                throw ValidationError("Give --every INTERVAL, --daily-at HH:MM and/or --on-change, or --off.")
            }
            if let dailyAt, RagStore.nextDaily(dailyAt, after: Date()) == nil {
                throw ValidationError("--daily-at takes a time of day as HH:MM, e.g. 02:30 (it is '\(dailyAt)').")
            }
            let seconds = try every.map { text -> Int in
                guard let s = RagdConfiguration.SourceSettings.seconds(text), s >= 10 else {
                    throw ValidationError("--every takes a number and a unit, at least 10s: 30s, 15m, 2h, 1d (it is '\(text)').")
                }
                return s
            }
            let store = try AppContext(global).store
            try store.setSourceSync(id: id, seconds: seconds, dailyAt: dailyAt, onChange: onChange)
            try await CommandLineAudit.record(global, "source.sync", ["source_id": String(id), "every_seconds": seconds.map(String.init) ?? "off",
                                                                      "daily_at": dailyAt ?? "", "on_change": String(onChange)])
            var how = seconds.map { ["every \(RagStore.describe(seconds: TimeInterval($0)))"] } ?? []
            if let dailyAt { how.append("daily at \(dailyAt)") }
            if onChange { how.append("when its files change") }
            print("Source \(id): synced " + (how.isEmpty ? "only when asked." : how.joined(separator: " and ") + " while ragd serve runs."))
        }
    }

    struct OnPrem: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "on-prem",
            abstract: "Keep a source's passages from the larger model (or, with --off, allow them again).",
            discussion: """
                Questions whose sources include such a passage are answered by the in-process \
                model or quoted, never escalated; the route's reason says why. Takes effect with \
                the next question, and is recorded in the audit log.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The source's id (see `ragd source list`).") var id: Int64
        @Flag(help: "Allow the source's passages to go to the larger model again.") var off = false
        func run() async throws {
            let store = try AppContext(global).store
            try store.setSourceOnPremOnly(id: id, !off)
            try await CommandLineAudit.record(global, "source.escalation", ["source_id": String(id), "on_prem_only": String(!off)])
            print("Source \(id): " + (off ? "its passages may go to the larger model." : "its passages stay on-prem."))
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a source folder, or change an existing one's name or groups.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The folder (or file).") var path: String
        @Option(help: "A display name (default: the folder name).") var name: String?
        @Option(help: "Comma-separated groups that may read it (default: everyone).") var groups: String = ""
        func run() async throws {
            let root = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
            guard FileManager.default.fileExists(atPath: root) else { throw ValidationError("\(root) does not exist.") }
            let store = try AppContext(global).store
            let source = try store.addSource(root: root, name: name, groups: GroupList.parse(groups))
            let list = GroupList.decode(source.groups)
            try await CommandLineAudit.record(global, "source.add", ["source": source.root, "groups": list.joined(separator: ",")])
            print("Source \(source.id!) \(source.name): \(source.root), readable by \(list.isEmpty ? "everyone" : list.joined(separator: ", ")).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sources with their documents and groups.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            for s in try AppContext(global).store.sources() {
                let groups = GroupList.decode(s.source.groups)
                print("\(s.source.id!)\t\(s.source.name)\t\(s.source.root)\t\(groups.isEmpty ? "everyone" : groups.joined(separator: ","))\t"
                      + "\(s.documents) documents, \(s.failed) failed, \(s.chunks) chunks"
                      + (s.source.onPremOnly ? "\ton-prem only" : ""))
                if s.source.syncSeconds != nil || s.source.syncDailyAt != nil || s.source.syncOnChange {
                    var how = s.source.syncSeconds.map { ["every \(RagStore.describe(seconds: TimeInterval($0)))"] } ?? []
                    if let daily = s.source.syncDailyAt { how.append("daily at \(daily)") }
                    if s.source.syncOnChange { how.append("on change") }
                    let next = s.source.nextSyncAt.map { ISO8601DateFormatter().string(from: $0) } ?? "-"
                    print("\tsync \(how.joined(separator: " and ")), next \(next)")
                }
                if let last = s.source.lastSyncAt {
                    print("\tlast sync \(ISO8601DateFormatter().string(from: last)): \(s.source.lastSyncResult ?? "")")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a source and everything ingested from it.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The source's id (see `ragd source list`).") var id: Int64
        func run() async throws {
            let removed = try AppContext(global).store.removeSource(id: id)
            try await CommandLineAudit.record(global, "source.remove", ["source_id": String(id), "documents": String(removed)])
            print("Removed source \(id) and its \(removed) documents.")
        }
    }
}
