import BatonFileLog
import BenchmarkSupport
import BatonKafka
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonWorker
import Histogram
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// End-to-end on the embedded file log, engine and workers in this process (2 cores):
/// instances started, driven by in-process workers that complete every task at once, until
/// all are done. Prints PI/s, journal records/s, start->end latency, and the raw file-log
/// append+fsync rate for the same batch sizes measured in the same run, with the ratio.
///
/// Usage: EmbeddedBenchmark [one-task instances] [order instances] [path/to/order-process.bpmn]
let arguments = CommandLine.arguments
let oneTaskCount = arguments.count > 1 ? Int(arguments[1]) ?? 20_000 : 20_000
let orderCount = arguments.count > 2 ? Int(arguments[2]) ?? 10_000 : 10_000
let orderPath = arguments.count > 3 ? arguments[3] : "../bpmn/order-process.bpmn"



struct Outcome {
    var instancesPerSecond: Double
    var recordsPerSecond: Double
    var journalRecordsPerSecond: Double
    var appendsPerSecond: Double
    var entriesPerAppend: Double
    var bytesPerEntry: Double
    var p50: UInt64
    var p99: UInt64
}

/// Runs `count` instances of `processId` through engine + workers on a fresh log (the file
/// log, or Kafka when `kafka` is given).
func runScenario(_ name: String, bpmn: [UInt8], processId: String, topics: [String], count: Int, variables: [String: JSONValue],
                 kafka: String? = nil, exportEvents: Bool = true) async throws -> Outcome {
    let directory = "/tmp/baton-bench-\(getpid())-\(name)"
    _ = system("rm -rf \(directory)")
    defer { _ = system("rm -rf \(directory)") }
    let fileLog = kafka == nil ? try FileLog(directory: directory, topics: [Topics.journal: 2, Topics.events: 2], deferredSync: Topics.remadeFromJournal) : nil
    let log: any Log = try fileLog ?? KafkaLog(
        KafkaConfiguration(bootstrapServers: kafka!), topicPrefix: "bench-\(getpid())-\(name).",
        topics: [Topics.journal: 2, Topics.snapshots: 2, Topics.events: 2])
    _ = try DeploymentCatalog.deploy(bpmn, fileName: "\(name).bpmn", to: log)
    let snapshots: @Sendable (Int32) -> (any SnapshotStorage)?
    if fileLog == nil {
        snapshots = { [log] partition in LogSnapshotStore(log: log, partition: partition) }
    } else {
        snapshots = { partition in SnapshotStore(directory: "\(directory)/snapshots/journal-\(partition)") }
    }
    var options = RuntimeOptions()
    options.exportEvents = exportEvents
    let loop = EngineLoop(log: log, snapshots: snapshots, options: options, clock: WallClock.now, warn: { print("warning: \($0)") })
    let engine = Task { try await DedicatedThread.run { try loop.runBlocking() } }
    let worker = Worker(transport: LogTaskTransport(log: log), workerId: "bench")
    for topic in topics { worker.subscribe(topic: topic, maxConcurrent: 256) { _ in .complete() } }
    let workers = Task { try await worker.run() }

    let writer = CommandWriter(log: log)
    let started = WallClock.now()
    for batchStart in stride(from: 0, to: count, by: 1000) {
        var byPartition: [Int32: [Record]] = [:]
        let now = WallClock.now()
        for index in batchStart..<min(count, batchStart + 1000) {
            let id = "\(name)-\(index)"
            byPartition[try writer.partition(of: id), default: []].append(.command(
                .createInstance, key: id, value: .instance(InstanceRecord(processId: processId, processVersion: 1, variables: variables)),
                timestamp: now))
        }
        for (partition, commands) in byPartition { try writer.append(commands, partition: partition) }
        // Keep at most 4,000 instances in flight so latency means something.
        while loop.current.instancesCreated - loop.current.instancesCompleted > 4_000 { try await Task.sleep(nanoseconds: 1_000_000) }
    }
    while loop.current.instancesCompleted < count { try await Task.sleep(nanoseconds: 1_000_000) }
    let seconds = Double(WallClock.now() - started) / 1000
    let statistics = loop.current
    worker.shutdown()
    loop.stop()
    try await workers.value
    try await engine.value

    // Latency and journal shape from the journal itself.
    var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: .three)
    var created: [String: Int64] = [:]
    var commands = 0
    let written = fileLog?.statistics ?? FileLog.Statistics()
    for partition in try 0..<log.partitionCount(of: Topics.journal) {
        var journal: [LogEntry] = []
        while true {
            let batch = try log.read(TopicPartition(Topics.journal, partition), from: journal.last.map { $0.position + 1 } ?? 0, limit: 100_000)
            if batch.isEmpty { break }
            journal.append(contentsOf: batch)
        }
        for entry in journal {
            guard case .step(let step) = try JournalEntry.decode(entry, partition: partition) else {
                commands += 1
                continue
            }
            for record in step.records {
                if record.intent == .instanceCreated { created[record.key] = record.timestamp }
                if record.intent == .instanceCompleted, let start = created[record.key] { histogram.record(UInt64(max(0, record.timestamp - start))) }
            }
        }
    }
    return Outcome(
        instancesPerSecond: Double(count) / seconds, recordsPerSecond: Double(statistics.records) / seconds,
        journalRecordsPerSecond: Double(statistics.records + commands) / seconds,
        appendsPerSecond: Double(written.appends) / seconds, entriesPerAppend: Double(written.entries) / Double(max(1, written.appends)),
        bytesPerEntry: Double(written.bytes) / Double(max(1, written.entries)), p50: histogram.valueAtPercentile(50), p99: histogram.valueAtPercentile(99))
}

/// The raw file log: appends of `entriesPerAppend` entries of `bytesPerEntry` bytes, each
/// acknowledged after fsync, from two threads (as engine and workers append), for ~2 s.
func rawAppendRate(entriesPerAppend: Int, bytesPerEntry: Int) async throws -> (appends: Double, entries: Double) {
    let directory = "/tmp/baton-bench-raw-\(getpid())"
    _ = system("rm -rf \(directory)")
    defer { _ = system("rm -rf \(directory)") }
    let log = try FileLog(directory: directory, topics: [Topics.journal: 2])
    let batch: [[UInt8]] = (0..<max(1, entriesPerAppend)).map { _ in [UInt8](repeating: 0x42, count: max(1, bytesPerEntry)) }
    let started = WallClock.now()
    let appends = Counter()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for partition in Int32(0)..<2 {
            group.addTask { [log, batch, appends] in
                try await DedicatedThread.run {
                    while WallClock.now() - started < 2_000 {
                        try log.append(batch, to: TopicPartition(Topics.journal, partition))
                        appends.value.withLock { $0 += 1 }
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    let seconds = Double(WallClock.now() - started) / 1000
    let total = Double(appends.value.withLock { $0 })
    return (total / seconds, total * Double(batch.count) / seconds)
}

print("embedded end-to-end benchmark: engine + in-process workers on the file log, 2 journal partitions, events exported to baton.events")
for (name, bpmn, processId, topics, count, targetPI) in [
    ("one-task", Array(oneTaskBPMN.utf8), "one-task", ["work"], oneTaskCount, 10_000.0),
    ("order", try POSIX.readFile(orderPath), "order-process", ["validate-order", "reserve-inventory", "charge-payment", "ship-order", "notify-customer", "manual-approval"], orderCount, 3_000.0),
] {
    let outcome = try await runScenario(name, bpmn: bpmn, processId: processId, topics: topics, count: count, variables: ["order": .object(["total": .number(250)])])
    let raw = try await rawAppendRate(entriesPerAppend: Int(outcome.entriesPerAppend.rounded()), bytesPerEntry: Int(outcome.bytesPerEntry))
    print("\(name) process, \(count) instances")
    print("  instances:           \(format(outcome.instancesPerSecond)) PI/s   (target \(format(targetPI)))")
    print("  journal records:     \(format(outcome.journalRecordsPerSecond)) records/s (commands + events; \(format(outcome.recordsPerSecond)) events/s)   (target 250,000)")
    print("  log appends:         \(format(outcome.appendsPerSecond)) appends/s (journal, tasks, deployments), \(format2(outcome.entriesPerAppend)) entries/append, \(format(outcome.bytesPerEntry)) bytes/entry")
    print("  start->end latency:  p50 \(outcome.p50) ms, p99 \(outcome.p99) ms")
    print("  raw file log:        \(format(raw.appends)) appends/s (\(format(raw.entries)) entries/s) of the same batch shape, append+fsync")
    print("  ratio appends/s end-to-end / raw: \(format2(outcome.appendsPerSecond / raw.appends))")
    if name == "one-task" {
        let quiet = try await runScenario("one-task-no-events", bpmn: bpmn, processId: processId, topics: topics, count: count, variables: [:], exportEvents: false)
        print("  without the events export: \(format(quiet.instancesPerSecond)) PI/s (export costs \(format2(100 * (1 - outcome.instancesPerSecond / quiet.instancesPerSecond)))%)")
    }
}

/// Raw librdkafka through the same broker: produce `count` messages of `bytes` bytes to one
/// partition (all enqueued at once, so librdkafka batches freely; then wait for every
/// acknowledgement), then consume them back; messages per second for the round.
func rawKafkaRate(_ address: String, count: Int, bytes: Int) throws -> Double {
    let configuration = KafkaConfiguration(bootstrapServers: address)
    let topic = "bench-raw-\(getpid())"
    try KafkaAdmin(configuration).createTopic(topic, partitions: 1)
    let producer = try KafkaProducer(configuration)
    let reader = try KafkaPartitionReader(configuration)
    let payload = [UInt8](repeating: 0x42, count: max(1, bytes))
    let started = WallClock.now()
    _ = try producer.send((0..<count).map { _ in .init(topic: topic, partition: 0, value: payload) }, timeoutMilliseconds: 120_000)
    var consumed = 0
    while consumed < count {
        let batch = try reader.read(TopicPartition(topic, 0), from: Int64(consumed), limit: 100_000)
        consumed += batch.count
    }
    return Double(count) / (Double(WallClock.now() - started) / 1000)
}

if let kafka = getenv("BATON_KAFKA").map({ String(cString: $0) }) {
    let count = arguments.count > 4 ? Int(arguments[4]) ?? 2000 : 2000
    let outcome = try await runScenario("kafka", bpmn: Array(oneTaskBPMN.utf8), processId: "one-task", topics: ["work"], count: count, variables: [:], kafka: kafka)
    let raw = try rawKafkaRate(kafka, count: 100_000, bytes: 300)
    print("one-task process on Kafka (\(kafka)), \(count) instances")
    print("  instances:           \(format(outcome.instancesPerSecond)) PI/s")
    print("  journal records:     \(format(outcome.journalRecordsPerSecond)) records/s (commands + events)")
    print("  start->end latency:  p50 \(outcome.p50) ms, p99 \(outcome.p99) ms")
    print("  raw librdkafka:      \(format(raw)) messages/s produced and consumed back (300-byte values, same broker)")
    print("  ratio journal records/s / raw messages/s: \(format2(outcome.journalRecordsPerSecond / raw))   (target 0.5)")
}


final class Counter: Sendable {
    let value = Mutex(0)
}
