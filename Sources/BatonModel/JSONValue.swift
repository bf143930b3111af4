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
    public var jsonBytes: [UInt8] { JSONObjectWriter.text(of: self) }

    /// Whole numbers print without a fraction (`3`, not `3.0`).
    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// Why JSON text was refused: the same shape as a journal decoding error (message and byte
/// offset), so it is the same type.
public typealias JSONError = DecodingError
