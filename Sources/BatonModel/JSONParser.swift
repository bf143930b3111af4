extension JSONValue {
    /// Parses JSON text (RFC 8259), bounded in size and depth.
    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        guard bytes.count <= maximumBytes else {
            throw JSONError(message: "JSON is \(bytes.count) bytes; the limit is \(maximumBytes)", offset: 0)
        }
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        try parser.end()
        return value
    }
}

struct JSONParser {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> JSONError { JSONError(message: message, offset: position) }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// Reads an object member by member, `member` reading each value (the parser stands at
    /// it); nesting is checked by the caller's `depth`.
    mutating func members(depth: Int, _ member: (String, inout JSONParser) throws(JSONError) -> Void) throws(JSONError) {
        guard depth < JSONValue.maximumDepth else { throw error("JSON nests deeper than \(JSONValue.maximumDepth) levels") }
        skipWhitespace()
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
            let key = try string()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            try member(key, &self)
            skipWhitespace()
            if try endOrComma(UInt8(ascii: "}")) { return }
        }
    }

    /// Checks that nothing but whitespace follows the value read.
    mutating func end() throws(JSONError) {
        skipWhitespace()
        guard position == bytes.count else { throw error("unexpected text after the JSON value") }
    }

    mutating func value(depth: Int) throws(JSONError) -> JSONValue {
        guard depth < JSONValue.maximumDepth else { throw error("JSON nests deeper than \(JSONValue.maximumDepth) levels") }
        guard position < bytes.count else { throw error("unexpected end of JSON") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            var members: [String: JSONValue] = [:]
            try self.members(depth: depth) { (key, parser) throws(JSONError) in members[key] = try parser.value(depth: depth + 1) }
            return .object(members)
        case UInt8(ascii: "["):
            position += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                if try endOrComma(UInt8(ascii: "]")) { return .array(items) }
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true"); return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false"); return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null"); return .null
        default:
            return .number(try number())
        }
    }

    private mutating func endOrComma(_ end: UInt8) throws(JSONError) -> Bool {
        guard position < bytes.count else { throw error("unexpected end of JSON") }
        if bytes[position] == end { position += 1; return true }
        guard bytes[position] == UInt8(ascii: ",") else { throw error("expected ',' or '\(Character(Unicode.Scalar(end)))'") }
        position += 1
        return false
    }

    mutating func expect(_ byte: UInt8) throws(JSONError) {
        guard position < bytes.count, bytes[position] == byte else {
            throw error("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        position += 1
    }

    private mutating func literal(_ word: String) throws(JSONError) {
        for byte in word.utf8 { try expect(byte) }
    }

    mutating func number() throws(JSONError) -> Double {
        let start = position
        // Whole numbers of up to 15 digits (keys, counts, timestamps) are exact in a Double
        // and read without making a String.
        var whole: Int64 = 0
        var digits = 0
        var simple = true
        while position < bytes.count {
            let byte = bytes[position]
            if byte >= 0x30 && byte <= 0x39 {
                whole = whole &* 10 &+ Int64(byte &- 0x30)
                digits += 1
            } else if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                simple = simple && byte == UInt8(ascii: "-") && position == start
            } else {
                break
            }
            position += 1
        }
        if simple, digits > 0, digits <= 15, bytes[start] != UInt8(ascii: "0") || digits == 1 {
            return bytes[start] == UInt8(ascii: "-") ? -Double(whole) : Double(whole)
        }
        guard position > start, let value = Double(String(decoding: bytes[start..<position], as: UTF8.self)), value.isFinite else {
            position = start
            throw error("expected a JSON value")
        }
        return value
    }

    mutating func string() throws(JSONError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes, the bytes are the string.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                defer { position += 1 }
                return String(decoding: bytes[start..<position], as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character inside a string") }
            position += 1
        }
        var decoded = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: decoded, as: UTF8.self)
            }
            if byte < 0x20 { throw error("control character inside a string") }
            guard byte == UInt8(ascii: "\\") else {
                decoded.append(byte)
                position += 1
                continue
            }
            position += 1
            guard position < bytes.count else { break }
            let escaped = bytes[position]
            position += 1
            switch escaped {
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), position + 1 < bytes.count,
                    bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                {
                    position += 2
                    let low = try hex4()
                    code = 0x10000 + ((code - 0xD800) << 10) + (low &- 0xDC00)
                }
                decoded.append(contentsOf: String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                decoded.append(escaped)
            default:
                throw error("invalid escape")
            }
        }
        throw error("string is not closed")
    }

    private mutating func hex4() throws(JSONError) -> UInt32 {
        guard position + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16) else {
            throw error("invalid \\u escape")
        }
        position += 4
        return code
    }
}
