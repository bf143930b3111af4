import BatonFileLog
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import BatonWorker
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A message whose correlation key belongs to another journal partition than its instance,
/// on the file log, with the replica killed between the two steps each time: after the
/// instance's step that opens the subscription is durable but before the outbox reaches the
/// key's partition, and after the key's partition correlated the message but before that
/// reached the instance. A `baton run` started afterwards delivers what was left and the
/// instance completes, once.
@Suite(.serialized)
struct CrossPartitionMessageRuntimeTests {
    static let binary = CrashTests.binary

    @Test func aReplicaKilledBetweenTheTwoStepsLosesNothing() throws {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-cross-partition")
        defer { directory.remove() }
        let data = directory.path + "/data"
        let log = try FileLog(directory: data + "/log", topics: [Topics.journal: 4, Topics.events: 4])
        let process = bpmnDocument(
            #"<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>"#
                + #"<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="Shipped"/></bpmn:intermediateCatchEvent>"#
                + #"<bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/><bpmn:endEvent id="e"/>"#,
            declarations: #"<bpmn:message id="Shipped" name="shipped"><bpmn:extensionElements><zeebe:subscription correlationKey="=shipmentId"/></bpmn:extensionElements></bpmn:message>"#)
        let deployed = try DeploymentCatalog.deploy(process, fileName: "p.bpmn", to: log)
        let correlationId = "order-1"
        let instancePartition = Murmur2.partition(forKey: correlationId, partitions: 4)
        let key = (0..<100).map { "shipment-\($0)" }.first { Murmur2.partition(forKey: $0, partitions: 4) != instancePartition }!
        let keyPartition = Murmur2.partition(forKey: key, partitions: 4)
        let writer = CommandWriter(log: log)

        /// One replica of `partition` that processes what is there, makes its steps durable
        /// and dies before delivering its outbox (no `logFlushed`).
        func killedAfterItsStep(_ partition: Int32) throws {
            let replica = PartitionProcessor(partition: partition, log: log, snapshots: nil, clock: WallClock.now)
            try replica.recover()
            for _ in 0..<5 { _ = try replica.poll() }
            try log.flush()
        }
        func journal(_ partition: Int32) throws -> [Record] {
            try readAll(log, TopicPartition(Topics.journal, partition)).flatMap { entry -> [Record] in
                switch try JournalEntry.decode(entry, partition: partition) {
                case .step(let step): step.records
                case .command(let command): [command]
                case .refused: []
                }
            }
        }

        // 1. The instance's step opens the subscription; the replica dies before the outbox.
        try writer.append(.command(
            .createInstance, key: correlationId,
            value: .instance(InstanceRecord(processId: "p", processVersion: 1, variables: ["shipmentId": .string(key)], deploymentPosition: deployed.deploymentsEnd)),
            timestamp: 1))
        try killedAfterItsStep(instancePartition)
        #expect(try journal(instancePartition).contains { $0.intent == .messageSubscriptionOpened })
        #expect(try journal(keyPartition).allSatisfy { $0.intent != .openMessageSubscription }, "nothing was delivered before the kill")

        // 2. An engine recovers, delivers the subscription to the key's partition; stopped.
        func runEngine(until done: () throws -> Bool) throws {
            let engine = try ChildProcess.spawn(Self.binary, ["run", "--data-dir", data], output: directory.path + "/engine.out", errorsToOutput: true)
            defer { engine.kill(SIGTERM); _ = engine.wait() }
            let deadline = WallClockMilliseconds.now() + 20_000
            while try !done(), WallClockMilliseconds.now() < deadline { usleep(50_000) }
        }
        try runEngine { try journal(keyPartition).contains { $0.intent == .remoteSubscriptionOpened } }
        #expect(try journal(keyPartition).contains { $0.intent == .remoteSubscriptionOpened })

        // 3. The message on the key's partition: its replica correlates and dies before the
        // outbox reaches the instance.
        try writer.append(.command(.publishMessage, key: key, value: .message(MessageRecord(name: "shipped", variables: ["carrier": .string("dhl")])), timestamp: 1))
        try killedAfterItsStep(keyPartition)
        #expect(try journal(keyPartition).contains { $0.intent == .messageCorrelated })
        #expect(try journal(instancePartition).allSatisfy { $0.intent != .correlateSubscription })

        // 4. An engine recovers, delivers the correlation, and the instance completes once.
        try runEngine { try journal(instancePartition).contains { $0.intent == .instanceCompleted } }
        let records = try journal(instancePartition)
        let engineOutput = String(decoding: (try? POSIX.readFile(directory.path + "/engine.out")) ?? [], as: UTF8.self)
        #expect(records.filter { $0.intent == .instanceCompleted }.count == 1, "\(engineOutput.suffix(1500))")
        #expect(records.contains { record in
            if case .variables(let value) = record.value { return value.variables["carrier"] == .string("dhl") }
            return false
        })
        // The second recovery delivered the subscription again: the key's partition dropped it.
        #expect(try journal(keyPartition).filter { $0.intent == .remoteSubscriptionOpened }.count == 1)
    }
}
