import BatonBPMN
import BenchmarkSupport
import BatonEngine
import BatonModel

#if canImport(Glibc)
import Glibc
#endif

/// Core-only benchmark (no log, no I/O): instances whose tasks complete the moment they are
/// created. Prints processing and replay rates, and the rate of the raw record codec
/// (encode + decode of the same records) measured in the same run as the baseline.
///
/// Usage: EngineBenchmark [instances] [path/to/process.bpmn] [order lines]
/// With a number of order lines, each instance's `order.lines` holds that many items (for
/// bpmn/order-lines.bpmn: a multi-instance map-reduce over them).
let arguments = CommandLine.arguments
let instanceCount = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
let bpmnPath = arguments.count > 2 ? arguments[2] : "../bpmn/order-process.bpmn"
let lineCount = arguments.count > 3 ? Int(arguments[3]) ?? 0 : 0


let deployment: BPMNDeployment
do {
    deployment = try BPMNDeployment.load(path: bpmnPath)
} catch {
    print("cannot load \(bpmnPath): \(error)")
    exit(1)
}
guard let process = deployment.processes.first?.executable else {
    print("\(bpmnPath) does not compile: \(deployment.processes.first?.problems ?? [])")
    exit(1)
}
var registry = ProcessRegistry()
let version = registry.deploy(process)
print("Record is \(MemoryLayout<Record>.size) bytes")
var engine = Engine(partition: 0, processes: registry)
var replica = Engine(partition: 0, processes: registry)
var position: Int64 = 0
var now: Int64 = 1_700_000_000_000
var order: [String: JSONValue] = ["id": .string("o"), "total": .number(250)]
if lineCount > 0 {
    order["lines"] = .array((0..<lineCount).map { .object(["sku": .string("sku-\($0)"), "qty": .number(1), "price": .number(2.5)]) })
}
let variables: [String: JSONValue] = ["order": .object(order)]
let result: JSONValue = .object(["ok": .bool(true)])
let chunkSize = 1000

print("engine benchmark: \(instanceCount) '\(process.processId)' instances\(lineCount > 0 ? " with \(lineCount) order lines each" : ""), tasks completed instantly, one core")
// Work in chunks of instances, as a runtime does with steps: process a chunk, then replay
// it and run it through the codec; the chunk's records are dropped after, so memory stays
// flat and each phase is timed on its own.
var chunk: [Record] = []
chunk.reserveCapacity(chunkSize * 60)
var processSeconds = 0.0
var replaySeconds = 0.0
var codecSeconds = 0.0
var totalRecords = 0
var commands = 0
var instancesDone = 0
while instancesDone < instanceCount {
    let processStart = seconds()
    for index in instancesDone..<min(instanceCount, instancesDone + chunkSize) {
        position += 1
        now += 1
        let correlationId = "order-\(index)"
        var produced = engine.process(.command(
            .createInstance, key: correlationId,
            value: .instance(InstanceRecord(processId: process.processId, processVersion: version, variables: variables)),
            timestamp: now, position: position), at: now)
        commands += 1
        chunk.append(contentsOf: produced)
        // Complete every task the last step created until the instance is done.
        var pending: [TaskRecord] = produced.compactMap { record in
            if record.intent == .taskCreated, case .task(let task) = record.value { return task }
            return nil
        }
        while let task = pending.popLast() {
            position += 1
            var value = TaskRecord(instanceKey: task.instanceKey, taskKey: task.taskKey, attempt: task.attempt)
            value.data = result
            produced = engine.process(.command(.completeTask, key: correlationId, value: .task(value), timestamp: now, position: position), at: now)
            commands += 1
            chunk.append(contentsOf: produced)
            for record in produced where record.intent == .taskCreated {
                if case .task(let next) = record.value { pending.append(next) }
            }
        }
    }
    processSeconds += seconds() - processStart
    instancesDone = min(instanceCount, instancesDone + chunkSize)

    let replayStart = seconds()
    for record in chunk { replica.apply(record) }
    replaySeconds += seconds() - replayStart

    let codecStart = seconds()
    var decoded = 0
    for record in chunk {
        if (try? RecordCodec.decodeRecord(RecordCodec.encode(record))) != nil { decoded += 1 }
    }
    codecSeconds += seconds() - codecStart
    precondition(decoded == chunk.count)
    totalRecords += chunk.count
    chunk.removeAll(keepingCapacity: true)
}
precondition(engine.state.instances.isEmpty, "every instance must complete")
precondition(replica.state == engine.state, "replay must rebuild the live state")

let records = Double(totalRecords)
let processingRate = records / processSeconds
let replayRate = records / replaySeconds
let codecRate = records / codecSeconds
print("records written:        \(format(records)) (\(format(records / Double(instanceCount))) per instance, \(commands) commands)")
print("processing:             \(format(processingRate)) records/s, \(format(Double(instanceCount) / processSeconds)) instances/s  (target 1,000,000 records/s)")
print("replay (apply only):    \(format(replayRate)) records/s  (target 2,000,000 records/s)")
print("baseline codec:         \(format(codecRate)) records/s encoded+decoded")
print("ratio processing/codec: \(format2(processingRate / codecRate))   ratio replay/codec: \(format2(replayRate / codecRate))")
