import BatonFileLog
import BatonKafka
import BatonLog
import BatonModel
import BatonRuntime
import BatonTestSupport
import Testing

/// Nothing in the journal can stop the engine (issue 9, DESIGN.md §3): every kind of poison
/// pill is answered with a rejection naming the reason and copied to the dead-letter topic,
/// and the partition goes on; a step of a newer record version stops only its partition.
@Suite(.serialized)
struct PoisonPillTests {
    static func log(_ backend: String, _ label: String) throws -> (any Log, TemporaryDirectory?) {
        let topics = [Topics.journal: Int32(2), Topics.deadLetter: 1]
        if backend == "kafka" {
            return (try KafkaLog(try KafkaBroker.configuration(), topicPrefix: KafkaBroker.freshTopic(label) + ".", topics: topics), nil)
        }
        let directory = TemporaryDirectory("baton-poison")
        return (try FileLog(directory: directory.path + "/log", topics: topics), directory)
    }

    /// A createInstance of the order process for `key`.
    static func create(_ key: String, version: Int32 = 1, deployments: Int64, variables: [String: JSONValue] = [:]) -> Record {
        .command(.createInstance, key: key,
                 value: .instance(InstanceRecord(processId: "order-process", processVersion: version, variables: variables, deploymentPosition: deployments)),
                 timestamp: 1)
    }

    @Test(arguments: ["file", "kafka"])
    func everyPoisonPillIsRejectedAndDeadLetteredAndThePartitionGoesOn(_ backend: String) async throws {
        let (log, directory) = try Self.log(backend, "poison")
        defer { directory?.remove() }
        var options = RuntimeOptions()
        options.maximumCommandBytes = 4096
        let harness = try RuntimeHarness(log: log, options: options)
        let deployments = try harness.deploy(RuntimeTests.order)
        let partition = try harness.commands.partition(of: "order-1")
        let journal = TopicPartition(Topics.journal, partition)
        let other = (0..<50).map { "elsewhere-\($0)" }.first { (try? harness.commands.partition(of: $0)) != partition }!

        var unknownIntent = RecordCodec.encode(Self.create("order-1", deployments: deployments))
        #expect(unknownIntent[2] == 100)  // createInstance, one varint byte
        unknownIntent[2] = 98
        var newerVersion = RecordCodec.encode(Self.create("order-1", deployments: deployments))
        newerVersion[3] = 9
        let pills: [(bytes: [UInt8], reason: String)] = [
            ([1, 0xFF, 0x00], "not a command this Baton reads"),
            (Array(#"{"intent":"completeTask","taskKey":"1"}"#.utf8), "not a JSON task answer"),
            (Array(#"{"type":"complete","taskId":"1-1","processInstanceId":"2","correlationId":"order-1"#.utf8), "not valid JSON"),
            (Array(#"{"type":"failure","taskId":"1-1","processInstanceId":"2","correlationId":"order-1","retries":-3}"#.utf8), "'retries' is -3"),
            (Array((#"{"type":"complete","taskId":"1-1","processInstanceId":"2","correlationId":"order-1","data":""# + String(repeating: "x", count: 10_000) + #""}"#).utf8),
             "more than the 4096 a command may have"),
            (unknownIntent, "unknown intent code 98"),
            (newerVersion, "record version 9 is not one this Baton reads"),
            (RecordCodec.encode(Self.create(other, deployments: deployments)), "belongs to journal partition"),
            (RecordCodec.encode(Self.create("order-1", deployments: deployments, variables: ["blob": .string(String(repeating: "x", count: 10_000))])),
             "more than the 4096 a command may have"),
            (RecordCodec.encode(Self.create("order-1", version: 7, deployments: deployments)), "process 'order-process' version 7 is not deployed"),
            ([], "empty journal entry"),
        ]
        let first = try log.append(pills.map(\.bytes), to: journal)
        // After the pills, a good command: the partition must still process it.
        try harness.commands.append(Self.create("order-1", deployments: deployments))
        let processor = harness.processors[Int(partition)]
        try await harness.settle { processor.engine.state.instances.values.contains { $0.correlationId == "order-1" } }

        #expect(processor.halted == nil)
        #expect(processor.engine.state.instances.values.contains { $0.correlationId == "order-1" })
        let rejections = try harness.journalRejections(partition: partition)
        for (offset, pill) in pills.enumerated() {
            let position = first + Int64(offset)
            let rejection = rejections.first { $0.sourcePosition == position }
            #expect(rejection?.rejectionReason.contains(pill.reason) == true, "position \(position): \(rejection?.rejectionReason ?? "not rejected")")
        }
        let letters = try readAll(log, TopicPartition(Topics.deadLetter, 0)).map { try DeadLetter(json: JSONValue.parse($0.payload)) }
        #expect(letters.count == pills.count, "\(letters.map(\.reason))")
        for (offset, pill) in pills.enumerated() {
            let letter = letters.first { $0.sourcePosition == first + Int64(offset) }
            #expect(letter?.reason.contains(pill.reason) == true)
            #expect(letter?.sourceTopic == Topics.journal && letter?.sourcePartition == partition)
            #expect(letter?.payload == Array(pill.bytes.prefix(DeadLetter.keptBytes)))
            #expect(letter?.size == Int64(pill.bytes.count))
        }
        // A replica rebuilding the partition reads the same journal without stopping and
        // writes no second dead letter.
        let replica = try RuntimeHarness(log: log, options: options)
        try await replica.settle { replica.processors.map(\.engine.state) == harness.processors.map(\.engine.state) }
        #expect(replica.processors.map(\.engine.state) == harness.processors.map(\.engine.state))
        #expect(try readAll(log, TopicPartition(Topics.deadLetter, 0)).count == pills.count)
    }

    @Test(arguments: ["file", "kafka"])
    func aStepOfANewerRecordVersionStopsOnlyItsPartition(_ backend: String) async throws {
        let (log, directory) = try Self.log(backend, "newer-step")
        defer { directory?.remove() }
        let harness = try RuntimeHarness(log: log)
        let deployments = try harness.deploy(RuntimeTests.order)
        let stopped = try harness.commands.partition(of: "order-1")
        let going = "order-\((2..<50).first { (try? harness.commands.partition(of: "order-\($0)")) != stopped }!)"
        // A step as a newer Baton would write it: record version 9.
        let record = Record(recordType: .event, intent: .instanceCreated, partition: stopped, position: 0, sourcePosition: 0, timestamp: 1, key: "order-1",
                            value: .instance(InstanceRecord(instanceKey: 5, processId: "order-process", processVersion: 1)))
        var step = RecordCodec.encode(Step(partition: stopped, commandPositions: [0], records: [record]))
        let header = step.count - RecordCodec.encode(record).count
        #expect(step[header + 3] == Record.currentVersion)
        step[header + 3] = 9
        let position = try log.append([step], to: TopicPartition(Topics.journal, stopped))
        try harness.commands.append(Self.create("order-1", deployments: deployments))
        try harness.commands.append(Self.create(going, deployments: deployments))
        try await harness.settle { harness.processors.contains { $0.engine.state.instances.values.contains { $0.correlationId == going } } }

        let halted = try #require(harness.processors[Int(stopped)].halted)
        #expect(halted.partition == stopped && halted.position == position)
        #expect(halted.description.contains("journal partition \(stopped) stopped at position \(position)"))
        #expect(halted.description.contains("record version 9"))
        #expect(harness.processors[Int(stopped)].engine.state.instances.isEmpty)
        // The other partition goes on.
        #expect(harness.processors.contains { $0.engine.state.instances.values.contains { $0.correlationId == going } })
        // A replica recovering the journal stops at the same place instead of failing.
        let replica = try RuntimeHarness(log: log)
        #expect(replica.processors[Int(stopped)].halted?.position == position)
    }
}

extension RuntimeHarness {
    /// Every rejection in the steps of one journal partition.
    func journalRejections(partition: Int32) throws -> [Record] {
        try readAll(log, TopicPartition(Topics.journal, partition)).flatMap { entry -> [Record] in
            guard case .step(let step) = try JournalEntry.decode(entry, partition: partition) else { return [] }
            return step.records.filter { $0.recordType == .rejection }
        }
    }
}
