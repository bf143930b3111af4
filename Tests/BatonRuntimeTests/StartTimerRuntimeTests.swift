import BatonBPMN
import BatonFileLog
import BatonLog
import BatonModel
import BatonRuntime
import BatonTestSupport
import Testing

/// Timer start events on the embedded log: the deployment asks the partition the process
/// id belongs to for the timers, each firing starts and runs an instance, a restart
/// schedules nothing twice, and a version whose deployer died before asking is scheduled
/// by the engine that next recovers the partition.
@Suite struct StartTimerRuntimeTests {
    static func process(_ cycle: String) -> [UInt8] {
        Array("""
            <?xml version="1.0" encoding="UTF-8"?>
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
            <bpmn:process id="nightly" isExecutable="true">
            <bpmn:startEvent id="tick"><bpmn:timerEventDefinition><bpmn:timeCycle>\(cycle)</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            <bpmn:sequenceFlow id="f1" sourceRef="tick" targetRef="done"/><bpmn:endEvent id="done"/>
            </bpmn:process>
            </bpmn:definitions>
            """.utf8)
    }

    @Test func theOwningPartitionSchedulesFiresAndNeverTwice() async throws {
        let directory = TemporaryDirectory("baton-start-timers")
        defer { directory.remove() }
        let log = try FileLog(directory: directory.path + "/log", topics: [Topics.journal: 4, Topics.events: 4])
        var options = RuntimeOptions()
        options.engine.journalPartitions = 4
        let owner = Murmur2.partition(forKey: "nightly", partitions: 4)
        var harness = try RuntimeHarness(log: log, snapshotDirectory: directory.path + "/snapshots", options: options)
        // The deployer asks the process id's partition for the timers.
        try DeploymentCatalog.deploy(Self.process("R2/PT1M"), fileName: "nightly.bpmn", to: log)
        try await harness.settle()
        func count(_ intent: Intent) throws -> Int { try harness.journalEvents().filter { $0.intent == intent }.count }
        let created = try harness.journalEvents().filter { $0.intent == .timerCreated }
        #expect(created.count == 1 && created.allSatisfy { $0.partition == owner && $0.key == "nightly" })

        for expected in [1, 2, 2] {
            harness.clock.advance(60_000)
            try await harness.settle()
            #expect(try count(.instanceCompleted) == expected)
        }
        for completed in try harness.journalEvents().filter({ $0.intent == .instanceCompleted }) {
            #expect(completed.partition == owner && Murmur2.partition(forKey: completed.key, partitions: 4) == owner)
        }

        // A restart (snapshots written on the way out) asks for nothing again.
        for processor in harness.processors { try processor.snapshotNow() }
        harness = try RuntimeHarness(log: log, snapshotDirectory: directory.path + "/snapshots", options: options)
        harness.clock.advance(120_000)
        try await harness.settle()
        #expect(try count(.timerCreated) == 2 && count(.instanceCompleted) == 2)

        // A deployer that died after appending a new version and before asking: the engine
        // that next recovers the partition asks.
        let second = Self.process("R/PT1M")
        let checksums = try BPMNDeployment.load(second, fileName: "nightly.bpmn").processes.compactMap(\.executable).map { ($0.processId, $0.graphChecksum) }
        try log.append([Deployment(fileName: "nightly.bpmn", bpmn: second, checksums: checksums).encoded], to: TopicPartition(Topics.deployments, 0))
        try await harness.settle()
        #expect(harness.processors[Int(owner)].engine.state.startTimerVersions["nightly"] == 1)
        harness = try RuntimeHarness(log: log, snapshotDirectory: directory.path + "/snapshots", options: options)
        try await harness.settle()
        let state = harness.processors[Int(owner)].engine.state
        #expect(state.startTimers.values.map(\.version) == [2] && state.startTimerVersions["nightly"] == 2)
        harness.clock.advance(60_000)
        try await harness.settle()
        #expect(try count(.instanceCompleted) == 3)
    }
}
