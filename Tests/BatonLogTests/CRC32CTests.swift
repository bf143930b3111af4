import BatonStorage
import Testing

/// The checksum every file-log batch carries: the standard check value, and the processor's
/// instruction agreeing with the tables at every length and alignment (a disagreement would
/// make every existing log unreadable on one machine or the other).
struct CRC32CTests {
    @Test func theCheckValueOfTheStandard() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        let bytes = Array("123456789".utf8)
        #expect(bytes.withUnsafeBytes { CRC32C.softwareChecksum($0) } == 0xE306_9283)
    }

    @Test func theInstructionAndTheTablesAgreeAtEveryLengthAndAlignment() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4_200).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for length in Array(0...80) + [511, 512, 513, 4_000] {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<start + length])
                    #expect(CRC32C.checksum(slice) == CRC32C.softwareChecksum(slice), "start \(start), length \(length)")
                }
            }
        }
        print("CRC-32C uses the processor's instruction: \(CRC32C.usesHardware)")
    }
}
