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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // llama.cpp's C API (include/llama.h), linked through pkg-config. Only RagInference imports it.
        .systemLibrary(name: "CLlama", pkgConfig: "llama"),

        // Embedding and chat models: llama.cpp in-process, or an OpenAI-compatible server.
        .target(
            name: "RagInference",
            dependencies: [
                "CLlama",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: llamaRpath
        ),

        // The command-line entry point: `ragd serve|ingest|ask|search|eval|...`.
        .executableTarget(
            name: "ragd",
            dependencies: [
                "RagInference",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            linkerSettings: llamaRpath
        ),

        // `make bench`: ragd's layers measured beside the raw engines in the same run.
        .executableTarget(
            name: "RagBench",
            dependencies: [
                "RagInference", "CLlama",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/Sources/RagBench",
            linkerSettings: llamaRpath
        ),

        .testTarget(
            name: "RagInferenceTests",
            dependencies: [
                "RagInference",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            linkerSettings: llamaRpath
        ),
    ],
    swiftLanguageModes: [.v6]
)
