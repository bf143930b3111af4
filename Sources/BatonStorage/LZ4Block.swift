import CLZ4

/// LZ4 block compression for journal batches and snapshots.
public enum LZ4Block {
    /// Compresses `input`; the caller must keep `input.count` to decompress.
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        var output = [UInt8](repeating: 0, count: max(bound, 1))
        let written = output.withUnsafeMutableBytes { out in
            input.withUnsafeBytes { source in
                LZ4_compress_default(
                    source.baseAddress?.assumingMemoryBound(to: CChar.self), out.baseAddress!.assumingMemoryBound(to: CChar.self),
                    Int32(input.count), Int32(bound))
            }
        }
        precondition(written > 0 || input.isEmpty, "LZ4 cannot fail on a buffer of its compress bound")
        output.removeLast(output.count - Int(written))
        return output
    }

    /// Decompresses a block to exactly `rawLength` bytes, or returns nil for corrupt input.
    public static func decompress(_ input: ArraySlice<UInt8>, rawLength: Int) -> [UInt8]? {
        guard rawLength >= 0, rawLength <= 1 << 30 else { return nil }
        var output = [UInt8](repeating: 0, count: rawLength)
        let produced = output.withUnsafeMutableBytes { out in
            input.withUnsafeBytes { source in
                LZ4_decompress_safe(
                    source.baseAddress?.assumingMemoryBound(to: CChar.self), out.baseAddress?.assumingMemoryBound(to: CChar.self),
                    Int32(input.count), Int32(rawLength))
            }
        }
        return Int(produced) == rawLength ? output : nil
    }
}
