import BatonFileLog
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BenchmarkSupport

#if canImport(Glibc)
import Glibc
#endif

/// Recovery of one journal partition holding many waiting instances (issue 14), on the
/// file log: from its newest snapshot plus the journal's tail, beside the same partition
/// rebuilt by replaying its whole journal without a snapshot (the baseline, same run, same
/// files).
///
/// Usage: RecoveryBenchmark [instances] [tail-instances] [path/to/order-process.bpmn]
let arguments = CommandLine.arguments
let instanceCount = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let tailCount = arguments.count > 2 ? Int(arguments[2]) ?? 10_000 : 10_000
let bpmnPath = arguments.count > 3 ? arguments[3] : "../bpmn/order-process.bpmn"

let directory = "/tmp/baton-recovery-benchmark-\(getpid())"
defer { _ = system("rm -rf '\(directory)'") }
let journal = TopicPartition(Topics.journal, 0)
func openLog() throws -> FileLog {
    try FileLog(directory: directory + "/log", topics: [Topics.journal: 1], deferredSync: Topics.remadeFromJournal)
}
let snapshots = SnapshotStore(directory: directory + "/snapshots/journal-0")
let noWarnings: @Sendable (String) -> Void = { print("warning: \($0)") }

/// Appends `count` createInstance commands from `first` in batches, and lets `processor`
/// process them (no worker: every instance waits at its first task).
func startOrders(_ first: Int, _ count: Int, log: FileLog, processor: PartitionProcessor) throws {
    let commands = CommandWriter(log: log)
    var next = first
    while next < first + count {
        let batch = min(10_000, first + count - next)
        try commands.append((next..<(next + batch)).map { index in
            .command(.createInstance, key: "order-\(index)", value: .instance(InstanceRecord(processId: "order-process", processVersion: 1)),
                     timestamp: WallClock.now(), partition: 0)
        }, partition: 0)
        next += batch
        while try processor.poll() > 0 || processor.pendingCount > 0 {
            try log.flush()
            try processor.logFlushed()
        }
        if (next - first) % 100_000 == 0 { print("  \(next) instances waiting") }
    }
}

do {
    let log = try openLog()
    try DeploymentCatalog.deploy(try POSIX.readFile(bpmnPath), fileName: "order-process.bpmn", to: log)
    var options = RuntimeOptions()
    options.snapshotEveryEntries = .max
    options.snapshotEveryMilliseconds = .max
    let writer = PartitionProcessor(partition: 0, log: log, snapshots: snapshots, options: options, clock: WallClock.now, warn: noWarnings)
    try writer.recover()
    let creating = seconds()
    try startOrders(0, instanceCount, log: log, processor: writer)
    try writer.snapshotNow()
    try startOrders(instanceCount, tailCount, log: log, processor: writer)
    try log.flush()
    let created = seconds() - creating
    let instances = writer.engine.state.instances.count
    let entries = try log.endPosition(of: journal)
    print("recovery benchmark: \(format(Double(instances))) instances waiting in one partition (\(format(Double(tailCount))) of them started after the snapshot), \(format(Double(entries))) journal entries, made in \(format2(created)) s")

    // What a restarted engine does: open the log, load the snapshot, replay the tail.
    let recovering = seconds()
    let recovered = PartitionProcessor(partition: 0, log: try openLog(), snapshots: snapshots, options: options, clock: WallClock.now, warn: noWarnings)
    try recovered.recover()
    let recovery = seconds() - recovering
    guard recovered.engine.state == writer.engine.state else { print("the recovered state differs"); exit(1) }

    let replaying = seconds()
    let replayed = PartitionProcessor(partition: 0, log: try openLog(), snapshots: nil, options: options, clock: WallClock.now, warn: noWarnings)
    try replayed.rebuild(useSnapshot: false)
    let replay = seconds() - replaying
    guard replayed.engine.state == writer.engine.state else { print("the replayed state differs"); exit(1) }

    print("recovery from the snapshot + tail: \(format2(recovery)) s; the whole journal replayed without a snapshot (baseline): \(format2(replay)) s (\(format(Double(replayed.recordsApplied) / replay)) records/s); ratio \(format2(replay / recovery))x")
} catch {
    print("recovery benchmark failed: \(error)")
    exit(1)
}
