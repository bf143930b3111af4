/// Appends the journal's binary primitives to a byte buffer: LEB128 varints (zig-zag for
/// signed values), length-prefixed UTF-8 strings and a tagged binary form of JSON.
public struct BinaryWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    public mutating func unsigned(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    public mutating func signed(_ value: Int64) {
        unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            unsigned(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func raw(_ value: [UInt8]) { bytes.append(contentsOf: value) }

    public mutating func json(_ value: JSONValue) {
        switch value {
        case .null: byte(0)
        case .bool(let flag): byte(flag ? 2 : 1)
        case .number(let number):
            byte(3)
            var pattern = number.bitPattern
            for _ in 0..<8 {
                bytes.append(UInt8(truncatingIfNeeded: pattern))
                pattern >>= 8
            }
        case .string(let text):
            byte(4)
            string(text)
        case .array(let items):
            byte(5)
            unsigned(UInt64(items.count))
            for item in items { json(item) }
        case .object(let members):
            byte(6)
            variables(members)
        }
    }

    /// An object's members with sorted keys, so equal values encode to equal bytes.
    public mutating func variables(_ members: [String: JSONValue]) {
        unsigned(UInt64(members.count))
        if members.count == 1, let (key, value) = members.first {
            string(key)
            json(value)
            return
        }
        for key in members.keys.sorted() {
            string(key)
            json(members[key]!)
        }
    }
}
