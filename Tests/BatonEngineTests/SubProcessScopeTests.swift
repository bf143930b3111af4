import BatonBPMN
import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// A sub-process's input mappings are local variables of the sub-process (issue 13): what
/// runs inside sees them, a write of the same name stays there, they are gone when the
/// sub-process ends, and its output mappings carry what the process scope should keep.
@Suite struct SubProcessScopeTests {
    static func model(input: String, output: String = "") -> String {
        """
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>
        <bpmn:subProcess id="sub">
          <bpmn:extensionElements><zeebe:ioMapping>\(input)\(output)</zeebe:ioMapping></bpmn:extensionElements>
          <bpmn:startEvent id="in"/><bpmn:sequenceFlow id="i1" sourceRef="in" targetRef="work"/>
          <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work"/></bpmn:extensionElements></bpmn:serviceTask>
          <bpmn:sequenceFlow id="i2" sourceRef="work" targetRef="out"/><bpmn:endEvent id="out"/>
        </bpmn:subProcess>
        <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="after"/><bpmn:userTask id="after"/>
        """
    }

    @Test func inputsAreLocalAndOutputsCarryWhatStays() throws {
        var given = try EngineHarness(Self.model(
            input: #"<zeebe:input source="=order.total" target="total"/>"#,
            output: #"<zeebe:output source="=total * 2" target="doubled"/>"#))
        given.start(["order": .object(["total": .number(21)])])
        let task = try #require(given.task("work"))
        #expect(given.instance?.variables(inScopeOf: task.elementInstanceKey)["total"] == .number(21), "the task sees the local")
        #expect(given.instance?.variables["total"] == nil, "the local is not in the process scope")
        given.complete("work", variables: ["total": .number(50), "note": .string("checked")])
        let instance = try #require(given.instance)
        #expect(instance.variables["doubled"] == .number(100), "the output read the local the task overwrote")
        #expect(instance.variables["total"] == nil && instance.locals.isEmpty, "the local went with the sub-process")
        #expect(instance.variables["note"] == .string("checked"), "a new name goes to the process scope")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aFailingInputIsAnIncidentOnTheSubProcessThatResolves() throws {
        var given = try EngineHarness(Self.model(input: #"<zeebe:input source="=substring(code, 2)" target="total"/>"#))
        given.start(["code": .number(7)])
        let incident = try #require(given.instance?.incidents.values.first)
        #expect(incident.kind == .expressionFailed && incident.message.contains("input mapping to 'total'"), "\(incident.message)")
        #expect(given.task("work") == nil)
        given.send(.setVariables, .variables(VariablesRecord(instanceKey: given.instanceKey, variables: ["code": .string("A-7")])))
        given.resolveIncident()
        #expect(given.task("work") != nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func camunda7InputParametersAreLocalToo() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>
            <bpmn:subProcess id="sub">
              <bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="attempt">${1}</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements>
              <bpmn:startEvent id="in"/><bpmn:sequenceFlow id="i1" sourceRef="in" targetRef="work"/>
              <bpmn:serviceTask id="work" camunda:type="external" camunda:topic="work"/>
              <bpmn:sequenceFlow id="i2" sourceRef="work" targetRef="out"/><bpmn:endEvent id="out"/>
            </bpmn:subProcess>
            <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="after"/><bpmn:userTask id="after"/>
            """)
        given.start()
        let task = try #require(given.task("work"))
        #expect(given.instance?.variables(inScopeOf: task.elementInstanceKey)["attempt"] == .number(1))
        #expect(given.instance?.variables["attempt"] == nil)
    }
}
