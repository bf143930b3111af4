import BatonBPMN
import BatonEngine
import BatonModel
import BatonRuntime
import BenchmarkSupport

#if canImport(Glibc)
import Glibc
#endif

/// Many instances waiting in one partition (issues 9 and 14): how long the runtime's
/// question "what is due now?" takes through the engine's due-work index, beside the walk
/// over every instance that answered it before (the baseline, measured in the same run on
/// the same state), the memory each waiting instance takes, and what recovering the
/// partition from its snapshot costs (encode, decode; the snapshot bytes as written).
///
/// Usage: WaitingInstancesBenchmark [instances] [path/to/order-process.bpmn]
let arguments = CommandLine.arguments
let instanceCount = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let bpmnPath = arguments.count > 2 ? arguments[2] : "../bpmn/order-process.bpmn"

/// Resident memory in bytes (the second field of /proc/self/statm, in pages).
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 128)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return 0 }
    let fields = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

guard let process = try? BPMNDeployment.load(path: bpmnPath).processes.first?.executable else {
    print("cannot load an executable process from \(bpmnPath)")
    exit(1)
}
var registry = ProcessRegistry()
let version = registry.deploy(process)
var engine = Engine(partition: 0, processes: registry)
let start: Int64 = 1_700_000_000_000
let before = residentBytes()
let creating = seconds()
for index in 0..<instanceCount {
    // Spread over ten minutes, as a steady stream would: locks run out at different times.
    let time = start + Int64(index) * 600_000 / Int64(instanceCount)
    _ = engine.process(.command(
        .createInstance, key: "order-\(index)",
        value: .instance(InstanceRecord(processId: process.processId, processVersion: version)),
        timestamp: time, position: Int64(index)), at: time)
    if index % 100_000 == 99_999 { print("  \(index + 1) instances waiting") }
}
let created = seconds() - creating
let perInstance = Double(residentBytes() - before) / Double(instanceCount)
let state = engine.state
print("waiting-instances benchmark: \(format(Double(state.instances.count))) instances waiting at their first task in one partition (created in \(format2(created)) s)")
print("memory per waiting instance: \(format(perInstance)) bytes (resident set growth / instances; no variables)")

/// What the runtime did before: walk every instance and task for what is due.
func walk(at now: Int64) -> Int {
    var due = 0
    for instance in state.instances.values {
        for timer in instance.timers.values where timer.dueAt <= now { due += 1 }
        for task in instance.tasks.values {
            if case .active(let lockExpiresAt) = task.phase, lockExpiresAt <= now { due += 1 }
            if case .waitingForRetry(let retryAt) = task.phase, retryAt <= now { due += 1 }
        }
    }
    return due
}

let lock = EngineConfiguration().lockDuration
for (label, now) in [("nothing due", start + lock - 1), ("the first second of locks due", start + lock + 999)] {
    let rounds = 20
    var indexSeconds = 0.0
    var walkSeconds = 0.0
    var fromIndex = 0
    var fromWalk = 0
    for _ in 0..<rounds {
        let t0 = seconds()
        fromIndex = state.dueWork.due(at: now).count
        let t1 = seconds()
        fromWalk = walk(at: now)
        let t2 = seconds()
        indexSeconds += t1 - t0
        walkSeconds += t2 - t1
    }
    guard fromIndex == fromWalk else {
        print("the index found \(fromIndex) due, the walk \(fromWalk): they must agree")
        exit(1)
    }
    let index = indexSeconds / Double(rounds) * 1000
    let baseline = walkSeconds / Double(rounds) * 1000
    print("\(label) (\(fromIndex) due): index \(format2(index)) ms, walk over every instance (baseline) \(format2(baseline)) ms, ratio \(format2(baseline / max(index, 0.000_001)))x")
}

// Recovery of the partition: the snapshot as a partition writes it (state, lz4, CRC) and
// as recovery reads it back, timed; the rebuilt state must equal the original.
let encoding = seconds()
let snapshot = SnapshotFormat.encode(state, cursor: Int64(instanceCount), processes: registry)
let encoded = seconds() - encoding
let decoding = seconds()
guard let (restored, cursor) = try? SnapshotFormat.decode(snapshot, processes: registry), cursor == Int64(instanceCount) else {
    print("the snapshot does not decode")
    exit(1)
}
let decoded = seconds() - decoding
guard restored.instances.count == state.instances.count, restored.dueWork.due(at: start + lock + 999).count == state.dueWork.due(at: start + lock + 999).count else {
    print("the restored state differs: \(restored.instances.count) instances")
    exit(1)
}
print("snapshot of \(format(Double(state.instances.count))) instances: \(format(Double(snapshot.count))) bytes (\(format(Double(snapshot.count) / Double(instanceCount))) per instance), written in \(format2(encoded)) s, recovered (read back and rebuilt) in \(format2(decoded)) s")
