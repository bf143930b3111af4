/// Building blocks of the SVG the diagram renderer writes: escaped text, numbers without
/// noise, and labels broken into lines that fit a width.
public enum SVGText {
    /// `text` safe inside an XML (or HTML) element or a quoted attribute.
    public static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // Characters XML 1.0 does not allow are left out.
            case _ where character.value < 0x20 && character != "\n" && character != "\t": continue
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A coordinate with at most two decimals (`12`, `12.5`, `12.25`).
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let hundredths = (value * 100).rounded()
        if hundredths.truncatingRemainder(dividingBy: 100) == 0 { return String(Int(hundredths / 100)) }
        return String(hundredths / 100)
    }

    /// About how wide a character of the 12 px label font is.
    static let characterWidth = 6.4
    static let lineHeight = 14.0

    /// `text` broken at spaces (and within words longer than a line) into lines of at most
    /// `width` pixels; at most `maximumLines`, the last one ending in "…" if cut.
    static func lines(_ text: String, width: Double, maximumLines: Int = 6) -> [String] {
        let perLine = max(4, Int(width / characterWidth))
        var lines: [String] = []
        var current = ""
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            for word in paragraph.split(separator: " ") {
                var word = String(word)
                while word.count > perLine {
                    if !current.isEmpty { lines.append(current); current = "" }
                    lines.append(String(word.prefix(perLine)))
                    word = String(word.dropFirst(perLine))
                }
                if current.isEmpty {
                    current = word
                } else if current.count + 1 + word.count <= perLine {
                    current += " " + word
                } else {
                    lines.append(current)
                    current = word
                }
            }
            lines.append(current)
            current = ""
        }
        lines = lines.filter { !$0.isEmpty }
        if lines.count > maximumLines {
            lines = Array(lines.prefix(maximumLines))
            lines[maximumLines - 1] = String(lines[maximumLines - 1].prefix(perLine - 1)) + "…"
        }
        return lines
    }

    /// A `<text>` of `lines` centred on `x`, the first line's middle at `y`.
    static func centred(_ lines: [String], x: Double, y: Double, className: String = "label") -> String {
        guard !lines.isEmpty else { return "" }
        var out = "<text class=\"\(className)\" x=\"\(number(x))\" y=\"\(number(y))\" text-anchor=\"middle\" dominant-baseline=\"central\">"
        for (index, line) in lines.enumerated() {
            out += "<tspan x=\"\(number(x))\" dy=\"\(index == 0 ? "0" : number(lineHeight))\">\(escaped(line))</tspan>"
        }
        return out + "</text>"
    }
}
