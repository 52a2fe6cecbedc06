import ArgumentParser
import Foundation
import RagdApp

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The SQLite database file.", valueName: "path"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("A YAML configuration file (see deploy/ragd.example.yaml).", valueName: "path"))
    var config: String?

    @Flag(name: .long, help: "Print llama.cpp's own log messages.")
    var verbose = false

    /// The configuration file (if any), then the environment, then these flags (and a
    /// subcommand's own `--host`/`--port`).
    func load(host: String? = nil, port: Int? = nil) throws -> RagdConfiguration {
        try RagdConfiguration.load(file: config, environment: ProcessInfo.processInfo.environment,
                                   flags: CommandLineFlags(database: db, host: host, port: port))
    }
}

extension AppContext {
    /// The models and the database for a subcommand's options.
    init(_ global: GlobalOptions, host: String? = nil, port: Int? = nil) throws {
        try self.init(configuration: try global.load(host: host, port: port), verbose: global.verbose)
    }
}
