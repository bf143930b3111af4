import BatonLog
import BatonStorage

#if canImport(Glibc)
import Glibc
#endif

/// Committed consumer positions: one small file per group and partition,
/// `u64 position, u32 crc32c`, replaced atomically (write, fsync, rename, fsync directory).
enum ConsumerPositions {
    static func path(directory: String, group: String, partition: TopicPartition) throws(LogError) -> (folder: String, file: String) {
        guard !group.isEmpty, !group.contains("/"), !group.hasPrefix(".") else { throw LogError("'\(group)' is not a valid consumer group name") }
        let folder = "\(directory)/.consumers/\(group)"
        return (folder, "\(folder)/\(partition.topic)-\(partition.partition)")
    }

    static func write(_ position: Int64, directory: String, group: String, partition: TopicPartition) throws(LogError) {
        let (folder, file) = try path(directory: directory, group: group, partition: partition)
        try POSIX.makeDirectories(folder)
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(UInt64(bitPattern: position))
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        try POSIX.writeAtomically(bytes, to: file, directory: folder)
    }

    static func read(directory: String, group: String, partition: TopicPartition) throws(LogError) -> Int64? {
        let (_, file) = try path(directory: directory, group: group, partition: partition)
        guard access(file, F_OK) == 0 else { return nil }
        let descriptor = try POSIX.open(file, O_RDONLY)
        defer { close(descriptor) }
        let bytes = try POSIX.readFully(descriptor, count: 12, at: 0, file)
        guard bytes.count == 12 else { throw LogError("consumer position file \(file) is \(bytes.count) bytes, expected 12") }
        let (position, crc) = bytes.withUnsafeBytes { ($0.loadLittleEndian(UInt64.self, at: 0), $0.loadLittleEndian(UInt32.self, at: 8)) }
        guard CRC32C.checksum(Array(bytes.prefix(8))) == crc else { throw LogError("consumer position file \(file) fails its CRC") }
        return Int64(bitPattern: position)
    }
}
