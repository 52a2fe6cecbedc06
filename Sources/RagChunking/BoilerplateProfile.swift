import RagCore

/// The blocks that repeat across the documents of one source — navigation bars, page footers,
/// "see also" furniture — learned from the source itself, so that they are removed before
/// chunking whatever tool generated the pages.
///
/// A generated manual carries the same few blocks on every page of a folder ("A complete list
/// of releases…", "See also lists of Objects, Constants, and Functions.", a " | Tip" admonition
/// row). Each becomes a chunk that matches questions only by the page title, so it costs
/// embedding time and pushes real passages down. Tag names catch some of this (`nav`,
/// `role=navigation`, `navheader`: see the HTML extractor); a profile catches the rest.
///
/// Learned by `BoilerplateLearner` from a sample of the source's documents; applied by
/// `strip(_:folder:)`. Fingerprints are exact text after lower-casing and collapsing white
/// space, so "Changes in version 3.40.1" and "Changes in version 3.39.0" stay different.
public struct BoilerplateProfile: Sendable, Equatable, Codable {
    /// Fingerprints removed from every document of the source.
    public var sourceWide: Set<String>
    /// Fingerprints removed from the documents of one folder, by folder path relative to the
    /// source root ("" for the root itself).
    public var byFolder: [String: Set<String>]
    /// How many documents the profile was learned from.
    public var sampledDocuments: Int

    public init(sourceWide: Set<String> = [], byFolder: [String: Set<String>] = [:], sampledDocuments: Int = 0) {
        self.sourceWide = sourceWide
        self.byFolder = byFolder
        self.sampledDocuments = sampledDocuments
    }

    /// A profile that removes nothing.
    public static let empty = BoilerplateProfile()

    public var isEmpty: Bool { sourceWide.isEmpty && byFolder.values.allSatisfy(\.isEmpty) }

    /// Every distinct fingerprint, for reports.
    public var fingerprintCount: Int { sourceWide.union(byFolder.values.joined()).count }

    /// The text a block (or one table row) is recognised by: lower-cased, white space collapsed.
    public static func fingerprint(_ text: String) -> String {
        text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Whether a block may be taken for boilerplate at all: never code (a repeated example is
    /// still content) nor the term block that opens a definition-list item.
    static func isCandidate(_ block: Block, at index: Int, in section: Section) -> Bool {
        if case .code = block { return false }
        return !(index == 0 && section.term != nil)
    }

    /// `document` without its boilerplate blocks and table rows; sections left with no block
    /// are dropped. The term block that opens a definition-list item is always kept.
    /// - Parameter folder: the document's folder relative to the source root.
    /// - Returns: the document and how many blocks or rows were removed.
    public func strip(_ document: ExtractedDocument, folder: String) -> (document: ExtractedDocument, removed: Int) {
        let local = byFolder[folder] ?? []
        guard !sourceWide.isEmpty || !local.isEmpty else { return (document, 0) }
        func isBoilerplate(_ text: String) -> Bool {
            let print = Self.fingerprint(text)
            return sourceWide.contains(print) || local.contains(print)
        }
        var removed = 0
        var stripped = document
        stripped.sections = document.sections.compactMap { section in
            var kept = section
            kept.blocks = []
            for (index, block) in section.blocks.enumerated() {
                guard Self.isCandidate(block, at: index, in: section) else { kept.blocks.append(block); continue }
                if case .table(var table) = block {
                    let rows = zip(table.rows, table.rowTexts).filter { !isBoilerplate($0.1) }.map(\.0)
                    removed += table.rows.count - rows.count
                    guard !rows.isEmpty else { continue }
                    table.rows = rows
                    kept.blocks.append(.table(table))
                } else if isBoilerplate(block.text) {
                    removed += 1
                } else {
                    kept.blocks.append(block)
                }
            }
            return kept.blocks.isEmpty && !section.blocks.isEmpty ? nil : kept
        }
        return (stripped, removed)
    }
}

/// Learns a `BoilerplateProfile` from sample documents of one source.
///
/// A block is boilerplate for a group of documents (one folder, or the whole source) when the
/// group has at least `minimumDocuments` sampled documents and either
/// - it appears in at least `edgeShare` of them and sits among the first or last `edgeUnits`
///   blocks of the page in most of its appearances (headers, footers, navigation), or
/// - it is short (at most `shortWords` words) and appears in at least `everywhereShare` of
///   them wherever it sits (admonition labels, "Note" rows).
///
/// The position test keeps repeated content labels inside pages ("Hashes:", "Bug fixes:" in a
/// release log) while removing the furniture around them. Frequency counts documents, not
/// occurrences. Code blocks are never counted: a repeated example is still content.
public struct BoilerplateLearner: Sendable {
    public var minimumDocuments = 5
    public var edgeShare = 0.3
    public var everywhereShare = 0.6
    public var shortWords = 6
    public var edgeUnits = 3

    private struct Counts {
        var documents = 0
        var edge = 0
    }
    private struct Group {
        var documents = 0
        var counts: [String: Counts] = [:]
    }
    private var folders: [String: Group] = [:]
    private var source = Group()

    public init() {}

    /// Counts one sampled document of `folder` (relative to the source root).
    public mutating func add(_ document: ExtractedDocument, folder: String) {
        var units: [String] = []
        for section in document.sections {
            for (index, block) in section.blocks.enumerated()
            where BoilerplateProfile.isCandidate(block, at: index, in: section) {
                let texts = if case .table(let table) = block { table.rowTexts } else { [block.text] }
                units += texts.map(BoilerplateProfile.fingerprint)
            }
        }
        var seen: [String: Bool] = [:]  // fingerprint → seen at the page's edge
        for (index, unit) in units.enumerated() where !unit.isEmpty {
            let atEdge = index < edgeUnits || index >= units.count - edgeUnits
            seen[unit] = (seen[unit] ?? false) || atEdge
        }
        func count(into group: inout Group) {
            group.documents += 1
            for (unit, atEdge) in seen {
                group.counts[unit, default: Counts()].documents += 1
                if atEdge { group.counts[unit, default: Counts()].edge += 1 }
            }
        }
        count(into: &folders[folder, default: Group()])
        count(into: &source)
    }

    /// The profile of everything added so far.
    public func profile() -> BoilerplateProfile {
        var byFolder: [String: Set<String>] = [:]
        for (folder, group) in folders {
            let prints = boilerplate(in: group)
            if !prints.isEmpty { byFolder[folder] = prints }
        }
        return BoilerplateProfile(sourceWide: boilerplate(in: source), byFolder: byFolder,
                                  sampledDocuments: source.documents)
    }

    private func boilerplate(in group: Group) -> Set<String> {
        guard group.documents >= minimumDocuments else { return [] }
        let n = Double(group.documents)
        let edgeMinimum = max(3, Int((edgeShare * n).rounded(.up)))
        let everywhereMinimum = max(3, Int((everywhereShare * n).rounded(.up)))
        var result: Set<String> = []
        for (unit, counts) in group.counts {
            let mostlyAtEdge = counts.edge * 5 >= counts.documents * 4
            if counts.documents >= edgeMinimum && mostlyAtEdge {
                result.insert(unit)
            } else if counts.documents >= everywhereMinimum && unit.split(separator: " ").count <= shortWords {
                result.insert(unit)
            }
        }
        return result
    }

    /// Which of a source's files to learn from: up to `perFolder` from each folder, evenly
    /// spaced in path order, and at most `total` in all (again evenly spaced).
    /// - Parameters:
    ///   - files: absolute paths below `root`.
    ///   - root: the source's root folder.
    public static func sample(_ files: [String], root: String, perFolder: Int = 24, total: Int = 240) -> [String] {
        var byFolder: [String: [String]] = [:]
        for file in files { byFolder[folder(of: file, root: root), default: []].append(file) }
        var picked: [String] = []
        for folder in byFolder.keys.sorted() {
            picked += evenlySpaced(byFolder[folder]!.sorted(), count: perFolder)
        }
        return evenlySpaced(picked, count: total)
    }

    /// The folder of `file` relative to `root` ("" when it sits in the root, or is the root).
    public static func folder(of file: String, root: String) -> String {
        let directory = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        guard directory.hasPrefix(base) else { return "" }
        var relative = directory.dropFirst(base.count)
        if relative.hasPrefix("/") { relative = relative.dropFirst() }
        return String(relative)
    }

    private static func evenlySpaced(_ items: [String], count: Int) -> [String] {
        guard items.count > count, count > 0 else { return items }
        return (0..<count).map { items[$0 * items.count / count] }
    }
}
