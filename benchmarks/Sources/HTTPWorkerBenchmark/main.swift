import AsyncHTTPClient
import BatonConfiguredWorkers
import BatonFileLog
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import BenchmarkSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The generic HTTP worker (`baton worker --config`, here in-process) against a local no-op
/// endpoint, one-task instances on the file log: instances per second, each one HTTP POST
/// of its task, beside the same run's raw HTTP request rate (async-http-client POSTing a
/// task-sized body to the same endpoint with the same concurrency). Target: ≥ 0.5 of raw.
///
/// Usage: HTTPWorkerBenchmark [instances] [concurrency] [rounds, 3] (after a warm-up of both)
let arguments = CommandLine.arguments
let count = arguments.count > 1 ? Int(arguments[1]) ?? 20_000 : 20_000
let concurrency = arguments.count > 2 ? Int(arguments[2]) ?? 64 : 64
/// Baton and raw alternate, so that a slow spell of the machine (rates here drift ±15 %
/// between runs) lands on both sides of some round rather than on one side of the ratio.
let rounds = max(1, arguments.count > 3 ? Int(arguments[3]) ?? 3 : 3)

/// Answers every request with 200 and `{}` (HTTP/1.1 keep-alive), counting requests.
final class NoOpHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    static let served = Mutex(0)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        NoOpHandler.served.withLock { $0 += 1 }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: "2")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: "{}")))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline().flatMap { channel.pipeline.addHandler(NoOpHandler()) }
    }
    .bind(host: "127.0.0.1", port: 0).get()
let url = "http://127.0.0.1:\(server.localAddress!.port!)/noop"

/// A task message like the ones the worker posts (same fields, similar size).
let sampleTask = TaskMessage(
    taskKey: 4_294_967_300, attempt: 1, topicName: "work", activityId: "work", activityInstanceId: "4294967299",
    processInstanceId: "4294967297", processDefinitionKey: "one-task:1", processDefinitionId: "one-task", businessKey: "",
    correlationId: "http-12345", variables: [:], retries: 3, priority: 0, lockExpirationTime: 1_800_000_000_000, partition: 0,
    processTaskResults: .object(["correlationId": .string("http-12345"), "taskResults": .array([])])).json.jsonBytes

/// Raw: `concurrency` loops POSTing the sample body for about `seconds`.
func rawRate(seconds: Double, url: String, body: [UInt8], concurrency: Int) async throws -> (perSecond: Double, cpuMicroseconds: Double) {
    var settings = HTTPClient.Configuration()
    settings.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
    let started = BenchmarkSupport.seconds()
    let cpuBefore = processCPUSeconds()
    let done = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var done = 0
                while BenchmarkSupport.seconds() - started < seconds {
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: body))
                    let response = try await client.execute(request, timeout: .seconds(10))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    done += 1
                }
                return done
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = BenchmarkSupport.seconds() - started
    let cpu = processCPUSeconds() - cpuBefore
    try await client.shutdown()
    return (Double(done) / elapsed, cpu / Double(done) * 1e6)
}

/// Baton: one-task instances on the file log, the engine and a configured HTTP worker in
/// this process; instances per second from the first start to the last completion.
func batonRate(count: Int = count) async throws -> (perSecond: Double, posts: Int, cpuMicroseconds: Double, peakMiB: Int, busy: Double) {
    let directory = "/tmp/baton-bench-http-\(getpid())"
    _ = system("rm -rf \(directory)")
    defer { _ = system("rm -rf \(directory)") }
    let log = try FileLog(directory: directory, topics: [Topics.journal: 2, Topics.events: 2], partitionsByPrefix: [Topics.taskPrefix: Int32(getenv("BATON_BENCH_TASK_PARTITIONS").flatMap { Int32(String(cString: $0)) } ?? 12)], deferredSync: Topics.remadeFromJournal)
    _ = try DeploymentCatalog.deploy(Array(oneTaskBPMN.utf8), fileName: "one-task.bpmn", to: log)
    var options = RuntimeOptions()
    options.exportEvents = getenv("BATON_BENCH_NO_EVENTS") == nil
    let loop = EngineLoop(log: log, snapshots: { _ in nil }, options: options, clock: WallClock.now, warn: { print("warning: \($0)") })
    let engine = Task { try await DedicatedThread.run { try loop.runBlocking() } }
    let configuration = try WorkerConfiguration.load(
        "topics:\n  work: {http: {url: '\(url)'}, maxConcurrent: \(concurrency)}\n", file: "bench.yaml", environment: [:])
    let workers = ConfiguredWorkers(configuration: configuration)
    let worker = Worker(transport: LogTaskTransport(log: log), workerId: "bench-http")
    workers.subscribe(worker)
    let running = Task { try await worker.run() }
    let before = NoOpHandler.served.withLock { $0 }
    let writer = CommandWriter(log: log)
    let started = BenchmarkSupport.seconds()
    let cpuBefore = processCPUSeconds()
    for batchStart in stride(from: 0, to: count, by: 1000) {
        var byPartition: [Int32: [Record]] = [:]
        for index in batchStart..<min(count, batchStart + 1000) {
            let id = "http-\(index)"
            byPartition[try writer.partition(of: id), default: []].append(.command(
                .createInstance, key: id, value: .instance(InstanceRecord(processId: "one-task", processVersion: 1)), timestamp: WallClock.now()))
        }
        for (partition, commands) in byPartition { try writer.append(commands, partition: partition) }
        while loop.current.instancesCreated - loop.current.instancesCompleted > 4_000 { try await Task.sleep(nanoseconds: 1_000_000) }
    }
    // How many handlers were busy, sampled each millisecond: below `concurrency` while the
    // topic has a backlog means the worker, not the endpoint, set the pace.
    var samples = 0, busy = 0
    while loop.current.instancesCompleted < count {
        try await Task.sleep(nanoseconds: 1_000_000)
        samples += 1
        busy += worker.tasksInFlight["work"] ?? 0
    }
    let elapsed = BenchmarkSupport.seconds() - started
    let cpu = processCPUSeconds() - cpuBefore
    worker.shutdown()
    try await running.value
    try await workers.shutdown()
    loop.stop()
    try await engine.value
    return (Double(count) / elapsed, NoOpHandler.served.withLock { $0 } - before, cpu / Double(count) * 1e6, peakResidentKilobytes() / 1024, Double(busy) / Double(max(1, samples)))
}

print("HTTP worker benchmark: one-task instances on the file log (2 journal partitions, 12 task partitions), engine and a configured HTTP worker in one process, a no-op endpoint on 127.0.0.1; concurrency \(concurrency); a warm-up of both, then \(rounds) rounds of Baton then raw, the ratio of each round and their median")
// A warm-up of each side, left out of the figures: the first round in a process paid for
// HTTP connections, thread start-ups and the allocator's first growth, always on Baton's side.
_ = try await batonRate(count: max(1_000, count / 4))
_ = try await rawRate(seconds: 1, url: url, body: sampleTask, concurrency: concurrency)
var ratios: [Double] = []
for round in 1...rounds {
    let baton = try await batonRate()
    // Raw runs as long as Baton's round took, so both sides of a round share the same spell.
    let raw = try await rawRate(seconds: max(1, Double(count) / baton.perSecond), url: url, body: sampleTask, concurrency: concurrency)
    ratios.append(baton.perSecond / raw.perSecond)
    print("  round \(round): baton \(format(baton.perSecond)) PI/s (\(count) instances, \(baton.posts) POSTs: one per task), \(format(baton.cpuMicroseconds)) µs CPU per instance, handlers busy \(Int(baton.busy.rounded())) of \(concurrency) on average, peak RSS \(baton.peakMiB) MiB; raw \(format(raw.perSecond)) requests/s (async-http-client, the same endpoint, body and concurrency), \(format(raw.cpuMicroseconds)) µs CPU per request; ratio \(format2(ratios.last!))")
}
print("  ratio PI/s / raw requests/s, median of \(rounds): \(format2(ratios.sorted()[rounds / 2]))   (target 0.5; rounds: \(ratios.map(format2).joined(separator: ", ")))")
try await server.close().get()
