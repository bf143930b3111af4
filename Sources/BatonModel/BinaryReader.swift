/// Why bytes could not be decoded (journal records, JSON text): truncated, garbage, or from
/// a newer Baton. `offset` is the byte at fault.
public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public let offset: Int
    /// Set when the bytes are well formed but name a record version newer than this build
    /// reads: not corruption, but a newer Baton's writing.
    public let unknownRecordVersion: UInt8?
    public init(message: String, offset: Int, unknownRecordVersion: UInt8? = nil) {
        self.message = message
        self.offset = offset
        self.unknownRecordVersion = unknownRecordVersion
    }
    public var description: String { "\(message) at byte \(offset)" }
}

/// Reads what `BinaryWriter` wrote. Every read is bounds-checked: truncated or garbage
/// input throws, it never traps, and no length read from the input can make it allocate
/// more than the input's size.
public struct BinaryReader: Sendable {
    private let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var isAtEnd: Bool { offset >= bytes.count }
    public var remaining: Int { bytes.count - offset }

    public func failure(_ message: String) -> DecodingError { DecodingError(message: message, offset: offset) }

    public mutating func byte() throws(DecodingError) -> UInt8 {
        guard offset < bytes.count else { throw failure("unexpected end of data") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func unsigned() throws(DecodingError) -> UInt64 {
        // The fold reads a few varints per record: where ten bytes are left (the longest
        // varint), one is read without a bounds check per byte; anything odd (too long,
        // near the end) takes the checked loop below, which names what is wrong.
        if offset + 10 <= bytes.count {
            let start = offset
            let (value, length) = bytes.withUnsafeBufferPointer { buffer -> (UInt64, Int) in
                var result: UInt64 = 0
                var shift: UInt64 = 0
                for index in start..<start + 10 {
                    let next = buffer[index]
                    guard shift < 63 || next <= 1 else { return (0, 0) }
                    result |= UInt64(next & 0x7F) << shift
                    if next & 0x80 == 0 { return (result, index - start + 1) }
                    shift += 7
                }
                return (0, 0)
            }
            if length > 0 {
                offset += length
                return value
            }
        }
        return try checkedUnsigned()
    }

    private mutating func checkedUnsigned() throws(DecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64, shift < 63 || next <= 1 else { throw failure("varint is too long") }
            result |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { return result }
            shift += 7
        }
    }

    public mutating func signed() throws(DecodingError) -> Int64 {
        let raw = try unsigned()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    public mutating func int32() throws(DecodingError) -> Int32 {
        let value = try signed()
        guard let narrow = Int32(exactly: value) else { throw failure("value \(value) does not fit 32 bits") }
        return narrow
    }

    /// A count of items that each take at least one byte: bounded by what is left.
    public mutating func count() throws(DecodingError) -> Int {
        let value = try unsigned()
        guard value <= UInt64(remaining) else { throw failure("count \(value) exceeds the \(remaining) bytes left") }
        return Int(value)
    }

    public mutating func string() throws(DecodingError) -> String {
        let length = try count()
        defer { offset += length }
        return String(decoding: bytes[offset..<offset + length], as: UTF8.self)
    }

    public mutating func json(depth: Int = 0) throws(DecodingError) -> JSONValue {
        guard depth < JSONValue.maximumDepth else { throw failure("JSON nests too deep") }
        switch try byte() {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3:
            guard remaining >= 8 else { throw failure("unexpected end of data") }
            var pattern: UInt64 = 0
            for index in 0..<8 { pattern |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
            offset += 8
            return .number(Double(bitPattern: pattern))
        case 4: return .string(try string())
        case 5:
            let count = try count()
            var items: [JSONValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try json(depth: depth + 1)) }
            return .array(items)
        case 6: return .object(try variables(depth: depth + 1))
        case let tag: throw failure("unknown JSON tag \(tag)")
        }
    }

    public mutating func variables(depth: Int = 0) throws(DecodingError) -> [String: JSONValue] {
        let count = try count()
        var members: [String: JSONValue] = [:]
        members.reserveCapacity(count)
        for _ in 0..<count {
            let key = try string()
            members[key] = try json(depth: depth + 1)
        }
        return members
    }
}
