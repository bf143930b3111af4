/// libxml2's error messages said in terms of what is wrong in the file and how to fix it;
/// libxml2's own words follow in parentheses, so they can still be searched for.
enum XMLErrorWording {
    static func explain(_ message: String) -> String {
        guard let plain = plainWords(for: message) else { return message }
        return "\(plain) (libxml2: \(message))"
    }

    private static func plainWords(for message: String) -> String? {
        func after(_ prefix: String) -> String? {
            message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : nil
        }
        if message.hasPrefix("Blank needed here") {
            return "the XML declaration is malformed: its attributes need spaces between them, as in <?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        }
        if message.hasPrefix("parsing XML declaration: '?>' expected") || message.hasPrefix("XML declaration allowed only at the start") {
            return "the XML declaration <?xml ...?> is malformed or not at the very start of the file"
        }
        if message.hasPrefix("Start tag expected, '<' not found") || message.hasPrefix("Document is empty") {
            return "the file does not start with XML: is it a BPMN file (not JSON, not a zip), without text before <?xml?"
        }
        if let rest = after("Opening and ending tag mismatch: ") {
            // "bpmn:task line 5 and bpmn:process"
            let parts = rest.split(separator: " and ", omittingEmptySubsequences: false).map(String.init)
            if parts.count == 2 {
                // "process line 2": the element left open and where it was opened.
                let opened = parts[0].split(separator: " line ", omittingEmptySubsequences: false).map(String.init)
                let place = opened.count == 2 ? " opened at line \(opened[1])" : ""
                return "</\(parts[1])> closes <\(opened[0])>\(place): an element is not closed, or closed twice"
            }
            return "an end tag does not match its start tag: an element is not closed, or closed twice"
        }
        if let rest = after("Premature end of data in tag ") {
            return "the file ends before <\(rest)> is closed: is the file cut short?"
        }
        if message.hasPrefix("EndTag: '</' not found") {
            return "the file ends inside an element: is the file cut short?"
        }
        if message.hasPrefix("Extra content at the end of the document") {
            return "there is content after the root element's end tag: only one <definitions> element may be in a file"
        }
        if message.hasPrefix("StartTag: invalid element name") {
            return "a '<' starts no element: in text and attribute values write it as &lt;"
        }
        if message.hasPrefix("xmlParseEntityRef: no name") || message.hasPrefix("EntityRef: expecting ';'") {
            return "an '&' starts no entity: in text and attribute values write it as &amp;"
        }
        if let rest = after("Entity '"), rest.hasSuffix("' not defined") {
            return "the entity &\(rest.dropLast("' not defined".count)); is not one XML defines: write & as &amp;"
        }
        if message.hasPrefix("AttValue: \" or ' expected") || message.hasPrefix("attributes construct error")
            || message.hasPrefix("Couldn't find end of Start Tag")
        {
            return "an attribute is malformed: every value needs quotes (name=\"value\"), and a quote inside needs &quot;"
        }
        if let rest = after("Attribute "), rest.contains(" redefined") {
            return "an element has the attribute \(rest.split(separator: " redefined").first.map(String.init) ?? rest) twice"
        }
        if message.hasPrefix("Input is not proper UTF-8") || message.hasPrefix("Char 0x") || message.hasPrefix("invalid character in attribute value") {
            return "the file holds bytes that are not valid in its encoding: save it as UTF-8, or declare its encoding in <?xml ... encoding=\"...\"?>"
        }
        if let rest = after("Unsupported encoding ") {
            return "the encoding \(rest) is not supported: save the file as UTF-8"
        }
        if message.hasPrefix("Namespace prefix ") && message.contains(" is not defined") {
            return "a namespace prefix is used without its xmlns declaration (add it to <definitions>, e.g. xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\")"
        }
        return nil
    }
}
