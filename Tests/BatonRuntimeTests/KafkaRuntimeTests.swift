import BatonKafka
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import Testing

/// The same runtime and workers on the Kafka-protocol test broker instead of the file log.
@Suite(.serialized)
struct KafkaRuntimeTests {
    @Test(arguments: ["memory", "kafka"])
    func snapshotsOnTheSnapshotsTopicShortenRecovery(_ backend: String) async throws {
        let topics = [Topics.journal: Int32(2), Topics.snapshots: 2]
        let prefix = KafkaBroker.freshTopic("snapshots") + "."
        let log: any Log = backend == "kafka"
            ? try KafkaLog(try KafkaBroker.configuration(), topicPrefix: prefix, topics: topics)
            : MemoryLog(defaultPartitions: 1, topics: topics)
        var options = RuntimeOptions()
        options.snapshotEveryEntries = 10
        let first = try RuntimeHarness(log: log, snapshotsInLog: true, options: options)
        try first.deploy(RuntimeTests.order)
        first.worker.subscribe(topic: "validate-order") { _ in .complete() }
        for index in 0..<12 { try first.start("order-process", correlationId: "order-\(index)") }
        // Until every order has started (an idle round on Kafka may come before the commands).
        try await first.settle { first.activeInstances == 12 }
        try await first.settle(rounds: 400)
        for processor in first.processors { try processor.snapshotNow() }
        let stored = try (0..<Int32(2)).map { try readAll(log, TopicPartition(Topics.snapshots, $0)).count }
        #expect(stored.allSatisfy { $0 > 0 }, "snapshots written per partition: \(stored)")
        // A garbage entry as the newest snapshot: recovery falls back to the one before.
        try log.append([Array("not a snapshot".utf8)], to: TopicPartition(Topics.snapshots, 0))
        let warnings = WarningSink()
        let loaded = LogSnapshotStore(log: log, partition: 0).loadNewest(processes: first.processors[0].catalog.registry) { warnings.add($0) }
        #expect(loaded?.state == first.processors[0].engine.state)
        #expect((loaded?.cursor ?? 0) > 0)
        #expect(warnings.all.count == 1 && warnings.all[0].contains("unusable"))
        let second = try RuntimeHarness(log: log, snapshotsInLog: true, options: options)
        #expect(second.processors.map(\.engine.state) == first.processors.map(\.engine.state))
    }

    @Test func ordersCompleteOnKafka() async throws {
        let log = try KafkaLog(try KafkaBroker.configuration(), topicPrefix: KafkaBroker.freshTopic("runtime") + ".", topics: [Topics.journal: 3])
        let harness = try RuntimeHarness(log: log)
        try harness.deploy(RuntimeTests.order)
        RuntimeTests().subscribeOrderWorkers(harness.worker, declined: ["order-4"])
        for index in 0..<20 {
            try harness.start("order-process", correlationId: "order-\(index)", variables: ["order": .object(["total": .number(Double(index * 100))])])
        }
        // Until done: a round on Kafka acts on what has arrived, and nothing may have
        // arrived yet when a round finds nothing to do.
        try await harness.settle { harness.activeInstances == 0 }
        #expect(harness.activeInstances == 0)
        let events = try harness.journalEvents()
        #expect(events.filter { $0.intent == .instanceCompleted }.count == 20)
        // Commands on the journal carry their correlationId as the Kafka key.
        let reader = try KafkaPartitionReader(try KafkaBroker.configuration())
        var keyed = 0
        for partition in Int32(0)..<3 {
            for (key, entry) in try reader.read(TopicPartition(log.physical(Topics.journal), partition), from: 0) {
                guard case .command(let command) = try JournalEntry.decode(entry, partition: partition) else { continue }
                #expect(String(decoding: key, as: UTF8.self) == command.key)
                keyed += 1
            }
        }
        #expect(keyed >= 20 * 6)
        // A replica that starts now rebuilds the same (empty) state from the topics alone.
        let replica = try RuntimeHarness(log: try KafkaLog(try KafkaBroker.configuration(), topicPrefix: log.topicPrefix))
        #expect(replica.processors.map(\.engine.state) == harness.processors.map(\.engine.state))
    }
}

/// Engine replicas as one consumer group on a 12-partition journal: one is killed with
/// SIGKILL mid-run; the other takes its partitions over.
@Suite(.serialized)
struct KafkaReplicaTests {
    @Test func twoEnginesOneKilledEveryOrderCompletesOnce() throws {
        try #require(TestFiles.exists(CrashTests.binary), "\(CrashTests.binary) is missing: build with 'swift build --build-tests'")
        let configuration = try KafkaBroker.configuration()
        let address = try #require(KafkaBroker.address)
        let prefix = KafkaBroker.freshTopic("replicas") + "."
        print("replicas: prefix \(prefix)")
        let log = try KafkaLog(configuration, topicPrefix: prefix, topics: [Topics.journal: 12])
        #expect(try log.partitionCount(of: Topics.journal) == 12)
        _ = try DeploymentCatalog.deploy(try POSIX.readFile(RuntimeTests.order), fileName: "order-process.bpmn", to: log)
        let common = ["--kafka", address, "--topic-prefix", prefix]
        let first = try ChildProcess.spawn(CrashTests.binary, ["engine"] + common)
        let second = try ChildProcess.spawn(CrashTests.binary, ["engine"] + common)
        let worker = try ChildProcess.spawn(CrashTests.binary, ["worker", "--demo", "--no-payment-failures"] + common)
        defer {
            for child in [first, second, worker] { child.kill(SIGKILL); _ = child.wait() }
        }
        let orders = Self.orders
        let writer = CommandWriter(log: log)
        func start(_ indexes: Range<Int>) throws {
            var byPartition: [Int32: [Record]] = [:]
            for index in indexes {
                let id = "replica-\(index)"
                byPartition[try writer.partition(of: id), default: []].append(.command(
                    .createInstance, key: id,
                    value: .instance(InstanceRecord(processId: "order-process", processVersion: 1, variables: ["order": .object(["total": .number(Double(index % 1500))])])),
                    timestamp: 1))
            }
            for (partition, commands) in byPartition { try writer.append(commands, partition: partition) }
        }
        // Half the orders first; once both engines are going, one is killed, and only then
        // the other half is started, so the kill lands mid-run however fast the engines are.
        try start(0..<orders / 2)
        var completed = 0
        let begin = WallClockMilliseconds.now()
        while completed < orders / 5, WallClockMilliseconds.now() - begin < 120_000 {
            usleep(50_000)
            completed = try CrashTests.completedOrders(in: log)
        }
        first.kill(SIGKILL)
        print("replicas: killed one engine with \(completed) of \(orders) orders completed")
        try start(orders / 2..<orders)
        while completed < orders, WallClockMilliseconds.now() - begin < 180_000 + Int64(orders) * 100 {
            usleep(500_000)
            completed = try CrashTests.completedOrders(in: log)
        }
        #expect(completed == orders)
        try CrashTests.checkExactlyOnce(in: log, orders: orders, prefix: "replica-")
        second.kill(SIGTERM)
        #expect(second.wait() == 0)
    }

    static var orders: Int { getenv("BATON_REPLICA_ORDERS").flatMap { Int(String(cString: $0)) } ?? 2000 }
}

#if canImport(Glibc)
import Glibc
#endif

/// A zombie: two replicas stepping the same partition (one kept running through a
/// rebalance). Both write steps; the fold ignores the duplicates, and both end in the same
/// state as a replica that only reads.
struct ZombieReplicaTests {
    @Test(arguments: ["memory", "kafka"])
    func twoProcessorsOnOnePartitionOnlyWriteDuplicates(_ backend: String) async throws {
        let log: any Log = backend == "kafka"
            ? try KafkaLog(try KafkaBroker.configuration(), topicPrefix: KafkaBroker.freshTopic("zombie") + ".", topics: [Topics.journal: 1])
            : MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        let harness = try RuntimeHarness(log: log)
        try harness.deploy(RuntimeTests.order)
        RuntimeTests().subscribeOrderWorkers(harness.worker)
        let clock = harness.clock
        // The zombie sees the journal as it was a moment ago: it answers commands the live
        // replica has already answered, as a replica cut off from its group would.
        let lagging = LaggingLog(log)
        let zombie = PartitionProcessor(partition: 0, log: lagging, snapshots: nil, clock: { clock.now() })
        try zombie.recover()
        for index in 0..<10 { try harness.start("order-process", correlationId: "order-\(index)") }
        for _ in 0..<300 {
            try lagging.freeze()
            var moved = try harness.processors[0].poll()
            moved += try zombie.poll()
            moved += try await harness.worker.poll()
            if moved == 0 && harness.activeInstances == 0 { break }
        }
        #expect(harness.activeInstances == 0)
        let fold = PartitionProcessor(partition: 0, log: log, snapshots: nil, clock: { 0 })
        try fold.rebuild()
        #expect(fold.engine.state == harness.processors[0].engine.state)
        #expect(zombie.engine.state == fold.engine.state)
        #expect(zombie.stepsWritten > 0, "the zombie wrote steps too")
        let completions = try harness.journalEvents().filter { $0.intent == .instanceCompleted }.map(\.key)
        #expect(Set(completions).count == 10)
        try CrashTests.checkExactlyOnce(in: log, orders: 10, prefix: "order-")
    }
}

/// A view of a log whose reads stop at the end it had when last frozen; appends go through.
final class LaggingLog: Log, @unchecked Sendable {
    let inner: any Log
    private var frozenEnds: [TopicPartition: Int64] = [:]

    init(_ inner: any Log) { self.inner = inner }

    func freeze() throws {
        frozenEnds = [:]
        for partition in try 0..<inner.partitionCount(of: Topics.journal) {
            let journal = TopicPartition(Topics.journal, partition)
            frozenEnds[journal] = try inner.endPosition(of: journal)
        }
    }

    func partitionCount(of topic: String) throws(LogError) -> Int32 { try inner.partitionCount(of: topic) }
    func append(_ entries: [[UInt8]], to partition: TopicPartition) throws(LogError) -> Int64 { try inner.append(entries, to: partition) }
    func read(_ partition: TopicPartition, from position: Int64, limit: Int) throws(LogError) -> [LogEntry] {
        let entries = try inner.read(partition, from: position, limit: limit)
        guard let end = frozenEnds[partition] else { return entries }
        return entries.filter { $0.position < end }
    }
    func endPosition(of partition: TopicPartition) throws(LogError) -> Int64 { try inner.endPosition(of: partition) }
    func committedPosition(group: String, partition: TopicPartition) throws(LogError) -> Int64? { try inner.committedPosition(group: group, partition: partition) }
    func commit(group: String, partition: TopicPartition, position: Int64) throws(LogError) { try inner.commit(group: group, partition: partition, position: position) }
}

/// Workers of a task topic form one consumer group: a worker killed while it holds tasks
/// hands them over, and each task is completed once.
@Suite(.serialized)
struct KafkaWorkerGroupTests {
    @Test func aWorkerKilledMidTaskHandsItsTasksToTheGroup() throws {
        try #require(TestFiles.exists(CrashTests.binary), "\(CrashTests.binary) is missing: build with 'swift build --build-tests'")
        let address = try #require(KafkaBroker.address, "BATON_KAFKA is not set: run 'make test', which starts the test broker")
        let prefix = KafkaBroker.freshTopic("workers") + "."
        let log = try KafkaLog(try KafkaBroker.configuration(), topicPrefix: prefix, topics: [Topics.journal: 4])
        _ = try DeploymentCatalog.deploy(try POSIX.readFile(RuntimeTests.order), fileName: "order-process.bpmn", to: log)
        let common = ["--kafka", address, "--topic-prefix", prefix]
        let engine = try ChildProcess.spawn(CrashTests.binary, ["run"] + common)
        let workerArguments = ["worker", "--demo", "--no-payment-failures", "--task-delay-ms", "400"] + common
        let first = try ChildProcess.spawn(CrashTests.binary, workerArguments)
        let second = try ChildProcess.spawn(CrashTests.binary, workerArguments)
        defer { for child in [engine, first, second] { child.kill(SIGKILL); _ = child.wait() } }
        let orders = 40
        let writer = CommandWriter(log: log)
        for index in 0..<orders {
            try writer.append(.command(
                .createInstance, key: "worker-\(index)",
                value: .instance(InstanceRecord(processId: "order-process", processVersion: 1, variables: ["order": .object(["total": .number(10)])])),
                timestamp: 1))
        }
        // Kill the member that is working, while it holds tasks.
        let begin = WallClockMilliseconds.now()
        var workers: [String: Int] = [:]
        while workers.values.reduce(0, +) < 20, WallClockMilliseconds.now() - begin < 60_000 {
            usleep(100_000)
            workers = try Self.completionsByWorker(log)
        }
        let busy = try #require(workers.max { $0.value < $1.value }?.key)
        let victim = busy.hasSuffix("-\(first.pid)") ? first : second
        victim.kill(SIGKILL)
        print("worker group: killed \(busy) after \(workers) task completions")
        var completed = 0
        while completed < orders, WallClockMilliseconds.now() - begin < 120_000 {
            usleep(200_000)
            completed = try CrashTests.completedOrders(in: log)
        }
        #expect(completed == orders)
        try CrashTests.checkExactlyOnce(in: log, orders: orders, prefix: "worker-")
        let after = try Self.completionsByWorker(log)
        #expect(after.count == 2, "both members answered tasks: \(after)")
    }

    static func completionsByWorker(_ log: any Log) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for partition in try 0..<log.partitionCount(of: Topics.journal) {
            for entry in try readAll(log, TopicPartition(Topics.journal, partition)) {
                guard case .step(let step) = try JournalEntry.decode(entry, partition: partition) else { continue }
                for record in step.records where record.intent == .taskCompleted {
                    if case .task(let value) = record.value { counts[value.workerId, default: 0] += 1 }
                }
            }
        }
        return counts
    }
}
