import CPoppler

/// A PDF's outline (bookmarks) as heading paths with the pages they point to.
enum PDFOutline {
    /// One bookmark: the titles from the top level down to it, its 1-based target page and,
    /// when the destination names one, the target's top edge in points from the top of the
    /// page (the coordinate system of poppler's text boxes).
    struct Entry: Equatable {
        var path: [String]
        var page: Int
        var top: Double?
    }

    /// Outlines can be malformed into cycles or absurd depths (pikepdf's `cyclic-toc.pdf`);
    /// reading stops at these bounds instead of looping.
    static let maxDepth = 12
    static let maxEntries = 20_000

    /// The bookmarks that point to a page, in outline order, without recursion.
    static func entries(of document: OpaquePointer, pageCount: Int) -> [Entry] {
        guard let top = poppler_index_iter_new(document) else { return [] }
        var entries: [Entry] = []
        var visited = 0
        // Each frame is an iterator over one level; `started` says whether it has been read yet.
        var stack: [(iterator: OpaquePointer, parentPath: [String], started: Bool)] = [(top, [], false)]
        defer { for frame in stack { poppler_index_iter_free(frame.iterator) } }

        while let frame = stack.last {
            if frame.started {
                guard poppler_index_iter_next(frame.iterator) != 0 else {
                    poppler_index_iter_free(frame.iterator)
                    stack.removeLast()
                    continue
                }
            } else {
                stack[stack.count - 1].started = true
            }
            visited += 1
            if visited > maxEntries { break }

            let (title, target) = titleAndTarget(frame.iterator, document: document)
            let path = title.isEmpty ? frame.parentPath : frame.parentPath + [title]
            if let target, (1...max(pageCount, 1)).contains(target.page), pageCount > 0 {
                entries.append(Entry(path: path, page: target.page, top: target.top))
            }
            if stack.count < maxDepth, let child = poppler_index_iter_get_child(frame.iterator) {
                stack.append((child, path, false))
            }
        }
        return entries
    }

    /// The current entry's title (whitespace collapsed) and, for a go-to action, its target.
    private static func titleAndTarget(_ iterator: OpaquePointer, document: OpaquePointer)
        -> (String, (page: Int, top: Double?)?) {
        guard let action = poppler_index_iter_get_action(iterator) else { return ("", nil) }
        defer { poppler_action_free(action) }
        let title = action.pointee.any.title.map { String(cString: $0).collapsingWhitespace } ?? ""
        guard action.pointee.type == POPPLER_ACTION_GOTO_DEST, let dest = action.pointee.goto_dest.dest else {
            return (title, nil)
        }
        if dest.pointee.type == POPPLER_DEST_NAMED {
            guard let name = dest.pointee.named_dest, let named = poppler_document_find_dest(document, name) else {
                return (title, nil)
            }
            defer { poppler_dest_free(named) }
            return (title, target(of: named.pointee, document: document))
        }
        return (title, target(of: dest.pointee, document: document))
    }

    /// The page and, for destinations that set a top edge (XYZ, FitH, FitBH), that edge
    /// measured from the top of the page. Poppler gives it from the bottom of the crop box.
    private static func target(of dest: PopplerDest, document: OpaquePointer) -> (page: Int, top: Double?) {
        let page = Int(dest.page_num)
        let kind = dest.type
        guard kind == POPPLER_DEST_XYZ || kind == POPPLER_DEST_FITH || kind == POPPLER_DEST_FITBH,
              dest.change_top != 0, page >= 1,
              let pageObject = poppler_document_get_page(document, Int32(page - 1)) else { return (page, nil) }
        defer { Poppler.unref(pageObject) }
        var width = 0.0, height = 0.0
        poppler_page_get_size(pageObject, &width, &height)
        let top = height - dest.top
        return (page, top.isFinite && top >= 0 && top <= height ? top : nil)
    }
}
