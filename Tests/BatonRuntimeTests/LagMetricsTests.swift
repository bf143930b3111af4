import BatonFileLog
import BatonKafka
import BatonLog
import BatonModel
import BatonStorage
import BatonTestSupport
import BatonWorker
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The lag of a task topic's workers, as `baton topics lag` prints it and `/metrics` exports
/// it, against a lag the test makes itself: 15 task messages on two partitions, 4 of them
/// committed by the topic's consumer group.
@Suite(.serialized)
struct LagMetricsTests {
    static let binary = CrashTests.binary

    /// Appends one entry per batch (so even the test broker's high watermark is right) and
    /// commits 4 on partition 0: lag 6 + 5 = 11.
    static func makeLag(_ log: any Log) throws {
        let topic = Topics.tasks("lagging")
        for (partition, count) in [(Int32(0), 10), (Int32(1), 5)] {
            for index in 0..<count {
                try log.append([Array("{\"filler\":\(index)}".utf8)], to: TopicPartition(topic, partition))
            }
        }
        try log.commit(group: TaskTopicLag.group("lagging"), partition: TopicPartition(topic, 0), position: 4)
    }

    @Test(arguments: ["file", "kafka"])
    func topicsLagAndMetricsShowTheLagTheTestMade(_ backend: String) throws {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-lag")
        defer { directory.remove() }
        let cli = CommandLineTests()
        let backendUnderTest = try BackendUnderTest(backend, label: "lag", directory: directory, topics: [Topics.journal: 2, Topics.tasks("lagging"): 3])
        let where_ = backendUnderTest.arguments
        let log = backendUnderTest.log
        try Self.makeLag(log)
        let arguments = backendUnderTest.quoted

        let table = cli.baton("topics lag \(arguments)")
        #expect(table.status == 0, "\(table.output)")
        let row = table.output.split(separator: "\n").first { $0.hasPrefix("baton.task.lagging") }.map { $0.split(separator: " ").map(String.init) }
        #expect(row == ["baton.task.lagging", "baton-workers.lagging", "3", "15", "4", "11"], "\(table.output)")
        let detail = cli.baton("topics lag \(arguments) --per-partition --topic lagging").output
        #expect(detail.contains("baton.task.lagging  baton-workers.lagging  0          10   4          6"), "\(detail)")
        #expect(detail.contains("baton.task.lagging  baton-workers.lagging  2          0    -          0"), "\(detail)")

        // The same figure on /metrics of a running engine.
        let output = directory.path + "/run.out"
        let command = backend == "kafka" ? ["engine"] : ["run"]
        let run = try ChildProcess.spawn(Self.binary, command + where_ + ["--metrics-port", "0", "--metrics-host", "127.0.0.1"], output: output, errorsToOutput: true)
        defer { run.kill(SIGKILL); _ = run.wait() }
        var url = ""
        let deadline = WallClockMilliseconds.now() + 20_000
        while url.isEmpty, WallClockMilliseconds.now() < deadline {
            let printed = String(decoding: (try? POSIX.readFile(output)) ?? [], as: UTF8.self)
            if let line = printed.split(separator: "\n").first(where: { $0.hasPrefix("metrics: ") }) { url = String(line.dropFirst(9)) }
            usleep(50_000)
        }
        try #require(!url.isEmpty, "no metrics address printed: \(String(decoding: (try? POSIX.readFile(output)) ?? [], as: UTF8.self))")
        let scraped = cli.shell("/usr/bin/python3 -c \"import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('\(url)').read().decode())\"")
        #expect(scraped.output.contains(#"baton_task_topic_lag{topic="baton.task.lagging",group="baton-workers.lagging"} 11.0"#), "\(scraped.output)")
        #expect(scraped.output.contains("# TYPE baton_step_processing_seconds histogram"), "\(scraped.output)")
        #expect(scraped.output.contains("baton_journal_lag{partition=\"1\"}") || backend == "kafka", "\(scraped.output)")
        // Garbage, an oversized request and a request for another path: refused, and the
        // endpoint goes on serving.
        let hostPort = url.dropFirst("http://".count).split(separator: "/")[0].split(separator: ":")
        let hostile = """
            import socket
            for payload in [b"\\x00\\xff garbage\\r\\n\\r\\n", b"GET /metrics HTTP/1.1\\r\\nX: " + b"y" * 300000 + b"\\r\\n\\r\\n"]:
                s = socket.create_connection(("\(hostPort[0])", \(hostPort[1])), timeout=5)
                try:
                    s.sendall(payload)
                    s.recv(100)
                except OSError:
                    pass
                s.close()
            """
        try writeFile(directory.path + "/hostile.py", Array(hostile.utf8))
        _ = cli.shell("/usr/bin/python3 '\(directory.path)/hostile.py'")
        let other = cli.shell("/usr/bin/python3 -c \"import urllib.request,urllib.error\ntry: urllib.request.urlopen('\("http://\(hostPort[0]):\(hostPort[1])/other")')\nexcept urllib.error.HTTPError as e: print(e.code)\"")
        #expect(other.output.contains("404"), "\(other.output)")
        let again = cli.shell("/usr/bin/python3 -c \"import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('\(url)').read().decode())\"")
        #expect(again.output.contains("baton_task_topic_lag"), "\(again.output)")
        run.kill(SIGTERM)
        #expect(run.wait() == 0)
    }
}
