import BatonLog
import BatonModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Workers over a `Log` (the embedded file log, or the in-memory log in tests): task
/// messages come from `baton.task.<topic>` with one consumer group per topic
/// (`baton-workers.<topic>`), answers go to the journal partition the message names.
public final class LogTaskTransport: TaskTransport {
    let log: any Log
    let clock: @Sendable () -> Int64
    /// Positions fetched but not yet acknowledged, per topic partition.
    private let fetched = Mutex<[TopicPartition: Int64]>([:])

    /// - Parameter clock: ms since the epoch; the wall clock unless a test drives time.
    public init(log: any Log, clock: @escaping @Sendable () -> Int64 = WallClock.now) {
        self.log = log
        self.clock = clock
    }

    static func group(_ topic: String) -> String { "baton-workers.\(topic)" }

    public func fetch(topic: String, limit: Int) throws -> [TaskMessage] {
        let name = Topics.tasks(topic)
        var messages: [TaskMessage] = []
        for partition in try 0..<log.partitionCount(of: name) where messages.count < limit {
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
