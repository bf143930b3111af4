import BatonFileLog
import BatonIngest
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonWorker
import BenchmarkSupport

#if canImport(Glibc)
import Glibc
#endif

/// `baton ingest` on the embedded file log (2 cores), in events per second, beside the raw
/// consume rate of the same source topic measured in the same run (same events, same 12
/// partitions, same read batch of 1,000):
/// 1. raw consume: read every event of the source topic, nothing else (and again, parsing
///    each as JSON);
/// 2. ingest: read, map by bpmn/order-events.yaml, append the commands to the journal
///    (fsynced), commit the source offsets: events/s until every offset is committed;
/// 3. events to started instances: ingest and the engine together on a fresh log, until
///    the engine has started an instance for every event.
///
/// Usage: IngestBenchmark [events] [path/to/order-events.bpmn] [path/to/order-events.yaml]
let arguments = CommandLine.arguments
let count = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
let bpmnPath = arguments.count > 2 ? arguments[2] : "../bpmn/order-events.bpmn"
let rulesPath = arguments.count > 3 ? arguments[3] : "../bpmn/order-events.yaml"
let rules = try IngestRules.load(String(decoding: try POSIX.readFile(rulesPath), as: UTF8.self), file: rulesPath)
let bpmn = try POSIX.readFile(bpmnPath)

/// A fresh file log holding the deployment and `count` OrderPlaced events on `orders`.
func preparedLog(_ name: String) throws -> (FileLog, String) {
    let directory = "/tmp/baton-bench-ingest-\(getpid())-\(name)"
    _ = system("rm -rf \(directory)")
    let log = try FileLog(
        directory: directory, topics: [Topics.journal: 2, Topics.events: 2, rules.source: 12],
        partitionsByPrefix: [Topics.taskPrefix: 12], deferredSync: Topics.remadeFromJournal)
    _ = try DeploymentCatalog.deploy(bpmn, fileName: "order-events.bpmn", to: log)
    var byPartition: [Int32: [[UInt8]]] = [:]
    for index in 0..<count {
        let orderId = "order-\(index)"
        let event = #"{"type":"OrderPlaced","orderId":"\#(orderId)","order":{"id":"\#(orderId)","total":\#(index % 2000),"items":\#(1 + index % 4)}}"#
        byPartition[Murmur2.partition(forKey: orderId, partitions: 12), default: []].append(Array(event.utf8))
        if (index + 1) % 10_000 == 0 || index == count - 1 {
            for (partition, events) in byPartition { _ = try log.append(events, to: TopicPartition(rules.source, partition)) }
            byPartition = [:]
        }
    }
    return (log, directory)
}

func ingestor(_ log: FileLog) throws -> Ingestor {
    Ingestor(log: log, rules: rules, ownership: try GroupOwnership(log: log, group: Ingestor.group(for: rules.source), topic: rules.source),
             clock: WallClock.now)
}

print("ingest benchmark: \(count) OrderPlaced events on 12 partitions of '\(rules.source)', journal 2 partitions, file log, read batch 1,000")

// 1. Raw consume: every event read (and, in a second pass, parsed as JSON).
let (rawLog, rawDirectory) = try preparedLog("raw")
/// Reads the whole source topic in batches of 1,000; returns the events and their bytes.
func consume(parsing: Bool) throws -> (events: Int, bytes: Int) {
    var events = 0
    var bytes = 0
    for partition in Int32(0)..<12 {
        var position: Int64 = 0
        while true {
            let entries = try rawLog.read(TopicPartition(rules.source, partition), from: position, limit: 1_000)
            guard let last = entries.last else { break }
            for entry in entries where !parsing || (try? JSONValue.parse(entry.payload)) != nil {
                events += 1
                bytes += entry.payload.count
            }
            position = last.position + 1
        }
    }
    return (events, bytes)
}
let rawCPU = processCPUSeconds()
let rawStart = seconds()
let (consumed, bytes) = try consume(parsing: false)
let rawRate = Double(consumed) / (seconds() - rawStart)
let rawCPUPerEvent = (processCPUSeconds() - rawCPU) / Double(consumed) * 1e6
let parseStart = seconds()
let parseRate = Double(try consume(parsing: true).events) / (seconds() - parseStart)
_ = system("rm -rf \(rawDirectory)")

// 2. Ingest alone.
let (ingestLog, ingestDirectory) = try preparedLog("ingest")
let alone = try ingestor(ingestLog)
let ingestCPU = processCPUSeconds()
let ingestStart = seconds()
while alone.statistics.events < count { _ = try alone.round() }
let ingestSeconds = seconds() - ingestStart
let ingestRate = Double(count) / ingestSeconds
let ingestCPUPerEvent = (processCPUSeconds() - ingestCPU) / Double(count) * 1e6
precondition(alone.statistics.commands == count, "every event should become a command")
_ = system("rm -rf \(ingestDirectory)")

// 3. Events to started instances: ingest and the engine together.
let (pipelineLog, pipelineDirectory) = try preparedLog("pipeline")
let loop = EngineLoop(
    log: pipelineLog, snapshots: { SnapshotStore(directory: "\(pipelineDirectory)/snapshots/journal-\($0)") }, clock: WallClock.now,
    warn: { print("warning: \($0)") })
let together = try ingestor(pipelineLog)
let pipelineStart = seconds()
let engine = Task { try await DedicatedThread.run { try loop.runBlocking() } }
let ingest = Task { try await DedicatedThread.run { try together.run() } }
while loop.current.instancesCreated < count { try await Task.sleep(nanoseconds: 2_000_000) }
let pipelineSeconds = seconds() - pipelineStart
let pipelineRate = Double(count) / pipelineSeconds
together.stop()
loop.stop()
try await ingest.value
try await engine.value
_ = system("rm -rf \(pipelineDirectory)")

print("")
print("raw consume of the source topic:  \(format(rawRate)) events/s (\(format(Double(bytes) / Double(consumed))) bytes/event, \(format2(rawCPUPerEvent)) µs CPU/event)")
print("raw consume + JSON parse:         \(format(parseRate)) events/s")
print("ingest (commands durable, offsets committed): \(format(ingestRate)) events/s, \(format2(ingestCPUPerEvent)) µs CPU/event, ratio to raw consume \(format2(ingestRate / rawRate)), to consume + parse \(format2(ingestRate / parseRate))")
print("events -> started instances (ingest + engine): \(format(pipelineRate)) instances/s, ratio to raw consume \(format2(pipelineRate / rawRate)), to ingest alone \(format2(pipelineRate / ingestRate))")
print("peak RSS \(peakResidentKilobytes() / 1024) MiB")
