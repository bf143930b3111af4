import BatonModel
import Testing

/// The direct JSON writer (events export, task messages): numbers and keys written digit by
/// digit must read back as the same values, at the edges of Int64 too.
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

    /// A writer continuing another's bytes takes them over and gives them back whole.
    @Test func continuingWritesIntoTheOuterObject() {
        var outer = JSONObjectWriter(capacity: 64)
        outer.number("a", 1)
        outer.name("inner")
        var inner = JSONObjectWriter(continuing: &outer.bytes)
        inner.string("b", "x")
        outer.bytes = inner.finish()
        #expect(String(decoding: outer.finish(), as: UTF8.self) == "{\"a\":1,\"inner\":{\"b\":\"x\"}}")
    }
}
