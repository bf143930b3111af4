import AsyncHTTPClient
import BatonLog
import BatonModel
import BatonWorker
import NIOCore
import Subprocess
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Workers without code: each configured topic's tasks go to an HTTP endpoint or a command
/// (`WorkerConfiguration`), and what comes back is the answer. While a call runs, the
/// task's lock is extended every half lock duration, so a slow service keeps its task.
public final class ConfiguredWorkers: Sendable {
    public let configuration: WorkerConfiguration
    let http: HTTPClient

    public init(configuration: WorkerConfiguration) {
        self.configuration = configuration
        if configuration.topics.contains(where: { if case .exec = $0.action { true } else { false } }) { Self.ignoreBrokenPipes() }
        let connections = configuration.topics.map(\.maxConcurrent).reduce(0, +)
        var settings = HTTPClient.Configuration()
        settings.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, connections)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
    }

    /// Subscribes `worker` to every configured topic.
    public func subscribe(_ worker: Worker) {
        for topic in configuration.topics {
            worker.subscribe(topic: topic.topic, maxConcurrent: topic.maxConcurrent) { [self] task in
                let result = try await Self.keepingLock(of: task, for: topic.lockDuration, callTimeout: topic.action.timeout, worker: worker) {
                    await self.call(topic.action, task: task)
                }
                return result.outcome(for: task.message, retry: topic.retry)
            }
        }
    }

    /// Closes the HTTP connections (after the worker stopped).
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// Runs `work` while keeping the task's lock: a call that outlives half of the lock the
    /// engine gave (or half of `lockDuration`, whichever comes first) extends it to
    /// `lockDuration` from then, and again every half `lockDuration`. A fast call costs no
    /// extension.
    static func keepingLock<Result: Sendable>(
        of task: ExternalTask, for lockDuration: Int64, callTimeout: Int64, worker: Worker, _ work: @escaping @Sendable () async -> Result
    ) async throws -> Result {
        let untilExpiry = task.lockExpirationTime - WallClock.now()
        // A call that times out before half of the lock has run out needs no extension.
        if callTimeout < untilExpiry / 2 { return await work() }
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { await work() }
            group.addTask {
                var wait = max(50, min(lockDuration, untilExpiry) / 2)
                while true {
                    try await Task.sleep(for: .milliseconds(wait))
                    try await DedicatedThread.run { try worker.extendLock(task, by: lockDuration) }
                    wait = max(50, lockDuration / 2)
                }
            }
            defer { group.cancelAll() }
            while let finished = try await group.next() {
                if let result = finished { return result }
            }
            throw CancellationError()
        }
    }

    /// The task on a command's standard input. A command that exits, or closes its input,
    /// without reading the task is no failure of the call: its exit status decides. (Written
    /// as a plain array, the failed write ended this process: swift-subprocess stops on the
    /// input it could not close.)
    struct TaskInput: InputProtocol {
        let bytes: [UInt8]

        func write(with writer: StandardInputWriter) async throws {
            _ = try? await writer.write(bytes)
        }
    }

    /// A command that exits, or closes its standard input, before reading the task would
    /// otherwise kill this whole process with SIGPIPE when the task is written to it: the
    /// write fails instead (once per process).
    static func ignoreBrokenPipes() {
        _ = brokenPipesIgnored
    }

    private static let brokenPipesIgnored: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    func call(_ action: WorkerConfiguration.Action, task: ExternalTask) async -> CallResult {
        let input = task.message.jsonBytes(workerId: task.workerId)
        switch action {
        case .http(let endpoint): return await post(input, to: endpoint)
        case .exec(let command): return await run(command, input: input)
        }
    }

    /// POSTs the task; 2xx: done, a configured status: BPMN error, other 4xx: incident,
    /// 5xx / timeout / connection error: retry.
    func post(_ input: [UInt8], to endpoint: WorkerConfiguration.HTTPAction) async -> CallResult {
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for header in endpoint.headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: input))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .milliseconds(endpoint.timeout))
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            return .transient(message: "POST \(endpoint.url) timed out after \(endpoint.timeout) ms", details: "")
        } catch {
            return .transient(message: "POST \(endpoint.url) failed: \(error)", details: "")
        }
        let bytes: [UInt8]
        do {
            bytes = Array((try await response.body.collect(upTo: endpoint.maximumResponseBytes)).readableBytesView)
        } catch is NIOTooManyBytesError {
            return .permanent(message: "POST \(endpoint.url) answered more than \(endpoint.maximumResponseBytes) bytes (maxResponseBytes)", details: "")
        } catch {
            return .transient(message: "POST \(endpoint.url): reading the answer failed: \(error)", details: "")
        }
        let status = Int(response.status.code)
        let source = "POST \(endpoint.url) (\(status))"
        switch status {
        case 200..<300:
            return CallResult.parse(bytes, source: source, asError: nil)
        case _ where endpoint.bpmnErrorStatus.contains(status):
            return CallResult.parse(bytes, source: source, asError: "HTTP_\(status)")
        case 500...:
            return .transient(message: "\(source): the service failed", details: String(decoding: bytes.prefix(2000), as: UTF8.self))
        default:
            return .permanent(message: "\(source): the service refused the task", details: String(decoding: bytes.prefix(2000), as: UTF8.self))
        }
    }

    /// Runs the command with the task on stdin; exit 0: done (stdout is the result), the
    /// configured exit code: BPMN error, other exits and the timeout: retry.
    func run(_ command: WorkerConfiguration.CommandAction, input: [UInt8]) async -> CallResult {
        let program = command.command[0]
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        let options = {
            var options = PlatformOptions()
            options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(2))]
            return options
        }()
        let started = ContinuousClock.now
        do {
            let result = try await withThrowingTaskGroup(of: ExecutionResult<Void, BytesOutput, BytesOutput>?.self) { group in
                group.addTask {
                    try await Subprocess.run(
                        executable, arguments: Arguments(Array(command.command.dropFirst())), platformOptions: options,
                        input: TaskInput(bytes: input), output: .bytes(limit: command.maximumOutputBytes), error: .bytes(limit: 64 << 10))
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(command.timeout))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let result else {
                return .transient(message: "\(program) timed out after \(command.timeout) ms and was stopped", details: "")
            }
            let errors = String(decoding: result.standardError.suffix(2000), as: UTF8.self)
            switch result.terminationStatus {
            case .exited(0):
                return CallResult.parse(result.standardOutput, source: program, asError: nil)
            case .exited(let code) where code == command.bpmnErrorExitCode:
                return CallResult.parse(result.standardOutput, source: program, asError: "EXIT_\(code)")
            case .exited(let code):
                return .transient(message: "\(program) exited with \(code)", details: errors)
            case .signaled(let signal):
                return .transient(message: "\(program) was killed by signal \(signal)", details: errors)
            }
        } catch {
            let elapsed = ContinuousClock.now - started
            return .transient(message: "\(program) failed (not started, or more than \(command.maximumOutputBytes) bytes of output): \(error) (after \(elapsed))", details: "")
        }
    }
}
