import BatonBPMN
import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Call activities (issue 13): the called instance runs with the caller's correlationId,
/// variables go in and come back as each Camunda generation passes them, errors and
/// terminations cross the call, and replay rebuilds both instances.
@Suite struct CallActivityTests {
    /// A called process `child` with one service task `childWork`, and the caller `p`:
    /// start, the call activity `call` (with `extensions` and `boundary`), a user task `hold`.
    static func model(_ call: String, boundary: String = "", child: String? = nil) -> (String, String) {
        let called = child ?? """
            <bpmn:startEvent id="cs"/><bpmn:sequenceFlow id="c1" sourceRef="cs" targetRef="childWork"/>
            <bpmn:serviceTask id="childWork"><bpmn:extensionElements><zeebe:taskDefinition type="child-work"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:sequenceFlow id="c2" sourceRef="childWork" targetRef="ce"/><bpmn:endEvent id="ce"/>
            """
        return ("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
            \(call)
            <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="hold"/><bpmn:userTask id="hold"/>
            \(boundary)
            """, #"<bpmn:error id="E1" errorCode="E1"/><bpmn:process id="child" isExecutable="true">\#(called)</bpmn:process>"#)
    }

    static func harness(_ call: String, boundary: String = "", child: String? = nil) throws -> EngineHarness {
        let (content, declarations) = model(call, boundary: boundary, child: child)
        return try EngineHarness(content, declarations: declarations)
    }

    static let camunda8Call = #"<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child"/></bpmn:extensionElements></bpmn:callActivity>"#

    func called(_ given: EngineHarness) -> InstanceState? {
        given.engine.state.instances.values.first { $0.parentInstanceKey != 0 }
    }

    @discardableResult
    func completeChildTask(_ given: inout EngineHarness, _ variables: [String: JSONValue] = [:]) throws -> [String] {
        let child = try #require(called(given))
        let task = try #require(child.tasks.values.first)
        var value = TaskRecord(instanceKey: child.key, taskKey: task.key, attempt: task.attempt)
        value.variables = variables
        return given.describe(given.send(.completeTask, .task(value)))
    }

    @Test func camunda8PassesEveryVariableInAndOut() throws {
        var given = try Self.harness(Self.camunda8Call)
        given.start(["order": .string("A-1")])
        let child = try #require(called(given))
        #expect(child.processId == "child" && child.correlationId == given.instance?.correlationId)
        #expect(child.variables["order"] == .string("A-1"))
        #expect(child.parentElementInstanceKey != 0)
        let records = try completeChildTask(&given, ["checked": .bool(true)])
        #expect(records.contains("instanceCompleted") && records.contains("elementCompleted call"), "\(records)")
        #expect(called(given) == nil)
        #expect(given.instance?.variables["checked"] == .bool(true))
        #expect(given.task("hold") != nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func camunda7PassesOnlyWhatInAndOutName() throws {
        var given = try Self.harness("""
            <bpmn:callActivity id="call" calledElement="child"><bpmn:extensionElements>
            <camunda:in source="a" target="x"/><camunda:out source="y" target="b"/>
            </bpmn:extensionElements></bpmn:callActivity>
            """)
        given.start(["a": .number(1), "secret": .string("s")])
        let child = try #require(called(given))
        #expect(child.variables == ["x": .number(1)])
        try completeChildTask(&given, ["y": .number(2), "noise": .bool(true)])
        #expect(given.instance?.variables["b"] == .number(2))
        #expect(given.instance?.variables["noise"] == nil && given.instance?.variables["y"] == nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anErrorTheCalledProcessDoesNotCatchIsCaughtAtTheCallActivity() throws {
        var given = try Self.harness(Self.camunda8Call, boundary: """
            <bpmn:boundaryEvent id="failed" attachedToRef="call"><bpmn:errorEventDefinition errorRef="E1"/></bpmn:boundaryEvent>
            <bpmn:sequenceFlow id="f3" sourceRef="failed" targetRef="handle"/><bpmn:userTask id="handle"/>
            """)
        given.start()
        let child = try #require(called(given))
        let task = try #require(child.tasks.values.first)
        var value = TaskRecord(instanceKey: child.key, taskKey: task.key, attempt: task.attempt)
        value.errorCode = "E1"
        let records = given.describe(given.send(.throwTaskError, .task(value)))
        #expect(records.contains("instanceCanceled") && records.contains("elementActivated failed") && records.contains("taskCreated handle"), "\(records)")
        #expect(called(given) == nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aTimerOnTheCallActivityCancelsTheCalledInstance() throws {
        var given = try Self.harness(Self.camunda8Call, boundary: """
            <bpmn:boundaryEvent id="late" attachedToRef="call"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalate"/><bpmn:userTask id="escalate"/>
            """)
        given.start()
        given.now += 60_000
        let records = given.describe(given.triggerTimer("late"))
        // (The harness names elements by the caller's graph, so the child's show other ids.)
        #expect(records.contains { $0.hasPrefix("taskCanceled") } && records.contains("instanceCanceled") && records.contains("taskCreated escalate"), "\(records)")
        #expect(called(given) == nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aCalledInstanceIsCanceledWithItsCallerAndNotOnItsOwn() throws {
        var given = try Self.harness(Self.camunda8Call)
        given.start()
        let child = try #require(called(given))
        let refused = given.describe(given.send(.cancelInstance, .instance(InstanceRecord(instanceKey: child.key))))
        #expect(refused.first?.hasPrefix("rejected cancelInstance: process instance \(child.key) was started by a call activity") == true, "\(refused)")
        let records = given.describe(given.send(.cancelInstance, .instance(InstanceRecord(instanceKey: given.instanceKey))))
        #expect(records.filter { $0 == "instanceCanceled" }.count == 2, "\(records)")
        #expect(given.engine.state.instances.isEmpty)
    }

    @Test func aMissingProcessIsAnIncidentNamingIt() throws {
        var given = try Self.harness(#"<bpmn:callActivity id="call" calledElement="=&quot;nowhere-&quot; + region"/>"#)
        given.start(["region": .string("eu")])
        let incident = try #require(given.instance?.incidents.values.first)
        #expect(incident.kind == .calledProcessMissing && incident.message.contains("'nowhere-eu'"), "\(incident.message)")
    }

    @Test func aProcessThatCallsItselfStopsAtTheDepthLimit() throws {
        var given = try EngineHarness(#"""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="again"/>
            <bpmn:callActivity id="again" calledElement="p"/>
            """#)
        given.start()
        #expect(given.engine.state.instances.count == CallDefinition.maximumDepth)
        let incidents = given.engine.state.instances.values.flatMap(\.incidents.values)
        #expect(incidents.count == 1 && incidents[0].message.contains("nest"), "\(incidents)")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aMultiInstanceCallActivityCallsOncePerItem() throws {
        var given = try Self.harness("""
            <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child" propagateAllChildVariables="false"/></bpmn:extensionElements>
            <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
            </bpmn:callActivity>
            """)
        given.start(["items": .array([.number(1), .number(2), .number(3)])])
        let children = given.engine.state.instances.values.filter { $0.parentInstanceKey != 0 }.sorted { $0.key < $1.key }
        #expect(children.map { $0.variables["item"] } == [.number(1), .number(2), .number(3)])
        for child in children {
            let task = try #require(child.tasks.values.first)
            given.send(.completeTask, .task(TaskRecord(instanceKey: child.key, taskKey: task.key, attempt: task.attempt)))
        }
        #expect(given.task("hold") != nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aFixedVersionIsCalledAsCamunda7BindsIt() throws {
        var given = try Self.harness(#"<bpmn:callActivity id="call" calledElement="child" camunda:calledElementBinding="version" camunda:calledElementVersion="1"/>"#)
        given.start()
        #expect(called(given)?.processVersion == 1)
    }
}

/// The example `bpmn/checkout.bpmn` calls `bpmn/order-lines.bpmn`: only the mapped outputs
/// come back (`propagateAllChildVariables="false"`).
@Suite struct CheckoutExampleTests {
    @Test func checkoutCallsOrderLinesAndMapsItsResults() throws {
        var given = try EngineHarness(file: TestFiles.examples + "/checkout.bpmn", calling: [TestFiles.examples + "/order-lines.bpmn"])
        let lines: [JSONValue] = [.object(["sku": .string("A"), "qty": .number(2), "price": .number(3)])]
        given.start(["order": .object(["lines": .array(lines)])])
        let child = try #require(given.engine.state.instances.values.first { $0.parentInstanceKey != 0 })
        #expect(child.processId == "order-lines")
        let check = try #require(child.tasks.values.first)
        var value = TaskRecord(instanceKey: child.key, taskKey: check.key, attempt: check.attempt)
        value.variables = ["available": .bool(true)]
        given.send(.completeTask, .task(value))
        let ship = try #require(given.engine.state.instances.values.first { $0.parentInstanceKey != 0 }?.tasks.values.first)
        given.send(.completeTask, .task(TaskRecord(instanceKey: child.key, taskKey: ship.key, attempt: ship.attempt)))
        #expect(given.instance?.variables["stockPerLine"] == .array([.bool(true)]))
        #expect(given.instance?.variables["orderTotal"] == .number(6))
        #expect(given.instance?.variables["total"] == nil, "only the mapped outputs come back")
        #expect(given.task("ConfirmCheckout") != nil)
        #expect(given.replayedState() == given.engine.state)
    }
}

/// Which version a call activity calls: the latest, a fixed one, the one deployed with the
/// caller, or the latest with a version tag (Camunda 7 and 8 attributes).
@Suite struct CallActivityBindingTests {
    static func child(tag: String?, topic: String) -> ExecutableProcess {
        let tagged = tag.map { #"<bpmn:extensionElements><zeebe:versionTag value="\#($0)"/></bpmn:extensionElements>"# } ?? ""
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
            <bpmn:process id="child" isExecutable="true">\(tagged)
            <bpmn:startEvent id="cs"/><bpmn:sequenceFlow id="c1" sourceRef="cs" targetRef="childWork"/>
            <bpmn:serviceTask id="childWork"><bpmn:extensionElements><zeebe:taskDefinition type="\(topic)"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:sequenceFlow id="c2" sourceRef="childWork" targetRef="ce"/><bpmn:endEvent id="ce"/>
            </bpmn:process></bpmn:definitions>
            """
        return try! BPMNDeployment.load(Array(text.utf8), fileName: "child.bpmn").processes[0].executable!
    }

    /// The caller and child version 1 (tag "v1") deployed together (deployment 1); then
    /// child version 2 (tag "v2", deployment 2) and version 3 (no tag, deployment 3).
    static func harness(_ call: String) throws -> EngineHarness {
        let (content, declarations) = CallActivityTests.model(call, child: """
            <bpmn:extensionElements><zeebe:versionTag value="v1"/></bpmn:extensionElements>
            <bpmn:startEvent id="cs"/><bpmn:sequenceFlow id="c1" sourceRef="cs" targetRef="childWork"/>
            <bpmn:serviceTask id="childWork"><bpmn:extensionElements><zeebe:taskDefinition type="work-v1"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:sequenceFlow id="c2" sourceRef="childWork" targetRef="ce"/><bpmn:endEvent id="ce"/>
            """)
        var given = try EngineHarness(content, declarations: declarations)
        given.engine.processes.deploy(child(tag: "v2", topic: "work-v2"), deployment: 2)
        given.engine.processes.deploy(child(tag: nil, topic: "work-v3"), deployment: 3)
        return given
    }

    @Test(arguments: [
        (#"<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child"/></bpmn:extensionElements></bpmn:callActivity>"#, "work-v3"),
        (#"<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child" bindingType="latest"/></bpmn:extensionElements></bpmn:callActivity>"#, "work-v3"),
        (#"<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child" bindingType="deployment"/></bpmn:extensionElements></bpmn:callActivity>"#, "work-v1"),
        (#"<bpmn:callActivity id="call" calledElement="child" camunda:calledElementBinding="deployment"/>"#, "work-v1"),
        (#"<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child" bindingType="versionTag" versionTag="v2"/></bpmn:extensionElements></bpmn:callActivity>"#, "work-v2"),
        (#"<bpmn:callActivity id="call" calledElement="child" camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="v1"/>"#, "work-v1"),
        (#"<bpmn:callActivity id="call" calledElement="child" camunda:calledElementBinding="version" camunda:calledElementVersion="2"/>"#, "work-v2"),
    ])
    func theBindingPicksTheVersion(_ call: String, _ topic: String) throws {
        var given = try Self.harness(call)
        given.start()
        let child = try #require(given.engine.state.instances.values.first { $0.parentInstanceKey != 0 })
        #expect(child.tasks.values.first?.topic == topic)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aVersionTagNobodyHasIsAnIncidentNamingIt() throws {
        var given = try Self.harness(#"<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child" bindingType="versionTag" versionTag="v9"/></bpmn:extensionElements></bpmn:callActivity>"#)
        given.start()
        let incident = try #require(given.instance?.incidents.values.first)
        #expect(incident.kind == .calledProcessMissing && incident.message.contains("with version tag 'v9'"), "\(incident.message)")
    }

    @Test func aProcessesVersionTagIsReadInBothDialects() throws {
        #expect(Self.child(tag: "v7", topic: "t").versionTag == "v7")
        let text = """
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
            <bpmn:process id="p" isExecutable="true" camunda:versionTag="c7-tag"><bpmn:startEvent id="s"/></bpmn:process></bpmn:definitions>
            """
        let camunda7 = try BPMNDeployment.load(Array(text.utf8), fileName: "c7.bpmn")
        #expect(camunda7.processes[0].executable?.versionTag == "c7-tag")
    }
}

/// What the compiler refuses about call activities.
@Suite struct CallActivityValidationTests {
    @Test(arguments: [
        (#"<bpmn:callActivity id="call"/>"#, BPMNProblem.Rule.callActivityInvalid, "needs the process it calls"),
        (#"<bpmn:callActivity id="call" calledElement="child" camunda:calledElementBinding="version"/>"#, .callActivityInvalid, "calledElementVersion"),
        (#"<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child" bindingType="versionTag"/></bpmn:extensionElements></bpmn:callActivity>"#, .callActivityInvalid, "needs the tag"),
        (#"<bpmn:callActivity id="call" calledElement="child" camunda:calledElementBinding="whenever"/>"#, .callActivityInvalid, "binding 'whenever' is none of"),
        (#"<bpmn:callActivity id="call" calledElement="=a +"/>"#, .callActivityInvalid, "called element"),
    ])
    func badCallActivitiesAreNamed(_ call: String, _ rule: BPMNProblem.Rule, _ fragment: String) throws {
        let (content, _) = CallActivityTests.model(call)
        let found = try compileOne(bpmnDocument(content)).problems
        #expect(found.count == 1 && found[0].rule == rule && found[0].elementId == "call" && found[0].message.contains(fragment), "\(found)")
    }
}
