import BatonModel
import BatonStorage
import BatonTestSupport
import Testing

/// `baton bench` as a user runs it: closed and open loop on the embedded log, the figures it
/// prints read back from the journal, and what it refuses.
@Suite(.serialized)
struct BenchCommandTests {
    func bench(_ arguments: String) -> (status: Int32, output: String) {
        CommandLineTests().baton("bench \(arguments)")
    }

    /// The JSON object `--json` prints (its last line).
    func report(_ output: String) throws -> JSONValue {
        let line = try #require(output.split(separator: "\n").last, "no output")
        return try JSONValue.parse(Array(line.utf8))
    }

    @Test func closedLoopRunsEveryInstanceOfTheOrderProcess() throws {
        try #require(TestFiles.exists(CommandLineTests.binary), "\(CommandLineTests.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-bench")
        defer { directory.remove() }
        let run = bench("'\(TestFiles.examples)/order-process.bpmn' --data-dir '\(directory.path)/data' --instances 300 --in-flight 40 --warmup 20 --json")
        #expect(run.status == 0, "\(run.output)")
        let report = try report(run.output)
        guard case .array(let results)? = report["results"], results.count == 1 else {
            Issue.record("no results: \(run.output)")
            return
        }
        let figures = results[0]
        // The raw log's rate, measured after the load in the same run, and Baton's ratio to it.
        guard case .number(let raw)? = report["baseline"]?["messagesPerSecond"], case .number(let ratio)? = report["ratioToBaseline"]?["messagesPerSecond"],
              case .number(let messages)? = figures["messagesPerSecond"] else {
            Issue.record("no baseline: \(run.output)")
            return
        }
        #expect(raw > 0 && ratio > 0 && abs(ratio - messages / raw) < 1e-9 * max(1, ratio))
        #expect(figures["started"] == .number(300) && figures["completed"] == .number(300), "\(run.output)")
        #expect(figures["processId"] == .string("order-process") && figures["backend"] == .string("file"))
        // Five tasks and a gateway per order: far more records than instances, and every
        // latency within the run.
        guard case .number(let records)? = figures["recordsPerSecond"], case .number(let instances)? = figures["instancesPerSecond"],
              case .number(let seconds)? = figures["seconds"], case .number(let p50)? = figures["latencyMilliseconds"]?["p50"],
              case .number(let maximum)? = figures["latencyMilliseconds"]?["max"] else {
            Issue.record("missing figures: \(run.output)")
            return
        }
        #expect(records > 10 * instances && instances > 0)
        #expect(p50 <= maximum && maximum <= seconds * 1000 + 1, "\(run.output)")
        // The journal holds the warm-up and the measured instances, each completed once.
        let instancesListed = CommandLineTests().baton("instances --data-dir '\(directory.path)/data'")
        #expect(!instancesListed.output.contains("order-process"), "instances still active: \(instancesListed.output)")
    }

    @Test func openLoopStartsAtTheRateForTheDuration() throws {
        try #require(TestFiles.exists(CommandLineTests.binary), "\(CommandLineTests.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-bench")
        defer { directory.remove() }
        try writeFile(directory.path + "/one-task.bpmn", oneTaskProcess(id: "one", topic: "bench-work"))
        let run = bench("'\(directory.path)/one-task.bpmn' --data-dir '\(directory.path)/data' --rate 60 --duration 2 --warmup 0")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("open loop, 60 instances/s for 2 s"), "\(run.output)")
        #expect(run.output.contains("120 started, 120 completed"), "\(run.output)")
        #expect(run.output.contains("start -> end     p50"), "\(run.output)")
    }

    @Test func aSweepWritesItsCurveAsJSONAndSVG() throws {
        try #require(TestFiles.exists(CommandLineTests.binary), "\(CommandLineTests.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-bench")
        defer { directory.remove() }
        try writeFile(directory.path + "/one-task.bpmn", oneTaskProcess(id: "one", topic: "bench-work"))
        let output = directory.path + "/out/sweep.json"
        let run = bench("'\(directory.path)/one-task.bpmn' --data-dir '\(directory.path)/data' --sweep rate=40,80 --duration 1 --warmup 10 --no-baseline --output '\(output)'")
        #expect(run.status == 0, "\(run.output)")
        let report = try JSONValue.parse(try POSIX.readFile(output))
        guard case .array(let results)? = report["results"] else {
            Issue.record("no results in \(output): \(run.output)")
            return
        }
        #expect(results.map { $0["rate"] } == [.number(40), .number(80)])
        #expect(results.map { $0["started"] } == [.number(40), .number(80)])
        #expect(report["baseline"] == nil)
        let chart = String(decoding: try POSIX.readFile(directory.path + "/out/sweep.svg"), as: UTF8.self)
        #expect(chart.hasPrefix("<svg") && chart.contains("offered rate"))
        // Four series (p50, p99, max, achieved), a point per rate each.
        #expect(chart.split(separator: "<circle", omittingEmptySubsequences: false).count - 1 == 8)
    }

    @Test func badRequestsAreRefusedNamingWhy() throws {
        try #require(TestFiles.exists(CommandLineTests.binary), "\(CommandLineTests.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-bench")
        defer { directory.remove() }
        let two = directory.path + "/two.bpmn"
        let text = String(decoding: oneTaskProcess(id: "first", topic: "a"), as: UTF8.self)
            .replacingFirst("</bpmn:definitions>", with: "<bpmn:process id=\"second\" isExecutable=\"true\"><bpmn:startEvent id=\"S2\"/></bpmn:process></bpmn:definitions>")
        try writeFile(two, Array(text.utf8))
        try writeFile(directory.path + "/one.bpmn", oneTaskProcess(id: "lonely", topic: "nobody-answers"))
        let data = "--data-dir '\(directory.path)/data'"
        for (arguments, expected) in [
            ("'\(two)' \(data)", "2 executable processes (first, second): name one with --process"),
            ("'\(two)' \(data) --process third", "no executable process 'third'"),
            ("'\(two)' \(data) --rate 0", "--rate must be"),
            ("'\(two)' \(data) --instances 0", "--instances and --in-flight must be at least 1"),
            ("'\(two)' \(data) --sweep rate=10,0", "--sweep must be up to 50 rates"),
            ("'\(two)' \(data) --sweep rate=10,x", "--sweep must be up to 50 rates"),
            ("'\(two)' \(data) --sweep rate=" + Array(repeating: "10", count: 51).joined(separator: ","), "--sweep must be up to 50 rates"),
            ("'\(two)' \(data) --sweep " + String(repeating: "9", count: 5000), "--sweep must be up to 50 rates"),
            ("'\(two)' \(data) --rate 5 --sweep 10", "give --rate or --sweep, not both"),
            ("'\(two)' \(data) --payload-bytes 600000", "--payload-bytes must be 0 to 512000"),
            ("'\(two)' \(data) --variables '[1]'", "JSON object"),
            ("'\(directory.path)/missing.bpmn' \(data)", "missing.bpmn"),
            ("'\(directory.path)/one.bpmn' \(data) --external-workers --instances 5 --warmup 0 --stall-seconds 1", "5 of 5 instances did not complete"),
        ] {
            let run = bench(arguments)
            #expect(run.status != 0 && run.output.contains(expected), "\(arguments): \(run.output)")
        }
        // A folder the bench did not make is never removed.
        let precious = directory.path + "/precious"
        try writeFile(precious + "/keep.txt", Array("mine".utf8))
        let refused = bench("'\(directory.path)/one.bpmn' --data-dir '\(precious)'")
        #expect(refused.status != 0 && refused.output.contains("was not made by 'baton bench'"), "\(refused.output)")
        #expect(TestFiles.exists(precious + "/keep.txt"))
    }
}

extension String {
    /// This string with the first `target` replaced (tests avoid Foundation).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        let characters = Array(self), pattern = Array(target)
        guard pattern.count <= characters.count else { return self }
        for start in 0...(characters.count - pattern.count) where Array(characters[start..<(start + pattern.count)]) == pattern {
            return String(characters[..<start]) + replacement + String(characters[(start + pattern.count)...])
        }
        return self
    }
}
