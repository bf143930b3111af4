import BatonBPMN
import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Event sub-processes (issue 13): armed when their scope starts; a timer, a message, an
/// error or an escalation starts them; an interrupting start ends the rest of the scope.
@Suite struct EventSubProcessTests {
    static let declarations = #"""
        <bpmn:error id="E1" errorCode="E1"/><bpmn:escalation id="Late" escalationCode="LATE"/>
        <bpmn:message id="Cancel" name="cancel"/><bpmn:message id="Note" name="note"/>
        """#

    /// The process: a user task `work`, then the end; beside it an event sub-process `esp`
    /// whose start is `start` (with `definition`), then a user task `handle`.
    static func model(_ definition: String, interrupting: Bool = true) -> String {
        """
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/>
        <bpmn:userTask id="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/><bpmn:endEvent id="e"/>
        <bpmn:subProcess id="esp" triggeredByEvent="true">
          <bpmn:startEvent id="start" isInterrupting="\(interrupting)">\(definition)</bpmn:startEvent>
          <bpmn:sequenceFlow id="g1" sourceRef="start" targetRef="handle"/><bpmn:userTask id="handle"/>
          <bpmn:sequenceFlow id="g2" sourceRef="handle" targetRef="ge"/><bpmn:endEvent id="ge"/>
        </bpmn:subProcess>
        """
    }

    @Test func anInterruptingTimerEndsTheScopeAndTheEventSubProcessFinishesIt() throws {
        var given = try EngineHarness(Self.model("<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"), declarations: Self.declarations)
        given.start()
        #expect(given.instance?.timers.count == 1 && given.task("work") != nil)
        given.now += 3_600_000
        let records = given.describe(given.triggerTimer("start"))
        #expect(records.contains("taskCanceled work") && records.contains("elementActivated esp") && records.contains("taskCreated handle"), "\(records)")
        #expect(given.describe(given.complete("handle")).last == "instanceCompleted")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aNonInterruptingMessageStartsBesideTheFlowEachTime() throws {
        var given = try EngineHarness(Self.model(#"<bpmn:messageEventDefinition messageRef="Note"/>"#, interrupting: false), declarations: Self.declarations)
        given.start()
        given.publish("note", key: given.correlationId)
        given.publish("note", key: given.correlationId)
        let handles = given.instance!.tasks.values.filter { $0.topic == TaskDefinition.userTaskTopic }.count
        #expect(handles == 3, "work and two handles")
        #expect(given.task("work") != nil)
        // The main flow ends; the instance waits for the event sub-processes.
        #expect(!given.describe(given.complete("work")).contains("instanceCompleted"))
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anErrorThrownByATaskIsCaughtByTheEventSubProcess() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="pay"/>
            <bpmn:serviceTask id="pay"><bpmn:extensionElements><zeebe:taskDefinition type="pay"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:sequenceFlow id="f2" sourceRef="pay" targetRef="e"/><bpmn:endEvent id="e"/>
            <bpmn:subProcess id="esp" triggeredByEvent="true">
              <bpmn:startEvent id="start"><bpmn:errorEventDefinition errorRef="E1"/></bpmn:startEvent>
              <bpmn:sequenceFlow id="g1" sourceRef="start" targetRef="handle"/><bpmn:userTask id="handle"/>
            </bpmn:subProcess>
            """, declarations: Self.declarations)
        given.start()
        let records = given.describe(given.throwError("pay", code: "E1", variables: ["reason": .string("declined")]))
        #expect(records.contains("elementTerminated pay") && records.contains("taskCreated handle"), "\(records)")
        #expect(given.instance?.variables["reason"] == .string("declined"))
        #expect(given.instance?.incidents.isEmpty == true)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anEventSubProcessInASubProcessCatchesBeforeTheSubProcessBoundary() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>
            <bpmn:subProcess id="sub">
              <bpmn:startEvent id="in"/><bpmn:sequenceFlow id="i1" sourceRef="in" targetRef="pay"/>
              <bpmn:serviceTask id="pay"><bpmn:extensionElements><zeebe:taskDefinition type="pay"/></bpmn:extensionElements></bpmn:serviceTask>
              <bpmn:sequenceFlow id="i2" sourceRef="pay" targetRef="out"/><bpmn:endEvent id="out"/>
              <bpmn:subProcess id="inner" triggeredByEvent="true">
                <bpmn:startEvent id="innerStart"><bpmn:errorEventDefinition/></bpmn:startEvent>
                <bpmn:sequenceFlow id="j1" sourceRef="innerStart" targetRef="innerEnd"/><bpmn:endEvent id="innerEnd"/>
              </bpmn:subProcess>
            </bpmn:subProcess>
            <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="after"/><bpmn:userTask id="after"/>
            <bpmn:boundaryEvent id="caught" attachedToRef="sub"><bpmn:errorEventDefinition errorRef="E1"/></bpmn:boundaryEvent>
            <bpmn:sequenceFlow id="f3" sourceRef="caught" targetRef="handle"/><bpmn:userTask id="handle"/>
            """, declarations: Self.declarations)
        given.start()
        let records = given.describe(given.throwError("pay", code: "E1"))
        // Caught inside: the sub-process completes normally and goes on to `after`.
        #expect(records.contains("elementActivated inner") && records.contains("elementCompleted sub") && records.contains("taskCreated after"), "\(records)")
        #expect(given.task("handle") == nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aNonInterruptingEscalationStartsItAndTheThrowerGoesOn() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="late"/>
            <bpmn:intermediateThrowEvent id="late"><bpmn:escalationEventDefinition escalationRef="Late"/></bpmn:intermediateThrowEvent>
            <bpmn:sequenceFlow id="f2" sourceRef="late" targetRef="work"/><bpmn:userTask id="work"/>
            <bpmn:subProcess id="esp" triggeredByEvent="true">
              <bpmn:startEvent id="start" isInterrupting="false"><bpmn:escalationEventDefinition escalationRef="Late"/></bpmn:startEvent>
              <bpmn:sequenceFlow id="g1" sourceRef="start" targetRef="handle"/><bpmn:userTask id="handle"/>
            </bpmn:subProcess>
            """, declarations: Self.declarations)
        given.start()
        #expect(given.task("work") != nil && given.task("handle") != nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anInterruptingMessageClosesTheOtherStarts() throws {
        var given = try EngineHarness("""
            \(Self.model(#"<bpmn:messageEventDefinition messageRef="Cancel"/>"#))
            <bpmn:subProcess id="esp2" triggeredByEvent="true">
              <bpmn:startEvent id="start2"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>
              <bpmn:sequenceFlow id="h1" sourceRef="start2" targetRef="h2"/><bpmn:endEvent id="h2"/>
            </bpmn:subProcess>
            """, declarations: Self.declarations)
        given.start()
        #expect(given.instance?.timers.count == 1 && given.instance?.subscriptions.count == 1)
        let records = given.describe(given.publish("cancel", key: given.correlationId))
        #expect(records.contains("timerCanceled start2") && records.contains("taskCanceled work") && records.contains("taskCreated handle"), "\(records)")
        #expect(given.instance?.timers.isEmpty == true && given.instance?.subscriptions.isEmpty == true)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test(arguments: [
        (#"<bpmn:subProcess id="x" triggeredByEvent="true"><bpmn:startEvent id="xs"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent></bpmn:subProcess><bpmn:sequenceFlow id="bad" sourceRef="x" targetRef="work"/>"#, BPMNProblem.Rule.eventSubProcessInvalid, "no sequence flows"),
        (#"<bpmn:subProcess id="x" triggeredByEvent="true"><bpmn:startEvent id="xs" isInterrupting="false"><bpmn:errorEventDefinition/></bpmn:startEvent></bpmn:subProcess>"#, .eventSubProcessInvalid, "always interrupts"),
        (#"<bpmn:subProcess id="x" triggeredByEvent="true"><bpmn:startEvent id="xs"/></bpmn:subProcess>"#, .eventSubProcessInvalid, "needs a trigger"),
        (#"<bpmn:subProcess id="x" triggeredByEvent="true"><bpmn:startEvent id="xs"><bpmn:signalEventDefinition/></bpmn:startEvent></bpmn:subProcess>"#, .signalReferenceInvalid, "no signalRef"),
        (#"<bpmn:subProcess id="x" triggeredByEvent="true"><bpmn:startEvent id="xs"><bpmn:compensateEventDefinition/></bpmn:startEvent></bpmn:subProcess>"#, .unsupportedElement, "compensation is not supported by Baton"),
    ])
    func invalidEventSubProcessesAreNamed(_ element: String, _ rule: BPMNProblem.Rule, _ fragment: String) throws {
        let found = try compileOne(bpmnDocument("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/><bpmn:userTask id="work"/>\(element)
            """, declarations: Self.declarations)).problems
        #expect(found.contains { $0.rule == rule && $0.message.contains(fragment) }, "\(found)")
    }
}
