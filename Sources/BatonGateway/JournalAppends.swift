import BatonLog
import BatonModel
import BatonRuntime
import Synchronization

/// The gateway's commands on their way into the journal, gathered per partition (group
/// commit): while one batch is written and fsynced, the commands of every request that
/// arrives meanwhile wait together and go in as the next batch, one write and one fsync for
/// all of them. With 64 workers completing tasks at once, a request no longer pays for an
/// fsync of its own, nor a thread of its own waiting on the partition's lock.
///
/// A request resumes only once its batch is durable, with its commands' positions; when the
/// append fails, every request in the batch gets the error (none of them was acknowledged).
/// Commands are encoded by the request, and a batch is bounded in commands and in bytes, so
/// that a few large requests (variables up to the body limit) never make a batch the log
/// refuses for the small ones gathered with them.
final class JournalAppends: Sendable {
    private struct Waiting {
        let entries: [[UInt8]]
        let keys: [String]
        let bytes: Int
        let continuation: CheckedContinuation<Int64, any Error>
    }

    private struct Partition {
        var waiting: [Waiting] = []
        var writing = false
    }

    /// Most commands, and most bytes, written as one batch (a single request larger than
    /// that goes alone); the rest wait for the next.
    static let batchLimit = 2_000
    static let batchBytesLimit = 8 << 20

    private let log: any Log
    private let partitions = Mutex<[Int32: Partition]>([:])

    init(log: any Log) { self.log = log }

    /// Appends `commands` (all keyed to `partition`) as one run of entries; returns the first
    /// one's position once they are durable.
    func append(_ commands: [Record], partition: Int32) async throws -> Int64 {
        let entries = commands.map(RecordCodec.encode)
        let bytes = entries.reduce(0) { $0 + $1.count }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int64, any Error>) in
            let waiting = Waiting(entries: entries, keys: commands.map(\.key), bytes: bytes, continuation: continuation)
            let startsWriter = partitions.withLock { partitions in
                partitions[partition, default: Partition()].waiting.append(waiting)
                guard !partitions[partition]!.writing else { return false }
                partitions[partition]!.writing = true
                return true
            }
            guard startsWriter else { return }
            do {
                try DedicatedThread.start { self.write(partition) }
            } catch {
                for waiting in takeAll(partition) { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    /// Appends one command on its correlationId's partition; its partition and position.
    func append(_ command: Record) async throws -> (partition: Int32, position: Int64) {
        let partition = try CommandWriter(log: log).partition(of: command.key)
        return (partition, try await append([command], partition: partition))
    }

    /// Writes what waits for `partition`, batch after batch, until nothing does.
    private func write(_ partition: Int32) {
        let journal = TopicPartition(Topics.journal, partition)
        while true {
            let batch = next(partition)
            if batch.isEmpty { return }
            do {
                var position = try log.append(batch.flatMap(\.entries), keys: batch.flatMap(\.keys), to: journal)
                for waiting in batch {
                    waiting.continuation.resume(returning: position)
                    position += Int64(waiting.entries.count)
                }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    /// The requests of the next batch (at least one, then more while they fit in
    /// `batchLimit` commands and `batchBytesLimit` bytes), or none, in which case the writer
    /// is done and the next request starts another.
    private func next(_ partition: Int32) -> [Waiting] {
        partitions.withLock { partitions in
            guard var state = partitions[partition], !state.waiting.isEmpty else {
                partitions[partition]?.writing = false
                return []
            }
            var (count, bytes, taken) = (0, 0, 0)
            while taken < state.waiting.count {
                let request = state.waiting[taken]
                guard taken == 0 || (count + request.entries.count <= Self.batchLimit && bytes + request.bytes <= Self.batchBytesLimit) else { break }
                count += request.entries.count
                bytes += request.bytes
                taken += 1
            }
            let batch = Array(state.waiting[..<taken])
            state.waiting.removeFirst(taken)
            partitions[partition] = state
            return batch
        }
    }

    /// The commands waiting for `partition`'s next batch.
    func waitingCommands(_ partition: Int32) -> Int {
        partitions.withLock { $0[partition]?.waiting.reduce(0) { $0 + $1.entries.count } ?? 0 }
    }

    private func takeAll(_ partition: Int32) -> [Waiting] {
        partitions.withLock { partitions in
            defer { partitions[partition] = Partition() }
            return partitions[partition]?.waiting ?? []
        }
    }
}
