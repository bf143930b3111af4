internal import CRdKafka
import BatonLog
import Synchronization

/// A librdkafka producer: acks=all, idempotence on, lz4, keyed messages partitioned by
/// murmur2 (the Java client's partitioner, so every producer co-partitions). Delivery
/// reports come back on the handle's event queue and are matched to messages by a
/// per-message sequence number.
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
        /// Serializes polling of the event queue (librdkafka's queue is thread-safe, but
        /// matching reports to callers needs one reader at a time).
        let lock = Mutex<[UInt64: Result<Delivery, LogError>]>([:])
        init(pointer: OpaquePointer) {
            self.pointer = pointer
            queue = rd_kafka_queue_get_main(pointer)
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

    /// Hands messages to librdkafka without waiting; returns the ids to `wait(for:)`.
    public func start(_ messages: [Message]) throws(LogError) -> Range<UInt64> {
        let first = sequence.withLock { value -> UInt64 in
            defer { value += UInt64(messages.count) }
            return value
        }
        for (index, message) in messages.enumerated() {
            try enqueue(message, opaque: first + UInt64(index))
        }
        return first..<first + UInt64(messages.count)
    }

    /// Waits until the messages `ids` were acknowledged; throws the first failure.
    public func wait(for ids: Range<UInt64>, timeoutMilliseconds: Int = 30_000) throws(LogError) -> [Delivery] {
        var deliveries: [Delivery] = []
        deliveries.reserveCapacity(ids.count)
        let deadline = MonotonicClock.milliseconds() + Int64(timeoutMilliseconds)
        for id in ids {
            while true {
                if let result = handle.lock.withLock({ $0.removeValue(forKey: id) }) {
                    switch result {
                    case .success(let delivery): deliveries.append(delivery)
                    case .failure(let error): throw error
                    }
                    break
                }
                guard MonotonicClock.milliseconds() < deadline else { throw LogError("Kafka did not acknowledge a message within \(timeoutMilliseconds) ms") }
                poll(timeoutMilliseconds: 10)
            }
        }
        return deliveries
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
                poll(timeoutMilliseconds: 10)
                continue
            }
            throw LogError("Kafka produce to \(message.topic) failed: \(String(cString: rd_kafka_error_string(result)))")
        }
    }

    /// Takes delivery reports off the event queue and files them by sequence number.
    private func poll(timeoutMilliseconds: Int32) {
        guard let event = rd_kafka_queue_poll(handle.queue, timeoutMilliseconds) else { return }
        defer { rd_kafka_event_destroy(event) }
        guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_DR else { return }
        var reports: [UInt64: Result<Delivery, LogError>] = [:]
        while let message = rd_kafka_event_message_next(event) {
            let id = UInt64(UInt(bitPattern: message.pointee._private)) - 1
            if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                reports[id] = .success(Delivery(partition: message.pointee.partition, offset: message.pointee.offset))
            } else {
                reports[id] = .failure(LogError("Kafka delivery failed: \(String(cString: rd_kafka_err2str(message.pointee.err)))"))
            }
        }
        handle.lock.withLock { $0.merge(reports) { $1 } }
    }
}

#if canImport(Glibc)
import Glibc
#endif
