internal import CRdKafka
import BatonLog
import Synchronization

/// A librdkafka producer: acks=all, idempotence on, lz4, keyed messages partitioned by
/// murmur2 (the Java client's partitioner, so every producer co-partitions). Delivery
/// reports come back on the handle's event queue and are matched to messages by a
/// per-message sequence number (`DeliveryReports`).
///
/// Blocking: `send` waits for delivery; call it off Swift's cooperative thread pool.
public final class KafkaProducer: Sendable {
    private let handle: Handle
    private let sequence = Mutex<UInt64>(0)

    /// Where a message landed.
    public struct Delivery: Sendable, Hashable {
        public let partition: Int32
        public let offset: Int64
    }

    /// One message to send. `partition` nil lets the partitioner pick by key.
    public struct Message: Sendable {
        public var topic: String
        public var partition: Int32?
        public var key: [UInt8]?
        public var value: [UInt8]

        public init(topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8]) {
            self.topic = topic
            self.partition = partition
            self.key = key
            self.value = value
        }
    }

    final class Handle: @unchecked Sendable {
        let pointer: OpaquePointer
        let queue: OpaquePointer
        let reports: DeliveryReports
        init(pointer: OpaquePointer) {
            self.pointer = pointer
            queue = rd_kafka_queue_get_main(pointer)
            reports = DeliveryReports(queue: queue)
        }
        deinit {
            rd_kafka_flush(pointer, 10_000)
            rd_kafka_queue_destroy(queue)
            rd_kafka_destroy(pointer)
        }
    }

    public init(_ configuration: KafkaConfiguration) throws(LogError) {
        let conf = try configuration.make([
            "acks": "all", "enable.idempotence": "true", "compression.type": "lz4", "linger.ms": "2",
            "partitioner": "murmur2_random", "batch.num.messages": "10000", "queue.buffering.max.messages": "1000000",
        ])
        rd_kafka_conf_set_events(conf, Int32(RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR))
        var error = [CChar](repeating: 0, count: 512)
        guard let pointer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &error, error.count) else {
            throw LogError("cannot create a Kafka producer: \(String(errorBuffer: error))")
        }
        handle = Handle(pointer: pointer)
    }

    /// Sends messages and waits until every one is acknowledged (acks=all) or failed.
    public func send(_ messages: [Message], timeoutMilliseconds: Int = 30_000) throws(LogError) -> [Delivery] {
        try wait(for: try start(messages), timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Hands messages to librdkafka without waiting; returns the ids to `wait(for:)`. The
    /// messages of one call are queued together: a batch another thread starts meanwhile
    /// never lands inside this one's in a partition.
    public func start(_ messages: [Message]) throws(LogError) -> Range<UInt64> {
        try sequence.withLock { (next: inout UInt64) throws(LogError) -> Range<UInt64> in
            let first = next
            next += UInt64(messages.count)
            for (index, message) in messages.enumerated() {
                try enqueue(message, opaque: first + UInt64(index))
            }
            return first..<next
        }
    }

    /// Waits until the messages `ids` were acknowledged; throws the first failure.
    public func wait(for ids: Range<UInt64>, timeoutMilliseconds: Int = 30_000) throws(LogError) -> [Delivery] {
        try handle.reports.take(ids, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Whether every message of `ids` was acknowledged (then forgotten), without waiting;
    /// throws the first failure among them.
    func acknowledged(_ ids: Range<UInt64>) throws(LogError) -> Bool {
        try handle.reports.takeIfAllCame(ids)
    }

    private func enqueue(_ message: Message, opaque: UInt64) throws(LogError) {
        while true {
            let result = message.topic.withCString { topic in
                message.value.withUnsafeBytes { value in
                    (message.key ?? []).withUnsafeBytes { key in
                        var fields = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 6)
                        fields[0].vtype = RD_KAFKA_VTYPE_TOPIC
                        fields[0].u.cstr = topic
                        fields[1].vtype = RD_KAFKA_VTYPE_PARTITION
                        fields[1].u.i32 = message.partition ?? RD_KAFKA_PARTITION_UA
                        fields[2].vtype = RD_KAFKA_VTYPE_VALUE
                        fields[2].u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        fields[2].u.mem.size = value.count
                        fields[3].vtype = RD_KAFKA_VTYPE_OPAQUE
                        fields[3].u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(opaque + 1))
                        fields[4].vtype = RD_KAFKA_VTYPE_KEY
                        fields[4].u.mem.ptr = message.key == nil ? nil : UnsafeMutableRawPointer(mutating: key.baseAddress)
                        fields[4].u.mem.size = message.key == nil ? 0 : key.count
                        // librdkafka copies the payload (RD_KAFKA_MSG_F_COPY): the buffers
                        // only have to live through this call.
                        fields[5].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                        fields[5].u.i = RD_KAFKA_MSG_F_COPY
                        return rd_kafka_produceva(handle.pointer, fields, fields.count)
                    }
                }
            }
            guard let result else { return }
            defer { rd_kafka_error_destroy(result) }
            if rd_kafka_error_code(result) == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                handle.reports.serve(milliseconds: 10)
                continue
            }
            throw LogError("Kafka produce to \(message.topic) failed: \(String(cString: rd_kafka_error_string(result)))")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
