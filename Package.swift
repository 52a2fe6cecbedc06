// swift-tools-version: 6.1
// ragd: a private enterprise RAG assistant daemon. See README.md.
import Foundation
import PackageDescription

/// llama.cpp is built once by `make setup` (scripts/setup.sh) into a cache outside the repository.
/// Its version is pinned in scripts/pins.sh; we read it here so there is one place to change it.
/// The libraries are found at link time through pkg-config (the Makefile exports PKG_CONFIG_PATH)
/// and at run time through an rpath, so nobody has to set LD_LIBRARY_PATH.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
let ragdCache = ProcessInfo.processInfo.environment["RAGD_CACHE"]
    ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/ragd")
let llamaVersion: String = {
    let pins = (try? String(contentsOfFile: packageRoot + "/scripts/pins.sh", encoding: .utf8)) ?? ""
    for line in pins.split(separator: "\n") where line.hasPrefix("LLAMA_CPP_PYTHON_VERSION=") {
        return String(line.dropFirst("LLAMA_CPP_PYTHON_VERSION=".count))
    }
    return "unknown"
}()
let llamaRpath: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "-rpath", "-Xlinker", "\(ragdCache)/llama/\(llamaVersion)/lib"])
]

let package = Package(
    name: "ragd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ragd", targets: ["ragd"]),
        .executable(name: "ragd-bench", targets: ["RagBench"]),
        .executable(name: "ragd-extract", targets: ["RagExtract"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // C libraries, each imported by exactly one library target.
        // llama.cpp's C API (include/llama.h), linked through pkg-config. Only RagInference imports
        // it (and the benchmark, which measures the raw C API beside ragd's wrapper).
        .systemLibrary(name: "CLlama", pkgConfig: "llama"),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // CommonMark and GFM tables: libcmark-gfm and its extensions library (one .pc file links both).
        .systemLibrary(
            name: "CCmarkGFM", pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
        .systemLibrary(name: "CPoppler", pkgConfig: "poppler-glib", providers: [.apt(["libpoppler-glib-dev"])]),
        .systemLibrary(
            name: "CTesseract", pkgConfig: "tesseract",
            providers: [.apt(["libtesseract-dev", "tesseract-ocr", "tesseract-ocr-eng"])]),

        // The shared vocabulary: extracted documents, chunks, errors. Foundation only.
        .target(name: "RagCore"),

        // Files in, structured text out: PDF (poppler-glib, Tesseract OCR for scanned pages),
        // HTML (libxml2), text, Markdown (libcmark-gfm); in-process or in a child process with limits.
        .target(
            name: "RagExtraction",
            dependencies: [
                "RagCore", "CLibXML2", "CPoppler", "CTesseract", "CCmarkGFM",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),

        // `ragd-extract PATH`: extracts one file and prints it as JSON; the small helper that
        // IsolatedExtractor can run instead of `ragd extract-file` (and that its tests run).
        .executableTarget(name: "RagExtract", dependencies: ["RagExtraction"]),

        // Structure-aware, overlapping chunks sized in the embedding model's tokens. Pure Swift.
        .target(name: "RagChunking", dependencies: ["RagCore"]),

        // Embedding and chat models: llama.cpp in-process, or an OpenAI-compatible server (and a
        // supervised llama-server child for the larger tier).
        .target(
            name: "RagInference",
            dependencies: [
                "RagCore", "CLlama",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            linkerSettings: llamaRpath
        ),

        // The database: documents, chunks, FTS5 and sqlite-vec in one SQLite file (GRDB).
        .target(
            name: "RagStore",
            dependencies: [
                "RagCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),

        // The store's second implementation: PostgreSQL (≥ 15) with pgvector (≥ 0.7), shared by
        // several ragd nodes, through postgres-nio. It implements RagStore's protocols.
        .target(
            name: "RagPostgres",
            dependencies: [
                "RagCore", "RagStore", "RagAudit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Personal data found (e-mail, phone, IBAN, card, SSN, IP, known names, an admin's own
        // patterns) and replaced by typed placeholders, then put back. Foundation only.
        .target(name: "RagPrivacy"),

        // The query service: retrieve, prompt, generate, verify citations, route small → large.
        .target(name: "RagAssistant", dependencies: ["RagCore", "RagStore", "RagInference", "RagPrivacy"]),

        // The tamper-evident audit log: a hash-chained, append-only record in its own SQLite file.
        .target(
            name: "RagAudit",
            dependencies: [
                "RagCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // The ingestion worker: extract → chunk → embed → store, incremental.
        .target(
            name: "RagIngest",
            dependencies: [
                "RagCore", "RagExtraction", "RagChunking", "RagInference", "RagStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The daemon's HTTP side: web form, admin pages, JSON and OpenAI-compatible APIs,
        // accounts, sessions and metrics. It queues ingest jobs in RagStore, never runs them.
        .target(
            name: "RagServer",
            dependencies: [
                "RagCore", "RagStore", "RagAssistant", "RagInference", "RagAudit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            // Static files and page templates compiled into the binary, so ragd stays one file to
            // install. embedInCode takes files, not folders: each template is listed.
            resources: [
                .embedInCode("Resources/app.css"), .embedInCode("Resources/app.js"), .embedInCode("Resources/openapi.yaml"),
                .embedInCode("Resources/templates/admin.mustache"),
                .embedInCode("Resources/templates/alert.mustache"),
                .embedInCode("Resources/templates/analytics.mustache"),
                .embedInCode("Resources/templates/analytics_chart.mustache"),
                .embedInCode("Resources/templates/answer.mustache"),
                .embedInCode("Resources/templates/ask.mustache"),
                .embedInCode("Resources/templates/audit.mustache"),
                .embedInCode("Resources/templates/audit_record.mustache"),
                .embedInCode("Resources/templates/csrf.mustache"),
                .embedInCode("Resources/templates/documents.mustache"),
                .embedInCode("Resources/templates/error.mustache"),
                .embedInCode("Resources/templates/evidence.mustache"),
                .embedInCode("Resources/templates/feedback.mustache"),
                .embedInCode("Resources/templates/history.mustache"),
                .embedInCode("Resources/templates/layout.mustache"),
                .embedInCode("Resources/templates/login.mustache"),
                .embedInCode("Resources/templates/setup.mustache"),
                .embedInCode("Resources/templates/sources.mustache"),
                .embedInCode("Resources/templates/turn.mustache"),
            ]
        ),

        // Configuration and assembly: the YAML file decoded and checked, the models and database
        // opened, the daemon's parts wired once for `ragd serve` and the server tests.
        .target(
            name: "RagdApp",
            dependencies: [
                "RagInference", "RagStore", "RagIngest", "RagAssistant", "RagServer", "RagAudit", "RagExtraction",
                "RagPrivacy",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // The command-line entry point: `ragd serve|ingest|ask|search|eval|...`.
        .executableTarget(
            name: "ragd",
            dependencies: [
                "RagCore", "RagInference", "RagStore", "RagIngest", "RagAssistant", "RagServer", "RagAudit", "RagExtraction",
                "RagdApp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: llamaRpath
        ),

        // `make bench`: ragd's layers measured beside the raw engines in the same run.
        .executableTarget(
            name: "RagBench",
            dependencies: [
                "RagCore", "RagInference", "CLlama", "RagStore", "RagIngest", "RagAudit", "RagAssistant", "RagExtraction",
                "RagPostgres", "RagTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "bench/Sources/RagBench",
            linkerSettings: llamaRpath
        ),

        // Test fixtures (real models, real documents, a real OpenAI-compatible endpoint), not fakes.
        .target(
            name: "RagTesting",
            dependencies: [
                "RagCore", "RagInference", "RagStore", "RagIngest", "RagAssistant", "RagServer", "RagAudit", "RagdApp",
                "RagPostgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        .testTarget(name: "RagInferenceTests", dependencies: ["RagInference", "RagCore", "RagTesting"], linkerSettings: llamaRpath),
        .testTarget(
            name: "RagAssistantTests",
            dependencies: [
                "RagAssistant", "RagStore", "RagInference", "RagTesting", "RagIngest", "RagPrivacy",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            linkerSettings: llamaRpath
        ),
        .testTarget(
            name: "RagServerTests",
            dependencies: [
                "RagServer", "RagCore", "RagStore", "RagIngest", "RagAssistant", "RagInference", "RagTesting", "RagAudit",
                "RagdApp",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
            ],
            linkerSettings: llamaRpath
        ),
        // The store's behaviour, one test body run against SQLite and against a real PostgreSQL.
        .testTarget(name: "RagStoreTests", dependencies: ["RagStore", "RagPostgres", "RagAudit", "RagTesting", "RagCore"]),
        .testTarget(name: "RagChunkingTests", dependencies: ["RagChunking", "RagCore"]),
        // Seeded random inputs for the HTML extractor and the chunker (RAGD_FUZZ_SECONDS for long runs).
        .testTarget(name: "RagFuzzTests", dependencies: ["RagExtraction", "RagChunking", "RagCore"]),
        .testTarget(name: "RagPrivacyTests", dependencies: ["RagPrivacy"]),
        .testTarget(name: "RagExtractionTests", dependencies: ["RagExtraction", "RagCore", "RagChunking", "RagExtract"]),
        .testTarget(name: "RagAuditTests", dependencies: ["RagAudit"]),
        // The daemon's configuration file, read as the executable reads it.
        .testTarget(name: "RagdAppTests", dependencies: ["RagdApp"], linkerSettings: llamaRpath),
        .testTarget(
            name: "RagIngestTests",
            dependencies: [
                "RagIngest", "RagStore", "RagInference", "RagCore", "RagTesting", "RagPostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            linkerSettings: llamaRpath
        ),
    ],
    swiftLanguageModes: [.v6]
)
