import BatonFileLog
import BatonKafka
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `baton` executable as a user drives it: `baton run` in one process, `deploy`,
/// `start`, `instance`, `instances`, `incidents` and `replay` from others on the same data
/// folder while it runs.
@Suite(.serialized)
struct CommandLineTests {
    static let binary = CrashTests.binary

    /// Runs `baton ARGS` to completion; returns its exit status and standard output.
    func baton(_ arguments: String) -> (status: Int32, output: String) {
        shell("'\(Self.binary)' \(arguments)")
    }

    /// Runs `baton <command>` until its output holds `text` (at most 20 s); the last output.
    func waitFor(_ command: String, _ text: String) -> String {
        var shown = ""
        let begin = WallClockMilliseconds.now()
        while WallClockMilliseconds.now() - begin < 20_000 {
            shown = baton(command).output
            if shown.contains(text) { break }
            usleep(20_000)
        }
        return shown
    }

    @Test func aRunningEngineServesCommandsFromOtherProcesses() throws {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-cli")
        defer { directory.remove() }
        let data = "--data-dir '\(directory.path)'"
        let deployed = baton("deploy \(data) '\(TestFiles.examples)/order-process.bpmn'")
        #expect(deployed.status == 0)
        #expect(deployed.output.contains("deployed process 'order-process' version 1"))

        let run = try ChildProcess.spawn(Self.binary, ["run", "--demo-workers", "--data-dir", directory.path])
        defer { run.kill(SIGKILL); _ = run.wait() }
        // A command appended while the engine runs is processed within milliseconds.
        let started = baton("start \(data) order-process --correlation-id cli-1 --vars '{\"order\":{\"total\":120}}'")
        #expect(started.status == 0, "\(started.output)")
        var shown = ""
        let begin = WallClockMilliseconds.now()
        while WallClockMilliseconds.now() - begin < 20_000 {
            shown = baton("instance \(data) cli-1").output
            if shown.contains("is not active (completed)") { break }
            usleep(20_000)
        }
        #expect(shown.contains("is not active (completed)"), "\(shown)")
        #expect(shown.contains("entered ChargePayment") && shown.contains("left    NotifyCustomer"))

        // Bad input is refused with the reason, and nothing is appended.
        let badVariables = baton("start \(data) order-process --correlation-id cli-2 --vars '[1,'")
        #expect(badVariables.status != 0 && badVariables.output.contains("--vars is not valid JSON"))
        let unknown = baton("start \(data) nope --correlation-id cli-3")
        #expect(unknown.status != 0 && unknown.output.contains("process 'nope' is not deployed"))
        let broken = baton("deploy \(data) '\(directory.path)/missing.bpmn'")
        #expect(broken.status != 0 && broken.output.contains("missing.bpmn"))

        #expect(baton("instances \(data)").output.contains("0 active instance(s)"))
        #expect(baton("incidents list \(data)").output.contains("0 open incident(s)"))
        #expect(baton("incidents retry \(data)").output.contains("--topic, --element or --all"))
        let replayed = baton("replay \(data) --instance cli-1")
        #expect(replayed.status == 0 && replayed.output.contains("instance") && replayed.output.contains("completed"))

        // SIGTERM: the engine stops cleanly.
        run.kill(SIGTERM)
        #expect(run.wait() == 0)
    }

    /// A Camunda 7 model with a Java delegate deploys with --delegate-topic, and the engine
    /// (which compiles it from the deployments topic) publishes the task on the mapped topic;
    /// without the mapping the same file is refused with the way out.
    @Test func aJavaDelegateRunsAsAnExternalTaskOfTheMappedTopic() throws {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-cli-delegate")
        defer { directory.remove() }
        let data = "--data-dir '\(directory.path)'"
        let model = directory.path + "/charge.bpmn"
        try writeFile(model, bpmnDocument("""
            <bpmn:startEvent id="s"/><bpmn:serviceTask id="Charge" camunda:class="com.acme.ChargeCard"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="Charge"/>
            """))
        let refused = baton("deploy \(data) '\(model)'")
        #expect(refused.status != 0 && refused.output.contains("--delegate-topic 'com.acme.ChargeCard=TOPIC'"), "\(refused.output)")
        let bad = baton("deploy \(data) --delegate-topic com.acme.ChargeCard= '\(model)'")
        #expect(bad.status != 0 && bad.output.contains("the topic it is empty"), "\(bad.output)")
        // Garbage and oversize mappings are refused with the reason, and nothing is deployed.
        let noEquals = baton("deploy \(data) --delegate-topic com.acme.ChargeCard '\(model)'")
        #expect(noEquals.status != 0 && noEquals.output.contains("needs IMPLEMENTATION=TOPIC"), "\(noEquals.output)")
        let long = baton("deploy \(data) --delegate-topic com.acme.ChargeCard=\(String(repeating: "t", count: 300)) '\(model)'")
        #expect(long.status != 0 && long.output.contains("longer than 200 bytes"), "\(long.output)")
        let slash = baton("deploy \(data) --delegate-topic 'com.acme.ChargeCard=a/b' '\(model)'")
        #expect(slash.status != 0 && slash.output.contains("a topic name cannot"), "\(slash.output)")
        let twice = baton("deploy \(data) --delegate-topic com.acme.ChargeCard=a --delegate-topic com.acme.ChargeCard=b '\(model)'")
        #expect(twice.status != 0 && twice.output.contains("twice"), "\(twice.output)")
        #expect(baton("validate --delegate-topic com.acme.ChargeCard=charge-card '\(model)'").status == 0)
        let deployed = baton("deploy \(data) --delegate-topic com.acme.ChargeCard=charge-card '\(model)'")
        #expect(deployed.status == 0 && deployed.output.contains("deployed process 'p' version 1"), "\(deployed.output)")
        let run = try ChildProcess.spawn(Self.binary, ["run", "--data-dir", directory.path])
        defer { run.kill(SIGKILL); _ = run.wait() }
        #expect(baton("start \(data) p --correlation-id pay-1").status == 0)
        let shown = waitFor("instance \(data) pay-1", "[charge-card]")
        #expect(shown.contains("Charge") && shown.contains("[charge-card]"), "\(shown)")
    }

    /// A call activity's called instance shows beside its caller (with its incidents), and
    /// canceling by correlation id cancels the caller, which ends the called instance.
    @Test func aCalledInstanceShowsWithItsCallerAndEndsWithIt() throws {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-cli-call")
        defer { directory.remove() }
        let data = "--data-dir '\(directory.path)'"
        #expect(baton("deploy \(data) '\(TestFiles.examples)/order-lines.bpmn'").status == 0)
        #expect(baton("deploy \(data) '\(TestFiles.examples)/checkout.bpmn'").status == 0)
        let run = try ChildProcess.spawn(Self.binary, ["run", "--data-dir", directory.path])
        defer { run.kill(SIGKILL); _ = run.wait() }
        // No lines: the called order-lines fails to read its collection, an incident there.
        #expect(baton("start \(data) checkout --correlation-id call-1").status == 0)
        let shown = waitFor("instance \(data) call-1", "incident(s)")
        #expect(shown.contains("CheckLines") && shown.contains("calls instance") && shown.contains("(order-lines v1), which has 1 incident(s)"), "\(shown)")
        #expect(shown.contains("called by instance") && shown.contains("not a list"), "\(shown)")
        let canceled = baton("cancel \(data) call-1")
        #expect(canceled.status == 0 && canceled.output.split(separator: "\n").filter { $0.contains("cancelInstance for instance") }.count == 1, "one command, for the caller: \(canceled.output)")
        #expect(waitFor("instance \(data) call-1", "is not active").contains("is not active"))
        #expect(baton("instances \(data)").output.contains("0 active instance(s)"))
    }

    /// Operators set variables of a waiting instance and cancel it from the command line
    /// while the engine runs.
    @Test func operatorsSetVariablesAndCancelFromTheCommandLine() throws {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-cli-operate")
        defer { directory.remove() }
        let data = "--data-dir '\(directory.path)'"
        #expect(baton("deploy \(data) '\(TestFiles.examples)/order-process.bpmn'").status == 0)
        let run = try ChildProcess.spawn(Self.binary, ["run", "--data-dir", directory.path])
        defer { run.kill(SIGKILL); _ = run.wait() }
        #expect(baton("start \(data) order-process --correlation-id op-1").status == 0)
        #expect(waitFor("instance \(data) op-1", "ValidateOrder").contains("ValidateOrder"))
        let set = baton("set-variables \(data) op-1 --vars '{\"approvedBy\":\"ops\"}'")
        #expect(set.status == 0 && set.output.contains("setVariables for instance"), "\(set.output)")
        #expect(waitFor("instance \(data) op-1", "approvedBy").contains("\"approvedBy\":\"ops\""))
        let canceled = baton("cancel \(data) op-1")
        #expect(canceled.status == 0 && canceled.output.contains("cancelInstance for instance"), "\(canceled.output)")
        let history = waitFor("instance \(data) op-1", "canceled")
        #expect(history.contains("is not active") && history.contains("canceled"), "\(history)")
        #expect(history.contains("task ValidateOrder [validate-order] attempt 1 canceled"), "\(history)")
        // Nothing left to cancel: the reason, and a non-zero exit.
        let again = baton("cancel \(data) op-1")
        #expect(again.status != 0 && again.output.contains("no active instance 'op-1'"), "\(again.output)")
        let badVariables = baton("set-variables \(data) op-1 --vars '[1]'")
        #expect(badVariables.status != 0 && badVariables.output.contains("--vars must be a JSON object"), "\(badVariables.output)")
        run.kill(SIGTERM)
        #expect(run.wait() == 0)
    }

    @Test func theSameCommandsWorkOnKafka() throws {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        guard let address = KafkaBroker.address else {
            Issue.record("BATON_KAFKA is not set: run 'make test', which starts the test broker")
            return
        }
        let prefix = KafkaBroker.freshTopic("cli") + "."
        let kafka = "--kafka \(address) --topic-prefix \(prefix) -X socket.timeout.ms=10000"
        #expect(baton("deploy \(kafka) '\(TestFiles.examples)/order-process.bpmn'").output.contains("version 1"))
        let run = try ChildProcess.spawn(Self.binary, ["run", "--demo-workers", "--no-payment-failures", "--kafka", address, "--topic-prefix", prefix])
        defer { run.kill(SIGKILL); _ = run.wait() }
        #expect(baton("start \(kafka) order-process --correlation-id kafka-1 --vars '{\"order\":{\"total\":5}}'").status == 0)
        var shown = ""
        let begin = WallClockMilliseconds.now()
        while WallClockMilliseconds.now() - begin < 60_000 {
            shown = baton("instance \(kafka) kafka-1").output
            if shown.contains("is not active (completed)") { break }
            usleep(200_000)
        }
        #expect(shown.contains("is not active (completed)"), "\(shown)")
        #expect(baton("deploy --kafka \(address) -X nonsense '\(TestFiles.examples)/order-process.bpmn'").output.contains("-X key=value"))
        // Settings from a file (comments allowed); a setting librdkafka refuses is named.
        let settings = TemporaryDirectory("baton-kafka-config")
        defer { settings.remove() }
        let good = settings.path + "/good.properties"
        let bad = settings.path + "/bad.properties"
        _ = "# test broker\nsocket.timeout.ms=10000\n".withCString { text in fopen(good, "w").map { fputs(text, $0); fclose($0) } }
        _ = "no.such.setting=1\n".withCString { text in fopen(bad, "w").map { fputs(text, $0); fclose($0) } }
        #expect(baton("instances --kafka \(address) --topic-prefix \(prefix) --kafka-config \(good)").output.contains("0 active instance(s)"))
        #expect(baton("instances --kafka \(address) --kafka-config \(bad)").output.contains("no.such.setting"))
        // topics apply: creates what is missing, then finds everything as declared.
        let topicsPrefix = KafkaBroker.freshTopic("topics") + "."
        let applied = baton("topics apply --kafka \(address) --topic-prefix \(topicsPrefix) --topics-dir '\(TestFiles.packageRoot)/topics'")
        #expect(applied.status == 0 && applied.output.contains("\(topicsPrefix)baton.journal: created with 12 partition(s)"), "\(applied.output)")
        let again = baton("topics apply --kafka \(address) --topic-prefix \(topicsPrefix) --topics-dir '\(TestFiles.packageRoot)/topics'")
        #expect(again.status == 0 && again.output.contains("baton.journal: exists with 12 partition(s), as declared"), "\(again.output)")
        #expect(!again.output.contains("DIFFERS"), "\(again.output)")
        // A topic made by hand with another retention is reported, and left alone.
        try KafkaAdmin(try KafkaBroker.configuration()).createTopic(
            "\(topicsPrefix)baton.deployments-check", partitions: 1, settings: ["retention.ms": "1000"])
        let differing = TemporaryDirectory("baton-topics")
        defer { differing.remove() }
        let declaration = #"{"name":"baton.deployments-check","partitions":1,"replication":1,"config":{"retention.ms":"-1"},"key":"none","value":"test"}"#
        _ = declaration.withCString { text in fopen(differing.path + "/check.json", "w").map { fputs(text, $0); fclose($0) } }
        let report = baton("topics apply --kafka \(address) --topic-prefix \(topicsPrefix) --topics-dir '\(differing.path)'")
        #expect(report.status == 2 && report.output.contains("DIFFERS: retention.ms is 1000, declared -1"), "\(report.output)")
        run.kill(SIGTERM)
        #expect(run.wait() == 0)
    }

    /// `baton prune` keeps what no usable snapshot covers and says why for each partition;
    /// on Kafka it points to the topic's retention.
    @Test func pruneKeepsWhatNoSnapshotCoversAndSaysWhy() throws {
        let directory = TemporaryDirectory("baton-cli")
        defer { directory.remove() }
        #expect(baton("demo --orders 100 --data-dir \(directory.path)").status == 0)
        let kept = baton("prune --data-dir \(directory.path)")
        #expect(kept.status == 0, "\(kept.output)")
        for partition in 0..<2 {
            #expect(kept.output.contains("journal partition \(partition): nothing to remove below"), "\(kept.output)")
        }
        #expect(kept.output.contains("the oldest kept snapshot is at"))
        _ = shell("rm -rf '\(directory.path)/snapshots'")
        let none = baton("prune --data-dir \(directory.path) --dry-run")
        #expect(none.output.contains("journal partition 0: nothing removed, no usable snapshot (the journal starts at 0)"), "\(none.output)")
        let kafka = shell("'\(Self.binary)' prune --kafka 127.0.0.1:1 2>&1")
        #expect(kafka.status != 0 && kafka.output.contains("retention"), "\(kafka.output)")
    }

    /// `baton diagram` writes the SVG of a file's diagram, and names what is missing.
    @Test func diagramDrawsAFileAndNamesWhatIsMissing() throws {
        let directory = TemporaryDirectory("baton-cli")
        defer { directory.remove() }
        let drawn = baton("diagram '\(TestFiles.examples)/order-process.bpmn' --output '\(directory.path)/order.svg'")
        #expect(drawn.status == 0, "\(drawn.output)")
        let svg = String(decoding: try POSIX.readFile(directory.path + "/order.svg"), as: UTF8.self)
        #expect(svg.hasPrefix("<svg ") && svg.contains("data-element-id=\"ValidateOrder\""), "\(svg.prefix(200))")
        let unknown = shell("'\(Self.binary)' diagram '\(TestFiles.examples)/order-process.bpmn' --process nope 2>&1")
        #expect(unknown.status != 0 && unknown.output.contains("has no process 'nope'; it has 'order-process'"), "\(unknown.output)")
        try POSIX.writeAtomically(bpmnDocument("<bpmn:startEvent id=\"s\"/>"), to: directory.path + "/bare.bpmn", directory: directory.path)
        let bare = shell("'\(Self.binary)' diagram '\(directory.path)/bare.bpmn' 2>&1")
        #expect(bare.status != 0 && bare.output.contains("has no diagram (no BPMNDI)"), "\(bare.output)")
    }

    @Test func everySubcommandExplainsItself() {
        for command in ["run", "engine", "worker", "gateway", "ingest", "deploy", "start", "publish-message", "broadcast-signal", "produce", "instances", "instance", "cancel", "set-variables", "incidents list", "incidents retry", "replay", "prune", "demo", "bench", "validate", "diagram", "topics apply", "topics lag"] {
            let help = baton("\(command) --help")
            #expect(help.status == 0, "\(command)")
            #expect(help.output.contains("OVERVIEW:") && help.output.contains("USAGE:"), "\(command)")
        }
    }
}

/// The event commands refuse what they cannot use with the file, line or option at fault.
@Suite struct EventCommandLineTests {
    let cli = CommandLineTests()

    @Test func ingestNamesTheRulesFileAndLineAtFault() throws {
        let directory = TemporaryDirectory("baton-ingest-cli")
        defer { directory.remove() }
        let data = "--data-dir '\(directory.path)/data'"
        let missing = cli.baton("ingest \(data) --rules '\(directory.path)/nothing.yaml' --until-caught-up")
        #expect(missing.status != 0 && missing.output.contains("nothing.yaml"), "\(missing.output)")
        try writeFile(directory.path + "/bad.yaml", Array("source: orders\nrules:\n  - when: {type: A}\n    start: p\n    correlationId: '$.'\n".utf8))
        let bad = cli.baton("ingest \(data) --rules '\(directory.path)/bad.yaml' --until-caught-up")
        #expect(bad.status != 0 && bad.output.contains("bad.yaml:5:") && bad.output.contains("correlationId"), "\(bad.output)")
        try writeFile(directory.path + "/garbage.yaml", [0xFF, 0xFE, 0x00, 0x41] + Array(repeating: 0x7B, count: 100))
        let garbage = cli.baton("ingest \(data) --rules '\(directory.path)/garbage.yaml' --until-caught-up")
        #expect(garbage.status != 0 && garbage.output.contains("garbage.yaml"), "\(garbage.output)")
        for count in ["0", "100001", "-5", "99999999999999999999999", "lots", ""] {
            let refused = cli.baton("ingest \(data) --rules '\(directory.path)/bad.yaml' --events-per-read=\(count)")
            #expect(refused.status != 0 && refused.output.contains("--events-per-read"), "\(refused.output)")
            if Int(count) != nil { #expect(refused.output.contains("--events-per-read must be 1 to 100000"), "\(refused.output)") }
        }
    }

    /// `make demo`'s second half, smaller: orders as events through ingest, payments as messages.
    @Test func theEventDrivenDemoCompletesEveryOrderOnce() throws {
        let directory = TemporaryDirectory("baton-demo-events")
        defer { directory.remove() }
        let demo = cli.baton(
            "demo --events --orders 300 --data-dir '\(directory.path)/data' --events-bpmn '\(TestFiles.examples)/order-events.bpmn' --events-rules '\(TestFiles.examples)/order-events.yaml'")
        #expect(demo.status == 0, "\(demo.output.suffix(2000))")
        #expect(demo.output.contains("every order started and completed exactly once"))
        #expect(demo.output.contains("dead letters:          1 (1 malformed events streamed on purpose)"), "\(demo.output.suffix(2000))")
    }

    @Test func publishMessageBroadcastSignalAndProduceRefuseBadInput() throws {
        let directory = TemporaryDirectory("baton-message-cli")
        defer { directory.remove() }
        let data = "--data-dir '\(directory.path)/data'"
        let ttl = cli.baton("publish-message paid \(data) --correlation-key o-1 --ttl soon")
        #expect(ttl.status != 0 && ttl.output.contains("--ttl 'soon'"), "\(ttl.output)")
        let vars = cli.baton("publish-message paid \(data) --correlation-key o-1 --vars '[1]'")
        #expect(vars.status != 0 && vars.output.contains("--vars"), "\(vars.output)")
        let published = cli.baton("publish-message paid \(data) --correlation-key o-1 --ttl PT1M --vars '{\"a\":1}'")
        #expect(published.status == 0 && published.output.contains("publishMessage 'paid' for 'o-1' appended"), "\(published.output)")
        let unnamed = cli.baton("broadcast-signal '' \(data)")
        #expect(unnamed.status != 0 && unnamed.output.contains("1 to 1024 bytes"), "\(unnamed.output)")
        let huge = cli.baton("broadcast-signal \(String(repeating: "s", count: 2000)) \(data)")
        #expect(huge.status != 0 && huge.output.contains("1 to 1024 bytes"), "\(huge.output)")
        let signalVars = cli.baton("broadcast-signal recall \(data) --vars '{\"a\":'")
        #expect(signalVars.status != 0 && signalVars.output.contains("--vars"), "\(signalVars.output)")
        let signal = cli.baton("broadcast-signal recall \(data) --vars '{\"batch\":\"B-7\"}'")
        #expect(signal.status == 0 && signal.output.contains("broadcastSignal 'recall' appended"), "\(signal.output)")
        try writeFile(directory.path + "/long.jsonl", Array(("{\"ok\":1}\n" + String(repeating: "x", count: 5000) + "\n").utf8))
        let long = cli.baton("produce orders \(data) --file '\(directory.path)/long.jsonl' --maximum-line-bytes 1000")
        #expect(long.status != 0 && long.output.contains("line 2 is longer than --maximum-line-bytes (1000)"), "\(long.output)")
        let missing = cli.baton("produce orders \(data) --file '\(directory.path)/none.jsonl'")
        #expect(missing.status != 0 && missing.output.contains("none.jsonl"), "\(missing.output)")
    }
}

enum WallClockMilliseconds {
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}
