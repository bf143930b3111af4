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
        var url: String?
        // Generous: the whole suite runs in parallel on two cores.
        let deadline = ContinuousClock.now + .seconds(120)
        while url == nil, ContinuousClock.now < deadline, run.exitStatus() == nil {
            let printed = String(decoding: (try? POSIX.readFile(output)) ?? [], as: UTF8.self)
            url = printed.split(separator: "\n").first { $0.hasPrefix("gateway: http://") }.map { String($0.dropFirst("gateway: ".count).prefix { $0 != " " }) }
            if url == nil { try await Task.sleep(nanoseconds: 50_000_000) }
        }
        guard let url else {
            Issue.record("baton run printed no gateway address: \(String(decoding: (try? POSIX.readFile(output)) ?? [], as: UTF8.self))")
            run.kill(SIGKILL)
            _ = run.wait()
            return nil
        }
        return RunningGateway(run: run, url: url, backend: backendUnderTest, output: output)
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

    @Test(arguments: ["file", "kafka"])
    func camunda7PythonClientRunsUnchanged(_ backend: String) async throws {
        let directory = TemporaryDirectory("baton-gateway")
        defer { directory.remove() }
        guard let gateway = try await Self.startGateway(backend, in: directory) else { return }
        defer { gateway.run.kill(SIGKILL); _ = gateway.run.wait() }
        let client = try ExternalClientTests.shell("'\(ExternalClientTests.python)' '\(Self.script)' '\(gateway.url)' demo s3cret 2>&1", in: directory)
        #expect(client.status == 0, "the Camunda 7 Python client: \(client.output.suffix(3000))\nbaton run: \(gateway.printed.suffix(2000))")
        let summary = try Self.result(client.output)
        #expect(summary?["started"] == .number(6))
        #expect(summary?["retried"] == .number(1), "one task ran out of retries and was retried in bulk")
        #expect(summary?["seen"] == .object([
            "ok": .number(2), "declined": .number(1), "flaky": .number(1), "broken": .number(3), "slow": .number(1),
        ]))
        Self.expectNothingLeft(gateway)
    }

    /// Camunda 8's Python SDK (camunda-orchestration-sdk) against `/v2`: topology, deploy,
    /// create and cancel instances, a job worker completing, failing with retries and
    /// back-off, throwing a BPMN error, two incidents fixed by new retries and by resolution,
    /// problem details (Tests/Clients/camunda8_client.py).
    @Test(arguments: ["file", "kafka"])
    func camunda8PythonSDKRunsUnchanged(_ backend: String) async throws {
        let directory = TemporaryDirectory("baton-gateway-v2")
        defer { directory.remove() }
        guard let gateway = try await Self.startGateway(backend, in: directory) else { return }
        defer { gateway.run.kill(SIGKILL); _ = gateway.run.wait() }
        let script = TestFiles.packageRoot + "/Tests/Clients/camunda8_client.py"
        let client = try ExternalClientTests.shell("'\(ExternalClientTests.python)' '\(script)' '\(gateway.root)' demo s3cret 2>&1", in: directory)
        #expect(client.status == 0, "the Camunda 8 Python SDK: \(client.output.suffix(3000))\nbaton run: \(gateway.printed.suffix(2000))")
        let summary = try Self.result(client.output)
        #expect(summary?["started"] == .number(6))
        #expect(summary?["brokenJobs"] == .number(2))
        #expect(summary?["seen"] == .object(["ok": .number(2), "declined": .number(1), "flaky": .number(1), "broken": .number(2)]))
        Self.expectNothingLeft(gateway)
    }
}
