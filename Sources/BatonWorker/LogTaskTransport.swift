import BatonLog
import BatonModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Workers over a `Log` (the embedded file log, or the in-memory log in tests): task
/// messages come from `baton.task.<topic>` with one consumer group per topic
/// (`baton-workers.<topic>`), answers go to the journal partition the message names.
///
/// On a log that shares partitions among group members (the file log), each worker reads
/// only the partitions it holds, so several worker processes of one topic divide its work;
/// elsewhere (the in-memory log) one worker reads every partition.
public final class LogTaskTransport: TaskTransport {
    let log: any Log
    let clock: @Sendable () -> Int64
    /// Positions fetched but not yet acknowledged, per topic partition.
    private let fetched = Mutex<[TopicPartition: Int64]>([:])
    /// This worker's membership in each topic's group, where the log shares partitions.
    private let members = Mutex<[String: any GroupMember]>([:])

    /// - Parameter clock: ms since the epoch; the wall clock unless a test drives time.
    public init(log: any Log, clock: @escaping @Sendable () -> Int64 = WallClock.now) {
        self.log = log
        self.clock = clock
    }

    static func group(_ topic: String) -> String { TaskTopicLag.group(topic) }

    public func fetch(topic: String, limit: Int) throws -> [TaskMessage] {
        let name = Topics.tasks(topic)
        var messages: [TaskMessage] = []
        for partition in try partitions(of: topic) where messages.count < limit {
            let target = TopicPartition(name, partition)
            let start = try fetched.withLock { $0[target] } ?? log.committedPosition(group: Self.group(topic), partition: target) ?? 0
            let entries = try log.read(target, from: start, limit: limit - messages.count)
            guard let last = entries.last else { continue }
            fetched.withLock { $0[target] = last.position + 1 }
            for entry in entries {
                // A malformed message cannot be answered; it is skipped (and acknowledged).
                guard let json = try? JSONValue.parse(entry.payload), let message = try? TaskMessage(json: json) else { continue }
                messages.append(message)
            }
        }
        return messages
    }

    /// The partitions of `topic` this worker reads: its share where the log divides them
    /// among the group (called between rounds, when everything fetched is acknowledged, so
    /// a partition given back is read on from its committed position), else all of them.
    func partitions(of topic: String) throws -> [Int32] {
        let name = Topics.tasks(topic)
        guard let sharing = log as? any PartitionSharing else { return Array(try 0..<log.partitionCount(of: name)) }
        let member = try members.withLock { (members: inout [String: any GroupMember]) throws(LogError) -> any GroupMember in
            if let member = members[topic] { return member }
            let member = try sharing.join(group: Self.group(topic), topic: name)
            members[topic] = member
            return member
        }
        let held = try member.partitions()
        fetched.withLock { positions in
            for target in positions.keys where target.topic == name && !held.contains(target.partition) {
                positions[target] = nil
            }
        }
        return held
    }

    /// Gives this worker's partitions back to the other members of each group.
    public func leave() {
        for member in members.withLock({ $0.values }) { member.leave() }
    }

    public func acknowledge(topic: String) throws {
        let name = Topics.tasks(topic)
        let positions = fetched.withLock { $0.filter { $0.key.topic == name } }
        for (target, position) in positions {
            try log.commit(group: Self.group(topic), partition: target, position: position)
        }
    }

    public func send(_ commands: [Record], partition: Int32) throws {
        guard !commands.isEmpty else { return }
        try log.append(commands.map(RecordCodec.encode), keys: commands.map(\.key), to: TopicPartition(Topics.journal, partition))
    }

    public func now() -> Int64 { clock() }
}

/// The system's real-time clock in ms since the epoch: the time commands are stamped with.
public enum WallClock {
    @Sendable public static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}
