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
    let commitInterval: Int64
    /// Per topic, its own state behind its own locks: the fetch loop of one topic never
    /// waits for another's (with one lock for every topic, six topics' loops met there
    /// thousands of times a second).
    private let topics = ReadMostly<[String: TopicState]>([:])

    /// What this worker knows of one topic, per partition of its task topic: positions
    /// fetched but not yet acknowledged; answered and not yet committed; committed last;
    /// and when the last commit was. Commits (an fsync each on the file log) happen at most
    /// every `commitInterval` ms, and before a partition is given back or the worker
    /// leaves. A worker that dies in between leaves answered tasks to be fetched again by
    /// the next holder; the engine rejects the second answers.
    final class TopicState: Sendable {
        let name: String
        let fetched = Mutex<[Int32: Int64]>([:])
        let answered = Mutex<[Int32: Int64]>([:])
        let committed = Mutex<[Int32: Int64]>([:])
        let lastCommit = Mutex<Int64?>(nil)
        /// The log's append mark of the topic taken before the last read
        /// (`waitForTasks` waits for an append after it).
        let appendMark = Atomic<UInt64>(0)
        /// This worker's membership in the topic's group, where the log shares partitions.
        let member = Mutex<(any GroupMember)?>(nil)

        init(name: String) { self.name = name }
    }

    /// - Parameters:
    ///   - clock: ms since the epoch; the wall clock unless a test drives time.
    ///   - commitInterval: ms between commits of answered positions (0: every round).
    public init(log: any Log, clock: @escaping @Sendable () -> Int64 = WallClock.now, commitInterval: Int64 = 500) {
        self.log = log
        self.clock = clock
        self.commitInterval = commitInterval
    }

    static func group(_ topic: String) -> String { TaskTopicLag.group(topic) }

    func state(_ topic: String) -> TopicState {
        if let known = topics.read({ $0[topic] }) { return known }
        return topics.write { topics in
            if let raced = topics[topic] { return raced }
            let state = TopicState(name: Topics.tasks(topic))
            topics[topic] = state
            return state
        }
    }

    public func fetch(topic: String, limit: Int) throws -> [TaskMessage] {
        let state = state(topic)
        let held = try partitions(of: topic)
        let known = state.fetched.withLock { $0 }
        var found: [Int32: Int64] = [:]
        for partition in held where known[partition] == nil {
            // Read from disk once per partition held, not on every fetch: where reading
            // starts is remembered even when nothing is there yet, and counts as committed
            // (nothing before it is this worker's to commit).
            found[partition] = try log.committedPosition(group: Self.group(topic), partition: TopicPartition(state.name, partition)) ?? 0
        }
        if !found.isEmpty {
            state.committed.withLock { $0.merge(found) { current, _ in current } }
            state.fetched.withLock { $0.merge(found) { current, _ in current } }
        }
        return try read(state, held, limit: limit)
    }

    /// `fetch` from a cooperative thread, on a log whose reads never wait (the file log's
    /// page cache, memory), once this worker holds its partitions and knows where each one's
    /// reading starts; nil while the group's membership or a committed position needs the
    /// disk (then `fetch` on a blocking thread). Saves the two thread switches a hop to a
    /// blocking thread costs on every poll.
    public func fetchWithoutWaiting(topic: String, limit: Int) throws -> [TaskMessage]? {
        guard log is any LocalReads else { return nil }
        let state = state(topic)
        let held: [Int32]
        if log is any PartitionSharing {
            guard let member = state.member.withLock({ $0 }), let settled = member.settledPartitions() else { return nil }
            held = settled
        } else {
            held = Array(try 0..<log.partitionCount(of: state.name))
        }
        let known = state.fetched.withLock { $0 }
        guard held.allSatisfy({ known[$0] != nil }) else { return nil }
        return try read(state, held, limit: limit)
    }

    /// Up to `limit` messages of the `held` partitions, each read on from where this worker
    /// got to (every held partition has a fetched position).
    private func read(_ state: TopicState, _ held: [Int32], limit: Int) throws -> [TaskMessage] {
        state.appendMark.store(log.appendMark(of: state.name), ordering: .relaxed)
        let positions = state.fetched.withLock { $0 }
        var messages: [TaskMessage] = []
        var advanced: [Int32: Int64] = [:]
        for partition in held where messages.count < limit {
            guard let start = positions[partition] else { continue }
            let entries = try log.read(TopicPartition(state.name, partition), from: start, limit: limit - messages.count)
            guard let last = entries.last else { continue }
            advanced[partition] = last.position + 1
            for entry in entries {
                // A malformed message cannot be answered; it is skipped (and acknowledged).
                guard let message = try? TaskMessage(jsonBytes: entry.payload) else { continue }
                messages.append(message)
            }
        }
        // One lock per fetch, not one per partition (only this topic's fetch loop moves them).
        if !advanced.isEmpty { state.fetched.withLock { $0.merge(advanced) { $1 } } }
        return messages
    }

    /// The partitions of `topic` this worker reads: its share where the log divides them
    /// among the group (called between rounds, when everything fetched is acknowledged, so
    /// a partition given back is read on from its committed position), else all of them.
    func partitions(of topic: String) throws -> [Int32] {
        let state = state(topic)
        guard let sharing = log as? any PartitionSharing else { return Array(try 0..<log.partitionCount(of: state.name)) }
        let member = try state.member.withLock { (member: inout (any GroupMember)?) throws(LogError) -> any GroupMember in
            if let member { return member }
            let joined = try sharing.join(group: Self.group(topic), topic: state.name)
            member = joined
            return joined
        }
        let held = try member.partitions { (released) throws(LogError) in
            try commitAnswered(topic: topic, partitions: Set(released))
        }
        state.fetched.withLock { positions in
            for partition in positions.keys where !held.contains(partition) { positions[partition] = nil }
        }
        return held
    }

    /// Commits what was answered, then gives this worker's partitions back to the other
    /// members of each group.
    public func leave() {
        for (topic, state) in topics.read({ $0 }) {
            guard let member = state.member.withLock({ $0 }) else { continue }
            try? commitAnswered(topic: topic)
            member.leave()
        }
    }

    /// Marks what was fetched for `topic` as answered; commits when `commitInterval` has
    /// passed since the last commit.
    public func acknowledge(topic: String) throws {
        let state = state(topic)
        let positions = state.fetched.withLock { $0 }
        let last = state.committed.withLock { $0 }
        state.answered.withLock { answered in
            for (partition, position) in positions where last[partition] != position { answered[partition] = position }
        }
        if claimCommit(state) { try commitAnswered(topic: topic) }
    }

    /// Wakes at once when one of the topics gets an append after the last fetch of it read
    /// it. Where the log hears of every append (the file log: this process's, and other
    /// processes' by watching the files) it waits up to `atMost`, else `poll`.
    public func waitForTasks(topics: [String], atMost: UInt64, poll: UInt64) async {
        var marks: [String: UInt64] = [:]
        for topic in topics {
            let state = state(topic)
            marks[state.name] = state.appendMark.load(ordering: .relaxed)
        }
        let heard = marks.keys.allSatisfy { log.hearsEveryAppend(to: $0) }
        await log.waitForAppend(since: marks, milliseconds: heard ? atMost : poll)
    }

    public func fetchMark(topic: String) -> [Int32: Int64] {
        state(topic).fetched.withLock { $0 }
    }

    /// Marks the positions of `mark` answered, for the partitions this worker still reads
    /// (a partition given back meanwhile is its next holder's to commit); commits when
    /// `commitInterval` has passed since the last commit.
    public func acknowledge(topic: String, through mark: [Int32: Int64]) throws {
        _ = markAnswered(topic: topic, through: mark)
        if claimCommit(state(topic)) { try commitAnswered(topic: topic) }
    }

    /// Marks the positions of `mark` answered (as `acknowledge(topic:through:)`, in memory
    /// only); true when `commitInterval` has passed since the last commit.
    public func markAnswered(topic: String, through mark: [Int32: Int64]) -> Bool {
        let state = state(topic)
        let held = state.fetched.withLock { Set($0.keys) }
        let last = state.committed.withLock { $0 }
        state.answered.withLock { answered in
            for (partition, position) in mark where held.contains(partition) {
                if position > (last[partition] ?? .min), position > (answered[partition] ?? .min) { answered[partition] = position }
            }
        }
        return commitDue(state, claim: false)
    }

    /// Whether `commitInterval` has passed since the last commit of the topic; if so, the
    /// caller commits and the interval starts again now, so that callers arriving together
    /// do not all commit (each commit is fsyncs, one at a time per process).
    private func claimCommit(_ state: TopicState) -> Bool { commitDue(state, claim: true) }

    private func commitDue(_ state: TopicState, claim: Bool) -> Bool {
        let now = MonotonicClock.milliseconds()
        return state.lastCommit.withLock { last in
            guard now - (last ?? .min / 2) >= commitInterval else { return false }
            if claim { last = now }
            return true
        }
    }

    /// Commits the answered positions of `topic` (of the given partitions only, or all).
    func commitAnswered(topic: String, partitions: Set<Int32>? = nil) throws(LogError) {
        let state = state(topic)
        let due = state.answered.withLock { answered in
            let due = answered.filter { partitions?.contains($0.key) ?? true }
            for partition in due.keys { answered[partition] = nil }
            return due
        }
        for (partition, position) in due.sorted(by: { $0.key < $1.key }) {
            try log.commit(group: Self.group(topic), partition: TopicPartition(state.name, partition), position: position)
            state.committed.withLock { $0[partition] = position }
        }
        state.lastCommit.withLock { $0 = MonotonicClock.milliseconds() }
    }

    public func send(_ commands: [Record], partition: Int32) throws {
        guard !commands.isEmpty else { return }
        try log.append(commands.map(RecordCodec.encode), keys: commands.map(\.key), to: TopicPartition(Topics.journal, partition))
    }

    public func now() -> Int64 { clock() }
}

