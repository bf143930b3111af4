import BatonModel
import Testing

/// The direct JSON writer (events export, task messages, posted tasks): numbers and keys
/// written two digits at a time must read back as the same values, at every digit count and
/// the edges of Int64; the buffer grows past its first capacity.
struct JSONObjectWriterTests {
    @Test(arguments: [Int64.min, Int64.min + 1, -1_000_000_007, -10, -1, 0, 1, 9, 10, 99, 100, 4_294_967_300, Int64.max])
    func numbersAndKeysReadBack(_ value: Int64) throws {
        var json = JSONObjectWriter(capacity: 64)
        json.number("n", value)
        json.key("k", value)
        json.string("s", "a \"quoted\"\nline")
        let text = String(decoding: json.finish(), as: UTF8.self)
        #expect(text == "{\"n\":\(value),\"k\":\"\(value)\",\"s\":\"a \\\"quoted\\\"\\nline\"}")
        let parsed = try JSONValue.parse(Array(text.utf8))
        #expect(parsed["k"] == .string(String(value)))
        #expect(parsed["s"] == .string("a \"quoted\"\nline"))
    }

    /// Every digit count, on both sides of each power of ten (where the length computed
    /// from the bit width needs its correction).
    @Test func everyDigitCountPrintsAsSwiftPrintsIt() {
        var values: [Int64] = [0]
        var power: Int64 = 1
        for _ in 0..<19 {
            values += [power - 1, power, power + 1, -power, -(power - 1)]
            if power > Int64.max / 10 { break }
            power *= 10
        }
        values += [Int64.max, Int64.max - 1, Int64.min, 1 << 53, (1 << 53) + 1]
        for value in values {
            var json = JSONObjectWriter(capacity: 1)  // grows on the first member
            json.number("n", value)
            #expect(String(decoding: json.finish(), as: UTF8.self) == "{\"n\":\(value)}", "value \(value)")
        }
    }

    /// Strings of every length around the word sizes the copy moves them in.
    @Test func stringsOfEveryLengthCopyWhole() {
        for length in 0...70 {
            let text = String((0..<length).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
            var json = JSONObjectWriter(capacity: 2)
            json.string("s", text)
            #expect(String(decoding: json.finish(), as: UTF8.self) == "{\"s\":\"\(text)\"}", "length \(length)")
        }
    }

    /// A nested object continues the outer one, whose members go on after it closes.
    @Test func nestedObjectsContinueTheOuterObject() {
        var outer = JSONObjectWriter(capacity: 8)
        outer.number("a", 1)
        outer.openObject("inner")
        outer.string("b", "x")
        outer.openObject("empty")
        outer.closeObject()
        outer.closeObject()
        outer.key("c", 2)
        #expect(String(decoding: outer.finish(), as: UTF8.self) == "{\"a\":1,\"inner\":{\"b\":\"x\",\"empty\":{}},\"c\":\"2\"}")
    }

    /// Values: keys sorted, whole numbers without a fraction, others as Swift prints them,
    /// control characters escaped, long strings (past the buffer) whole.
    @Test func valuesPrintCompactWithSortedKeys() throws {
        let long = String(repeating: "ü", count: 3_000)
        let value = JSONValue.object([
            "z": .array([.null, .bool(true), .bool(false), .number(-0.5), .number(3), .number(1e20)]),
            "a": .string("tab\there \u{1} \\ end"), "m": .object(["only": .string(long)]),
        ])
        var json = JSONObjectWriter(capacity: 4)
        json.value("v", value)
        let text = String(decoding: json.finish(), as: UTF8.self)
        #expect(text == "{\"v\":{\"a\":\"tab\\there \\u0001 \\\\ end\",\"m\":{\"only\":\"\(long)\"},\"z\":[null,true,false,-0.5,3,1e+20]}}")
        #expect(try JSONValue.parse(Array(text.utf8))["v"] == value)
        #expect(value.jsonBytes == Array(text.utf8).dropFirst(5).dropLast())
    }
}
