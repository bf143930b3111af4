import BatonBPMN
import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import Testing

/// Deployment identity (issue 9): versions come from the deployments topic's order and
/// every replica loads every deployment exactly, or stops with the reason.
struct DeploymentIdentityTests {
    static func orderBytes() throws -> [UInt8] { try POSIX.readFile(RuntimeTests.order) }

    @Test func theGraphChecksumIsStableAndSeesANumberingChange() throws {
        let first = try #require(try compileOne(try Self.orderBytes()).executable)
        let again = try #require(try compileOne(try Self.orderBytes()).executable)
        #expect(first.graphChecksum == again.graphChecksum)
        // The same process with two elements declared in the other order: another numbering.
        let flows = """
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
            """
        let task = #"<bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="t"/></bpmn:extensionElements></bpmn:serviceTask>"#
        let one = try #require(try compileOne(bpmnDocument(#"<bpmn:startEvent id="s"/>"# + task + #"<bpmn:endEvent id="e"/>"# + flows)).executable)
        let other = try #require(try compileOne(bpmnDocument(#"<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>"# + task + flows)).executable)
        #expect(one.processId == other.processId)
        #expect(one.graphChecksum != other.graphChecksum)
    }

    /// A snapshot names the graph checksum of every definition its instances run; loading it
    /// where that definition compiles to another graph is refused (the runtime then falls
    /// back to an older snapshot or the journal) instead of mixing element numberings.
    @Test func aSnapshotForAnotherGraphIsRefused() throws {
        let task = #"<bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="t"/></bpmn:extensionElements></bpmn:serviceTask>"#
        let flows = #"<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>"#
        let one = try #require(try compileOne(bpmnDocument(#"<bpmn:startEvent id="s"/>"# + task + #"<bpmn:endEvent id="e"/>"# + flows)).executable)
        let other = try #require(try compileOne(bpmnDocument(#"<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>"# + task + flows)).executable)
        var written = ProcessRegistry()
        written.deploy(one)
        var engine = Engine(partition: 0, processes: written)
        _ = engine.process(.command(.createInstance, key: "order-1", value: .instance(InstanceRecord(processId: "p", processVersion: 1)), timestamp: 1, position: 0), at: 1)
        let bytes = engine.state.snapshotBytes(processes: written)
        #expect(try EngineState.fromSnapshot(bytes, processes: written) == engine.state)
        var elsewhere = ProcessRegistry()
        elsewhere.deploy(other)
        #expect { try EngineState.fromSnapshot(bytes, processes: elsewhere) } throws: { "\($0)".contains("compiles it to") }
    }

    @Test func deployingTheSameFileAgainIsNotANewVersion() throws {
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        let first = try DeploymentCatalog.deploy(try Self.orderBytes(), fileName: "order.bpmn", to: log)
        let again = try DeploymentCatalog.deploy(try Self.orderBytes(), fileName: "order.bpmn", to: log)
        #expect(first.isNew && !again.isNew && again.position == first.position)
        #expect(try log.endPosition(of: TopicPartition(Topics.deployments, 0)) == 1)
        var changed = try Self.orderBytes()
        changed += Array("\n<!-- changed -->\n".utf8)
        let second = try DeploymentCatalog.deploy(changed, fileName: "order.bpmn", to: log)
        #expect(second.isNew && second.position == 1)
        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        #expect(catalog.versions.map(\.version) == [1, 2])
    }

    /// Processes deployed in one file share a deployment: what a call activity bound by
    /// deployment calls, however many versions of the called process came later.
    @Test func aCallBoundByDeploymentCallsTheVersionDeployedWithIt() throws {
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        func file(_ topic: String, caller: Bool) -> [UInt8] {
            let call = caller ? """
                <bpmn:process id="caller" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="call"/>
                <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child" bindingType="deployment"/></bpmn:extensionElements></bpmn:callActivity></bpmn:process>
                """ : ""
            return Array("""
                <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
                \(call)<bpmn:process id="child" isExecutable="true"><bpmn:startEvent id="cs"/><bpmn:sequenceFlow id="c" sourceRef="cs" targetRef="w"/>
                <bpmn:serviceTask id="w"><bpmn:extensionElements><zeebe:taskDefinition type="\(topic)"/></bpmn:extensionElements></bpmn:serviceTask></bpmn:process>
                </bpmn:definitions>
                """.utf8)
        }
        try DeploymentCatalog.deploy(file("first", caller: true), fileName: "caller.bpmn", to: log)
        try DeploymentCatalog.deploy(file("second", caller: false), fileName: "child.bpmn", to: log)
        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        var engine = Engine(partition: 0, processes: catalog.registry)
        _ = engine.process(.command(.createInstance, key: "order-1", value: .instance(InstanceRecord(processId: "caller", processVersion: 1)), timestamp: 1, position: 0), at: 1)
        let child = try #require(engine.state.instances.values.first { $0.parentInstanceKey != 0 })
        #expect(child.processVersion == 1 && child.tasks.values.first?.topic == "first", "latest is version 2, the caller's deployment has version 1")
    }

    /// A deployment whose checksum says another graph than this Baton compiles, or that does
    /// not decode or compile here, stops loading with the position and the reason: skipping it
    /// would renumber every later version on this replica only.
    @Test(arguments: ["checksum", "garbage", "uncompilable"])
    func aDeploymentThisBatonCannotLoadExactlyIsAnError(_ fault: String) throws {
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        try DeploymentCatalog.deploy(try Self.orderBytes(), fileName: "order.bpmn", to: log)
        let bad: [UInt8]
        switch fault {
        case "checksum":
            bad = Deployment(fileName: "other.bpmn", bpmn: try Self.orderBytes(), checksums: [("order-process", 42)]).encoded
        case "garbage":
            bad = [9, 9, 9]
        default:
            bad = Deployment(fileName: "broken.bpmn", bpmn: Array("<definitions/>".utf8)).encoded
        }
        try log.append([bad], to: TopicPartition(Topics.deployments, 0))
        var catalog = DeploymentCatalog()
        do {
            try catalog.refresh(from: log)
            Issue.record("a deployment this Baton cannot load was skipped")
        } catch let error as DeploymentUnusable {
            #expect(error.position == 1)
            #expect(error.description.contains("deployment at position 1 of baton.deployments"))
            switch fault {
            case "checksum": #expect(error.description.contains("compiles it to another graph"))
            case "garbage": #expect(error.description.contains("does not decode"))
            default: #expect(error.description.contains("does not read on this Baton") || error.description.contains("no process compiles"))
            }
        }
        #expect(catalog.position == 1 && catalog.versions.count == 1)
    }
}
