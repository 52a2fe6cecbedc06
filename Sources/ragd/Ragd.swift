import ArgumentParser

/// The `ragd` command: a private RAG assistant daemon and its administration tools.
@main
struct Ragd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ragd",
        abstract: "A private RAG assistant: answers questions from your documents with on-prem models.",
        discussion: """
            Everything runs on this machine: documents are parsed, embedded and searched locally, and \
            answers come from an in-process model, or from a larger model at an endpoint that an \
            administrator configured inside the network. Nothing else is contacted.

            Every subcommand takes --db (the SQLite file) and --config (a YAML file; see \
            deploy/ragd.example.yaml). Run `make setup` once to fetch the models.
            """,
        subcommands: [
            Serve.self, Ingest.self, Reindex.self, Ask.self, Search.self, Eval.self, ExportTraining.self, User.self,
            SourceCommand.self, Audit.self, Doctor.self,
            ExtractFile.self,
        ]
    )
}
