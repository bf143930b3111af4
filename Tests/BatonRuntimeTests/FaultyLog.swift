import BatonLog
import BatonModel
import BatonTestSupport
import Synchronization

/// The process that called the log "died" here: everything it held in memory is gone.
struct SimulatedCrash: Error {}

/// A `MemoryLog` that injects faults from a seeded generator: a crash before an append
/// (nothing written), a crash after it (written, but the caller never learns), duplicate
/// delivery (the batch written twice), lost task messages (appends to task topics
/// dropped), and pipelined appends that a flush loses entirely or writes only in part (as a
/// Kafka producer can). Faults stop when `calm` is set.
final class FaultyLog: Log {
    let inner: MemoryLog
    private let random: Mutex<SplitMix64>
    /// Enqueued appends, written by the next `flush` (in order, or a prefix of them).
    private let enqueued = Mutex<[(TopicPartition, [[UInt8]])]>([])
    private let faultsOff = Mutex(false)
    private let tally = Mutex<[String: Int]>([:])

    init(inner: MemoryLog, seed: UInt64) {
        self.inner = inner
        random = Mutex(SplitMix64(seed: seed))
    }

    func calm() { faultsOff.withLock { $0 = true } }

    var injected: [String: Int] { tally.withLock { $0 } }

    private func roll(_ permille: UInt64) -> Bool {
        guard !faultsOff.withLock({ $0 }) else { return false }
        return random.withLock { $0.next() % 1000 } < permille
    }

    private func count(_ fault: String) { tally.withLock { $0[fault, default: 0] += 1 } }

    func partitionCount(of topic: String) -> Int32 { inner.partitionCount(of: topic) }

    func append(_ entries: [[UInt8]], to partition: TopicPartition) throws(LogError) -> Int64 {
        if partition.topic.hasPrefix("baton.task."), roll(40) {
            count("lost task message")
            return try inner.endPosition(of: partition)
        }
        if roll(30) {
            count("crash before append")
            throw LogError("simulated crash before the append")
        }
        let position = try inner.append(entries, to: partition)
        if partition.topic == Topics.journal, roll(30) {
            count("duplicate delivery")
            try inner.append(entries, to: partition)
        }
        if roll(30) {
            count("crash after append")
            throw LogError("simulated crash after the append")
        }
        return position
    }

    func enqueue(_ entries: [[UInt8]], to partition: TopicPartition) throws(LogError) {
        enqueued.withLock { $0.append((partition, entries)) }
    }

    func flush() throws(LogError) {
        let batch = enqueued.withLock { queue in
            defer { queue = [] }
            return queue
        }
        guard !batch.isEmpty else { return }
        if roll(25) {
            count("flush lost everything enqueued")
            throw LogError("simulated crash before the flush")
        }
        for (partition, entries) in batch {
            if partition.topic.hasPrefix("baton.task."), roll(40) {
                count("lost task message")
                continue
            }
            if roll(15) {
                count("flush wrote only a prefix")
                throw LogError("simulated crash during the flush")
            }
            try inner.append(entries, to: partition)
        }
    }

    func read(_ partition: TopicPartition, from position: Int64, limit: Int) throws(LogError) -> [LogEntry] {
        try inner.read(partition, from: position, limit: limit)
    }

    func endPosition(of partition: TopicPartition) throws(LogError) -> Int64 { try inner.endPosition(of: partition) }

    func committedPosition(group: String, partition: TopicPartition) throws(LogError) -> Int64? {
        try inner.committedPosition(group: group, partition: partition)
    }

    func commit(group: String, partition: TopicPartition, position: Int64) throws(LogError) {
        if roll(20) {
            count("crash before commit")
            throw LogError("simulated crash before the commit")
        }
        try inner.commit(group: group, partition: partition, position: position)
    }
}
