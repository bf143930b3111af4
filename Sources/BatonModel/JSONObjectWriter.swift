/// Appends the members of one JSON object in the order given.
public struct JSONObjectWriter {
    public var bytes: [UInt8]
    private var first = true

    public init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    public init(into bytes: [UInt8]) {
        self.bytes = bytes
        self.bytes.append(UInt8(ascii: "{"))
    }

    public mutating func name(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        JSONValue.quote(name, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func number(_ name: String, _ value: Int64) {
        self.name(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func string(_ name: String, _ value: String) {
        self.name(name)
        JSONValue.quote(value, into: &bytes)
    }

    /// A 64-bit key, as a string (JavaScript numbers hold 53 bits).
    public mutating func key(_ name: String, _ value: Int64) {
        self.name(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: String(value).utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func value(_ name: String, _ value: JSONValue) {
        self.name(name)
        value.write(to: &bytes)
    }

    public mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
