import BatonLog
import BatonStorage

#if canImport(Glibc)
import Glibc
#endif

/// The files of one partition: segments named by their first position, a lock file that
/// serializes appenders across processes, and an in-memory sparse index (one entry per
/// batch, not per entry) rebuilt and verified when the partition is opened.
///
/// Not thread-safe: `FileLog` wraps it in a mutex. Across processes, every change of the
/// files happens under `flock` on the lock file.
final class PartitionFiles {
    struct Segment {
        let basePosition: Int64
        let path: String
        let descriptor: Int32
        var size: Int
    }

    struct FrameLocation {
        let basePosition: Int64
        let count: Int
        let segment: Int
        let offset: Int
        let size: Int
    }

    let directory: String
    let segmentBytes: Int
    /// When `refresh` last looked for a segment another process rolled to (ms, monotonic).
    private var lastRollCheck: Int64 = 0
    private let lockDescriptor: Int32
    private(set) var segments: [Segment] = []
    private(set) var frames: [FrameLocation] = []
    private(set) var nextPosition: Int64 = 0
    /// Appends written by this process, and how many of them are known durable.
    var writeSequence: UInt64 = 0
    /// Whether a `refresh` found entries another process appended since this was last cleared.
    var foundOthersEntries = false

    init(directory: String, segmentBytes: Int, repair: Bool) throws(LogError) {
        self.directory = directory
        self.segmentBytes = segmentBytes
        try POSIX.makeDirectories(directory)
        lockDescriptor = try POSIX.open(directory + "/.lock", O_RDWR | O_CREAT)
        try withFileLock { () throws(LogError) in try recover(repair: repair) }
    }

    deinit {
        for segment in segments { close(segment.descriptor) }
        close(lockDescriptor)
    }

    /// Runs `body` holding the cross-process lock of the partition.
    func withFileLock<Result>(_ body: () throws(LogError) -> Result) throws(LogError) -> Result {
        while flock(lockDescriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw POSIX.error("flock", directory + "/.lock") }
        }
        defer { flock(lockDescriptor, LOCK_UN) }
        return try body()
    }

    private static func segmentName(_ basePosition: Int64) -> String {
        let digits = String(basePosition)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    /// Opens every segment and verifies every batch. A batch that fails its CRC at the very
    /// end of the last segment is a torn write and is cut off; anywhere else it is
    /// corruption: an error naming the file and byte, unless `repair` cuts the log there.
    private func recover(repair: Bool) throws(LogError) {
        let names = POSIX.list(directory).filter { $0.hasSuffix(".log") }
        for (index, name) in names.enumerated() {
            guard let base = Int64(name.dropLast(4)) else { continue }
            let path = directory + "/" + name
            let descriptor = try POSIX.open(path, O_RDWR)
            if segments.isEmpty { nextPosition = base }
            segments.append(Segment(basePosition: base, path: path, descriptor: descriptor, size: 0))
            let fileSize = try POSIX.size(descriptor, path)
            let valid = try scan(segment: segments.count - 1, upTo: fileSize)
            guard valid < fileSize else { continue }
            let isLast = index == names.count - 1
            let corruptInside = try hasValidFrameAfter(descriptor: descriptor, path: path, offset: valid, fileSize: fileSize)
            if isLast && !corruptInside || repair {
                try truncate(segment: segments.count - 1, to: valid)
                if !isLast {
                    // Repair: everything after the bad batch goes, later segments included.
                    for later in names[(index + 1)...] { unlink(directory + "/" + later) }
                    break
                }
            } else {
                let position = frames.last.map { $0.basePosition + Int64($0.count) } ?? base
                throw LogError(
                    "corrupt batch in \(path) at byte \(valid) (log position \(position)): CRC mismatch with valid data after it; "
                        + "restore the file, or open with repair to cut the log there (losing \(fileSize - valid) bytes of this segment\(isLast ? "" : " and every later segment"))")
            }
        }
        if segments.isEmpty { try createSegment(basePosition: 0) }
    }

    /// Indexes the valid frames of a segment from its known size up to `fileSize`; returns
    /// the offset where valid data ends.
    private func scan(segment index: Int, upTo fileSize: Int) throws(LogError) -> Int {
        var offset = segments[index].size
        let descriptor = segments[index].descriptor
        let path = segments[index].path
        while offset + BatchFrame.headerSize <= fileSize {
            let header = try POSIX.readFully(descriptor, count: BatchFrame.headerSize, at: offset, path)
            guard let claimed = header.withUnsafeBytes(BatchFrame.claimedSize), claimed <= fileSize - offset,
                claimed <= BatchFrame.maximumBatchBytes * 2
            else { break }
            let bytes = try POSIX.readFully(descriptor, count: claimed, at: offset, path)
            guard let frame = bytes.withUnsafeBytes(BatchFrame.validate), frame.basePosition == nextPosition else { break }
            frames.append(FrameLocation(basePosition: frame.basePosition, count: frame.count, segment: index, offset: offset, size: frame.size))
            nextPosition = frame.endPosition
            offset += frame.size
        }
        segments[index].size = offset
        return offset
    }

    private func hasValidFrameAfter(descriptor: Int32, path: String, offset: Int, fileSize: Int) throws(LogError) -> Bool {
        let header = try POSIX.readFully(descriptor, count: min(4, fileSize - offset), at: offset, path)
        guard let claimed = header.withUnsafeBytes(BatchFrame.claimedSize), claimed > 0, offset + claimed < fileSize else { return false }
        let next = offset + claimed
        let nextHeader = try POSIX.readFully(descriptor, count: min(4, fileSize - next), at: next, path)
        guard let nextClaimed = nextHeader.withUnsafeBytes(BatchFrame.claimedSize), next + nextClaimed <= fileSize else { return false }
        let bytes = try POSIX.readFully(descriptor, count: nextClaimed, at: next, path)
        return bytes.withUnsafeBytes(BatchFrame.validate) != nil
    }

    private func truncate(segment index: Int, to size: Int) throws(LogError) {
        guard ftruncate(segments[index].descriptor, off_t(size)) == 0 else { throw POSIX.error("ftruncate", segments[index].path) }
        try POSIX.sync(segments[index].descriptor, segments[index].path)
        segments[index].size = size
    }

    private func createSegment(basePosition: Int64) throws(LogError) {
        let path = directory + "/" + Self.segmentName(basePosition)
        let descriptor = try POSIX.open(path, O_RDWR | O_CREAT)
        segments.append(Segment(basePosition: basePosition, path: path, descriptor: descriptor, size: try POSIX.size(descriptor, path)))
        try POSIX.syncDirectory(directory)
    }

    /// Picks up batches other processes appended since we last looked. Without the file
    /// lock a batch being written may be half there: scanning stops before it and a later
    /// refresh finds it whole.
    func refresh() throws(LogError) {
        let known = nextPosition
        defer { if nextPosition > known { foundOthersEntries = true } }
        var index = segments.count - 1
        let size = try POSIX.size(segments[index].descriptor, segments[index].path)
        if size > segments[index].size { _ = try scan(segment: index, upTo: size) }
        // Another process may have rolled to a new segment named by the next position. A
        // writer rolls only past a full segment, so until this one is full the path is
        // looked up at most every 100 ms (a process configured with smaller segments rolls
        // sooner), not on every read and write.
        while segments[index].size >= segmentBytes || MonotonicClock.milliseconds() - lastRollCheck >= 100 {
            lastRollCheck = MonotonicClock.milliseconds()
            let path = directory + "/" + Self.segmentName(nextPosition)
            guard nextPosition > segments[index].basePosition, access(path, F_OK) == 0 else { return }
            let descriptor = try POSIX.open(path, O_RDWR)
            segments.append(Segment(basePosition: nextPosition, path: path, descriptor: descriptor, size: 0))
            index += 1
            _ = try scan(segment: index, upTo: try POSIX.size(descriptor, path))
        }
    }

    /// Writes one batch at the end of the log (call under the file lock, after `refresh`).
    /// Returns its first position; `durabilityTarget` says what to fsync.
    func write(_ entries: [[UInt8]]) throws(LogError) -> Int64 {
        if segments[segments.count - 1].size >= segmentBytes {
            try POSIX.sync(segments[segments.count - 1].descriptor, segments[segments.count - 1].path)
            try createSegment(basePosition: nextPosition)
        }
        let frame = try BatchFrame.encode(entries, basePosition: nextPosition)
        let index = segments.count - 1
        try POSIX.writeFully(segments[index].descriptor, frame, at: segments[index].size, segments[index].path)
        let position = nextPosition
        frames.append(FrameLocation(basePosition: position, count: entries.count, segment: index, offset: segments[index].size, size: frame.count))
        segments[index].size += frame.count
        nextPosition += Int64(entries.count)
        writeSequence += 1
        return position
    }

    /// What an fsync must cover to make every write so far durable: the newest write
    /// sequence and the segment holding it. Older segments were synced when the log rolled
    /// past them (`write`), so syncing the newest one covers every write up to the sequence,
    /// including writes another append put into a segment after a roll.
    var durabilityTarget: (sequence: UInt64, descriptor: Int32, path: String) {
        (writeSequence, segments[segments.count - 1].descriptor, segments[segments.count - 1].path)
    }

    /// The first position the partition still holds (segments below it were removed).
    var startPosition: Int64 { segments[0].basePosition }

    /// Deletes the segments whose every entry lies below `position` (never the segment
    /// being written); call under the file lock. Returns the new start position. Positions
    /// stay what they were; a read below the start gets entries from the start, so a
    /// reader sees the gap. Another process that has a removed segment open reads it on
    /// until it opens the partition again.
    func removeSegments(below position: Int64, dryRun: Bool = false) throws(LogError) -> Int64 {
        var removed = 0
        while removed + 1 < segments.count, segments[removed + 1].basePosition <= position { removed += 1 }
        guard removed > 0 else { return startPosition }
        guard !dryRun else { return segments[removed].basePosition }
        for segment in segments.prefix(removed) {
            guard unlink(segment.path) == 0 || errno == ENOENT else { throw POSIX.error("unlink", segment.path) }
        }
        try POSIX.syncDirectory(directory)
        for segment in segments.prefix(removed) { close(segment.descriptor) }
        segments.removeFirst(removed)
        let firstFrame = frames.firstIndex { $0.segment >= removed } ?? frames.count
        frames = frames.dropFirst(firstFrame).map {
            FrameLocation(basePosition: $0.basePosition, count: $0.count, segment: $0.segment - removed, offset: $0.offset, size: $0.size)
        }
        return startPosition
    }

    /// Entries from `position` (from the start position if it lies below it), at most `limit`.
    func read(from position: Int64, limit: Int) throws(LogError) -> [LogEntry] {
        guard position < nextPosition, limit > 0 else { return [] }
        var low = 0
        var high = frames.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if frames[middle].basePosition <= position { low = middle } else { high = middle - 1 }
        }
        var result: [LogEntry] = []
        var frameIndex = low
        while frameIndex < frames.count, result.count < limit {
            let location = frames[frameIndex]
            let segment = segments[location.segment]
            let bytes = try POSIX.readFully(segment.descriptor, count: location.size, at: location.offset, segment.path)
            guard bytes.withUnsafeBytes({ BatchFrame.validate($0) }) != nil else {
                throw LogError("corrupt batch in \(segment.path) at byte \(location.offset) (log position \(location.basePosition)): CRC mismatch")
            }
            let entries = try BatchFrame.entries(of: bytes)
            for (offset, entry) in entries.enumerated() where result.count < limit {
                let entryPosition = location.basePosition + Int64(offset)
                if entryPosition >= position { result.append(LogEntry(position: entryPosition, payload: entry)) }
            }
            frameIndex += 1
        }
        return result
    }
}
