internal import CRdKafka
import BatonLog
import BatonModel
import Synchronization

/// Workers on Kafka: each task topic is consumed by one consumer group
/// (`baton-workers.<topic>`), so the members of a group share its partitions and a member
/// that dies hands its tasks to the others (from the last committed offset). Answers are
/// commands on the journal, through `KafkaLog`.
///
/// Blocking: call off Swift's cooperative thread pool.
public final class KafkaTaskTransport: @unchecked Sendable {
    let log: KafkaLog
    let clock: @Sendable () -> Int64
    private let consumers = Mutex<[String: Consumer]>([:])

    /// A group member for one task topic, with the offsets fetched but not yet committed
    /// (behind a lock: commits run on another thread than the fetches).
    final class Consumer: @unchecked Sendable {
        let handle: OpaquePointer
        let holdings: Holdings

        init(_ configuration: KafkaConfiguration, group: String, topic: String) throws(LogError) {
            let holdings = Holdings()
            self.holdings = holdings
            handle = try configuration.subscribedConsumer(
                group: group, topic: topic,
                settings: [
                    "auto.offset.reset": "earliest", "session.timeout.ms": "2000", "heartbeat.interval.ms": "300",
                    "fetch.wait.max.ms": "20", "topic.metadata.refresh.interval.ms": "1000",
                ],
                prepare: { conf in
                    // Lives as long as the consumer: `holdings` is released after its close,
                    // whose last revocation still calls back.
                    rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(holdings).toOpaque())
                    rd_kafka_conf_set_rebalance_cb(conf, Holdings.rebalanced)
                })
        }

        deinit {
            rd_kafka_consumer_close(handle)
            rd_kafka_destroy(handle)
        }
    }

    public init(log: KafkaLog, clock: @escaping @Sendable () -> Int64) {
        self.log = log
        self.clock = clock
    }

    private func consumer(_ topic: String) throws(LogError) -> Consumer {
        try consumers.withLock { (consumers: inout [String: Consumer]) throws(LogError) -> Consumer in
            if let existing = consumers[topic] { return existing }
            let name = Topics.tasks(topic)
            _ = try log.partitionCount(of: name)  // the topic exists before anyone subscribes
            let created = try Consumer(log.configuration, group: log.topicPrefix + "baton-workers." + topic, topic: log.physical(name))
            consumers[topic] = created
            return created
        }
    }

    /// What a member holds of its task topic: the partitions assigned to it now, the offset
    /// after the last message fetched from each, and per partition taken away the offset it
    /// had fetched up to then. A fetch mark taken before a partition was taken away is at or
    /// below that offset: committed later, it could move the group's offset back behind what
    /// the partition's next holder committed (its tasks then delivered and run again), so
    /// such marks are not committed for that partition.
    final class Holdings: @unchecked Sendable {
        struct State {
            var assigned: Set<Int32> = []
            var fetched: [Int32: Int64] = [:]
            var fetchedWhenRevoked: [Int32: Int64] = [:]
        }
        let state = Mutex(State())

        /// The part of `mark` that may be committed: partitions held now, offsets beyond what
        /// was fetched before each was last taken away.
        func committable(_ mark: [Int32: Int64]) -> [Int32: Int64] {
            state.withLock { state in
                mark.filter { partition, offset in
                    state.assigned.contains(partition) && offset > (state.fetchedWhenRevoked[partition] ?? .min)
                }
            }
        }

        func assigned(_ partitions: [Int32]) {
            state.withLock { $0.assigned.formUnion(partitions) }
        }

        /// Notes `partitions` taken away (nil: every one held).
        func revoked(_ partitions: [Int32]?) {
            state.withLock { state in
                for partition in partitions ?? Array(state.assigned) {
                    state.assigned.remove(partition)
                    if let fetched = state.fetched.removeValue(forKey: partition) {
                        state.fetchedWhenRevoked[partition] = max(fetched, state.fetchedWhenRevoked[partition] ?? .min)
                    }
                }
            }
        }

        /// librdkafka's rebalance callback (on the polling thread, inside
        /// `rd_kafka_consumer_poll`): notes what is assigned and revoked, then applies it, as
        /// eager and cooperative assignment each require.
        static let rebalanced: @convention(c) (
            OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
        ) -> Void = { handle, error, list, opaque in
            guard let handle else { return }
            let partitions = list?.partitionNumbers ?? []
            let holdings = opaque.map { Unmanaged<Holdings>.fromOpaque($0).takeUnretainedValue() }
            let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
            switch error {
            case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
                holdings?.assigned(partitions)
                if cooperative {
                    rd_kafka_error_destroy(rd_kafka_incremental_assign(handle, list))
                } else {
                    rd_kafka_assign(handle, list)
                }
            default:  // __REVOKE_PARTITIONS, or an error: nothing held any more
                holdings?.revoked(error == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS ? partitions : nil)
                if cooperative {
                    rd_kafka_error_destroy(rd_kafka_incremental_unassign(handle, list))
                } else {
                    rd_kafka_assign(handle, nil)
                }
            }
        }
    }

    /// Up to `limit` task messages this member holds, polling briefly.
    public func fetch(topic: String, limit: Int) throws -> [TaskMessage] {
        let member = try consumer(topic)
        var messages: [TaskMessage] = []
        var waited = 0
        while messages.count < limit, waited < 3 {
            guard let message = rd_kafka_consumer_poll(member.handle, messages.isEmpty ? 5 : 0) else {
                waited += 1
                continue
            }
            defer { rd_kafka_message_destroy(message) }
            guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            member.holdings.state.withLock { $0.fetched[message.pointee.partition] = message.pointee.offset + 1 }
            let payload = message.pointee.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: message.pointee.len)) } ?? []
            // A malformed message cannot be answered; it is skipped (and committed past).
            guard let task = try? TaskMessage(jsonBytes: payload) else { continue }
            messages.append(task)
        }
        return messages
    }

    /// Commits what was fetched for `topic`: those tasks are answered.
    public func acknowledge(topic: String) throws {
        let member = try consumer(topic)
        try acknowledge(topic: topic, through: member.holdings.state.withLock { $0.fetched })
    }

    /// Where fetching `topic` has got to, per partition.
    public func fetchMark(topic: String) -> [Int32: Int64] {
        (try? consumer(topic).holdings.state.withLock { $0.fetched }) ?? [:]
    }

    /// Commits the offsets of `mark`: the tasks fetched up to there are answered. Partitions
    /// taken away since the mark was taken are left out (`Holdings`).
    public func acknowledge(topic: String, through fullMark: [Int32: Int64]) throws {
        let member = try consumer(topic)
        let mark = member.holdings.committable(fullMark)
        guard !mark.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(mark.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let physical = log.physical(Topics.tasks(topic))
        for (partition, offset) in mark { rd_kafka_topic_partition_list_add(list, physical, partition).pointee.offset = offset }
        let result = rd_kafka_commit(member.handle, list, 0)
        // A rebalance took partitions away mid-round: their new holder reads them from the
        // last committed offset, and the engine rejects the answers it then gets twice. A
        // coordinator that is loading, moving or slow to answer (a broker starting, a group
        // forming under load) loses nothing either: the next commit covers these offsets,
        // and until then a restart only delivers answered tasks again. Neither stops the
        // worker.
        let passing: Set<rd_kafka_resp_err_t> = [
            RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
            RD_KAFKA_RESP_ERR__NO_OFFSET, RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST,
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT,
            RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__WAIT_COORD,
        ]
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR || passing.contains(result) else {
            throw LogError("committing task offsets of \(physical): \(String(cString: rd_kafka_err2str(result)))")
        }
    }

    /// Leaves every task topic's group (closing its consumers), so the other members take
    /// its partitions over at once instead of after the session timeout.
    public func leave() {
        consumers.withLock { $0 = [:] }
    }

    public func send(_ commands: [Record], partition: Int32) throws {
        guard !commands.isEmpty else { return }
        try log.append(commands.map(RecordCodec.encode), keys: commands.map(\.key), to: TopicPartition(Topics.journal, partition))
    }

    public func now() -> Int64 { clock() }
}
