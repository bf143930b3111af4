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
/// credentials (Tests/Clients/camunda7_client.py).
@Suite(.serialized)
struct GatewayTests {
    static let binary = CrashTests.binary
    static let script = TestFiles.packageRoot + "/Tests/Clients/camunda7_client.py"

    @Test(arguments: ["file", "kafka"])
    func camunda7PythonClientRunsUnchanged(_ backend: String) async throws {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        try #require(TestFiles.exists(ExternalClientTests.python), "the clients virtualenv is missing: `make test` (target clients) creates it")
        let directory = TemporaryDirectory("baton-gateway")
        defer { directory.remove() }
        let backendUnderTest = try BackendUnderTest(backend, label: "gateway", directory: directory, topics: [Topics.journal: 2])
        try writeFile(directory.path + "/credentials", Array("# who may call\nbasic demo:s3cret\nbearer token-1\n".utf8))
        let output = directory.path + "/run.out"
        let run = try ChildProcess.spawn(
            Self.binary, ["run", "--gateway-port", "0", "--credentials", directory.path + "/credentials"] + backendUnderTest.arguments,
            output: output, errorsToOutput: true)
        defer { run.kill(SIGKILL); _ = run.wait() }
        var url: String?
        // Generous: the whole suite runs in parallel on two cores.
        let deadline = ContinuousClock.now + .seconds(120)
        while url == nil, ContinuousClock.now < deadline, run.exitStatus() == nil {
            let printed = String(decoding: (try? POSIX.readFile(output)) ?? [], as: UTF8.self)
            url = printed.split(separator: "\n").first { $0.hasPrefix("gateway: http://") }.map { String($0.dropFirst("gateway: ".count).prefix { $0 != " " }) }
            if url == nil { try await Task.sleep(nanoseconds: 50_000_000) }
        }
        let printed = { String(decoding: (try? POSIX.readFile(output)) ?? [], as: UTF8.self) }
        guard let url else {
            Issue.record("baton run printed no gateway address: \(printed())")
            return
        }
        let client = try ExternalClientTests.shell("'\(ExternalClientTests.python)' '\(Self.script)' '\(url)' demo s3cret 2>&1", in: directory)
        #expect(client.status == 0, "the Camunda 7 Python client: \(client.output.suffix(3000))\nbaton run: \(printed().suffix(2000))")
        let result = client.output.split(separator: "\n").last { $0.hasPrefix("RESULT ") }.map { String($0.dropFirst("RESULT ".count)) }
        let summary = try result.map { try JSONValue.parse($0) }
        #expect(summary?["started"] == .number(6))
        #expect(summary?["retried"] == .number(1), "one task ran out of retries and was retried in bulk")
        #expect(summary?["seen"] == .object([
            "ok": .number(2), "declined": .number(1), "flaky": .number(1), "broken": .number(3), "slow": .number(1),
        ]))

        // What the gateway appended, the engine folded: nothing is left running or failed.
        run.kill(SIGTERM)
        _ = run.wait()
        let cli = CommandLineTests()
        let replay = cli.baton("replay \(backendUnderTest.quoted)")
        let partitions = replay.output.split(separator: "\n").filter { $0.hasPrefix("partition ") && $0.contains(": replayed") }
        #expect(partitions.count == 2 && partitions.allSatisfy { $0.contains("; 0 active instance(s), 0 open incident(s)") }, "\(replay.output)")
        let incidents = cli.baton("incidents list \(backendUnderTest.quoted)")
        #expect(incidents.output.contains("0 open incident(s)"), "\(incidents.output)")
    }
}
