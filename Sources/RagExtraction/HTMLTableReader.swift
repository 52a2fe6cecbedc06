import Foundation
import RagCore

/// Reads an HTML `<table>` into a `Table` whose rows keep their column headers, or returns nil
/// for a table used for page layout, whose cells are then read as ordinary blocks.
///
/// Layout tables are those marked `role=presentation`/`none`, those containing another table
/// or a heading, and those with fewer than two columns or no data row.
enum HTMLTableReader {
    /// Spans beyond these are treated as these (the HTML standard clamps colspan at 1000).
    static let maxColspan = 1000
    static let maxRowspan = 1000
    /// A cell spanning several rows repeats its text in each row, so a row read alone is
    /// complete, but only when the text is short (a label, not a paragraph).
    static let maxRepeatedCellLength = 120

    static func read(_ table: HTMLNode) -> Table? {
        if let role = table.attribute("role")?.lowercased(), role == "presentation" || role == "none" { return nil }
        var probe = LayoutProbe()
        table.walkDescendants(&probe)
        if probe.isLayout { return nil }

        var caption: String?
        var rowNodes: [(node: HTMLNode, inHead: Bool)] = []
        for child in table.children where child.isElement {
            switch child.name {
            case "caption":
                caption = HTMLInlineText.of(child)
            case "tr":
                rowNodes.append((child, false))
            case "thead", "tbody", "tfoot":
                let inHead = child.name == "thead"
                for row in child.children where row.isElement && row.name == "tr" {
                    rowNodes.append((row, inHead))
                }
            default:
                break
            }
        }

        let grid = layOut(rowNodes)
        var headerRows = grid.prefix { $0.isHeader }
        var dataRows = grid.dropFirst(headerRows.count)
        if dataRows.isEmpty { (headerRows, dataRows) = ([], grid[...]) }
        let rows = dataRows.map(\.cells).filter { $0.contains { !$0.isEmpty } }
        let columns = grid.map(\.cells.count).max() ?? 0
        guard columns >= 2, !rows.isEmpty else { return nil }

        var header: [String] = []
        if !headerRows.isEmpty {
            header = (0..<columns).map { column in
                var parts: [String] = []
                for row in headerRows where column < row.cells.count {
                    let text = row.cells[column]
                    if !text.isEmpty, !parts.contains(text) { parts.append(text) }
                }
                return parts.joined(separator: " ")
            }
        }
        return Table(caption: caption?.isEmpty == false ? caption : nil, header: header, rows: rows)
    }

    /// One table row after spans are resolved.
    struct GridRow {
        var cells: [String]
        /// In `<thead>`, or made only of `<th>` cells.
        var isHeader: Bool
    }

    /// Places cells on a grid: a `colspan` cell repeats in a header (each column keeps its
    /// name) and leaves the extra columns empty in data rows; a `rowspan` cell reappears in
    /// the rows below it (when short, see `maxRepeatedCellLength`).
    static func layOut(_ rowNodes: [(node: HTMLNode, inHead: Bool)]) -> [GridRow] {
        var grid: [GridRow] = []
        var carried: [Int: (text: String, rowsLeft: Int)] = [:]
        for (rowNode, inHead) in rowNodes {
            var cells: [String] = []
            var allHeaderCells = true
            var sawCell = false
            func fillCarried() {
                while let carry = carried[cells.count] {
                    cells.append(carry.text)
                    carried[cells.count - 1] = carry.rowsLeft > 1 ? (carry.text, carry.rowsLeft - 1) : nil
                }
            }
            for cell in rowNode.children where cell.isElement {
                let name = cell.name
                guard name == "td" || name == "th" else { continue }
                sawCell = true
                allHeaderCells = allHeaderCells && name == "th"
                fillCarried()
                let text = HTMLInlineText.of(cell)
                let colspan = span(cell.attribute("colspan"), limit: maxColspan)
                let rowspan = span(cell.attribute("rowspan"), limit: maxRowspan)
                let isHeaderCell = inHead || name == "th"
                for offset in 0..<colspan {
                    let value = offset == 0 || isHeaderCell ? text : ""
                    if rowspan > 1 {
                        let repeated = value.count <= maxRepeatedCellLength || isHeaderCell ? value : ""
                        carried[cells.count] = (repeated, rowspan - 1)
                    }
                    cells.append(value)
                }
            }
            fillCarried()
            // Columns still carried beyond the last cell of this row.
            while let maxColumn = carried.keys.max(), maxColumn >= cells.count {
                if carried[cells.count] == nil { cells.append("") } else { fillCarried() }
            }
            guard sawCell else { continue }
            grid.append(GridRow(cells: cells, isHeader: inHead || allHeaderCells))
        }
        return grid
    }

    private static func span(_ value: String?, limit: Int) -> Int {
        guard let value, let number = Int(value.trimmingCharacters(in: .whitespaces)), number > 1 else { return 1 }
        return min(number, limit)
    }

    /// Looks for a nested table or a heading: signs that the table lays out a page.
    private struct LayoutProbe: HTMLVisitor {
        var isLayout = false

        mutating func enter(_ node: HTMLNode) -> Bool {
            guard !isLayout, node.isElement else { return false }
            let name = node.name
            if name == "table" || HTMLVocabulary.headingLevel(name) != nil {
                isLayout = true
                return false
            }
            return !node.isDropped(name, insideContent: true)
        }

        mutating func exit(_ node: HTMLNode) {}
    }
}
