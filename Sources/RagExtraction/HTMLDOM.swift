import CLibXML2

/// A borrowed node of a libxml2 tree. Valid only while its document is alive, so it never
/// leaves `HTMLExtractor.extract` (it is deliberately not Sendable).
struct HTMLNode {
    let pointer: xmlNodePtr

    init(_ pointer: xmlNodePtr) { self.pointer = pointer }
    init?(_ pointer: xmlNodePtr?) {
        guard let pointer else { return nil }
        self.pointer = pointer
    }

    var isElement: Bool { pointer.pointee.type == XML_ELEMENT_NODE }

    /// Text and CDATA nodes (libxml2 stores script/style bodies as CDATA-like "preserve" nodes,
    /// but those are inside dropped elements and never reached).
    var isText: Bool {
        let type = pointer.pointee.type
        return type == XML_TEXT_NODE || type == XML_CDATA_SECTION_NODE
    }

    /// The element name, lowercase (libxml2's HTML parser lowercases tags); "" for other nodes.
    var name: String {
        guard isElement, let name = pointer.pointee.name else { return "" }
        return String(cString: name)
    }

    /// The text of a text node, character references already decoded by libxml2.
    var text: String? {
        guard isText, let content = pointer.pointee.content else { return nil }
        return String(cString: content)
    }

    var firstChild: HTMLNode? { HTMLNode(pointer.pointee.children) }
    var nextSibling: HTMLNode? { HTMLNode(pointer.pointee.next) }
    var parent: HTMLNode? { HTMLNode(pointer.pointee.parent) }

    var children: some Sequence<HTMLNode> {
        sequence(first: firstChild) { $0?.nextSibling }.lazy.compactMap { $0 }
    }

    /// The value of attribute `name` (lowercase), read in place without allocating through
    /// libxml2 (its `xmlFree` is a macro Swift cannot call).
    func attribute(_ name: String) -> String? {
        var attr = pointer.pointee.properties
        while let current = attr {
            if let attrName = current.pointee.name, String(cString: attrName) == name {
                var value = ""
                var child = current.pointee.children
                while let node = child {
                    if let content = node.pointee.content { value += String(cString: content) }
                    child = node.pointee.next
                }
                return value
            }
            attr = current.pointee.next
        }
        return nil
    }

    /// Whether the element is present, as in `<div hidden>`.
    func hasAttribute(_ name: String) -> Bool { attribute(name) != nil }

    /// Whether this element and its subtree are not document text: scripts, styles, controls,
    /// navigation and other furniture (see `HTMLVocabulary`), and hidden elements.
    /// `insideContent` says whether an `article`/`main`/`section` encloses the element, where
    /// `header` and `footer` belong to the content. `name` is this element's `name`, passed in
    /// because callers already have it.
    func isDropped(_ name: String, insideContent: Bool) -> Bool {
        if HTMLVocabulary.dropped.contains(name) { return true }
        if !insideContent, HTMLVocabulary.pageFurniture.contains(name) { return true }
        guard pointer.pointee.properties != nil else { return false }
        if let role = attribute("role")?.lowercased(), HTMLVocabulary.droppedRoles.contains(role) { return true }
        if hasAttribute("hidden") || attribute("aria-hidden")?.lowercased() == "true" { return true }
        if HTMLVocabulary.furnitureContainers.contains(name), let classes = attribute("class") {
            let words = classes.lowercased().split { $0 == " " || $0 == "-" || $0 == "_" || $0 == "\t" || $0 == "\n" }
            if words.contains(where: { HTMLVocabulary.furnitureWords.contains(String($0)) }) { return true }
        }
        return false
    }

    /// Visits every node below this one in document order without recursion, so 100,000
    /// levels of nesting cost no stack. `enter` returns whether to visit the node's children;
    /// `exit` runs after the children of every node that `enter` descended into.
    func walkDescendants<V: HTMLVisitor>(_ visitor: inout V) {
        var next = firstChild
        while let node = next {
            if visitor.enter(node) {
                if let child = node.firstChild {
                    next = child
                    continue
                }
                visitor.exit(node)
            }
            // Move to the next sibling, closing every ancestor that has none left.
            var current = node
            next = nil
            while true {
                if let sibling = current.nextSibling {
                    next = sibling
                    break
                }
                guard let parent = current.parent, parent.pointer != pointer else { break }
                visitor.exit(parent)
                current = parent
            }
        }
    }
}

/// A visitor for `HTMLNode.walkDescendants`.
protocol HTMLVisitor {
    /// Called for each node in document order; returns whether to visit its children.
    mutating func enter(_ node: HTMLNode) -> Bool
    /// Called after the children of a node that `enter` descended into.
    mutating func exit(_ node: HTMLNode)
}
