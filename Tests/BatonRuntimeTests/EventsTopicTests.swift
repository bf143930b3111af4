import BatonFileLog
import BatonKafka
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `baton.events`: every step's records as JSON, which a consumer that knows nothing of the
/// engine follows to rebuild each instance's status, on the file log and on Kafka; an
/// engine killed with SIGKILL and started again exports nothing twice that the consumer
/// cannot tell apart (journal partition, position and index identify a record).
@Suite(.serialized)
struct EventsTopicTests {
    static let binary = CrashTests.binary

    /// What a downstream consumer keeps: the newest status per correlationId, built only
    /// from the events topic, skipping records it has seen.
    struct StatusConsumer {
        var status: [String: String] = [:]
        var elements: [String: [String]] = [:]
        var seen: [Int32: (position: Int64, index: Int)] = [:]
        var duplicates = 0
        var records = 0
        var misplaced: [String] = []

        mutating func consume(_ entry: LogEntry, partition: Int32, partitions: Int32) throws {
            let event = try JSONValue.parse(entry.payload)
            guard case .number(let position)? = event["journalPosition"], case .number(let index)? = event["index"],
                  case .number(let journalPartition)? = event["journalPartition"], case .string(let id)? = event["correlationId"],
                  case .string(let intent)? = event["intent"], case .string(let type)? = event["recordType"]
            else { throw LogError("an event without its identity: \(event.jsonText)") }
            if Int32(journalPartition) != partition || Murmur2.partition(forKey: id, partitions: partitions) != partition {
                misplaced.append(id)
            }
            let identity = (Int64(position), Int(index))
            if let last = seen[partition], (last.position, last.index) >= identity {
                duplicates += 1
                return
            }
            seen[partition] = identity
            records += 1
            guard type == "event" else { return }
            switch intent {
            case "instanceCreated", "incidentResolved": status[id] = "active"
            case "incidentCreated": status[id] = "incident"
            case "instanceCompleted": status[id] = "completed"
            case "instanceCanceled": status[id] = "canceled"
            case "elementActivated":
                if case .string(let element)? = event["elementId"] { elements[id, default: []].append(element) }
            default: break
            }
        }
    }

    @Test(arguments: ["file", "kafka"])
    func aConsumerRebuildsEveryInstanceFromTheEventsTopic(_ backend: String) throws {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-events")
        defer { directory.remove() }
        let cli = CommandLineTests()
        let backendUnderTest = try BackendUnderTest(backend, label: "events", directory: directory, topics: [Topics.journal: 2, Topics.events: 2])
        let where_ = backendUnderTest.arguments
        let log = backendUnderTest.log
        let file = directory.path + "/events.bpmn"
        try writeFile(file, oneTaskProcess(id: "events", topic: "events-work"))
        #expect(cli.baton("deploy \(backendUnderTest.quoted) '\(file)'").status == 0)
        let script = directory.path + "/work.sh"
        try writeFile(script, Array("#!/bin/sh\nif grep -q '\"correlationId\":\"bad'; then exit 1; fi\necho '{}'\n".utf8))
        chmod(script, 0o755)
        try writeFile(directory.path + "/workers.yaml", Array("topics:\n  events-work: {exec: {command: ['\(script)']}, retries: 0}\n".utf8))

        let commands = CommandWriter(log: log)
        let good = (0..<40).map { "good-\($0)" }
        let bad = (0..<4).map { "bad-\($0)" }
        func start(_ ids: [String]) throws {
            for id in ids {
                try commands.append(.command(.createInstance, key: id, value: .instance(InstanceRecord(processId: "events", processVersion: 1)), timestamp: 1))
            }
        }
        try start(Array(good.prefix(20)) + bad)
        var engine = try ChildProcess.spawn(Self.binary, ["run"] + where_, output: directory.path + "/engine-1.out", errorsToOutput: true)
        let worker = try ChildProcess.spawn(Self.binary, ["worker", "--config", directory.path + "/workers.yaml"] + where_)
        defer { worker.kill(SIGKILL); _ = worker.wait() }
        func consume() throws -> StatusConsumer {
            var consumer = StatusConsumer()
            for partition in Int32(0)..<2 {
                for entry in try readAll(log, TopicPartition(Topics.events, partition)) {
                    try consumer.consume(entry, partition: partition, partitions: 2)
                }
            }
            return consumer
        }
        func waitFor(_ done: (StatusConsumer) -> Bool) throws -> StatusConsumer {
            let deadline = WallClockMilliseconds.now() + 60_000
            var consumer = try consume()
            while !done(consumer), WallClockMilliseconds.now() < deadline {
                usleep(200_000)
                consumer = try consume()
            }
            return consumer
        }
        _ = try waitFor { consumer in good.prefix(10).allSatisfy { consumer.status[$0] == "completed" } }
        // The engine dies mid-run (SIGKILL) and starts again: the export resumes.
        engine.kill(SIGKILL)
        _ = engine.wait()
        try start(Array(good.dropFirst(20)))
        engine = try ChildProcess.spawn(Self.binary, ["run"] + where_, output: directory.path + "/engine-2.out", errorsToOutput: true)
        defer { engine.kill(SIGKILL); _ = engine.wait() }
        let consumer = try waitFor { consumer in
            good.allSatisfy { consumer.status[$0] == "completed" } && bad.allSatisfy { consumer.status[$0] == "incident" }
        }

        for id in good {
            #expect(consumer.status[id] == "completed", "\(id): \(consumer.status[id] ?? "not seen")")
            #expect(consumer.elements[id] == ["Start", "Work", "Done"], "\(id): \(consumer.elements[id] ?? [])")
        }
        for id in bad { #expect(consumer.status[id] == "incident", "\(id): \(consumer.status[id] ?? "not seen")") }
        #expect(consumer.misplaced.isEmpty, "events on another partition than their correlationId's: \(consumer.misplaced)")
        // Exactly the journal's records, in journal order, each once after skipping.
        var journalRecords = 0
        for partition in Int32(0)..<2 {
            for entry in try readAll(log, TopicPartition(Topics.journal, partition)) {
                if case .step(let step) = try JournalEntry.decode(entry, partition: partition) { journalRecords += step.records.count }
            }
        }
        #expect(consumer.records == journalRecords, "\(consumer.records) records exported (\(consumer.duplicates) duplicates skipped), \(journalRecords) in the journal")
        engine.kill(SIGTERM)
        #expect(engine.wait() == 0)
    }
}
