import BatonBPMN
import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Escalation events (issue 13): thrown inside an activity, caught by an escalation boundary
/// event on it (interrupting or not), across call activities; uncaught, the token goes on.
@Suite struct EscalationTests {
    static let declarations = #"<bpmn:escalation id="Late" escalationCode="LATE"/><bpmn:escalation id="Other" escalationCode="OTHER"/>"#

    /// A sub-process `sub` whose inner path is `inner` (start `in`, then `inner`, then a user
    /// task `after` inside), and a boundary on `sub` that leads to the user task `handle`.
    static func model(inner: String, boundary: String) -> String {
        """
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>
        <bpmn:subProcess id="sub">
          <bpmn:startEvent id="in"/><bpmn:sequenceFlow id="i1" sourceRef="in" targetRef="throw"/>
          \(inner)
          <bpmn:sequenceFlow id="i2" sourceRef="throw" targetRef="after"/><bpmn:userTask id="after"/>
        </bpmn:subProcess>
        <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="done"/><bpmn:endEvent id="done"/>
        \(boundary)
        <bpmn:sequenceFlow id="f3" sourceRef="caught" targetRef="handle"/><bpmn:userTask id="handle"/>
        """
    }

    static let throwLate = #"<bpmn:intermediateThrowEvent id="throw"><bpmn:escalationEventDefinition escalationRef="Late"/></bpmn:intermediateThrowEvent>"#

    @Test func aNonInterruptingBoundaryStartsATokenAndTheThrowerGoesOn() throws {
        var given = try EngineHarness(Self.model(inner: Self.throwLate, boundary: """
            <bpmn:boundaryEvent id="caught" attachedToRef="sub" cancelActivity="false"><bpmn:escalationEventDefinition escalationRef="Late"/></bpmn:boundaryEvent>
            """), declarations: Self.declarations)
        given.start()
        #expect(given.task("after") != nil && given.task("handle") != nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anInterruptingBoundaryEndsTheActivityAndTheThrower() throws {
        var given = try EngineHarness(Self.model(inner: Self.throwLate, boundary: """
            <bpmn:boundaryEvent id="caught" attachedToRef="sub"><bpmn:escalationEventDefinition/></bpmn:boundaryEvent>
            """), declarations: Self.declarations)
        let records = given.describe(given.start())
        #expect(records.contains("elementTerminated throw") && records.contains("elementTerminated sub"), "\(records)")
        #expect(given.task("after") == nil && given.task("handle") != nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anEscalationOfAnotherCodeOrUncaughtLetsTheTokenGoOn() throws {
        var given = try EngineHarness(Self.model(inner: Self.throwLate, boundary: """
            <bpmn:boundaryEvent id="caught" attachedToRef="sub"><bpmn:escalationEventDefinition escalationRef="Other"/></bpmn:boundaryEvent>
            """), declarations: Self.declarations)
        given.start()
        #expect(given.task("after") != nil && given.task("handle") == nil)
        #expect(given.instance?.incidents.isEmpty == true)
    }

    @Test func anEscalationEndEventInACalledProcessReachesTheCallActivity() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
            <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child"/></bpmn:extensionElements></bpmn:callActivity>
            <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="done"/><bpmn:endEvent id="done"/>
            <bpmn:boundaryEvent id="caught" attachedToRef="call" cancelActivity="false"><bpmn:escalationEventDefinition escalationRef="Late"/></bpmn:boundaryEvent>
            <bpmn:sequenceFlow id="f3" sourceRef="caught" targetRef="handle"/><bpmn:userTask id="handle"/>
            """, declarations: Self.declarations + """
            <bpmn:process id="child" isExecutable="true">
            <bpmn:startEvent id="cs"/><bpmn:parallelGateway id="fork"/>
            <bpmn:sequenceFlow id="c1" sourceRef="cs" targetRef="fork"/><bpmn:sequenceFlow id="c2" sourceRef="fork" targetRef="late"/>
            <bpmn:sequenceFlow id="c3" sourceRef="fork" targetRef="work"/>
            <bpmn:endEvent id="late"><bpmn:escalationEventDefinition escalationRef="Late"/></bpmn:endEvent>
            <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:sequenceFlow id="c4" sourceRef="work" targetRef="ce"/><bpmn:endEvent id="ce"/>
            </bpmn:process>
            """)
        given.start()
        #expect(given.task("handle") != nil, "the caller's boundary started a token")
        let child = try #require(given.engine.state.instances.values.first { $0.parentInstanceKey != 0 })
        #expect(child.tasks.count == 1, "the called instance goes on")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test(arguments: [
        (#"<bpmn:endEvent id="x"><bpmn:escalationEventDefinition/></bpmn:endEvent>"#, "has no escalationRef"),
        (#"<bpmn:intermediateThrowEvent id="x"><bpmn:escalationEventDefinition escalationRef="Nope"/></bpmn:intermediateThrowEvent>"#, "names no <escalation>"),
    ])
    func aThrowMustNameItsEscalation(_ element: String, _ fragment: String) throws {
        let found = try compileOne(bpmnDocument("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="x"/>\(element)
            """, declarations: Self.declarations)).problems
        #expect(found.count == 1 && found[0].rule == .escalationReferenceInvalid && found[0].message.contains(fragment), "\(found)")
    }
}

/// The example `bpmn/support-ticket-camunda7.bpmn`, run to its end: a business rule task
/// classifies, a repeating reminder runs beside the work, an escalation informs a manager
/// without stopping the work, the answer goes out as a message, a link leads to the wait
/// for the customer's reply.
@Suite struct SupportTicketExampleTests {
    @Test(arguments: [true, false])
    func aTicketIsClassifiedResolvedAnsweredAndClosed(_ needsManager: Bool) throws {
        let deployment = try BPMNDeployment.load(path: TestFiles.examples + "/support-ticket-camunda7.bpmn")
        var drive = CorpusRun.Drive()
        drive.answers["Activity_classify"] = ["variables": .object(["needsManager": .bool(needsManager)])]
        drive.prefer = "timers"
        var run = try CorpusRun(deployment: deployment, drive: drive)
        try run.driveToCompletion()
        #expect(run.problems.isEmpty, "\(run.problems)")
        #expect(run.engine.state.instances.isEmpty && run.completedInstances == 1)
        for element in ["Activity_remind", "Activity_sendAnswer", "Event_followUp", "Activity_waitReply", "Event_closed"] {
            #expect(run.completedElements.contains(element), "\(element) never completed")
        }
        #expect(run.completedElements.contains("Activity_informManager") == needsManager)
        #expect(!run.completedElements.contains("Event_closedSilently"), "the reply came before the 7-day timeout")
        let reminders = run.journal.filter { $0.intent == .taskCreated && $0.recordType == .event }.count
        #expect(reminders >= 4, "three reminders, besides the other tasks")
        #expect(run.journal.contains { $0.intent == .messageThrown }, "the answer was sent as a message")
        #expect(run.replayed() == run.engine.state)
    }
}
