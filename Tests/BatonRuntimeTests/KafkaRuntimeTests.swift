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
    @Test func ordersCompleteOnKafka() async throws {
        let log = try KafkaLog(try KafkaBroker.configuration(), topicPrefix: KafkaBroker.freshTopic("runtime") + ".", topics: [Topics.journal: 3])
        let harness = try RuntimeHarness(log: log)
        try harness.deploy(RuntimeTests.order)
        RuntimeTests().subscribeOrderWorkers(harness.worker, declined: ["order-4"])
        for index in 0..<20 {
            try harness.start("order-process", correlationId: "order-\(index)", variables: ["order": .object(["total": .number(Double(index * 100))])])
        }
        try await harness.settle(rounds: 400)
        #expect(harness.activeInstances == 0)
        let events = try harness.journalEvents()
        #expect(events.filter { $0.intent == .instanceCompleted }.count == 20)
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
        #expect(log.partitionCount(of: Topics.journal) == 12)
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
        var byPartition: [Int32: [Record]] = [:]
        for index in 0..<orders {
            let id = "replica-\(index)"
            byPartition[writer.partition(of: id), default: []].append(.command(
                .createInstance, key: id,
                value: .instance(InstanceRecord(processId: "order-process", processVersion: 1, variables: ["order": .object(["total": .number(Double(index % 1500))])])),
                timestamp: 1))
        }
        for (partition, commands) in byPartition { try writer.append(commands, partition: partition) }
        // Let both engines get going, then kill one in the middle of the run.
        var completed = 0
        let begin = WallClockMilliseconds.now()
        while completed < orders / 4, WallClockMilliseconds.now() - begin < 120_000 {
            usleep(250_000)
            completed = try CrashTests.completedOrders(in: log)
        }
        first.kill(SIGKILL)
        print("replicas: killed one engine with \(completed) of \(orders) orders completed")
        while completed < orders, WallClockMilliseconds.now() - begin < 180_000 + Int64(orders) * 100 {
            usleep(500_000)
            completed = try CrashTests.completedOrders(in: log)
        }
        #expect(completed == orders)
        try CrashTests.checkExactlyOnce(in: log, orders: orders, prefix: "replica-")
        second.kill(SIGTERM)
        #expect(second.wait() == 0)
    }

    /// 300 by default: on the test broker the Kafka path runs at tens of orders per second
    /// so far; BATON_REPLICA_ORDERS=2000 runs the full-size case.
    static var orders: Int { getenv("BATON_REPLICA_ORDERS").flatMap { Int(String(cString: $0)) } ?? 300 }
}

#if canImport(Glibc)
import Glibc
#endif
