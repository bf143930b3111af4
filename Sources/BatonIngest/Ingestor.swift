import BatonLog
import BatonModel
import BatonRuntime
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The source partitions an ingest process holds: its share of a consumer group.
public protocol SourceOwnership: AnyObject, Sendable {
    /// The partitions held now; `release` is called with partitions about to be given
    /// back (after what was read from them is committed, their next holder reads on).
    func partitions(release: ([Int32]) throws -> Void) throws -> [Int32]
    func leave()
}

/// Ownership through a log that divides partitions among a group itself (the file log).
public final class GroupOwnership: SourceOwnership {
    private let member: any GroupMember

    public init(log: any PartitionSharing, group: String, topic: String) throws {
        member = try log.join(group: group, topic: topic)
    }

    public func partitions(release: ([Int32]) throws -> Void) throws -> [Int32] {
        try member.partitions { (released) throws(LogError) in
            do { try release(released) } catch let error as LogError { throw error } catch { throw LogError("\(error)") }
        }
    }

    public func leave() { member.leave() }
}

/// `baton ingest`: reads a source topic as a member of the group `baton-ingest.<topic>`,
/// turns each event into an `ingestEvent` command by the rules (or a dead letter), appends
/// the commands to the journal partition of their correlation id, and commits the source
/// offset only after those appends are durable. A redelivery after a crash appends the
/// same events again; the engine applies each source offset once (DESIGN.md §6).
public final class Ingestor: Sendable {
    public let rules: IngestRules
    public let group: String
    private let log: any Log
    private let ownership: any SourceOwnership
    private let clock: @Sendable () -> Int64
    private let state = Mutex(State())
    private let stopping = Atomic<Bool>(false)

    private struct State {
        var next: [Int32: Int64] = [:]
        var catalog = DeploymentCatalog()
        var statistics = Statistics()
    }

    /// What this process has done so far.
    public struct Statistics: Sendable, Hashable {
        public var events = 0
        public var commands = 0
        public var deadLetters = 0
        public var rounds = 0
    }

    public static func group(for topic: String) -> String { "baton-ingest.\(topic)" }

    public init(log: any Log, rules: IngestRules, ownership: any SourceOwnership, clock: @escaping @Sendable () -> Int64) {
        self.log = log
        self.rules = rules
        self.ownership = ownership
        self.clock = clock
        group = Self.group(for: rules.source)
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// One round over the held partitions; returns how many events it handled.
    public func round(limit: Int = 1_000) throws -> Int {
        let source = rules.source
        let held = try ownership.partitions { released in
            // What was read from them is committed already (every round commits).
            self.state.withLock { state in for partition in released { state.next[partition] = nil } }
        }
        let journalPartitions = try log.partitionCount(of: Topics.journal)
        var handled = 0
        for partition in held {
            let target = TopicPartition(source, partition)
            let start = try state.withLock { $0.next[partition] } ?? log.committedPosition(group: group, partition: target) ?? 0
            // What has arrived (a round follows within milliseconds): on Kafka a read to the
            // partition's end waits a fetch round trip.
            let entries = try log.readArrived(target, from: start, limit: limit)
            guard let last = entries.last else { continue }
            let deployed = try deployedVersions()
            var commands: [Int32: (entries: [[UInt8]], keys: [String])] = [:]
            var letters: [[UInt8]] = []
            let now = clock()
            for entry in entries {
                switch rules.decide(entry, partition: partition, deployed: deployed, now: now) {
                case .command(let command):
                    let journal = Murmur2.partition(forKey: command.key, partitions: journalPartitions)
                    commands[journal, default: ([], [])].entries.append(RecordCodec.encode(command))
                    commands[journal, default: ([], [])].keys.append(command.key)
                case .deadLetter(let reason, let key):
                    letters.append(DeadLetter(
                        reason: reason, sourceTopic: source, sourcePartition: partition, sourcePosition: entry.position, key: key,
                        size: Int64(entry.payload.count), payload: entry.payload, time: now
                    ).json.jsonBytes)
                }
            }
            // Durable appends first, then the source offset: a crash in between redelivers,
            // and the engine answers the redelivered offsets as duplicates.
            for (journal, batch) in commands.sorted(by: { $0.key < $1.key }) {
                _ = try log.append(batch.entries, keys: batch.keys, to: TopicPartition(Topics.journal, journal))
            }
            if !letters.isEmpty { _ = try log.append(letters, to: TopicPartition(Topics.deadLetter, 0)) }
            try log.commit(group: group, partition: target, position: last.position + 1)
            state.withLock { state in
                state.next[partition] = last.position + 1
                state.statistics.events += entries.count
                state.statistics.commands += commands.values.reduce(0) { $0 + $1.entries.count }
                state.statistics.deadLetters += letters.count
            }
            handled += entries.count
        }
        state.withLock { $0.statistics.rounds += 1 }
        return handled
    }

    /// Events of the held partitions not yet committed.
    public func lag() throws -> Int64 {
        var total: Int64 = 0
        for partition in 0..<(try log.partitionCount(of: rules.source)) {
            let target = TopicPartition(rules.source, partition)
            total += max(0, try log.endPosition(of: target) - (log.committedPosition(group: group, partition: target) ?? 0))
        }
        return total
    }

    /// Rounds until `stop()` (or, with `untilCaughtUp`, until a round finds nothing and the
    /// group's lag is 0), each reading up to `eventsPerRead` events per held partition;
    /// waits `idleMilliseconds` after an empty round. `progress` is called every
    /// `progressMilliseconds`.
    public func run(
        untilCaughtUp: Bool = false, eventsPerRead: Int = 1_000, idleMilliseconds: UInt32 = 20, progressMilliseconds: Int64 = 5_000,
        progress: (Statistics, Int64) -> Void = { _, _ in }
    ) throws {
        var lastProgress = clock()
        defer { ownership.leave() }
        while !stopping.load(ordering: .relaxed) {
            let handled = try round(limit: eventsPerRead)
            if clock() - lastProgress >= progressMilliseconds {
                lastProgress = clock()
                progress(statistics, try lag())
            }
            if handled == 0 {
                if untilCaughtUp, try lag() == 0 { break }
                usleep(idleMilliseconds * 1000)
            }
        }
        progress(statistics, try lag())
    }

    public func stop() { stopping.store(true, ordering: .relaxed) }

    /// The latest version of every process a rule starts, and the deployments position.
    private func deployedVersions() throws -> DeployedVersions {
        try state.withLock { state throws in
            try state.catalog.refresh(from: log)
            var latest: [String: Int32] = [:]
            for process in Set(rules.rules.compactMap(\.start)) {
                if let version = state.catalog.registry.latestVersion(of: process) { latest[process] = version }
            }
            return DeployedVersions(latest: latest, deploymentPosition: state.catalog.position)
        }
    }
}
