import BatonFileLog
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `baton worker --config` as a user runs it: `baton run` in one process, configured
/// workers in others, calling a small HTTP service (Tests/Clients/http_service.py) and
/// shell scripts.
@Suite(.serialized)
struct ConfiguredWorkerTests {
    static let binary = CrashTests.binary
    static let service = TestFiles.packageRoot + "/Tests/Clients/http_service.py"

    /// A running HTTP test service on a free port.
    struct Service {
        let process: ChildProcess
        let port: Int
        let state: String

        init(directory: TemporaryDirectory) throws {
            state = directory.path + "/service"
            try POSIX.makeDirectories(state)
            var started: (ChildProcess, Int)?
            for _ in 0..<5 where started == nil {
                let port = Int.random(in: 21_000..<29_000)
                let output = "\(state)/service-\(port).out"
                let process = try ChildProcess.spawn("/usr/bin/python3", [ConfiguredWorkerTests.service, "\(port)", state], output: output, errorsToOutput: true)
                let deadline = WallClockMilliseconds.now() + 10_000
                while WallClockMilliseconds.now() < deadline {
                    let printed = String(decoding: (try? POSIX.readFile(output)) ?? [], as: UTF8.self)
                    if printed.contains("ready") { started = (process, port); break }
                    if process.exitStatus() != nil { break }  // the port was taken: try another
                    usleep(20_000)
                }
                if started == nil { process.kill(SIGKILL); _ = process.wait() }
            }
            guard let started else { throw LogError("the HTTP test service did not start") }
            (process, port) = started
        }

        var url: String { "http://127.0.0.1:\(port)" }

        /// Every call so far: path -> correlationId -> the workerIds that called.
        func calls() -> [String: [String: [String]]] {
            let output = CommandLineTests().shell("/usr/bin/python3 -c \"import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('\(url)/calls').read().decode())\"")
            guard let json = try? JSONValue.parse(output.output), let paths = json.objectValue else { return [:] }
            return paths.mapValues { ids in
                (ids.objectValue ?? [:]).mapValues { workers in
                    guard case .array(let list) = workers else { return [] }
                    return list.map { if case .string(let id) = $0 { id } else { "" } }
                }
            }
        }

        func stop() {
            process.kill(SIGKILL)
            _ = process.wait()
        }
    }

    /// Every event in the journal of a data folder (read while the engine runs).
    static func events(_ data: String) throws -> [Record] {
        let log = try FileLog(directory: data + "/log")
        var events: [Record] = []
        for partition in try 0..<log.partitionCount(of: Topics.journal) {
            for entry in try readAll(log, TopicPartition(Topics.journal, partition)) {
                if case .step(let step) = try JournalEntry.decode(entry, partition: partition) {
                    events += step.records.filter { $0.recordType == .event }
                }
            }
        }
        return events
    }

    /// Waits until `done` holds for the journal's events (up to `seconds`); returns them.
    static func waitForEvents(_ data: String, seconds: Int64 = 30, _ done: ([Record]) -> Bool) throws -> [Record] {
        let deadline = WallClockMilliseconds.now() + seconds * 1000
        var events = try Self.events(data)
        while !done(events), WallClockMilliseconds.now() < deadline {
            usleep(100_000)
            events = try Self.events(data)
        }
        return events
    }

    @Test func httpAndCommandWorkersAnswerEveryWay() throws {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-configured")
        defer { directory.remove() }
        let cli = CommandLineTests()
        let data = directory.path + "/data"
        let service = try Service(directory: directory)
        defer { service.stop() }
        try writeFile(service.state + "/down", [])

        // One process per topic; some catch the BPMN error their worker throws.
        let processes: [(topic: String, retries: Int, catches: String?)] = [
            ("http-ok", 3, nil), ("http-declined", 3, "DECLINED"), ("http-broken", 3, nil), ("http-refused", 3, nil),
            ("http-slow", 3, nil), ("http-flaky", 3, nil), ("exec-ok", 3, nil), ("exec-error", 3, "SCRIPT_ERROR"), ("exec-fail", 3, nil),
            ("exec-slow", 3, nil), ("http-notjson", 3, nil), ("http-huge", 3, nil), ("exec-garbage", 3, nil), ("exec-deaf", 3, nil),
        ]
        for process in processes {
            let file = "\(directory.path)/\(process.topic).bpmn"
            try writeFile(file, oneTaskProcess(id: process.topic, topic: process.topic, retries: process.retries, catchErrorCode: process.catches))
            let deployed = cli.baton("deploy --data-dir '\(data)' '\(file)'")
            #expect(deployed.status == 0, "\(deployed.output)")
        }
        let scripts = directory.path + "/scripts"
        try POSIX.makeDirectories(scripts)
        try writeFile(scripts + "/ok.sh", Array("#!/bin/sh\ncat >/dev/null\necho '{\"fromScript\":true,\"variables\":{\"scripted\":1}}'\n".utf8))
        try writeFile(scripts + "/error.sh", Array("#!/bin/sh\ncat >/dev/null\necho '{\"errorCode\":\"SCRIPT_ERROR\",\"errorMessage\":\"the script says no\"}'\nexit 3\n".utf8))
        try writeFile(scripts + "/fail.sh", Array("#!/bin/sh\ncat >/dev/null\necho 'disk full' >&2\nexit 1\n".utf8))
        try writeFile(scripts + "/slow.sh", Array("#!/bin/sh\ncat >/dev/null\nsleep 30\n".utf8))
        try writeFile(scripts + "/garbage.sh", Array("#!/bin/sh\ncat >/dev/null\nyes z | head -c 3000000\n".utf8))
        for script in ["ok", "error", "fail", "slow", "garbage"] { chmod("\(scripts)/\(script).sh", 0o755) }
        let config = """
            workerId: configured-test
            topics:
              http-ok: {http: {url: "${SERVICE}/ok", headers: {X-Token: "${TOKEN}"}}}
              http-declined: {http: {url: "${SERVICE}/declined", bpmnErrorStatus: [422]}}
              http-broken: {http: {url: "${SERVICE}/broken"}, retries: 1, retryTimeoutMs: 100}
              http-refused: {http: {url: "${SERVICE}/refused"}}
              http-slow: {http: {url: "${SERVICE}/slow?ms=5000", timeoutMs: 10000}, lockDurationMs: 1000}
              http-flaky: {http: {url: "${SERVICE}/flaky"}, retries: 1, retryTimeoutMs: 100, backoff: exponential}
              exec-ok: {exec: {command: ["\(scripts)/ok.sh"]}}
              exec-error: {exec: {command: ["\(scripts)/error.sh"]}}
              exec-fail: {exec: {command: "\(scripts)/fail.sh"}, retries: 0}
              exec-slow: {exec: {command: ["\(scripts)/slow.sh"], timeoutMs: 500}, retries: 0}
              http-notjson: {http: {url: "${SERVICE}/notjson"}}
              http-huge: {http: {url: "${SERVICE}/huge"}}
              exec-garbage: {exec: {command: ["\(scripts)/garbage.sh"]}, retries: 0}
              exec-deaf: {exec: {command: "exec 0<&-; sleep 0.2"}, retries: 0}
            """
        try writeFile(directory.path + "/workers.yaml", Array(config.utf8))

        // A missing environment variable is named with the file and line.
        let refused = cli.baton("worker --data-dir '\(data)' --config '\(directory.path)/workers.yaml'")
        #expect(refused.status != 0 && refused.output.contains("workers.yaml:3:") && refused.output.contains("${SERVICE}"), "\(refused.output)")

        let run = try ChildProcess.spawn(Self.binary, ["run", "--data-dir", data, "--lock-duration", "1500"])
        defer { run.kill(SIGKILL); _ = run.wait() }
        var environment = environmentVariables()
        environment["SERVICE"] = service.url
        environment["TOKEN"] = "secret"
        let workerOutput = directory.path + "/worker.out"
        let worker = try ChildProcess.spawn(
            Self.binary, ["worker", "--data-dir", data, "--config", directory.path + "/workers.yaml", "--metrics-port", "0", "--metrics-host", "127.0.0.1"],
            environment: environment, output: workerOutput, errorsToOutput: true)
        defer { worker.kill(SIGKILL); _ = worker.wait() }
        // The metrics address first, so that scraping starts with the slow call (the whole
        // suite shares two cores: a worker can take seconds to print it).
        var metricsURL = ""
        let addressDeadline = WallClockMilliseconds.now() + 120_000
        while metricsURL.isEmpty, WallClockMilliseconds.now() < addressDeadline {
            let printed = String(decoding: (try? POSIX.readFile(workerOutput)) ?? [], as: UTF8.self)
            if let line = printed.split(separator: "\n").first(where: { $0.hasPrefix("metrics: ") }) { metricsURL = String(line.dropFirst(9)) }
            usleep(50_000)
        }
        // A command that closes its input unread: the task (90 KB, more than a pipe holds)
        // cannot all be written; it completes all the same, and the worker lives on (SIGPIPE
        // ended the worker process, then swift-subprocess did, on the failed write).
        let unreadVariables = "{\"unread\":\"" + String(repeating: "u", count: 90_000) + "\"}"
        for process in processes {
            let variables = process.topic == "exec-deaf" ? " --vars '\(unreadVariables)'" : ""
            let started = cli.baton("start --data-dir '\(data)' \(process.topic) --correlation-id \(process.topic)-1\(variables)")
            #expect(started.status == 0, "\(started.output)")
        }

        // While the slow endpoint works, the worker's metrics show the task in flight.
        var scraped = ""
        let scrapeDeadline = WallClockMilliseconds.now() + 30_000
        while !metricsURL.isEmpty, !scraped.contains(#"baton_tasks_in_flight{topic="http-slow"} 1.0"#), WallClockMilliseconds.now() < scrapeDeadline {
            scraped = cli.shell("/usr/bin/python3 -c \"import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('\(metricsURL)').read().decode())\"").output
            // Done with the slow call already: scraping on cannot see it in flight.
            if scraped.contains(#"baton_worker_tasks_total{topic="http-slow""#) { break }
            usleep(100_000)
        }
        #expect(scraped.contains(#"baton_tasks_in_flight{topic="http-slow"} 1.0"#), "\(scraped)")
        #expect(scraped.contains(#"baton_task_topic_lag{topic="baton.task.http-ok",group="baton-workers.http-ok"}"#), "\(scraped)")

        let settled: Set<String> = ["http-ok", "http-declined", "http-slow", "exec-ok", "exec-error", "exec-deaf"]
        let incidents: Set<String> = ["http-broken", "http-refused", "http-flaky", "exec-fail", "exec-slow", "http-notjson", "http-huge", "exec-garbage"]
        var events = try Self.waitForEvents(data) { events in
            settled.allSatisfy { topic in events.contains { $0.intent == .instanceCompleted && $0.key == "\(topic)-1" } }
                && incidents.allSatisfy { topic in events.contains { $0.intent == .incidentCreated && $0.key == "\(topic)-1" } }
        }
        func task(_ intent: Intent, _ id: String) -> TaskRecord? {
            for event in events where event.intent == intent && event.key == id { if case .task(let task) = event.value { return task } }
            return nil
        }
        func incident(_ id: String) -> IncidentRecord? {
            for event in events where event.intent == .incidentCreated && event.key == id { if case .incident(let value) = event.value { return value } }
            return nil
        }
        let printed = String(decoding: (try? POSIX.readFile(workerOutput)) ?? [], as: UTF8.self)
        for topic in settled {
            #expect(events.contains { $0.intent == .instanceCompleted && $0.key == "\(topic)-1" }, "\(topic) did not complete; worker: \(printed)")
        }
        // 2xx: the body is the result, its variables are merged.
        #expect(task(.taskCompleted, "http-ok-1")?.data["approved"] == .bool(true))
        #expect(task(.taskCompleted, "http-ok-1")?.workerId == "configured-test")
        #expect(task(.taskCompleted, "exec-ok-1")?.data == .object(["fromScript": .bool(true), "variables": .object(["scripted": .number(1)])]))
        // A configured status or exit code: a BPMN error with the body's code, caught.
        #expect(task(.taskErrorThrown, "http-declined-1")?.errorCode == "DECLINED")
        #expect(task(.taskErrorThrown, "exec-error-1")?.errorCode == "SCRIPT_ERROR")
        // 5xx: failures with the configured retries (1), then an incident.
        #expect(service.calls()["/broken"]?["http-broken-1"]?.count == 2)
        #expect(incident("http-broken-1")?.message.contains("503") == true, "\(String(describing: incident("http-broken-1")))")
        // Other 4xx and a failing command: an incident at once.
        #expect(service.calls()["/refused"]?["http-refused-1"]?.count == 1)
        #expect(incident("exec-fail-1") != nil)
        #expect(events.filter { $0.intent == .taskFailed && $0.key == "exec-fail-1" }.count == 1)
        #expect(incident("exec-slow-1")?.message.contains("timed out after 500 ms") == true, "\(String(describing: incident("exec-slow-1")))")
        // Garbage and oversized answers from a service: an incident naming what was wrong,
        // and the worker goes on.
        #expect(incident("http-notjson-1")?.message.contains("not JSON") == true, "\(String(describing: incident("http-notjson-1")))")
        #expect(incident("http-huge-1")?.message.contains("more than 1048576 bytes") == true, "\(String(describing: incident("http-huge-1")))")
        #expect(incident("exec-garbage-1") != nil, "\(String(describing: incident("exec-garbage-1")))")
        // The slow endpoint (3.5 s) kept its 1 s lock: one call, one attempt, no expiry.
        #expect(service.calls()["/slow"]?["http-slow-1"]?.count == 1)
        #expect(task(.taskCompleted, "http-slow-1")?.attempt == 1)
        #expect(!events.contains { $0.intent == .taskLockExpired && $0.key == "http-slow-1" })
        #expect(events.contains { $0.intent == .taskLockExtended && $0.key == "http-slow-1" })

        // The flaky endpoint comes back; the operator retries its incidents in bulk.
        #expect(service.calls()["/flaky"]?["http-flaky-1"]?.count == 2)
        unlink(service.state + "/down")
        let retried = cli.baton("incidents retry --data-dir '\(data)' --topic http-flaky")
        #expect(retried.status == 0, "\(retried.output)")
        events = try Self.waitForEvents(data) { events in events.contains { $0.intent == .instanceCompleted && $0.key == "http-flaky-1" } }
        #expect(events.contains { $0.intent == .instanceCompleted && $0.key == "http-flaky-1" }, "\(retried.output)")

        // SIGTERM: the worker answers what it holds and stops cleanly.
        worker.kill(SIGTERM)
        #expect(worker.wait() == 0)
        run.kill(SIGTERM)
        #expect(run.wait() == 0)
    }

    @Test func badConfigurationsNameTheFileLineAndField() throws {
        let cases: [(String, String)] = [
            ("topics:\n  a: {http: {url: ftp://x}}\n", "w.yaml:2: topics.a.http.url is 'ftp://x'"),
            ("topics:\n  a: {http: {url: 'http://x'}, exec: {command: [x]}}\n", "w.yaml:2: topics.a needs exactly one of 'http' or 'exec'"),
            ("topics:\n  a:\n    http: {url: 'http://x'}\n    maxConcurent: 3\n", "w.yaml:4: topics.a.maxConcurent is not a setting here"),
            ("topics:\n  a: {exec: {command: []}}\n", "topics.a.exec.command must be a program"),
            ("topics:\n  a: {http: {url: 'http://x'}, backoff: linear}\n", "topics.a.backoff is 'linear'"),
            ("topics:\n  a: {http: {url: 'http://x', bpmnErrorStatus: [200]}}\n", "bpmnErrorStatus must list HTTP statuses"),
            ("workerId: w\n", "'topics' must map at least one task topic"),
            ("topics: [\n", "w.yaml: not YAML"),
            ("\u{FF}\u{FE}garbage: [[[\n", "w.yaml"),
            ("# " + String(repeating: "x", count: 2 << 20) + "\ntopics: {}\n", "w.yaml: the file has 2097"),
        ]
        let directory = TemporaryDirectory("baton-config")
        defer { directory.remove() }
        for (text, expected) in cases {
            try writeFile(directory.path + "/w.yaml", Array(text.utf8))
            let result = CommandLineTests().baton("worker --data-dir '\(directory.path)/data' --config '\(directory.path)/w.yaml'")
            #expect(result.status != 0 && result.output.contains(expected), "\(text): \(result.output)")
        }
    }
}

extension CommandLineTests {
    /// Runs a shell command line; returns its exit status and output.
    func shell(_ command: String) -> (status: Int32, output: String) {
        guard let pipe = popen("\(command) 2>&1", "r") else { return (-1, "") }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, pipe)
            if count == 0 { break }
            output.append(contentsOf: buffer.prefix(count))
        }
        let status = pclose(pipe)
        return ((status >> 8) & 0xFF, String(decoding: output, as: UTF8.self))
    }
}
