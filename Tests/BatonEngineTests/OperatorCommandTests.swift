import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// What operators of Zeebe and Camunda expect to do to a running instance (issue 9): cancel
/// it, set its variables, resolve an output-mapping incident without redoing the work, and
/// one instance per order.
struct OperatorCommandTests {
    static let busy = """
        <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
        <bpmn:serviceTask id="charge"><bpmn:extensionElements><zeebe:taskDefinition type="charge" retries="1"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:serviceTask id="ship"><bpmn:extensionElements><zeebe:taskDefinition type="ship"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:boundaryEvent id="late" attachedToRef="ship"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
        <bpmn:subProcess id="sub"><bpmn:startEvent id="subStart"/>
          <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
          <bpmn:endEvent id="subEnd"/>
          <bpmn:sequenceFlow id="s1" sourceRef="subStart" targetRef="wait"/><bpmn:sequenceFlow id="s2" sourceRef="wait" targetRef="subEnd"/>
        </bpmn:subProcess>
        <bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/><bpmn:endEvent id="lateEnd"/>
        <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
        <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="charge"/><bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="ship"/>
        <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="sub"/>
        <bpmn:sequenceFlow id="f4" sourceRef="charge" targetRef="join"/><bpmn:sequenceFlow id="f5" sourceRef="ship" targetRef="join"/>
        <bpmn:sequenceFlow id="f6" sourceRef="sub" targetRef="join"/><bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="end"/>
        <bpmn:sequenceFlow id="f8" sourceRef="late" targetRef="lateEnd"/>
        """

    @Test func cancelEndsEveryElementTaskTimerAndIncidentThenTheInstance() throws {
        var given = try EngineHarness(Self.busy)
        given.start()
        given.fail("charge", retries: 0)
        let key = given.instanceKey
        #expect(given.instance?.incidents.count == 1 && given.instance?.timers.count == 2)
        let records = given.describe(given.send(.cancelInstance, .instance(InstanceRecord(instanceKey: key))))
        #expect(records == [
            "taskCanceled charge", "incidentResolved", "elementTerminated charge",
            "taskCanceled ship", "timerCanceled late", "elementTerminated ship",
            "timerCanceled wait", "elementTerminated wait", "elementTerminated sub",
            "instanceCanceled",
        ])
        #expect(given.engine.state.instances.isEmpty)
        #expect(given.engine.state.instancesByCorrelation.isEmpty)
        #expect(given.replayedState() == given.engine.state)
        // Nothing continues: a late answer for its task is rejected.
        let late = given.send(.completeTask, .task(TaskRecord(instanceKey: key, taskKey: 1, attempt: 1)))
        #expect(late.first?.recordType == .rejection)
        #expect(given.describe(given.send(.cancelInstance, .instance(InstanceRecord(instanceKey: key)))) == [
            "rejected cancelInstance: process instance \(key) is not active (completed, canceled or never started)",
        ])
    }

    @Test func cancelOfAnotherCorrelationIdsInstanceIsRejected() throws {
        var given = try EngineHarness(Self.busy)
        given.start()
        let key = given.instanceKey
        given.correlationId = "order-2"
        #expect(given.describe(given.send(.cancelInstance, .instance(InstanceRecord(instanceKey: key)))) == [
            "rejected cancelInstance: process instance \(key) belongs to correlation id 'order-1', not 'order-2'",
        ])
        #expect(given.instance != nil)
    }

    @Test func setVariablesMergesIntoTheInstanceAndConditionsSeeThem() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:serviceTask id="review"><bpmn:extensionElements><zeebe:taskDefinition type="review"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:exclusiveGateway id="g" default="no"/><bpmn:endEvent id="approved"/><bpmn:endEvent id="rejected"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/><bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="g"/>
            <bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="approved"><bpmn:conditionExpression>=ok</bpmn:conditionExpression></bpmn:sequenceFlow>
            <bpmn:sequenceFlow id="no" sourceRef="g" targetRef="rejected"/>
            """)
        given.start(["ok": .bool(false)])
        let set = given.send(.setVariables, .variables(VariablesRecord(instanceKey: given.instanceKey, variables: ["ok": .bool(true), "by": .string("ops")])))
        #expect(given.describe(set) == ["variablesUpdated by,ok"])
        #expect(given.instance?.variables["ok"] == .bool(true))
        #expect(given.describe(given.complete("review")).contains("elementCompleted approved"))
        #expect(given.replayedState() == given.engine.state)
        var other = try EngineHarness(Self.busy)
        other.start()
        #expect(other.describe(other.send(.setVariables, .variables(VariablesRecord(instanceKey: other.instanceKey, variables: [:])))) == [
            "rejected setVariables: setVariables names no variables",
        ])
    }

    static let mapped = """
        <bpmn:startEvent id="s"/>
        <bpmn:serviceTask id="charge">
          <bpmn:extensionElements><zeebe:taskDefinition type="charge"/>
            <zeebe:ioMapping><zeebe:output source="=receipt.id" target="receiptId"/><zeebe:output source="=amount / divisor" target="share"/></zeebe:ioMapping>
          </bpmn:extensionElements>
        </bpmn:serviceTask>
        <bpmn:endEvent id="e"/>
        <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="charge"/><bpmn:sequenceFlow id="f2" sourceRef="charge" targetRef="e"/>
        """

    /// The worker's result is kept; resolving runs the output mapping again with the
    /// worker's variables, and no task is published again.
    @Test func outputMappingIncidentKeepsTheWorkersResultAndResolvingRerunsOnlyTheMapping() throws {
        var given = try EngineHarness(Self.mapped)
        given.start(["amount": .number(90), "divisor": .number(0)])
        let completed = given.describe(given.complete(
            "charge", data: .object(["paid": .bool(true)]), variables: ["receipt": .object(["id": .string("R-1")])]))
        #expect(completed == ["taskCompleted charge", "incidentCreated charge outputMappingFailed"])
        let incident = try #require(given.instance?.incidents.values.first)
        #expect(incident.taskKey == 0 && incident.variables == ["receipt": .object(["id": .string("R-1")])])
        #expect(incident.message.contains("'share'"))
        #expect(given.instance?.taskResults.count == 1 && given.instance?.tasks.isEmpty == true)
        let resolved = given.describe(given.resolveIncident(variables: ["divisor": .number(3)]))
        #expect(resolved == [
            "variablesUpdated divisor", "incidentResolved", "variablesUpdated receiptId,share", "elementCompleted charge",
            "sequenceFlowTaken f2", "elementActivated e", "elementCompleted e", "instanceCompleted",
        ])
        #expect(given.journal.filter { $0.intent == .taskCreated || $0.intent == .taskActivated }.count == 1)
        #expect(given.replayedState() == given.engine.state)
    }

    /// A sub-process whose output mapping failed is not entered again on resolution.
    @Test func subProcessOutputMappingIncidentResolvesWithoutReenteringIt() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:subProcess id="sub">
              <bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="=total / count" target="average"/></zeebe:ioMapping></bpmn:extensionElements>
              <bpmn:startEvent id="subStart"/><bpmn:endEvent id="subEnd"/>
              <bpmn:sequenceFlow id="i1" sourceRef="subStart" targetRef="subEnd"/>
            </bpmn:subProcess>
            <bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/><bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="e"/>
            """)
        #expect(given.describe(given.start(["total": .number(10), "count": .number(0)])).last == "incidentCreated sub outputMappingFailed")
        let resolved = given.describe(given.resolveIncident(variables: ["count": .number(4)]))
        #expect(resolved == [
            "variablesUpdated count", "incidentResolved", "variablesUpdated average", "elementCompleted sub", "sequenceFlowTaken f2",
            "elementActivated e", "elementCompleted e", "instanceCompleted",
        ])
    }

    @Test func oneOrderOneInstanceUnlessTheCommandAllowsAnother() throws {
        var given = try EngineHarness(FlowElementTests.serviceTask)
        given.start()
        let first = given.instanceKey
        let again = given.describe(given.start())
        #expect(again == ["rejected createInstance: instance \(first) of process 'p' is already active for correlation id 'order-1': one order, one instance (a createInstance with allowDuplicate starts another)"])
        let allowed = given.send(.createInstance, .instance(InstanceRecord(processId: "p", processVersion: 1, allowDuplicate: true)))
        #expect(allowed.first?.intent == .instanceCreated)
        #expect(given.engine.state.instancesByCorrelation["order-1"]?.count == 2)
        // Another order is its own instance.
        given.correlationId = "order-2"
        #expect(given.describe(given.start()).first == "instanceCreated")
        #expect(given.replayedState() == given.engine.state)
        let snapshot = try EngineState.fromSnapshot(given.engine.state.snapshotBytes(processes: given.engine.processes), processes: given.engine.processes)
        #expect(snapshot == given.engine.state)
    }
}
