import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// A scope completes only when no token of it is active or in flight (issue 8, BPMN 2.0.2
/// §13.5.6): a branch that reaches a none end event first consumes only its own token.
struct TokenFlowTests {
    static let script = """
        <bpmn:scriptTask id="work"><bpmn:extensionElements><zeebe:script expression="=a + 1" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
        """

    /// The case the issue reports, with a parallel or an inclusive fork.
    @Test(arguments: ["parallelGateway", "inclusiveGateway"])
    func siblingEndingFirstDoesNotCompleteTheInstance(_ fork: String) throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="start"/><bpmn:\(fork) id="fork"/><bpmn:endEvent id="shortEnd"/>\(Self.script)<bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
            <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="shortEnd"/>
            <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="work"/>
            <bpmn:sequenceFlow id="f5" sourceRef="work" targetRef="end"/>
            """)
        let records = given.describe(given.start(["a": .number(1)]))
        #expect(records == [
            "instanceCreated", "elementActivated start", "elementCompleted start", "sequenceFlowTaken f1", "elementActivated fork",
            "elementCompleted fork", "sequenceFlowTaken f2", "sequenceFlowTaken f3", "elementActivated shortEnd",
            "elementCompleted shortEnd", "elementActivated work", "variablesUpdated r", "elementCompleted work",
            "sequenceFlowTaken f5", "elementActivated end", "elementCompleted end", "instanceCompleted",
        ])
        #expect(given.engine.state.instances.isEmpty)
        #expect(given.tokenViolations.isEmpty)
        #expect(given.replayedState() == given.engine.state)
    }

    /// The sub-process variant: the sub-process leaves through its end event, after the
    /// branch that ended first, and only then does the parent move on.
    /// The sub-process variant: inside `sub`, `shortEnd` ends one branch while the
    /// other still runs through `work` to `subEnd`.
    static let subProcessBranchEndsFirst = """
        <bpmn:startEvent id="start"/>
        <bpmn:subProcess id="sub">
          <bpmn:startEvent id="subStart"/><bpmn:parallelGateway id="fork"/><bpmn:endEvent id="shortEnd"/>\(script)
          <bpmn:endEvent id="subEnd"/>
          <bpmn:sequenceFlow id="s1" sourceRef="subStart" targetRef="fork"/>
          <bpmn:sequenceFlow id="s2" sourceRef="fork" targetRef="shortEnd"/>
          <bpmn:sequenceFlow id="s3" sourceRef="fork" targetRef="work"/>
          <bpmn:sequenceFlow id="s4" sourceRef="work" targetRef="subEnd"/>
        </bpmn:subProcess>
        <bpmn:endEvent id="end"/>
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sub"/><bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="end"/>
        """

    @Test func subProcessCompletesOnlyAfterItsLastToken() throws {
        var given = try EngineHarness(Self.subProcessBranchEndsFirst)
        let records = given.describe(given.start(["a": .number(1)]))
        let subEnd = try #require(records.firstIndex(of: "elementCompleted subEnd"))
        let subCompleted = try #require(records.firstIndex(of: "elementCompleted sub"))
        #expect(subEnd < subCompleted)
        #expect(records.filter { $0 == "elementCompleted sub" }.count == 1)
        #expect(records.suffix(5) == ["elementCompleted sub", "sequenceFlowTaken f2", "elementActivated end", "elementCompleted end", "instanceCompleted"])
        #expect(given.tokenViolations.isEmpty)
    }

    /// Three branches of unequal length, each ending in its own none end event: the
    /// instance completes once, after the longest.
    @Test func unequalBranchesEachEndTheirOwnToken() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
            <bpmn:endEvent id="e1"/><bpmn:intermediateThrowEvent id="x1"/><bpmn:endEvent id="e2"/>
            <bpmn:exclusiveGateway id="x2"/><bpmn:intermediateThrowEvent id="x3"/>\(Self.script)<bpmn:endEvent id="e3"/>
            <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
            <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="e1"/>
            <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="x1"/><bpmn:sequenceFlow id="f3" sourceRef="x1" targetRef="e2"/>
            <bpmn:sequenceFlow id="f4" sourceRef="fork" targetRef="x2"/><bpmn:sequenceFlow id="f5" sourceRef="x2" targetRef="x3"/>
            <bpmn:sequenceFlow id="f6" sourceRef="x3" targetRef="work"/><bpmn:sequenceFlow id="f7" sourceRef="work" targetRef="e3"/>
            """)
        let records = given.describe(given.start(["a": .number(1)]))
        for end in ["e1", "e2", "e3"] { #expect(records.contains("elementCompleted \(end)")) }
        #expect(records.last == "instanceCompleted")
        #expect(records.filter { $0 == "instanceCompleted" }.count == 1)
    }

    /// Decided as Zeebe does: a terminate end event ends the element that holds an open
    /// incident and resolves the incident, so no instance completes with one open.
    @Test func terminateEndResolvesTheIncidentOfTheBranchItEnds() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
            <bpmn:scriptTask id="broken"><bpmn:extensionElements><zeebe:script expression="=a / 0" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:serviceTask id="charge"><bpmn:extensionElements><zeebe:taskDefinition type="charge" retries="1"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:serviceTask id="ship"><bpmn:extensionElements><zeebe:taskDefinition type="ship"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:endEvent id="brokenEnd"/><bpmn:endEvent id="chargeEnd"/><bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/></bpmn:endEvent>
            <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
            <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="broken"/><bpmn:sequenceFlow id="f2" sourceRef="broken" targetRef="brokenEnd"/>
            <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="charge"/><bpmn:sequenceFlow id="f4" sourceRef="charge" targetRef="chargeEnd"/>
            <bpmn:sequenceFlow id="f5" sourceRef="fork" targetRef="ship"/><bpmn:sequenceFlow id="f6" sourceRef="ship" targetRef="stop"/>
            """)
        given.start(["a": .number(1)])
        given.fail("charge", retries: 0)
        #expect(given.instance?.incidents.count == 2)
        let records = given.describe(given.complete("ship"))
        #expect(records == [
            "taskCompleted ship", "elementCompleted ship", "sequenceFlowTaken f6", "elementActivated stop",
            "incidentResolved", "elementTerminated broken",
            "taskCanceled charge", "incidentResolved", "elementTerminated charge",
            "elementCompleted stop", "instanceCompleted",
        ])
        #expect(given.engine.state.instances.isEmpty)
        #expect(given.replayedState() == given.engine.state)
    }

    /// A terminate end event inside a sub-process whose output mapping then fails: the
    /// sub-process waits with an incident, and the tokens that were in flight inside it
    /// end with the scope instead of moving on inside a terminated scope.
    @Test func terminatedScopeKeepsNoTokenInFlightWhileItsCompletionWaits() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="sub">
              <bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="=1 / 0" target="x"/></zeebe:ioMapping></bpmn:extensionElements>
              <bpmn:startEvent id="subStart"/><bpmn:parallelGateway id="fork"/>
              <bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/></bpmn:endEvent>
              <bpmn:intermediateThrowEvent id="slow1"/><bpmn:intermediateThrowEvent id="slow2"/><bpmn:endEvent id="subEnd"/>
              <bpmn:sequenceFlow id="s1" sourceRef="subStart" targetRef="fork"/>
              <bpmn:sequenceFlow id="s2" sourceRef="fork" targetRef="stop"/>
              <bpmn:sequenceFlow id="s3" sourceRef="fork" targetRef="slow1"/>
              <bpmn:sequenceFlow id="s4" sourceRef="slow1" targetRef="slow2"/><bpmn:sequenceFlow id="s5" sourceRef="slow2" targetRef="subEnd"/>
            </bpmn:subProcess>
            <bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sub"/><bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="end"/>
            """)
        let records = given.describe(given.start())
        #expect(records.suffix(5) == [
            "sequenceFlowTaken s2", "sequenceFlowTaken s3", "elementActivated stop", "elementCompleted stop",
            "incidentCreated sub outputMappingFailed",
        ])
        #expect(!records.contains("elementActivated slow2"))
        #expect(!records.contains("elementActivated subEnd"))
        #expect(records.last == "incidentCreated sub outputMappingFailed")
        let sub = try #require(given.instance?.elements.values.first { given.process[element: $0.elementIndex].id == "sub" })
        #expect(sub.activeChildren == 0)
        #expect(given.tokenViolations.isEmpty)
    }
}
