/// Appends the members of one JSON object in the order given. Member names are literals
/// that need no escaping (they are copied as they are); values are escaped as JSON needs.
/// Runs for every record the events export writes and every task message: no strings are
/// built for names or numbers.
public struct JSONObjectWriter {
    public var bytes: [UInt8]
    private var first = true

    public init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Continues `bytes`, taking them over (`bytes` is left empty, so that appending does
    /// not copy them); `finish()` gives them back.
    public init(continuing bytes: inout [UInt8]) {
        self.bytes = []
        swap(&self.bytes, &bytes)
        self.bytes.append(UInt8(ascii: "{"))
    }

    public mutating func name(_ name: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func number(_ name: StaticString, _ value: Int64) {
        self.name(name)
        Self.digits(value, into: &bytes)
    }

    public mutating func string(_ name: StaticString, _ value: String) {
        self.name(name)
        JSONValue.quote(value, into: &bytes)
    }

    /// A 64-bit key, as a string (JavaScript numbers hold 53 bits).
    public mutating func key(_ name: StaticString, _ value: Int64) {
        self.name(name)
        bytes.append(UInt8(ascii: "\""))
        Self.digits(value, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func value(_ name: StaticString, _ value: JSONValue) {
        self.name(name)
        value.write(to: &bytes)
    }

    public mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// The decimal digits of `value` (with a minus sign when negative).
    static func digits(_ value: Int64, into bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var reversed: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                       UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &reversed) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }
}
