import BatonKafka
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import Testing

/// Workers in other languages answer tasks on the test broker with real Kafka clients:
/// kcat from Debian and a Python worker on confluent-kafka from PyPI (both installed by
/// `make test`), with the JSON answers of topics/schemas/.
@Suite(.serialized)
struct ExternalClientTests {
    static let kcat = "/usr/bin/kcat"
    static let python = TestFiles.packageRoot + "/.build/clients-venv/bin/python"
    static let pythonWorker = TestFiles.packageRoot + "/Tests/Clients/python_worker.py"

    /// A runtime over a fresh set of prefixed topics on the test broker.
    static func harness(_ label: String) throws -> (RuntimeHarness, prefix: String) {
        let prefix = KafkaBroker.freshTopic(label) + "."
        let log = try KafkaLog(try KafkaBroker.configuration(), topicPrefix: prefix, topics: [Topics.journal: 2],
                               partitionsByPrefix: [Topics.taskPrefix: 4])
        return (try RuntimeHarness(log: log), prefix)
    }

    /// Runs a shell command line to its end; returns its exit status and output.
    static func shell(_ command: String, in directory: TemporaryDirectory) throws -> (status: Int32, output: String) {
        let output = directory.path + "/shell-\(Int.random(in: 0..<1_000_000)).out"
        let status = try ChildProcess.spawn("/bin/sh", ["-c", command], output: output, errorsToOutput: true).wait()
        return (status, String(decoding: try POSIX.readFile(output), as: UTF8.self))
    }

    @Test func kcatReadsTasksAndAnswersThemOnTheNamedPartitionOrByKey() async throws {
        guard let broker = KafkaBroker.address else { throw KafkaBroker.notConfigured }
        try #require(TestFiles.exists(Self.kcat), "kcat is missing: `make test` installs it (Debian package kcat)")
        let directory = TemporaryDirectory("baton-kcat")
        defer { directory.remove() }
        let (harness, prefix) = try Self.harness("kcat")
        let deployments = try harness.deploy(bytes: oneTaskProcess(id: "kcat", topic: "kcat-work", catchErrorCode: "NOPE"), name: "kcat.bpmn")
        let ids = ["by-partition", "by-key", "with-error"]
        for id in ids { try harness.start("kcat", correlationId: id, variables: ["amount": .number(12)], deployments: deployments) }
        // Until every instance has its task: a round on Kafka acts on what has arrived, and an
        // idle round may come before the commands did (kcat then finds no task topic yet).
        try await harness.settle { harness.activeInstances == ids.count }

        // Every task message, read back with kcat from the start of the topic.
        var messages: [String: TaskMessage] = [:]
        let deadline = ContinuousClock.now + .seconds(20)
        while messages.count < ids.count, ContinuousClock.now < deadline {
            let read = try Self.shell("\(Self.kcat) -b \(broker) -C -t \(prefix)baton.task.kcat-work -o beginning -e -q -f '%s\\n'", in: directory)
            #expect(read.status == 0, "kcat -C: \(read.output)")
            for line in read.output.split(separator: "\n") where line.hasPrefix("{") {
                let message = try TaskMessage(json: JSONValue.parse(String(line)))
                messages[message.correlationId] = message
            }
            if messages.count < ids.count { try await harness.settle() }
        }
        #expect(messages.count == ids.count, "task messages read by kcat: \(messages.keys.sorted())")
        guard messages.count == ids.count else { return }

        func answer(_ message: TaskMessage, _ fields: String) -> String {
            #"{"taskId":"\#(message.id)","processInstanceId":"\#(message.processInstanceId)","correlationId":"\#(message.correlationId)","workerId":"kcat",\#(fields)}"#
        }
        // To the partition the task message names...
        try writeFile(directory.path + "/a.json", Array((answer(messages["by-partition"]!, #""type":"complete","data":{"via":"kcat"}"#) + "\n").utf8))
        let named = try Self.shell("\(Self.kcat) -b \(broker) -P -t \(prefix)baton.journal -p \(messages["by-partition"]!.partition) < \(directory.path)/a.json", in: directory)
        #expect(named.status == 0, "kcat -P -p: \(named.output)")
        // ... or keyed by correlationId with Kafka's murmur2, as the Java client does.
        let keyed = [
            "by-key\t" + answer(messages["by-key"]!, #""type":"complete","data":{"via":"kcat-keyed"}"#),
            "with-error\t" + answer(messages["with-error"]!, #""type":"bpmnError","errorCode":"NOPE","errorMessage":"no""#),
        ].joined(separator: "\n") + "\n"
        try writeFile(directory.path + "/b.json", Array(keyed.utf8))
        let byKey = try Self.shell("\(Self.kcat) -b \(broker) -P -t \(prefix)baton.journal -K '\t' -X partitioner=murmur2_random < \(directory.path)/b.json", in: directory)
        #expect(byKey.status == 0, "kcat -P -K: \(byKey.output)")

        try await harness.settle { (try? harness.journalEvents().filter { $0.intent == .instanceCompleted }.count) == ids.count }
        let events = try harness.journalEvents()
        let rejected = try (0..<harness.log.partitionCount(of: Topics.journal)).flatMap { try harness.journalRejections(partition: $0).map(\.rejectionReason) }
        for id in ids { #expect(events.contains { $0.intent == .instanceCompleted && $0.key == id }, "\(id) did not complete; rejections: \(rejected)") }
        let data = events.compactMap { record -> JSONValue? in
            guard record.intent == .taskCompleted, case .task(let task) = record.value else { return nil }
            return task.data
        }
        #expect(Set(data) == [.object(["via": .string("kcat")]), .object(["via": .string("kcat-keyed")])])
        #expect(events.contains { $0.intent == .taskErrorThrown && $0.key == "with-error" })
    }

    /// A message published with kcat in the documented JSON form, keyed by the correlation key.
    @Test func kcatPublishesAMessageAWaitingInstanceCatches() async throws {
        guard let broker = KafkaBroker.address else { throw KafkaBroker.notConfigured }
        try #require(TestFiles.exists(Self.kcat), "kcat is missing: `make test` installs it (Debian package kcat)")
        let directory = TemporaryDirectory("baton-kcat-message")
        defer { directory.remove() }
        let (harness, prefix) = try Self.harness("kcatmsg")
        let process = bpmnDocument(
            #"<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>"#
                + #"<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="Paid"/></bpmn:intermediateCatchEvent>"#
                + #"<bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/><bpmn:endEvent id="e"/>"#,
            declarations: #"<bpmn:message id="Paid" name="payment-confirmed"/>"#)
        let deployments = try harness.deploy(bytes: process, name: "message.bpmn")
        try harness.start("p", correlationId: "order-77", deployments: deployments)
        try await harness.settle { harness.activeInstances == 1 }
        let line = "order-77\t" + #"{"type":"publishMessage","name":"payment-confirmed","correlationKey":"order-77","variables":{"paidBy":"kcat"}}"# + "\n"
        try writeFile(directory.path + "/m.json", Array(line.utf8))
        let produced = try Self.shell("\(Self.kcat) -b \(broker) -P -t \(prefix)baton.journal -K '\t' -X partitioner=murmur2_random < \(directory.path)/m.json", in: directory)
        #expect(produced.status == 0, "kcat -P: \(produced.output)")
        try await harness.settle { (try? harness.journalEvents().contains { $0.intent == .instanceCompleted && $0.key == "order-77" }) == true }
        let events = try harness.journalEvents()
        #expect(events.contains { $0.intent == .messageCorrelated && $0.key == "order-77" })
        #expect(events.contains { record in
            if case .variables(let value) = record.value { return value.variables["paidBy"] == .string("kcat") }
            return false
        })
    }

    @Test func aPythonWorkerOnConfluentKafkaAnswersEveryKindOfTask() async throws {
        guard let broker = KafkaBroker.address else { throw KafkaBroker.notConfigured }
        try #require(TestFiles.exists(Self.python), "the clients virtualenv is missing: `make test` (target clients) creates it")
        let directory = TemporaryDirectory("baton-python-worker")
        defer { directory.remove() }
        let (harness, prefix) = try Self.harness("python")
        let deployments = try harness.deploy(bytes: oneTaskProcess(id: "py", topic: "py-work", retries: 1, catchErrorCode: "REJECTED"), name: "py.bpmn")
        let ids = (0..<6).map { "order-\($0)" } + ["fail-1", "error-1"]
        for (index, id) in ids.enumerated() {
            try harness.start("py", correlationId: id, variables: ["amount": .number(Double(index))], deployments: deployments)
        }
        try await harness.settle { harness.activeInstances == ids.count }
        let output = directory.path + "/python.out"
        let worker = try ChildProcess.spawn(
            Self.python, [Self.pythonWorker, broker, "\(prefix)baton.task.py-work", "\(prefix)baton.journal", "\(prefix)baton-workers.py-work", "\(ids.count)"],
            output: output, errorsToOutput: true)
        var status: Int32?
        try await harness.settle(until: {
            status = status ?? worker.exitStatus()
            return status != nil && (try? harness.journalEvents().filter { $0.intent == .instanceCompleted || $0.intent == .incidentCreated }.count) == ids.count
        }, seconds: 90)
        if status == nil { worker.kill(9); _ = worker.wait() }
        let printed = String(decoding: (try? POSIX.readFile(output)) ?? [], as: UTF8.self)
        #expect(status == 0, "the Python worker: \(printed)")

        let events = try harness.journalEvents()
        for index in 0..<6 {
            let id = "order-\(index)"
            let completed = events.first { $0.intent == .taskCompleted && $0.key == id }
            guard case .task(let task)? = completed?.value else {
                Issue.record("\(id): no task completed")
                continue
            }
            #expect(task.data == .object(["worker": .string("python"), "amount": .number(Double(index))]))
            #expect(task.workerId == "python-confluent-kafka")
            #expect(events.contains { $0.intent == .instanceCompleted && $0.key == id })
        }
        #expect(events.contains { $0.intent == .incidentCreated && $0.key == "fail-1" })
        #expect(events.contains { $0.intent == .instanceCompleted && $0.key == "error-1" })
        // Every answer reached the partition its instance lives on: none was refused.
        for partition in try 0..<harness.log.partitionCount(of: Topics.journal) {
            #expect(try harness.journalRejections(partition: partition).isEmpty)
        }
    }
}

extension RuntimeHarness {
    /// Deploys a document held in memory; returns the deployments position a createInstance names.
    func deploy(bytes: [UInt8], name: String) throws -> Int64 {
        try DeploymentCatalog.deploy(bytes, fileName: name, to: log).deploymentsEnd
    }
}
