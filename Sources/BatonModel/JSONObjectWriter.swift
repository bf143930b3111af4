/// Writes one JSON object, members in the order given, straight into a buffer of its own.
/// Member names are literals that need no escaping (they are copied as they are); values are
/// escaped as JSON needs. Runs for every record the events export writes, every task message
/// and every task a worker posts: no strings are built for names or numbers, and every
/// member is one capacity check followed by plain stores (appending byte by byte to an
/// `Array` costs a uniqueness and a capacity check per byte, 3 ns a byte measured).
public struct JSONObjectWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// Whether the object being written has no member yet (nested objects included).
    private var first = true

    public init(capacity: Int) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
        base[0] = UInt8(ascii: "{")
        count = 1
    }

    deinit { base.deallocate() }

    /// The object's bytes (the closing brace added).
    public consuming func finish() -> [UInt8] {
        put(UInt8(ascii: "}"))
        return Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// Compact JSON text of a whole value (`JSONValue.jsonBytes`).
    static func text(of value: JSONValue) -> [UInt8] {
        var writer = JSONObjectWriter(capacity: 128)
        writer.count = 0
        writer.write(value)
        return Array(UnsafeBufferPointer(start: writer.base, count: writer.count))
    }

    public mutating func name(_ name: StaticString) {
        let length = name.utf8CodeUnitCount
        reserve(length + 4)
        if !first { store(UInt8(ascii: ",")) }
        first = false
        store(UInt8(ascii: "\""))
        copy(name.utf8Start, length)
        store(UInt8(ascii: "\""))
        store(UInt8(ascii: ":"))
    }

    public mutating func number(_ name: StaticString, _ value: Int64) {
        self.name(name)
        digits(value)
    }

    public mutating func string(_ name: StaticString, _ value: String) {
        self.name(name)
        quote(value)
    }

    /// A 64-bit key, as a string (JavaScript numbers hold 53 bits).
    public mutating func key(_ name: StaticString, _ value: Int64) {
        self.name(name)
        put(UInt8(ascii: "\""))
        digits(value)
        put(UInt8(ascii: "\""))
    }

    public mutating func value(_ name: StaticString, _ value: JSONValue) {
        self.name(name)
        write(value)
    }

    /// Opens an object as the value of member `name`; its members follow, then `closeObject()`.
    public mutating func openObject(_ name: StaticString) {
        self.name(name)
        put(UInt8(ascii: "{"))
        first = true
    }

    /// Closes the object `openObject` opened; the enclosing object's members go on.
    public mutating func closeObject() {
        put(UInt8(ascii: "}"))
        first = false
    }

    /// A JSON value as compact text, object members in sorted key order (so equal values
    /// always print the same bytes).
    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: append("null")
        case .bool(let value): append(value ? "true" : "false")
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 {
                digits(Int64(value))
            } else {
                var text = JSONValue.format(value)
                text.withUTF8 { append($0) }
            }
        case .string(let value): quote(value)
        case .array(let items):
            put(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { put(UInt8(ascii: ",")) }
                write(item)
            }
            put(UInt8(ascii: "]"))
        case .object(let members):
            put(UInt8(ascii: "{"))
            if members.count == 1, let member = members.first {
                quote(member.key)
                put(UInt8(ascii: ":"))
                write(member.value)
            } else {
                for (index, key) in members.keys.sorted().enumerated() {
                    if index > 0 { put(UInt8(ascii: ",")) }
                    quote(key)
                    put(UInt8(ascii: ":"))
                    write(members[key]!)
                }
            }
            put(UInt8(ascii: "}"))
        }
    }

    /// `text` as a JSON string literal.
    mutating func quote(_ text: String) {
        var text = text
        // Most strings (ids, names, intents) need no escaping: copied whole.
        let copied = text.withUTF8 { bytes -> Bool in
            for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            reserve(bytes.count + 2)
            store(UInt8(ascii: "\""))
            if let start = bytes.baseAddress { copy(start, bytes.count) }
            store(UInt8(ascii: "\""))
            return true
        }
        if copied { return }
        put(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0..<0x20:
                append("\\u00")
                put(Self.hexDigits[Int(byte >> 4)])
                put(Self.hexDigits[Int(byte & 0xF)])
            default: put(byte)
            }
        }
        put(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The decimal digits of `value` (with a minus sign when negative): the length from the
    /// bit width, then two digits per division, written from the last one back.
    mutating func digits(_ value: Int64) {
        reserve(21)
        if value < 0 { store(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let guess = ((64 - magnitude.leadingZeroBitCount) &* 1233) >> 12
        let length = guess + (magnitude >= Self.powersOfTen[guess] ? 1 : 0) + (guess == 0 && magnitude == 0 ? 1 : 0)
        var index = count + length
        Self.digitPairs.withUnsafeBufferPointer { pairs in
            while magnitude >= 100 {
                let pair = Int(magnitude % 100) &* 2
                magnitude /= 100
                index -= 2
                base[index] = pairs[pair]
                base[index + 1] = pairs[pair + 1]
            }
            if magnitude >= 10 {
                let pair = Int(magnitude) &* 2
                base[index - 2] = pairs[pair]
                base[index - 1] = pairs[pair + 1]
            } else {
                base[index - 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude)
            }
        }
        count += length
    }

    /// 10⁰ … 10¹⁹ (the digit count of a 64-bit magnitude is its bit width × log₁₀ 2, or one more).
    private static let powersOfTen: [UInt64] = (0..<20).map { exponent in (0..<exponent).reduce(UInt64(1)) { product, _ in product &* 10 } }
    /// "00", "01", … "99".
    private static let digitPairs: [UInt8] = (0..<100).flatMap { [UInt8(ascii: "0") + UInt8($0 / 10), UInt8(ascii: "0") + UInt8($0 % 10)] }

    private mutating func append(_ literal: StaticString) {
        let length = literal.utf8CodeUnitCount
        reserve(length)
        (base + count).update(from: literal.utf8Start, count: length)
        count += length
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        if let start = bytes.baseAddress { (base + count).update(from: start, count: bytes.count) }
        count += bytes.count
    }

    private mutating func put(_ byte: UInt8) {
        reserve(1)
        store(byte)
    }

    /// Copies `length` bytes where `reserve` made room. Names and ids are short: up to 32
    /// bytes are moved as two or four overlapping 8-byte words (a call to memmove, or a loop
    /// over the bytes, costs more than they do).
    @inline(__always)
    private mutating func copy(_ start: UnsafePointer<UInt8>, _ length: Int) {
        let source = UnsafeRawPointer(start)
        let target = UnsafeMutableRawPointer(base + count)
        switch length {
        case 8...16:
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
            target.storeBytes(of: head, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: length - 8, as: UInt64.self)
        case 17...32:
            let words = (source.loadUnaligned(as: UInt64.self), source.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                         source.loadUnaligned(fromByteOffset: length - 16, as: UInt64.self),
                         source.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self))
            target.storeBytes(of: words.0, as: UInt64.self)
            target.storeBytes(of: words.1, toByteOffset: 8, as: UInt64.self)
            target.storeBytes(of: words.2, toByteOffset: length - 16, as: UInt64.self)
            target.storeBytes(of: words.3, toByteOffset: length - 8, as: UInt64.self)
        case 0..<8:
            for offset in 0..<length { base[count + offset] = start[offset] }
        default:
            (base + count).update(from: start, count: length)
        }
        count += length
    }

    /// Stores one byte where `reserve` made room.
    @inline(__always)
    private mutating func store(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        let larger = max(needed, capacity * 2)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        moved.update(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = larger
    }
}
