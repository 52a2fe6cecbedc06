import ArgumentParser
import Foundation
import RagdApp
import RagStore

/// `ragd source …`: the folders documents come from, and who may read them.
struct SourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Manage source folders and their groups: add, list, remove.",
        discussion: """
            A source's groups decide who may read its documents: users in any of the groups. A \
            source without groups is open to every signed-in user. Changing groups takes effect \
            at once; `ragd ingest` (or the admin page) reads the files.
            """,
        subcommands: [Add.self, List.self, Remove.self])

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
                      + "\(s.documents) documents, \(s.failed) failed, \(s.chunks) chunks")
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
