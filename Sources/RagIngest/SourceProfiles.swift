import Foundation
import Logging
import RagChunking
import RagCore
import RagExtraction
import RagStore

/// The boilerplate profile of each source in one ingest run, learned when first needed.
///
/// A profile is learned from a sample of the source's files (`BoilerplateLearner.sample`) the
/// first time a file of that source has to be extracted, stored with the source, and reused by
/// later runs; an unchanged re-ingest never extracts anything and so never learns. It is learned
/// again on `--force` and when the source has grown to twice the files it was learned from.
/// Re-ingesting a single document (no file list at hand) uses the stored profile as it is.
actor SourceProfiles {
    struct Entry: Sendable {
        var profile: BoilerplateProfile
        var root: String
    }

    private let store: RagStore
    private let extractor: any FileExtracting
    private let logger: Logger
    private let relearn: Bool
    /// The files of each source this run walks, by source id.
    private let files: [Int64: [String]]
    private var entries: [Int64: Entry] = [:]

    init(store: RagStore, extractor: any FileExtracting, logger: Logger, relearn: Bool, files: [Int64: [String]]) {
        self.store = store
        self.extractor = extractor
        self.logger = logger
        self.relearn = relearn
        self.files = files
    }

    /// The profile for `sourceId` and the source's root (to find a file's folder).
    func entry(for sourceId: Int64) async -> Entry {
        if let entry = entries[sourceId] { return entry }
        let root = (try? store.source(id: sourceId))?.root ?? ""
        let stored = try? store.boilerplateProfile(sourceId: sourceId)
        let decoded = stored.flatMap { try? JSONDecoder().decode(BoilerplateProfile.self, from: Data($0.profile.utf8)) }
        var entry = Entry(profile: decoded ?? .empty, root: root)
        if let files = files[sourceId], needsLearning(stored: stored, decoded: decoded, fileCount: files.count) {
            entry.profile = await learn(sourceId: sourceId, root: root, files: files)
        }
        entries[sourceId] = entry
        return entry
    }

    private func needsLearning(stored: StoredBoilerplateProfile?, decoded: BoilerplateProfile?, fileCount: Int) -> Bool {
        guard let stored, decoded != nil else { return true }
        return relearn || fileCount >= 2 * max(stored.filesSeen, 1)
    }

    private func learn(sourceId: Int64, root: String, files: [String]) async -> BoilerplateProfile {
        var learner = BoilerplateLearner()
        let sample = BoilerplateLearner.sample(files, root: root)
        for path in sample {
            if Task.isCancelled { return .empty }
            guard let document = try? await extractor.extract(fileAt: URL(fileURLWithPath: path)) else { continue }
            learner.add(document, folder: BoilerplateLearner.folder(of: path, root: root))
        }
        let profile = learner.profile()
        do {
            let json = String(decoding: try JSONEncoder().encode(profile), as: UTF8.self)
            try store.saveBoilerplateProfile(
                sourceId: sourceId,
                StoredBoilerplateProfile(profile: json, documentsSampled: profile.sampledDocuments,
                                         filesSeen: files.count, learnedAt: Date()))
        } catch {
            logger.warning("boilerplate profile not stored", metadata: ["root": "\(root)", "error": "\(error)"])
        }
        logger.info("learned boilerplate", metadata: [
            "root": "\(root)", "sampled": "\(profile.sampledDocuments)", "fingerprints": "\(profile.fingerprintCount)",
        ])
        return profile
    }
}
