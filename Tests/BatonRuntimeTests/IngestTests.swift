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

/// `baton ingest` end to end (issue 12): 10,000 order events with 1 % malformed and 1 %
/// duplicated, streamed by `baton produce`, ingested by a process killed with SIGKILL ten
/// times mid-stream, become exactly the 10,000 valid, unique instances; every dead letter
/// carries its reason. On the file log and on the test broker.
@Suite(.serialized)
struct IngestTests {
    static let binary = CrashTests.binary
    static let orders = 10_000

    static let process = """
        <bpmn:message id="Paid" name="payment-confirmed"/>
        """
    static let waitingProcess = """
        <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
        <bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="Paid"/></bpmn:intermediateCatchEvent>
        <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/><bpmn:endEvent id="end"/>
        """
    static let rules = """
        source: orders
        maximumEventBytes: 2048
        rules:
          - when: { type: OrderPlaced }
            start: p
            correlationId: $.orderId
            variables: { order: $.order }
          - when: { type: PaymentConfirmed }
            message: payment-confirmed
            correlationId: $.orderId
            timeToLive: PT1H
        """

    /// The source events: every order once, 1 % of them again further on (a producer's
    /// retry), 1 % malformed in four ways; in a fixed shuffled order.
    static func events() -> (lines: [String], malformed: Int, duplicated: Set<String>) {
        var lines = (0..<orders).map { #"{"type":"OrderPlaced","orderId":"o-\#($0)","order":{"total":\#($0 % 977)}}"# }
        var duplicated: Set<String> = []
        var malformed: [String] = []
        for index in 0..<(orders / 100) {
            duplicated.insert("o-\(index * 100 + 7)")
            switch index % 4 {
            case 0: malformed.append("this is not json \(index)")
            case 1: malformed.append(#"{"type":"OrderPlaced","order":{"total":1}}"#)
            case 2: malformed.append(#"{"type":"OrderShredded","orderId":"x-\#(index)"}"#)
            default: malformed.append(#"{"type":"OrderPlaced","orderId":"big-\#(index)","pad":"\#(String(repeating: "z", count: 3000))"}"#)
            }
        }
        var rng = SplitMix64(seed: 12)
        for orderId in duplicated.sorted() {
            // The duplicate lands after the original.
            let original = lines.firstIndex { $0.contains("\"\(orderId)\"") }!
            let at = original + 1 + Int(rng.next() % UInt64(lines.count - original))
            lines.insert(#"{"type":"OrderPlaced","orderId":"\#(orderId)","order":{"total":0}}"#, at: min(at, lines.count))
        }
        for line in malformed { lines.insert(line, at: Int(rng.next() % UInt64(lines.count + 1))) }
        return (lines, malformed.count, duplicated)
    }

    /// A fresh backend (4 `orders` partitions, 2 journal partitions) with the waiting
    /// process deployed and the rules written to `<directory>/rules.yaml`.
    static func prepared(_ backend: String, label: String, directory: TemporaryDirectory) throws -> BackendUnderTest {
        try #require(TestFiles.exists(binary), "\(binary) is missing: build with 'swift build --build-tests' (make test does)")
        let backendUnderTest = try BackendUnderTest(backend, label: label, directory: directory, topics: [Topics.journal: 2, "orders": 4])
        try writeFile(directory.path + "/p.bpmn", bpmnDocument(waitingProcess, declarations: process))
        try writeFile(directory.path + "/rules.yaml", Array(rules.utf8))
        let deployed = CommandLineTests().baton("deploy \(backendUnderTest.quoted) '\(directory.path)/p.bpmn'")
        #expect(deployed.status == 0, "\(deployed.output)")
        return backendUnderTest
    }

    @Test(arguments: ["file", "kafka"])
    func tenThousandEventsSurviveTenKillsOfIngest(_ backend: String) throws {
        let directory = TemporaryDirectory("baton-ingest")
        defer { directory.remove() }
        let cli = CommandLineTests()
        let backendUnderTest = try Self.prepared(backend, label: "ingest", directory: directory)
        let where_ = backendUnderTest.arguments
        let log = backendUnderTest.log
        let (lines, malformed, duplicated) = Self.events()
        try writeFile(directory.path + "/events.jsonl", Array(lines.joined(separator: "\n").utf8))
        let produced = cli.baton("produce \(backendUnderTest.quoted) orders --topic-partitions 4 --key-field '$.orderId' --file '\(directory.path)/events.jsonl'")
        #expect(produced.status == 0 && produced.output.contains("appended \(lines.count) entries to orders (4 partitions)"), "\(produced.output)")

        let engine = try ChildProcess.spawn(Self.binary, ["run"] + where_, output: directory.path + "/engine.out", errorsToOutput: true)
        defer { engine.kill(SIGKILL); _ = engine.wait() }

        // Ten SIGKILLs, each once the ingest process has committed more of the source.
        let group = "baton-ingest.orders"
        func committed() -> Int64 {
            (0..<4).reduce(0) { $0 + ((try? log.committedPosition(group: group, partition: TopicPartition("orders", $1))) ?? nil ?? 0) }
        }
        var kills = 0
        for round in 0..<10 {
            let before = committed()
            let ingest = try ChildProcess.spawn(
                // A hundred events per read: commits come in small steps, so that each kill
                // lands after a few hundred events (with the default 1,000 per partition, a
                // fast round committed thousands and the events ran out before ten kills).
                Self.binary, ["ingest", "--rules", directory.path + "/rules.yaml", "--events-per-read", "100"] + where_,
                output: directory.path + "/ingest-\(round).out", errorsToOutput: true)
            let deadline = WallClockMilliseconds.now() + 30_000
            while committed() < before + 300, committed() < Int64(lines.count), WallClockMilliseconds.now() < deadline { usleep(20_000) }
            ingest.kill(SIGKILL)
            _ = ingest.wait()
            kills += 1
            if committed() >= Int64(lines.count) { break }
        }
        let midway = committed()
        let last = cli.baton("ingest --rules '\(directory.path)/rules.yaml' --until-caught-up \(backendUnderTest.quoted)")
        #expect(last.status == 0, "\(last.output)")
        #expect(committed() == Int64(lines.count))

        // The engine applies everything: exactly one instance per valid order.
        var created: [String: Int] = [:]
        var engineLetters: [DeadLetter] = []
        var ingestLetters: [DeadLetter] = []
        let deadline = WallClockMilliseconds.now() + 120_000
        while WallClockMilliseconds.now() < deadline {
            created = Self.instancesCreated(log)
            let letters = ((try? readAll(log, TopicPartition(Topics.deadLetter, 0))) ?? []).compactMap { entry in
                (try? JSONValue.parse(entry.payload)).flatMap { try? DeadLetter(json: $0) }
            }
            engineLetters = letters.filter { $0.sourceTopic == Topics.journal }
            ingestLetters = letters.filter { $0.sourceTopic == "orders" }
            if created.count >= Self.orders, Set(engineLetters.map(\.key)).count >= duplicated.count { break }
            // Each look decodes the whole journal (10,000 instances): once a second is enough.
            usleep(1_000_000)
        }
        let engineOutput = String(decoding: (try? POSIX.readFile(directory.path + "/engine.out")) ?? [], as: UTF8.self)
        #expect(kills == 10 && midway > 0 && midway < Int64(lines.count), "kills \(kills), committed before the last run \(midway)")
        #expect(created.count == Self.orders, "\(created.count) orders started; engine: \(engineOutput.suffix(1500))")
        #expect(created.values.allSatisfy { $0 == 1 }, "started twice: \(created.filter { $0.value != 1 }.keys.sorted().prefix(10))")
        #expect(Set(created.keys) == Set((0..<Self.orders).map { "o-\($0)" }))
        // Malformed events: dead letters from ingest, with the reason and the source coordinates
        // (a redelivery after a kill may write one twice: count distinct offsets).
        let distinct = Dictionary(grouping: ingestLetters, by: { "\($0.sourcePartition)/\($0.sourcePosition)" })
        #expect(distinct.count == malformed, "\(distinct.count) distinct malformed events dead-lettered, \(malformed) expected")
        let reasons = distinct.values.map { $0[0].reason }
        for expected in ["not JSON", "no correlation id at $.orderId", "no rule matches", "more than the 2048 an event may have"] {
            #expect(reasons.filter { $0.contains(expected) }.count == malformed / 4, "\(expected): \(reasons.filter { $0.contains(expected) }.count)")
        }
        // Duplicated orders: the engine refused the second start (one order, one instance).
        #expect(Set(engineLetters.map(\.key)) == duplicated)
        #expect(engineLetters.allSatisfy { $0.reason.contains("already active") }, "\(engineLetters.map(\.reason).prefix(3))")

        // A payment confirmation for some orders completes them (messages through ingest).
        let payments = (0..<20).map { #"{"type":"PaymentConfirmed","orderId":"o-\#($0)"}"# }.joined(separator: "\n")
        try writeFile(directory.path + "/payments.jsonl", Array(payments.utf8))
        #expect(cli.baton("produce \(backendUnderTest.quoted) orders --key-field '$.orderId' --file '\(directory.path)/payments.jsonl'").status == 0)
        #expect(cli.baton("ingest --rules '\(directory.path)/rules.yaml' --until-caught-up \(backendUnderTest.quoted)").status == 0)
        var completed = 0
        let paymentDeadline = WallClockMilliseconds.now() + 30_000
        while completed < 20, WallClockMilliseconds.now() < paymentDeadline {
            completed = Self.count(.instanceCompleted, in: log)
            usleep(500_000)
        }
        #expect(completed == 20)
        engine.kill(SIGTERM)
        #expect(engine.wait() == 0)
    }

    /// Two ingest processes share the source topic's partitions (one consumer group): both
    /// take part, and every event is ingested once.
    @Test(arguments: ["file", "kafka"])
    func twoIngestProcessesShareTheSourceTopic(_ backend: String) throws {
        let directory = TemporaryDirectory("baton-ingest-pair")
        defer { directory.remove() }
        let cli = CommandLineTests()
        let backendUnderTest = try Self.prepared(backend, label: "ingestpair", directory: directory)
        let where_ = backendUnderTest.arguments
        let engine = try ChildProcess.spawn(Self.binary, ["run"] + where_, output: directory.path + "/engine.out", errorsToOutput: true)
        defer { engine.kill(SIGKILL); _ = engine.wait() }
        let ingests = try (0..<2).map { index in
            try ChildProcess.spawn(Self.binary, ["ingest", "--rules", directory.path + "/rules.yaml"] + where_, output: directory.path + "/ingest-\(index).out", errorsToOutput: true)
        }
        defer { for ingest in ingests { ingest.kill(SIGKILL); _ = ingest.wait() } }
        usleep(backend == "kafka" ? 3_000_000 : 300_000)
        // Streamed in rounds while both run, so each holds partitions when events arrive.
        let count = 2_000
        for round in 0..<4 {
            let lines = (round * count / 4..<(round + 1) * count / 4).map { #"{"type":"OrderPlaced","orderId":"pair-\#($0)","order":{}}"# }
            try writeFile(directory.path + "/events-\(round).jsonl", Array(lines.joined(separator: "\n").utf8))
            #expect(cli.baton("produce \(backendUnderTest.quoted) orders --key-field '$.orderId' --file '\(directory.path)/events-\(round).jsonl'").status == 0)
            usleep(300_000)
        }
        var created: [String: Int] = [:]
        let deadline = WallClockMilliseconds.now() + 90_000
        while created.count < count, WallClockMilliseconds.now() < deadline {
            usleep(500_000)
            created = Self.instancesCreated(backendUnderTest.log)
        }
        for ingest in ingests { ingest.kill(SIGTERM) }
        let outputs = ingests.enumerated().map { index, ingest in
            _ = ingest.wait()
            return String(decoding: (try? POSIX.readFile(directory.path + "/ingest-\(index).out")) ?? [], as: UTF8.self)
        }
        #expect(created.count == count && created.values.allSatisfy { $0 == 1 }, "\(created.count) of \(count); \(outputs)")
        // Each process says how many events it ingested: both did some, together all.
        let ingested = outputs.map { output -> Int in
            guard let line = output.split(separator: "\n").last(where: { $0.contains("stopped after") }),
                let number = line.split(separator: " ").compactMap({ Int($0) }).first
            else { return 0 }
            return number
        }
        #expect(ingested.allSatisfy { $0 > 0 } && ingested.reduce(0, +) >= count, "\(ingested); \(outputs)")
    }

    /// instanceCreated events per correlation id, from the journal's steps.
    static func instancesCreated(_ log: any Log) -> [String: Int] {
        var created: [String: Int] = [:]
        for partition in Int32(0)..<2 {
            for entry in (try? readAll(log, TopicPartition(Topics.journal, partition))) ?? [] {
                guard case .step(let step)? = try? JournalEntry.decode(entry, partition: partition) else { continue }
                for record in step.records where record.intent == .instanceCreated { created[record.key, default: 0] += 1 }
            }
        }
        return created
    }

    static func count(_ intent: Intent, in log: any Log) -> Int {
        var count = 0
        for partition in Int32(0)..<2 {
            for entry in (try? readAll(log, TopicPartition(Topics.journal, partition))) ?? [] {
                guard case .step(let step)? = try? JournalEntry.decode(entry, partition: partition) else { continue }
                count += step.records.filter { $0.intent == intent }.count
            }
        }
        return count
    }
}
