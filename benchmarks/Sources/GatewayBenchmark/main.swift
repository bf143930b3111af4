import AsyncHTTPClient
import BatonFileLog
import BatonGateway
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import BenchmarkSupport
import Histogram
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The REST gateway with Camunda 7's external-task API, engine and gateway in this process on
/// the file log, workers as HTTP clients (async-http-client) on 127.0.0.1:
///
/// 1. Throughput: `workers` concurrent workers, each a loop of fetchAndLock (long polling)
///    and complete, over one-task instances started at once (at most 4,000 in flight):
///    round trips (tasks fetched and completed) per second. Twice, unless a maxTasks is
///    given: with maxTasks 10 (the default of Camunda's Java and JavaScript clients), then
///    with maxTasks 1 (the Python client's default: two requests per task). 2,000 tasks
///    warm both sides up first.
/// 2. Latency while workers wait: instances started at a fixed rate (open loop), the time
///    from the start command's append to the task arriving in a worker's fetchAndLock
///    response: p50 / p99 / max.
/// 3. The raw request rate of the same server: the same workers calling `GET
///    /engine-rest/version` (authentication and routing included, no engine work).
///
/// Targets (issue 11): ≥ 5,000 tasks/s, p99 ≤ 20 ms.
/// Usage: GatewayBenchmark [instances] [workers] [rate/s for the latency phase] [maxTasks per fetch: 10 and 1]
let arguments = CommandLine.arguments
let count = arguments.count > 1 ? Int(arguments[1]) ?? 10_000 : 10_000
let workerCount = arguments.count > 2 ? Int(arguments[2]) ?? 64 : 64
let rate = arguments.count > 3 ? Int(arguments[3]) ?? 200 : 200
let maxTasksRounds = arguments.count > 4 ? [Int(arguments[4]) ?? 1] : [10, 1]

let directory = "/tmp/baton-bench-gateway-\(getpid())"
_ = system("rm -rf \(directory)")
defer { _ = system("rm -rf \(directory)") }
let log = try FileLog(directory: directory, topics: [Topics.journal: 2, Topics.events: 2], partitionsByPrefix: [Topics.taskPrefix: 12], deferredSync: Topics.remadeFromJournal)
_ = try DeploymentCatalog.deploy(Array(oneTaskBPMN.utf8), fileName: "one-task.bpmn", to: log)
let loop = EngineLoop(log: log, snapshots: { _ in nil }, options: RuntimeOptions(), clock: WallClock.now, warn: { print("warning: \($0)") })
let engine = Task { try await DedicatedThread.run { try loop.runBlocking() } }

var configuration = GatewayConfiguration()
configuration.port = 0
let gateway = try Gateway(log: log, transport: LogTaskTransport(log: log), snapshots: { _ in nil }, configuration: configuration)
let (ports, portFound) = AsyncStream<Int>.makeStream()
let serving = Task { try await gateway.run { portFound.yield($0) } }
guard let port = await ports.first(where: { _ in true }) else { fatalError("the gateway did not start") }
let base = "http://127.0.0.1:\(port)/engine-rest"

var settings = HTTPClient.Configuration()
settings.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = workerCount
let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)

func post(_ path: String, _ body: String) async throws -> (status: Int, body: [UInt8]) {
    var request = HTTPClientRequest(url: base + path)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(string: body))
    let response = try await http.execute(request, timeout: .seconds(60))
    return (Int(response.status.code), Array(try await response.body.collect(upTo: 8 << 20).readableBytesView))
}

/// Starts one-task instances with the given correlationIds (their index is the business key).
func start(_ indexes: Range<Int>, prefix: String) throws {
    let writer = CommandWriter(log: log)
    var byPartition: [Int32: [Record]] = [:]
    for index in indexes {
        let id = "\(prefix)-\(index)"
        byPartition[try writer.partition(of: id), default: []].append(.command(
            .createInstance, key: id, value: .instance(InstanceRecord(processId: "one-task", processVersion: 1, businessKey: String(index))), timestamp: WallClock.now()))
    }
    for (partition, commands) in byPartition { try writer.append(commands, partition: partition) }
}

let fetched = Mutex(0)
/// Requests the workers made (fetchAndLock and complete).
let requests = Mutex(0)
/// What the workers' fetchAndLock asks for now.
let maxTasks = Mutex(maxTasksRounds[0])
let stopping = Mutex(false)
/// When each latency-phase instance was started (ms, monotonic), by business key.
let startedAt = Mutex<[Int: Double]>([:])
let latencies = Mutex(Histogram<UInt64>(highestTrackableValue: 60_000, numberOfSignificantValueDigits: .three))

/// One worker: fetchAndLock (long polling up to 1 s), complete what it got, again.
func work(_ worker: Int) async throws {
    while !stopping.withLock({ $0 }) {
        let fetch = "{\"workerId\":\"w\(worker)\",\"maxTasks\":\(maxTasks.withLock { $0 }),\"asyncResponseTimeout\":1000,\"topics\":[{\"topicName\":\"work\",\"lockDuration\":60000}]}"
        let (status, body) = try await post("/external-task/fetchAndLock", fetch)
        requests.withLock { $0 += 1 }
        let now = BenchmarkSupport.seconds() * 1000
        guard status == 200, case .array(let tasks) = try JSONValue.parse(body) else { throw LogError("fetchAndLock answered \(status): \(String(decoding: body, as: UTF8.self))") }
        for task in tasks {
            if case .string(let key)? = task["businessKey"], let index = Int(key), let started = startedAt.withLock({ $0.removeValue(forKey: index) }) {
                latencies.withLock { _ = $0.record(UInt64(max(0, (now - started).rounded()))) }
            }
            guard case .string(let id)? = task["id"] else { continue }
            let (answered, text) = try await post("/external-task/\(id)/complete", "{\"workerId\":\"w\(worker)\"}")
            guard answered == 204 else { throw LogError("complete answered \(answered): \(String(decoding: text, as: UTF8.self))") }
            fetched.withLock { $0 += 1 }
            requests.withLock { $0 += 1 }
        }
    }
}

print("gateway benchmark: Camunda 7 external-task API, engine and gateway in one process on the file log (2 journal partitions, 12 task partitions), \(workerCount) HTTP workers (fetchAndLock with long polling, then complete)")
let workers = Task {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<workerCount { group.addTask { try await work(worker) } }
        try await group.waitForAll()
    }
}

// 0. Warm-up, not reported: the first thousands of tasks also pay for the workers'
// connections and the allocator's growth.
let warmUp = min(count, 2_000)
try start(0..<warmUp, prefix: "warm-up")
while loop.current.instancesCompleted < warmUp { try await Task.sleep(nanoseconds: 1_000_000) }

// 1. Throughput, per maxTasks: round trips and the requests they took.
var throughput: [(maxTasks: Int, tasks: Double, requests: Double)] = []
for (round, roundMaxTasks) in maxTasksRounds.enumerated() {
    maxTasks.withLock { $0 = roundMaxTasks }
    let (fetchedBefore, requestsBefore) = (fetched.withLock { $0 }, requests.withLock { $0 })
    let completedBefore = loop.current.instancesCompleted
    let cpuBefore = processCPUSeconds()
    let started = BenchmarkSupport.seconds()
    for batch in stride(from: 0, to: count, by: 500) {
        try start(batch..<min(count, batch + 500), prefix: "bulk\(round)")
        while loop.current.instancesCreated - loop.current.instancesCompleted > 4_000 { try await Task.sleep(nanoseconds: 1_000_000) }
    }
    while loop.current.instancesCompleted < completedBefore + count { try await Task.sleep(nanoseconds: 1_000_000) }
    let elapsed = BenchmarkSupport.seconds() - started
    let cpuPerTask = (processCPUSeconds() - cpuBefore) / Double(count) * 1e6
    let roundTrips = Double(fetched.withLock { $0 } - fetchedBefore) / elapsed
    let requestRate = Double(requests.withLock { $0 } - requestsBefore) / elapsed
    throughput.append((roundMaxTasks, roundTrips, requestRate))
    let instanceRate: String = format(Double(count) / elapsed)
    let (tasksText, cpuText, requestsText) = (format(roundTrips), format(cpuPerTask), format(requestRate))
    print("  throughput, maxTasks \(roundMaxTasks): \(tasksText) tasks/s fetched and completed (\(count) one-task instances, \(instanceRate) PI/s), \(cpuText) µs CPU per task, \(requestsText) requests/s   (target 5,000)")
}
maxTasks.withLock { $0 = 1 }

// 2. Latency at a fixed rate, workers waiting.
let latencyCount = rate * 5
let latencyStart = BenchmarkSupport.seconds()
for index in 0..<latencyCount {
    let due = latencyStart + Double(index) / Double(rate)
    let wait = due - BenchmarkSupport.seconds()
    if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
    startedAt.withLock { $0[index] = BenchmarkSupport.seconds() * 1000 }
    try start(index..<(index + 1), prefix: "paced")
}
while loop.current.instancesCompleted < warmUp + count * maxTasksRounds.count + latencyCount { try await Task.sleep(nanoseconds: 1_000_000) }
let histogram = latencies.withLock { $0 }
print("  created -> fetched at \(rate) instances/s (open loop, \(latencyCount) instances): p50 \(histogram.valueAtPercentile(50)) ms, p99 \(histogram.valueAtPercentile(99)) ms, max \(histogram.max) ms   (target p99 20 ms)")
stopping.withLock { $0 = true }
try await workers.value

// 3. The raw request rate of the same server.
func rawRequests(seconds: Double) async throws -> Int {
    let rawStart = BenchmarkSupport.seconds()
    return try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<workerCount {
            group.addTask {
                var done = 0
                while BenchmarkSupport.seconds() - rawStart < seconds {
                    let response = try await http.execute(HTTPClientRequest(url: base + "/version"), timeout: .seconds(10))
                    _ = try await response.body.collect(upTo: 1 << 16)
                    done += 1
                }
                return done
            }
        }
        return try await group.reduce(0, +)
    }
}
let rawStart = BenchmarkSupport.seconds()
let rawCPU = processCPUSeconds()
let raw = try await rawRequests(seconds: 3)
let rawRate = Double(raw) / (BenchmarkSupport.seconds() - rawStart)
print("  raw: \(format(rawRate)) requests/s (GET /engine-rest/version on the same server, \(workerCount) concurrent), \(format((processCPUSeconds() - rawCPU) / Double(raw) * 1e6)) µs CPU per request")
for (roundMaxTasks, _, requestRate) in throughput {
    let (ratio, requestsText) = (format2(requestRate / rawRate), format(requestRate))
    print("  ratio requests/s / raw requests/s, maxTasks \(roundMaxTasks): \(ratio) (fetchAndLock and complete requests: \(requestsText)/s)")
}

try await http.shutdown().get()
serving.cancel()
loop.stop()
try await engine.value
