import BatonEngine
import BatonLog
import BatonModel
import BatonStorage

#if canImport(Glibc)
import Glibc
#endif

/// Snapshots of one partition's state as files: `<cursor>.snapshot` holding
/// `"BSNP" u32 crc32-of-rest u64 cursor u32 rawLength lz4(state)`. The newest two are kept;
/// loading falls back to the older one when the newest is corrupt.
public struct SnapshotStore: Sendable {
    public let directory: String
    static let magic: [UInt8] = Array("BSNP".utf8)

    public init(directory: String) {
        self.directory = directory
    }

    /// Writes a snapshot covering the journal prefix `[0, cursor)`, atomically, and prunes
    /// older ones.
    public func write(_ state: EngineState, cursor: Int64) throws {
        try POSIX.makeDirectories(directory)
        let raw = state.snapshotBytes()
        var body: [UInt8] = []
        body.append(contentsOf: withUnsafeBytes(of: UInt64(bitPattern: cursor).littleEndian, Array.init))
        body.append(contentsOf: withUnsafeBytes(of: UInt32(raw.count).littleEndian, Array.init))
        body.append(contentsOf: LZ4Block.compress(raw))
        let file = Self.magic + withUnsafeBytes(of: CRC32C.checksum(body).littleEndian, Array.init) + body
        try POSIX.writeAtomically(file, to: "\(directory)/\(Self.name(cursor))", directory: directory)
        for old in snapshotFiles().dropLast(2) { POSIX.remove("\(directory)/\(old)") }
    }

    /// The newest snapshot that verifies, with its cursor; nil if there is none. Corrupt
    /// ones are reported through `warn` and skipped.
    public func loadNewest(processes: ProcessRegistry, warn: (String) -> Void) -> (state: EngineState, cursor: Int64)? {
        for name in snapshotFiles().reversed() {
            let path = "\(directory)/\(name)"
            do {
                return try load(path, processes: processes)
            } catch {
                warn("snapshot \(path) is unusable (\(error)); trying an older one")
            }
        }
        return nil
    }

    func load(_ path: String, processes: ProcessRegistry) throws -> (state: EngineState, cursor: Int64) {
        let bytes = try POSIX.readFile(path)
        guard bytes.count >= 20, Array(bytes.prefix(4)) == Self.magic else { throw LogError("not a Baton snapshot") }
        let body = Array(bytes[8...])
        let crc = bytes[4..<8].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        guard CRC32C.checksum(body) == crc else { throw LogError("CRC mismatch") }
        let cursor = body[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        let rawLength = body[8..<12].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard let raw = LZ4Block.decompress(body[12...], rawLength: rawLength) else { throw LogError("does not decompress") }
        return (try EngineState.fromSnapshot(raw, processes: processes), Int64(bitPattern: cursor))
    }

    func snapshotFiles() -> [String] {
        POSIX.list(directory).filter { $0.hasSuffix(".snapshot") }.sorted()
    }

    static func name(_ cursor: Int64) -> String {
        let digits = String(cursor)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".snapshot"
    }
}
