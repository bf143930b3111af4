import BatonLog
import BatonModel
import BatonStorage
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Camunda 7's own Python external task client (camunda-external-task-client-python3 from
/// PyPI, installed by `make test`) against `baton run --gateway-port`, on the file log and on
/// the test broker: deploy, start, fetch and lock, complete with variables, failure with
/// retries and retry timeout, a BPMN error caught by a boundary event, extendLock, an
/// incident after the last retry and a bulk retry; Camunda's error bodies for a worker that
/// does not hold the lock, an unknown task, malformed requests, an oversized body and wrong
/// credentials (Tests/Clients/camunda7_client.py); and Camunda 8's SDK against `/v2`.
@Suite(.serialized)
struct GatewayTests {
    static let binary = CrashTests.binary
    static let script = TestFiles.packageRoot + "/Tests/Clients/camunda7_client.py"

    /// `baton run --gateway-port 0 --credentials` on `backend`, and the address it prints.
    struct RunningGateway {
        let run: ChildProcess
        let url: String
        let backend: BackendUnderTest
        let output: String
        var printed: String { String(decoding: (try? POSIX.readFile(output)) ?? [], as: UTF8.self) }
        /// `http://host:port`, without the Camunda 7 path.
        var root: String { String(url.dropLast(Self.engineRestPath.count)) }
        static let engineRestPath = "/engine-rest"
    }

    static func startGateway(_ backend: String, in directory: TemporaryDirectory) async throws -> RunningGateway? {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        try #require(TestFiles.exists(ExternalClientTests.python), "the clients virtualenv is missing: `make test` (target clients) creates it")
        let backendUnderTest = try BackendUnderTest(backend, label: "gateway", directory: directory, topics: [Topics.journal: 2])
        try writeFile(directory.path + "/credentials", Array("# who may call\nbasic demo:s3cret\nbearer token-1\n".utf8))
        let output = directory.path + "/run.out"
        let run = try ChildProcess.spawn(
            Self.binary, ["run", "--gateway-port", "0", "--credentials", directory.path + "/credentials"] + backendUnderTest.arguments,
            output: output, errorsToOutput: true)
        guard let url = try await address(printedBy: run, in: output) else {
            Issue.record("baton run printed no gateway address: \(String(decoding: (try? POSIX.readFile(output)) ?? [], as: UTF8.self))")
            run.kill(SIGKILL)
            _ = run.wait()
            return nil
        }
        return RunningGateway(run: run, url: url, backend: backendUnderTest, output: output)
    }

    /// The Camunda 7 address a `baton run --gateway-port` or `baton gateway` prints, waiting
    /// for it (nil if the process ends or nothing comes within 4 minutes).
    static func address(printedBy process: ChildProcess, in output: String) async throws -> String? {
        // Generous: the whole suite runs in parallel on two cores.
        let deadline = ContinuousClock.now + .seconds(240)
        while ContinuousClock.now < deadline, process.exitStatus() == nil {
            let printed = String(decoding: (try? POSIX.readFile(output)) ?? [], as: UTF8.self)
            if let url = printed.split(separator: "\n").first(where: { $0.hasPrefix("gateway: http://") }) {
                return String(url.dropFirst("gateway: ".count).prefix { $0 != " " })
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        return nil
    }

    /// Stops the gateway's `baton run` and checks that what the clients appended, the
    /// engine folded: nothing is left running or failed.
    static func expectNothingLeft(_ gateway: RunningGateway) {
        gateway.run.kill(SIGTERM)
        _ = gateway.run.wait()
        let cli = CommandLineTests()
        let replay = cli.baton("replay \(gateway.backend.quoted)")
        let partitions = replay.output.split(separator: "\n").filter { $0.hasPrefix("partition ") && $0.contains(": replayed") }
        #expect(partitions.count == 2 && partitions.allSatisfy { $0.contains("; 0 active instance(s), 0 open incident(s)") }, "\(replay.output)")
        let incidents = cli.baton("incidents list \(gateway.backend.quoted)")
        #expect(incidents.output.contains("0 open incident(s)"), "\(incidents.output)")
    }

    /// The last `RESULT {json}` line a client script printed.
    static func result(_ output: String) throws -> JSONValue? {
        try output.split(separator: "\n").last { $0.hasPrefix("RESULT ") }.map { try JSONValue.parse(String($0.dropFirst("RESULT ".count))) }
    }

    /// Runs a client script against a fresh gateway on `backend` (its address: the Camunda 7
    /// URL, or the root with `root`), expects it to succeed and leave nothing running;
    /// returns its RESULT.
    static func runClient(_ name: String, script: String, backend: String, root: Bool = false) async throws -> JSONValue? {
        let directory = TemporaryDirectory("baton-gateway")
        defer { directory.remove() }
        guard let gateway = try await startGateway(backend, in: directory) else { return nil }
        defer { gateway.run.kill(SIGKILL); _ = gateway.run.wait() }
        let client = try ExternalClientTests.shell(
            "'\(ExternalClientTests.python)' '\(script)' '\(root ? gateway.root : gateway.url)' demo s3cret 2>&1", in: directory)
        #expect(client.status == 0, "\(name): \(client.output.suffix(3000))\nbaton run: \(gateway.printed.suffix(2000))")
        expectNothingLeft(gateway)
        return try result(client.output)
    }

    @Test(arguments: ["file", "kafka"])
    func camunda7PythonClientRunsUnchanged(_ backend: String) async throws {
        let summary = try await Self.runClient("the Camunda 7 Python client", script: Self.script, backend: backend)
        #expect(summary?["started"] == .number(6))
        #expect(summary?["retried"] == .number(1), "one task ran out of retries and was retried in bulk")
        #expect(summary?["seen"] == .object([
            "ok": .number(2), "declined": .number(1), "flaky": .number(1), "broken": .number(3), "slow": .number(1),
        ]))
    }

    /// Camunda 8's Python SDK (camunda-orchestration-sdk) against `/v2`: topology, deploy,
    /// create and cancel instances, a job worker completing, failing with retries and
    /// back-off, throwing a BPMN error, three incidents fixed by new retries, by resolution
    /// and by Baton's bulk retry; Baton's history and lag; messages published, correlated
    /// and sent through Camunda 7's /message; problem details (Tests/Clients/camunda8_client.py).
    @Test(arguments: ["file", "kafka"])
    func camunda8PythonSDKRunsUnchanged(_ backend: String) async throws {
        let script = TestFiles.packageRoot + "/Tests/Clients/camunda8_client.py"
        let summary = try await Self.runClient("the Camunda 8 Python SDK", script: script, backend: backend, root: true)
        #expect(summary?["started"] == .number(7))
        #expect(summary?["brokenJobs"] == .number(3))
        #expect(summary?["seen"] == .object(["ok": .number(2), "declined": .number(1), "flaky": .number(1), "broken": .number(3)]))
    }

    /// Two gateways on one log, workers of both Camunda clients on each (as behind a load
    /// balancer), 1,000 order-process instances; gateway B is killed with SIGKILL when a
    /// third of the tasks are done. Every instance completes, and the events topic shows
    /// every task of every instance completed exactly once (the workers may have run a
    /// task twice: B's locked tasks came back when their locks ran out).
    @Test func twoGatewaysOneKilledEveryTaskCompletedOnce() async throws {
        let directory = TemporaryDirectory("baton-two-gateways")
        defer { directory.remove() }
        guard let gatewayA = try await Self.startGateway("file", in: directory) else { return }
        defer { gatewayA.run.kill(SIGKILL); _ = gatewayA.run.wait() }
        let outputB = directory.path + "/gateway-b.out"
        let gatewayB = try ChildProcess.spawn(
            Self.binary, ["gateway", "--port", "0", "--credentials", directory.path + "/credentials"] + gatewayA.backend.arguments,
            output: outputB, errorsToOutput: true)
        defer { gatewayB.kill(SIGKILL); _ = gatewayB.wait() }
        guard let urlB = try await Self.address(printedBy: gatewayB, in: outputB) else {
            Issue.record("baton gateway printed no address: \(String(decoding: (try? POSIX.readFile(outputB)) ?? [], as: UTF8.self))")
            return
        }
        let count = 1_000
        let script = TestFiles.packageRoot + "/Tests/Clients/two_gateways.py"
        let bpmn = TestFiles.packageRoot + "/bpmn/order-process.bpmn"
        let rootB = String(urlB.dropLast(RunningGateway.engineRestPath.count))
        let client = try ExternalClientTests.shell(
            "'\(ExternalClientTests.python)' '\(script)' '\(gatewayA.root)' '\(rootB)' \(gatewayB.pid) demo s3cret '\(bpmn)' \(count) 2>&1 | grep -v '| DEBUG\\|| INFO'",
            in: directory)
        #expect(client.status == 0, "the workers: \(client.output.suffix(3000))\nbaton run: \(gatewayA.printed.suffix(2000))")
        #expect(gatewayB.exitStatus() != nil, "gateway B was killed")
        let summary = try Self.result(client.output)
        for type in ["validate-order", "reserve-inventory", "charge-payment", "ship-order", "notify-customer"] {
            #expect(summary?["handled"]?[type] == .number(Double(count)), "\(type): \(summary?.jsonText ?? String(client.output.suffix(2000)))")
        }

        // The events topic: each record once (by journal partition, position, index), each
        // task of each instance completed once, every instance completed.
        Self.expectNothingLeft(gatewayA)
        var seen: Set<String> = []
        var completedTasks: [String: Int] = [:]
        var completedInstances = 0
        for partition in Int32(0)..<2 {
            for entry in try readAll(gatewayA.backend.log, TopicPartition(Topics.events, partition)) {
                let event = try JSONValue.parse(entry.payload)
                guard case .number(let position)? = event["journalPosition"], case .number(let index)? = event["index"],
                      seen.insert("\(partition)/\(position)/\(index)").inserted,
                      event["recordType"] == .string("event"), case .string(let intent)? = event["intent"] else { continue }
                if intent == "instanceCompleted" { completedInstances += 1 }
                if intent == "taskCompleted", case .string(let element)? = event["elementId"], case .string(let instance)? = event["instanceKey"] {
                    completedTasks[instance + "/" + element, default: 0] += 1
                }
            }
        }
        #expect(completedInstances == count)
        #expect(completedTasks.count == count * 5)
        #expect(completedTasks.values.allSatisfy { $0 == 1 }, "tasks completed more than once: \(completedTasks.filter { $0.value > 1 }.prefix(5))")
    }
}
