import BatonBPMN
import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// A message whose correlation key belongs to another journal partition than its instance
/// (DESIGN.md §4): the subscription is opened on the key's partition through the outbox,
/// and the message reaches the instance through the outbox back. Delivered twice, in every
/// order, with no I/O: two engines and a list of commands in flight.
@Suite struct CrossPartitionMessageTests {
    /// Two partitions of one journal: each command gets the next position of its key's
    /// partition; commands the engines send to other partitions wait in `outbox` until
    /// delivered.
    struct TwoPartitions {
        var engines: [Engine]
        var positions: [Int64] = [0, 0]
        var journal: [[Record]] = [[], []]
        var outbox: [Record] = []
        var now: Int64 = 1_700_000_000_000
        let process: ExecutableProcess

        init(_ content: String, declarations: String = MessageEventTests.messages) throws {
            let deployment = try BPMNDeployment.load(bpmnDocument(content, declarations: declarations), fileName: "x.bpmn")
            let process = try #require(deployment.processes.first { $0.process.id == "p" }?.executable)
            var registry = ProcessRegistry()
            for other in deployment.processes where other.process.id != "p" { registry.deploy(try #require(other.executable)) }
            registry.deploy(process)
            self.process = process
            let configuration = EngineConfiguration(journalPartitions: 2)
            engines = [Engine(partition: 0, processes: registry, configuration: configuration), Engine(partition: 1, processes: registry, configuration: configuration)]
        }

        static func partition(_ key: String) -> Int32 { Murmur2.partition(forKey: key, partitions: 2) }

        @discardableResult
        mutating func append(_ command: Record) -> [Record] {
            var command = command
            let partition = Int(command.partition)
            positions[partition] += 1
            command.position = positions[partition]
            command.recordType = .command
            journal[partition].append(command)
            let produced = engines[partition].process(command, at: now)
            journal[partition].append(contentsOf: produced)
            outbox += produced.filter { $0.recordType == .command }
            return produced
        }

        @discardableResult
        mutating func send(_ intent: Intent, key: String, _ value: RecordValue) -> [Record] {
            append(.command(intent, key: key, value: value, timestamp: now, partition: Self.partition(key)))
        }

        /// Delivers the commands in flight (and those they send) until none is left; with
        /// `twice`, each is delivered a second time right after the first.
        @discardableResult
        mutating func deliver(twice: Bool = false) -> [Record] {
            var produced: [Record] = []
            while !outbox.isEmpty {
                let next = outbox.removeFirst()
                produced += append(next)
                if twice { produced += append(next) }
            }
            return produced
        }

        func replayed(_ partition: Int) -> EngineState {
            var replica = Engine(partition: Int32(partition), processes: engines[partition].processes, configuration: engines[partition].configuration)
            for record in journal[partition] where record.recordType != .command { replica.apply(record) }
            return replica.state
        }

        var instance: InstanceState? { engines.lazy.compactMap { $0.state.instances.values.first }.first }
    }

    static let process = """
        <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
        <bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="ByOrder"/></bpmn:intermediateCatchEvent>
        <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/><bpmn:endEvent id="end"/>
        """

    /// A correlation id and a key on the other partition.
    static let correlationId = "instance-1"
    static let key = (0..<100).map { "shipment-\($0)" }.first { TwoPartitions.partition($0) != TwoPartitions.partition(correlationId) }!

    func started(_ content: String = Self.process) throws -> TwoPartitions {
        var partitions = try TwoPartitions(content)
        partitions.send(.createInstance, key: Self.correlationId, .instance(InstanceRecord(processId: "p", processVersion: 1, variables: ["orderId": .string(Self.key)])))
        #expect(partitions.outbox.map(\.intent) == [.openMessageSubscription])
        #expect(partitions.outbox.first?.partition == TwoPartitions.partition(Self.key))
        return partitions
    }

    @Test func aMessageOnTheKeysPartitionReachesTheInstanceThroughTheOutbox() throws {
        var partitions = try started()
        let home = Int(TwoPartitions.partition(Self.key))
        partitions.deliver()
        #expect(partitions.engines[home].state.remoteSubscriptions.count == 1)
        let published = partitions.send(.publishMessage, key: Self.key, .message(MessageRecord(name: "shipped", variables: ["carrier": .string("dhl")])))
        #expect(published.contains { $0.intent == .messageCorrelated })
        #expect(partitions.engines[home].state.remoteSubscriptions.isEmpty, "an interrupting subscription is released when its message is sent")
        let arrived = partitions.deliver()
        #expect(arrived.contains { $0.intent == .instanceCompleted })
        #expect(arrived.contains { record in
            if case .variables(let value) = record.value { return value.variables["carrier"] == .string("dhl") }
            return false
        })
        #expect(partitions.instance == nil)
        for partition in 0..<2 { #expect(partitions.replayed(partition) == partitions.engines[partition].state) }
    }

    @Test func aBufferedMessageTakesTheSubscriptionWhenItArrives() throws {
        var partitions = try started()
        // The message is published before the subscription reaches its partition.
        partitions.send(.publishMessage, key: Self.key, .message(MessageRecord(name: "shipped", timeToLive: 60_000)))
        let arrived = partitions.deliver()
        #expect(arrived.contains { $0.intent == .instanceCompleted })
    }

    @Test func everyCommandDeliveredTwiceActsOnce() throws {
        var partitions = try started()
        partitions.deliver(twice: true)
        let home = Int(TwoPartitions.partition(Self.key))
        #expect(partitions.engines[home].state.remoteSubscriptions.values.map(\.count) == [1])
        partitions.send(.publishMessage, key: Self.key, .message(MessageRecord(name: "shipped")))
        let arrived = partitions.deliver(twice: true)
        #expect(arrived.filter { $0.intent == .instanceCompleted }.count == 1)
        let duplicates = arrived.filter { $0.recordType == .rejection }.map(\.rejectionReason)
        #expect(duplicates.count >= 2 && duplicates.allSatisfy { $0.hasPrefix(MessageProcessor.duplicateEventReason) }, "\(duplicates)")
    }

    @Test func anElementThatEndsClosesItsSubscriptionOnTheOtherPartition() throws {
        var partitions = try started(MessageEventTests.race(message: "ByOrder"))
        partitions.deliver()
        let home = Int(TwoPartitions.partition(Self.key))
        #expect(partitions.engines[home].state.remoteSubscriptions.count == 1)
        partitions.now += 600_000
        let instance = try #require(partitions.instance)
        let timer = try #require(instance.timers.values.first)
        partitions.send(.triggerTimer, key: Self.correlationId, .timer(TimerRecord(instanceKey: instance.key, timerKey: timer.key)))
        #expect(partitions.outbox.map(\.intent) == [.closeMessageSubscription])
        partitions.deliver()
        #expect(partitions.engines[home].state.remoteSubscriptions.isEmpty)
        #expect(!partitions.send(.publishMessage, key: Self.key, .message(MessageRecord(name: "shipped"))).contains { $0.intent == .messageCorrelated })
        #expect(partitions.outbox.isEmpty)
    }

    @Test func snapshotsKeepSubscriptionsHeldForOtherPartitions() throws {
        var partitions = try started()
        partitions.deliver()
        let home = Int(TwoPartitions.partition(Self.key))
        let state = partitions.engines[home].state
        let processes = partitions.engines[home].processes
        #expect(try EngineState.fromSnapshot(state.snapshotBytes(processes: processes), processes: processes) == state)
    }

    @Test func everyRecordOfBothJournalsRoundTripsThroughTheCodec() throws {
        var partitions = try started()
        partitions.send(.publishMessage, key: Self.key, .message(MessageRecord(name: "shipped", variables: ["x": .number(1)], timeToLive: 5_000, messageId: "m")))
        partitions.deliver(twice: true)
        for journal in partitions.journal {
            for record in journal { #expect(try RecordCodec.decodeRecord(RecordCodec.encode(record)) == record, "\(record.intent)") }
            // Steps hold events, rejections and the commands for other partitions.
            let step = Step(partition: 0, commandPositions: [1], records: journal.filter { $0.sourcePosition >= 0 })
            #expect(try RecordCodec.decodeStep(RecordCodec.encode(step)) == step)
        }
        let intents = Set(partitions.journal.flatMap { $0 }.map(\.intent))
        for intent in [Intent.openMessageSubscription, .correlateSubscription, .remoteSubscriptionOpened, .remoteSubscriptionClosed, .messageCorrelated, .eventIngested] {
            #expect(intents.contains(intent), "\(intent)")
        }
    }

    @Test func outboxCommandsFromNowhereAreRefused() throws {
        var partitions = try started()
        var forged = SubscriptionRecord(instanceKey: 1, subscriptionKey: 2, elementInstanceKey: 3, elementIndex: 1, messageName: "shipped", correlationKey: Self.key)
        forged.instancePartition = -1
        let refused = partitions.send(.openMessageSubscription, key: Self.key, .subscription(forged))
        #expect(refused.first?.rejectionReason.contains("only from another partition's outbox") == true)
    }
}
