internal import CRdKafka
import BatonLog
import Synchronization

/// Reads any number of topic partitions through a fixed number of librdkafka consumer
/// handles (each handle has its own threads and broker connections, so one per partition
/// does not scale to an engine serving 100 journal partitions). Partitions are spread over
/// the handles as they are first read and consumed with librdkafka's per-partition queues
/// (`rd_kafka_consume_start`), so each keeps its own position and prefetch, and a
/// partition read from its start (a recovery) never holds up another's reads.
///
/// A partition nobody has read for `idleStopMilliseconds` stops consuming (it is started
/// again at its next read): the snapshots and deployments topics are read at recovery and
/// rarely after, and a started partition fetches and holds up to 4 MiB for ever.
///
/// Blocking: call off Swift's cooperative thread pool. One read at a time per partition
/// (each has its own lock); different partitions are read concurrently.
final class KafkaReaderPool: Sendable {
    private let handles: [ReaderHandle]
    private let partitions = Mutex<[TopicPartition: PartitionCursor]>([:])
    private let nextHandle = Mutex(0)
    private let idleStopMilliseconds: Int64
    /// When partitions were last looked at for stopping.
    private let lastIdleCheck = Mutex<Int64>(0)

    /// How many librdkafka handles this pool holds, whatever the number of partitions.
    var handleCount: Int { handles.count }

    init(_ configuration: KafkaConfiguration, handles count: Int, idleStopMilliseconds: Int64 = 5_000) throws(LogError) {
        var handles: [ReaderHandle] = []
        for _ in 0..<max(1, count) { handles.append(try ReaderHandle(configuration)) }
        self.handles = handles
        self.idleStopMilliseconds = idleStopMilliseconds
    }

    /// How many partitions are consuming now (started and not stopped).
    var consumingPartitions: Int { partitions.withLock { Array($0.values) }.filter(\.isConsuming).count }

    /// Entries of `partition` (its physical name) from `position` until its end or `limit`,
    /// or until nothing arrives for `idleMilliseconds`. With `untilEnd` false, the read
    /// returns once it has taken what had arrived (after the broker answered once).
    func read(_ partition: TopicPartition, from position: Int64, limit: Int, untilEnd: Bool = true, idleMilliseconds: Int64 = 15,
              timeoutMilliseconds: Int64 = 10_000) throws(LogError) -> [LogEntry] {
        let cursor = partitions.withLock { cursors in
            if let existing = cursors[partition] { return existing }
            let handle = nextHandle.withLock { next in
                defer { next += 1 }
                return handles[next % handles.count]
            }
            let created = PartitionCursor(partition: partition, handle: handle)
            cursors[partition] = created
            return created
        }
        defer { stopIdlePartitions() }
        return try cursor.read(
            from: position, limit: limit, untilEnd: untilEnd, idleMilliseconds: idleMilliseconds, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// At most once per `idleStopMilliseconds / 2`: stops the partitions not read for
    /// `idleStopMilliseconds` (skipping any being read right now).
    private func stopIdlePartitions() {
        let now = MonotonicClock.milliseconds()
        let due = lastIdleCheck.withLock { last in
            guard now - last >= idleStopMilliseconds / 2 else { return false }
            last = now
            return true
        }
        guard due else { return }
        for cursor in partitions.withLock({ Array($0.values) }) { cursor.stopIfIdle(since: now - idleStopMilliseconds) }
    }

    deinit {
        // Every partition stops consuming before its handle is destroyed.
        for cursor in partitions.withLock({ Array($0.values) }) { cursor.stop() }
    }
}

/// One librdkafka consumer handle in the legacy per-partition mode, with its topic handles.
final class ReaderHandle: @unchecked Sendable {
    let handle: OpaquePointer
    /// Topic handles by name, behind `topicsLock`.
    private var topics: [String: OpaquePointer] = [:]
    private let topicsLock = Mutex(())

    init(_ configuration: KafkaConfiguration) throws(LogError) {
        // Each partition prefetches on its own queue: keep that bounded (the defaults allow
        // 64 MiB per partition).
        let conf = try configuration.make([
            "group.id": "baton-reader", "enable.auto.commit": "false", "enable.partition.eof": "true",
            "fetch.wait.max.ms": "20", "fetch.error.backoff.ms": "5",
            "queued.min.messages": "10000", "queued.max.messages.kbytes": "4096",
        ])
        var error = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &error, error.count) else {
            throw LogError("cannot create a Kafka consumer: \(String(errorBuffer: error))")
        }
        self.handle = handle
    }

    /// The handle's topic handle for `name` (made once, kept until the pool goes).
    func topic(_ name: String) throws(LogError) -> OpaquePointer {
        try topicsLock.withLock { _ throws(LogError) -> OpaquePointer in
            if let existing = topics[name] { return existing }
            guard let created = rd_kafka_topic_new(handle, name, nil) else {
                throw LogError("cannot open topic \(name): \(String(cString: rd_kafka_err2str(rd_kafka_last_error())))")
            }
            topics[name] = created
            return created
        }
    }

    deinit {
        for topic in topics.values { rd_kafka_topic_destroy(topic) }
        rd_kafka_destroy(handle)
    }
}

/// Where one partition's consumption stands on its handle. A read that continues where the
/// last one stopped keeps the prefetched messages; any other position starts again there.
final class PartitionCursor: @unchecked Sendable {
    let partition: TopicPartition
    let handle: ReaderHandle
    /// Guards everything below: one read of this partition at a time.
    private let turn = Mutex(())
    private var started = false
    private var next: Int64 = -1
    /// When the last read ended (monotonic milliseconds), for `stopIfIdle`.
    private let lastRead = Atomic<Int64>(MonotonicClock.milliseconds())
    /// The partition's end was reached and nothing came since: a read then only checks
    /// briefly for news instead of waiting the full idle time.
    private var caughtUp = false

    init(partition: TopicPartition, handle: ReaderHandle) {
        self.partition = partition
        self.handle = handle
    }

    func stop() {
        turn.withLock { _ in stopConsuming() }
    }

    /// Stops consuming if no read ended after `moment`, unless a read is under way.
    func stopIfIdle(since moment: Int64) {
        guard lastRead.load(ordering: .relaxed) < moment else { return }
        _ = turn.withLockIfAvailable { _ in stopConsuming() }
    }

    var isConsuming: Bool { turn.withLock { _ in started } }

    /// With `turn` held.
    private func stopConsuming() {
        guard started, let topic = try? handle.topic(partition.topic) else { return }
        rd_kafka_consume_stop(topic, partition.partition)
        started = false
    }

    func read(from position: Int64, limit: Int, untilEnd: Bool, idleMilliseconds: Int64, timeoutMilliseconds: Int64) throws(LogError) -> [LogEntry] {
        defer { lastRead.store(MonotonicClock.milliseconds(), ordering: .relaxed) }
        return try turn.withLock { _ throws(LogError) -> [LogEntry] in
            let topic = try handle.topic(partition.topic)
            // After a (re)start nothing can be concluded until the broker has answered once
            // (a message, or the end of the partition).
            var answered = true
            // A reader that does not wait for the end waits a millisecond when nothing has
            // arrived: the engine reads its partitions one after the other.
            var idle = caughtUp || !untilEnd ? 1 : idleMilliseconds
            if !started || next != position {
                if started { rd_kafka_consume_stop(topic, partition.partition) }
                started = false
                guard rd_kafka_consume_start(topic, partition.partition, position) == 0 else {
                    throw LogError("cannot read \(partition) from \(position): \(String(cString: rd_kafka_err2str(rd_kafka_last_error())))")
                }
                started = true
                next = position
                answered = false
                caughtUp = false
                if untilEnd { idle = idleMilliseconds }
            }
            var result: [LogEntry] = []
            let deadline = MonotonicClock.milliseconds() + timeoutMilliseconds
            var lastMessage = MonotonicClock.milliseconds()
            var batch = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: 256)
            while result.count < limit {
                let now = MonotonicClock.milliseconds()
                if answered, now - lastMessage >= idle { break }
                guard now < deadline else { throw LogError("reading \(partition): no end of partition within \(timeoutMilliseconds) ms") }
                // What is queued already, at once; otherwise wait for the next message.
                var count = batch.withUnsafeMutableBufferPointer { rd_kafka_consume_batch(topic, partition.partition, 0, $0.baseAddress, min($0.count, limit - result.count)) }
                // Everything that had arrived is taken: a reader that does not wait for the
                // end returns it now.
                if count == 0, !untilEnd, answered, !result.isEmpty { break }
                if count == 0, let message = rd_kafka_consume(topic, partition.partition, Int32(min(5, idle))) {
                    batch[0] = message
                    count = 1
                }
                guard count > 0 else { continue }
                defer { for index in 0..<count { rd_kafka_message_destroy(batch[index]) } }
                // Every message of the batch is taken (they left the queue); the end counts
                // only if nothing came after it.
                var atEnd = false
                for index in 0..<count {
                    let message = batch[index]!.pointee
                    if message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                        atEnd = true
                        continue
                    }
                    guard message.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                        rd_kafka_consume_stop(topic, partition.partition)
                        started = false
                        throw LogError("reading \(partition): \(String(cString: rd_kafka_err2str(message.err)))")
                    }
                    atEnd = false
                    let key = message.key.map { Array(UnsafeRawBufferPointer(start: $0, count: message.key_len)) }
                    let value = message.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: message.len)) } ?? []
                    result.append(LogEntry(position: message.offset, payload: value, key: key))
                    next = message.offset + 1
                }
                if atEnd {
                    caughtUp = true
                    break
                }
                answered = true
                caughtUp = false
                idle = idleMilliseconds
                lastMessage = MonotonicClock.milliseconds()
            }
            return result
        }
    }
}
