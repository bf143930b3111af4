internal import CRdKafka
import BatonLog

/// Membership of a consumer group, for engine replicas: which journal partitions this
/// process owns right now. Rebalances arrive as events on the consumer's queue; the caller
/// polls `changes()` between steps, so a revocation always lands after the step in flight.
///
/// The member never consumes through this handle: assigned partitions are paused (the
/// replica reads them through `KafkaLog`), the handle only keeps the membership alive.
///
/// Blocking: call off Swift's cooperative thread pool; one caller at a time.
public final class KafkaGroupMembership: @unchecked Sendable {
    private let handle: OpaquePointer
    private let queue: OpaquePointer
    public let group: String
    public let topic: String

    public enum Change: Sendable, Hashable {
        case assigned([Int32])
        case revoked([Int32])
    }

    /// Joins `group` subscribed to `topic` (the physical topic name).
    public init(_ configuration: KafkaConfiguration, group: String, topic: String) throws(LogError) {
        handle = try configuration.subscribedConsumer(
            group: group, topic: topic,
            settings: ["session.timeout.ms": "2000", "heartbeat.interval.ms": "300", "partition.assignment.strategy": "range"],
            events: Int32(RD_KAFKA_EVENT_REBALANCE | RD_KAFKA_EVENT_ERROR))
        self.group = group
        self.topic = topic
        queue = rd_kafka_queue_get_consumer(handle)
    }

    deinit {
        rd_kafka_queue_destroy(queue)
        rd_kafka_consumer_close(handle)
        rd_kafka_destroy(handle)
    }

    /// Assignment changes since the last call (waiting at most `timeoutMilliseconds` for
    /// the first one).
    public func changes(timeoutMilliseconds: Int32 = 0) -> [Change] {
        var changes: [Change] = []
        var wait = timeoutMilliseconds
        while let event = rd_kafka_queue_poll(queue, wait) {
            wait = 0
            defer { rd_kafka_event_destroy(event) }
            switch rd_kafka_event_type(event) {
            case RD_KAFKA_EVENT_REBALANCE:
                let list = rd_kafka_event_topic_partition_list(event)
                let partitions = list?.partitionNumbers ?? []
                if rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
                    rd_kafka_assign(handle, list)
                    if let list { rd_kafka_pause_partitions(handle, list) }
                    changes.append(.assigned(partitions.sorted()))
                } else {
                    changes.append(.revoked(partitions.sorted()))
                    rd_kafka_assign(handle, nil)
                }
            default:
                continue
            }
        }
        return changes
    }
}
