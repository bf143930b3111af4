internal import CLibXML2

/// A parsed XML document owned by Swift. The tree is read once, right after parsing, and
/// freed with this object; no libxml2 pointer escapes the reader.
final class XMLTree {
    /// Largest BPMN file accepted. Real diagrams are well under 1 MiB; the limit keeps a
    /// hostile file from costing unbounded memory.
    static let maximumBytes = 16 * 1024 * 1024

    private let document: xmlDocPtr

    private init(document: xmlDocPtr) { self.document = document }

    deinit { xmlFreeDoc(document) }

    var root: XMLElement? {
        guard let node = xmlDocGetRootElement(document) else { return nil }
        return XMLElement(node: node)
    }

    /// Parses `bytes` with network access off, no DTD loading, no entity substitution, and
    /// any `<!DOCTYPE>` refused outright (BPMN never needs one; refusing it stops XXE and
    /// entity-expansion attacks before they start). The encoding declared in the XML
    /// declaration is honoured.
    static func parse(_ bytes: [UInt8], fileName: String) throws(BPMNReadError) -> XMLTree {
        guard bytes.count <= maximumBytes else {
            throw BPMNReadError(
                fileName: fileName, line: nil,
                message: "file is \(bytes.count) bytes; BPMN files are limited to \(maximumBytes / 1024 / 1024) MiB")
        }
        guard !bytes.isEmpty else {
            throw BPMNReadError(fileName: fileName, line: nil, message: "file is empty")
        }
        initializeOnce()
        let outcome = ParseOutcome()
        let tree: XMLTree? = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { base in
                guard let context = xmlCreateMemoryParserCtxt(base, Int32(buffer.count)) else {
                    outcome.record(message: "libxml2 could not create a parser", line: nil)
                    return nil
                }
                defer { xmlFreeParserCtxt(context) }
                let options = Int32(
                    XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
                        | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOCDATA.rawValue)
                xmlCtxtUseOptions(context, options)
                let unmanaged = Unmanaged.passUnretained(outcome)
                context.pointee._private = unmanaged.toOpaque()
                context.pointee.sax.pointee.internalSubset = refuseDoctype
                context.pointee.sax.pointee.serror = recordError
                context.pointee.sax.pointee.warning = nil
                xmlParseDocument(context)
                let document = context.pointee.myDoc
                context.pointee.myDoc = nil
                guard context.pointee.wellFormed != 0, outcome.message == nil, let document else {
                    if let document { xmlFreeDoc(document) }
                    if outcome.message == nil {
                        outcome.record(message: "the file is not well-formed XML", line: Int(context.pointee.input?.pointee.line ?? 0))
                    }
                    return nil
                }
                return XMLTree(document: document)
            }
        }
        guard let tree else {
            throw BPMNReadError(fileName: fileName, line: outcome.line, message: outcome.message ?? "unreadable")
        }
        return tree
    }

    private static let initialized: Void = { xmlInitParser() }()
    private static func initializeOnce() { _ = initialized }
}

/// Collects the first error the parser reports. Used only on the parsing thread.
private final class ParseOutcome {
    var message: String?
    var line: Int?

    func record(message: String, line: Int?) {
        guard self.message == nil else { return }
        self.message = message
        self.line = line.flatMap { $0 > 0 ? $0 : nil }
    }
}

/// SAX `internalSubset` hook, called by libxml2 on the parsing thread when it meets
/// `<!DOCTYPE`: records the refusal and stops the parser before any entity is declared.
private let refuseDoctype: internalSubsetSAXFunc = { context, _, _, _ in
    guard let context else { return }
    let parser = context.assumingMemoryBound(to: xmlParserCtxt.self)
    if let outcome = parser.pointee._private {
        Unmanaged<ParseOutcome>.fromOpaque(outcome).takeUnretainedValue().record(
            message: "<!DOCTYPE> is not allowed in a BPMN file (DTDs and entities are refused for safety)",
            line: Int(parser.pointee.input?.pointee.line ?? 0))
    }
    xmlStopParser(parser)
}

/// SAX structured-error hook: keeps the first error (in words a person can act on,
/// `XMLErrorWording`) instead of printing to stderr. Warnings are not errors: the file
/// reads on.
private let recordError: xmlStructuredErrorFunc = { userData, error in
    guard let userData, let error, error.pointee.level != XML_ERR_WARNING else { return }
    let parser = userData.assumingMemoryBound(to: xmlParserCtxt.self)
    guard let outcome = parser.pointee._private else { return }
    let message = error.pointee.message.map { String(cString: $0) } ?? "XML error \(error.pointee.code)"
    Unmanaged<ParseOutcome>.fromOpaque(outcome).takeUnretainedValue().record(
        message: XMLErrorWording.explain(message.trimmingCharacters(in: " \n")), line: Int(error.pointee.line))
}

/// A read-only view of one element node of an `XMLTree`; valid while the tree lives.
struct XMLElement {
    fileprivate let node: xmlNodePtr

    var localName: String { String(cString: node.pointee.name) }
    var namespaceURI: String? { node.pointee.ns.flatMap { $0.pointee.href.map { String(cString: $0) } } }
    var line: Int { Int(xmlGetLineNo(node)) }

    /// An attribute without a namespace (`id`, `sourceRef`...).
    func attribute(_ name: String) -> String? {
        guard let value = xmlGetNoNsProp(node, name) else { return nil }
        defer { baton_xml_free(value) }
        return String(cString: value)
    }

    /// A namespaced attribute (`camunda:topic`...).
    func attribute(_ name: String, namespace: String) -> String? {
        guard let value = xmlGetNsProp(node, name, namespace) else { return nil }
        defer { baton_xml_free(value) }
        return String(cString: value)
    }

    /// Child elements in document order (text, comments and processing instructions skipped).
    var children: [XMLElement] {
        var result: [XMLElement] = []
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE { result.append(XMLElement(node: current)) }
            child = current.pointee.next
        }
        return result
    }

    func children(_ name: String, namespace: String) -> [XMLElement] {
        children.filter { $0.localName == name && $0.namespaceURI == namespace }
    }

    func child(_ name: String, namespace: String) -> XMLElement? {
        children.first { $0.localName == name && $0.namespaceURI == namespace }
    }

    /// The concatenated text of the element and its descendants.
    var text: String {
        guard let value = xmlNodeGetContent(node) else { return "" }
        defer { baton_xml_free(value) }
        return String(cString: value)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
