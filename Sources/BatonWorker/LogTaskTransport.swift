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
    /// Positions answered and not yet committed, what was committed last, and when, per
    /// topic: commits (an fsync each on the file log) happen at most every
    /// `commitInterval` ms, and before a partition is given back or the worker leaves. A
    /// worker that dies in between leaves answered tasks to be fetched again by the next
    /// holder; the engine rejects the second answers.
    private let answered = Mutex<[TopicPartition: Int64]>([:])
    private let committed = Mutex<[TopicPartition: Int64]>([:])
    private let lastCommit = Mutex<[String: Int64]>([:])
    let commitInterval: Int64

    /// - Parameters:
    ///   - clock: ms since the epoch; the wall clock unless a test drives time.
    ///   - commitInterval: ms between commits of answered positions (0: every round).
    public init(log: any Log, clock: @escaping @Sendable () -> Int64 = WallClock.now, commitInterval: Int64 = 500) {
        self.log = log
        self.clock = clock
        self.commitInterval = commitInterval
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
        let held = try member.partitions { (released) throws(LogError) in
            try commitAnswered(topic: topic, partitions: Set(released))
        }
        fetched.withLock { positions in
            for target in positions.keys where target.topic == name && !held.contains(target.partition) {
                positions[target] = nil
            }
        }
        return held
    }

    /// Commits what was answered, then gives this worker's partitions back to the other
    /// members of each group.
    public func leave() {
        for (topic, member) in members.withLock({ $0 }) {
            try? commitAnswered(topic: topic)
            member.leave()
        }
    }

    /// Marks what was fetched for `topic` as answered; commits when `commitInterval` has
    /// passed since the last commit.
    public func acknowledge(topic: String) throws {
        let name = Topics.tasks(topic)
        let positions = fetched.withLock { $0.filter { $0.key.topic == name } }
        let last = committed.withLock { $0 }
        answered.withLock { answered in
            for (target, position) in positions where last[target] != position { answered[target] = position }
        }
        if claimCommit(topic: topic) { try commitAnswered(topic: topic) }
    }

    public func fetchMark(topic: String) -> [Int32: Int64] {
        let name = Topics.tasks(topic)
        return fetched.withLock { positions in
            var mark: [Int32: Int64] = [:]
            for (target, position) in positions where target.topic == name { mark[target.partition] = position }
            return mark
        }
    }

    /// Marks the positions of `mark` answered, for the partitions this worker still reads
    /// (a partition given back meanwhile is its next holder's to commit); commits when
    /// `commitInterval` has passed since the last commit.
    public func acknowledge(topic: String, through mark: [Int32: Int64]) throws {
        let name = Topics.tasks(topic)
        let held = fetched.withLock { Set($0.keys.filter { $0.topic == name }.map(\.partition)) }
        let last = committed.withLock { $0 }
        answered.withLock { answered in
            for (partition, position) in mark where held.contains(partition) {
                let target = TopicPartition(name, partition)
                if position > (last[target] ?? .min), position > (answered[target] ?? .min) { answered[target] = position }
            }
        }
        if claimCommit(topic: topic) { try commitAnswered(topic: topic) }
    }

    /// Whether `commitInterval` has passed since the last commit of `topic`; if so, the
    /// caller commits and the interval starts again now, so that callers arriving together
    /// do not all commit (each commit is fsyncs, one at a time per process).
    private func claimCommit(topic: String) -> Bool {
        let now = Self.monotonicMilliseconds()
        return lastCommit.withLock { last in
            guard now - (last[topic] ?? .min / 2) >= commitInterval else { return false }
            last[topic] = now
            return true
        }
    }

    /// Commits the answered positions of `topic` (of the given partitions only, or all).
    func commitAnswered(topic: String, partitions: Set<Int32>? = nil) throws(LogError) {
        let name = Topics.tasks(topic)
        let due = answered.withLock { answered in
            let due = answered.filter { $0.key.topic == name && (partitions?.contains($0.key.partition) ?? true) }
            for target in due.keys { answered[target] = nil }
            return due
        }
        for (target, position) in due.sorted(by: { $0.key.partition < $1.key.partition }) {
            try log.commit(group: Self.group(topic), partition: target, position: position)
            committed.withLock { $0[target] = position }
        }
        lastCommit.withLock { $0[topic] = Self.monotonicMilliseconds() }
    }

    static func monotonicMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }

    public func send(_ commands: [Record], partition: Int32) throws {
        guard !commands.isEmpty else { return }
        try log.append(commands.map(RecordCodec.encode), keys: commands.map(\.key), to: TopicPartition(Topics.journal, partition))
    }

    public func now() -> Int64 { clock() }
}

