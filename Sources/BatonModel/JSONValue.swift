/// A JSON value, as variables and task results hold it. Objects keep their keys in a
/// dictionary and serialize with sorted keys, so equal values always print the same bytes.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Largest JSON text accepted (a variable document or task result), in bytes.
    public static let maximumBytes = 1 << 20
    /// Deepest nesting accepted.
    public static let maximumDepth = 64

    public subscript(field: String) -> JSONValue? {
        if case .object(let members) = self { return members[field] }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// About how many bytes this value takes as compact JSON, computed without writing it:
    /// strings count their UTF-8 bytes (escapes not counted), every number 8. What size
    /// limits compare, the same on every replica and cheap enough for every command.
    public var sizeEstimate: Int {
        switch self {
        case .null: 4
        case .bool(let value): value ? 4 : 5
        case .number: 8
        case .string(let value): value.utf8.count + 2
        case .array(let items): items.reduce(1 + items.count) { $0 + $1.sizeEstimate }
        case .object(let members): members.reduce(1 + members.count) { $0 + $1.key.utf8.count + 3 + $1.value.sizeEstimate }
        }
    }

    /// Compact JSON text with sorted object keys.
    public var jsonText: String { String(decoding: jsonBytes, as: UTF8.self) }

    /// Compact JSON as UTF-8 bytes, with sorted object keys (what goes on a topic).
    public var jsonBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(128)
        write(to: &output)
        return output
    }

    /// Appends the value's compact JSON (sorted object keys) to `output`.
    public func write(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let value): output.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
        case .number(let value): output.append(contentsOf: Self.format(value).utf8)
        case .string(let value): Self.quote(value, into: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                item.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let keys = members.count == 1 ? Array(members.keys) : members.keys.sorted()
            for (index, key) in keys.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.quote(key, into: &output)
                output.append(UInt8(ascii: ":"))
                members[key]!.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Whole numbers print without a fraction (`3`, not `3.0`).
    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `text` as a JSON string literal.
    public static func quote(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most strings (ids, names, intents) need no escaping: copy them whole.
        var text = text
        let copied = text.withUTF8 { bytes -> Bool in
            for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            output.append(contentsOf: bytes)
            return true
        }
        if copied {
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                output.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

/// Why JSON text was refused: the same shape as a journal decoding error (message and byte
/// offset), so it is the same type.
public typealias JSONError = DecodingError
