import BatonLog
import BatonStorage

/// One appended batch on disk:
///
/// ```
/// u32 length      bytes after this field
/// u32 crc32c      over every byte after this field
/// u64 basePosition
/// u32 count       entries in the batch
/// u32 rawLength   size of the entries block before compression
/// lz4(entries)    each entry: u32 length, bytes
/// ```
/// All integers little-endian. A frame is valid only if its length fits the file and its
/// CRC matches: anything else at the end of the last segment is a torn write.
struct BatchFrame {
    static let headerSize = 24
    /// Largest single entry accepted.
    static let maximumEntryBytes = 16 << 20
    /// Largest batch (before compression) accepted.
    static let maximumBatchBytes = 64 << 20

    let basePosition: Int64
    let count: Int
    /// Total bytes on disk, header included.
    let size: Int

    var endPosition: Int64 { basePosition + Int64(count) }

    /// Builds the bytes of a frame, or explains why the batch is refused.
    static func encode(_ entries: [[UInt8]], basePosition: Int64) throws(LogError) -> [UInt8] {
        guard !entries.isEmpty else { throw LogError("an append needs at least one entry") }
        var rawLength = 0
        for (index, entry) in entries.enumerated() {
            guard entry.count <= maximumEntryBytes else {
                throw LogError("entry \(index) of the batch is \(entry.count) bytes; the limit is \(maximumEntryBytes)")
            }
            rawLength += 4 + entry.count
        }
        guard rawLength <= maximumBatchBytes else {
            throw LogError("the batch is \(rawLength) bytes; the limit is \(maximumBatchBytes)")
        }
        var raw = [UInt8]()
        raw.reserveCapacity(rawLength)
        for entry in entries {
            raw.appendLittleEndian(UInt32(entry.count))
            raw.append(contentsOf: entry)
        }
        var frame = [UInt8](repeating: 0, count: headerSize)
        frame.append(contentsOf: LZ4Block.compress(raw))
        frame.storeLittleEndian(UInt32(frame.count - 4), at: 0)
        frame.storeLittleEndian(UInt64(bitPattern: basePosition), at: 8)
        frame.storeLittleEndian(UInt32(entries.count), at: 16)
        frame.storeLittleEndian(UInt32(rawLength), at: 20)
        let crc = frame.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[8...])) }
        frame.storeLittleEndian(crc, at: 4)
        return frame
    }

    /// Reads a frame header at the start of `bytes` and verifies the CRC over `bytes`
    /// (which must hold the whole frame). Returns nil for anything incomplete or corrupt.
    static func validate(_ bytes: UnsafeRawBufferPointer) -> BatchFrame? {
        guard bytes.count >= headerSize else { return nil }
        let length = Int(bytes.loadLittleEndian(UInt32.self, at: 0))
        guard length >= headerSize - 4, length + 4 <= bytes.count else { return nil }
        let crc = bytes.loadLittleEndian(UInt32.self, at: 4)
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[8..<(4 + length)])) == crc else { return nil }
        let count = Int(bytes.loadLittleEndian(UInt32.self, at: 16))
        let rawLength = Int(bytes.loadLittleEndian(UInt32.self, at: 20))
        guard count > 0, rawLength <= maximumBatchBytes else { return nil }
        return BatchFrame(
            basePosition: Int64(bitPattern: bytes.loadLittleEndian(UInt64.self, at: 8)), count: count, size: length + 4)
    }

    /// The length a frame header at `bytes` claims, if the header is there.
    static func claimedSize(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return Int(bytes.loadLittleEndian(UInt32.self, at: 0)) + 4
    }

    /// Decompresses a validated frame's entries.
    static func entries(of frame: [UInt8]) throws(LogError) -> [[UInt8]] {
        let (rawLength, count) = frame.withUnsafeBytes {
            (Int($0.loadLittleEndian(UInt32.self, at: 20)), Int($0.loadLittleEndian(UInt32.self, at: 16)))
        }
        guard let raw = LZ4Block.decompress(frame[headerSize...], rawLength: rawLength) else {
            throw LogError("a batch does not decompress to its \(rawLength) bytes")
        }
        var entries: [[UInt8]] = []
        entries.reserveCapacity(count)
        var offset = 0
        for _ in 0..<count {
            guard offset + 4 <= rawLength else { throw LogError("a batch's entries are truncated") }
            let length = Int(raw[offset]) | Int(raw[offset + 1]) << 8 | Int(raw[offset + 2]) << 16 | Int(raw[offset + 3]) << 24
            offset += 4
            guard offset + length <= rawLength else { throw LogError("a batch's entries are truncated") }
            entries.append(Array(raw[offset..<offset + length]))
            offset += length
        }
        return entries
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }
}

extension UnsafeRawBufferPointer {
    func loadLittleEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
