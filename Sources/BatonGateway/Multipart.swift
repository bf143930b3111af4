/// One part of a `multipart/form-data` body.
public struct FormPart: Sendable {
    public let name: String
    public let fileName: String?
    public let bytes: [UInt8]
}

/// Reads `multipart/form-data` (RFC 7578) bodies: what Camunda's `deployment/create` takes.
public enum Multipart {
    /// The boundary named by a Content-Type header value.
    public static func boundary(contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: " \t") }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? String(pair[1].dropFirst().dropLast()) : pair[1]
                return value.isEmpty || value.utf8.count > 200 ? nil : value
            }
        }
        return nil
    }

    /// The parts of `body`; throws naming what is wrong.
    public static func parts(_ body: [UInt8], boundary: String) throws(GatewayError) -> [FormPart] {
        let delimiter = Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var index = 0
        while let found = find(delimiter, in: body, from: index) {
            positions.append(found)
            index = found + delimiter.count
        }
        guard positions.count >= 2 else { throw .invalid("the multipart body has no parts delimited by its boundary '\(boundary)'") }
        var parts: [FormPart] = []
        for (start, end) in zip(positions, positions.dropFirst()) {
            var partStart = start + delimiter.count
            // Skip the line break after the delimiter.
            if partStart + 1 < body.count, body[partStart] == 13, body[partStart + 1] == 10 { partStart += 2 }
            guard let headersEnd = find([13, 10, 13, 10], in: body, from: partStart), headersEnd < end else {
                throw .invalid("part \(parts.count + 1) of the multipart body has no blank line after its headers")
            }
            var contentEnd = end
            // The line break before the next delimiter belongs to it.
            if contentEnd >= 2, body[contentEnd - 2] == 13, body[contentEnd - 1] == 10 { contentEnd -= 2 }
            let headers = String(decoding: body[partStart..<headersEnd], as: UTF8.self)
            var name: String?
            var fileName: String?
            for line in headers.split(whereSeparator: \.isNewline) where line.lowercased().hasPrefix("content-disposition:") {
                name = parameter("name", in: String(line))
                fileName = parameter("filename", in: String(line))
            }
            guard let name else { throw .invalid("part \(parts.count + 1) of the multipart body has no Content-Disposition name") }
            parts.append(FormPart(name: name, fileName: fileName, bytes: Array(body[(headersEnd + 4)..<max(headersEnd + 4, contentEnd)])))
        }
        return parts
    }

    static func parameter(_ key: String, in line: String) -> String? {
        for piece in line.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: " \t") }
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            let value = pair[1]
            return value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 ? String(value.dropFirst().dropLast()) : value
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == needle[0] {
                var matched = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }
}

extension Substring {
    func trimmingCharacters(in characters: String) -> String {
        String(self.drop { characters.contains($0) }.reversed().drop { characters.contains($0) }.reversed())
    }
}
