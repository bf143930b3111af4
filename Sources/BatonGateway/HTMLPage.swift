import BatonBPMN
import Hummingbird
import NIOCore

/// The HTML around the pages: one stylesheet inline, no scripts, no external assets.
enum HTMLPage {
    static func text(_ value: String) -> String { SVGText.escaped(value) }

    /// `value` as one path segment or query value of a URL.
    static func url(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += (byte < 16 ? "%0" : "%") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    static let style = """
        body{font-family:Arial,Helvetica,sans-serif;margin:1.5em;color:#222}\
        table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\
        th{background:#f3f3f3}.alert{color:#c62828;font-weight:bold}.now{background:#e3f2fd}\
        pre{background:#f7f7f7;padding:.6em;overflow:auto;max-height:30em}.diagram{overflow:auto;border:1px solid #ddd;margin:.5em 0}\
        form{display:inline}nav a{margin-right:1em}\
        .bpmn-diagram .heat-1>.outline{fill:#fff3e0}.bpmn-diagram .heat-2>.outline{fill:#ffe0b2}.bpmn-diagram .heat-3>.outline{fill:#ffcc80}\
        .bpmn-diagram .heat-4>.outline{fill:#ffb74d}.bpmn-diagram .heat-5>.outline{fill:#ffa726}
        """

    static func response(title: String, body: String, refreshSeconds: Int? = nil) -> Response {
        let refresh = refreshSeconds.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? ""
        let html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(text(title)) · Baton</title>\(refresh)<style>\(style)</style></head><body>"
            + "<nav><a href=\"\(Pages.root)\">Processes</a><a href=\"\(Pages.root)/incidents\">Incidents</a></nav>\(body)</body></html>"
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// A one-button form posting `fields` to the incidents' retry.
    static func retryForm(_ fields: [String: String], label: String) -> String {
        "<form method=\"post\" action=\"\(Pages.root)/incidents/retry\">"
            + fields.sorted { $0.key < $1.key }.map { "<input type=\"hidden\" name=\"\(text($0.key))\" value=\"\(text($0.value))\">" }.joined()
            + "<button>\(text(label))</button></form>"
    }

    /// An `application/x-www-form-urlencoded` body (at most 64 fields, each value at most
    /// 4 KiB once decoded).
    static func form(_ bytes: [UInt8]) throws(GatewayError) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&")) where !pair.isEmpty {
            guard fields.count < 64 else { throw .invalid("the form has more than 64 fields") }
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decoded(parts[0]), value = parts.count > 1 ? try decoded(parts[1]) : ""
            guard value.utf8.count <= 4096 else { throw .invalid("form field '\(name)' is longer than 4096 bytes") }
            fields[name] = value
        }
        return fields
    }

    private static func decoded(_ bytes: ArraySlice<UInt8>) throws(GatewayError) -> String {
        var out: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                    let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
                else { throw .invalid("the form has a broken percent escape") }
                out.append(value)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
