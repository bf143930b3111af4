import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Given a deployed process, when a command arrives, then these events — one test per
/// element kind. Every test also checks that replaying the events rebuilds the same state.
struct FlowElementTests {
    static let serviceTask = """
        <bpmn:startEvent id="start"/>
        <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:endEvent id="end"/>
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
        <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
        """

    @Test func noneStartServiceTaskAndNoneEnd() throws {
        var given = try EngineHarness(Self.serviceTask)
        let started = given.start(["amount": .number(5)])
        #expect(given.describe(started) == [
            "instanceCreated", "elementActivated start", "elementCompleted start", "sequenceFlowTaken f1",
            "elementActivated work", "taskCreated work",
        ])
        let task = try #require(given.task("work"))
        #expect(task.topic == "work" && task.retries == 3 && task.attempt == 1)
        #expect(task.phase == .active(lockExpiresAt: given.now + 300_000))
        given.now += 50
        let completed = given.complete("work", data: .object(["ok": .bool(true)]), variables: ["paid": .bool(true)])
        #expect(given.describe(completed) == [
            "taskCompleted work", "variablesUpdated paid", "elementCompleted work", "sequenceFlowTaken f2",
            "elementActivated end", "elementCompleted end", "instanceCompleted",
        ])
        #expect(given.engine.state.instances.isEmpty)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func keysComeFromPartitionAndPositionAndTimeFromTheCommand() throws {
        var given = try EngineHarness(Self.serviceTask)
        let started = given.start()
        guard case .instance(let created) = started[0].value else { Issue.record("not an instance record"); return }
        #expect(created.instanceKey == (Int64(1) << 56 | Int64(1) << 20 | 1))
        #expect(started.allSatisfy { $0.timestamp == given.now && $0.sourcePosition == 1 && $0.key == "order-1" })
    }

    @Test func scriptTaskStoresItsResult() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:scriptTask id="calc"><bpmn:extensionElements><zeebe:script expression="=price * qty + 1" resultVariable="total"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:manualTask id="m"/><bpmn:task id="t"/><bpmn:intermediateThrowEvent id="x"/><bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="calc"/><bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="m"/>
            <bpmn:sequenceFlow id="f3" sourceRef="m" targetRef="t"/><bpmn:sequenceFlow id="f4" sourceRef="t" targetRef="x"/>
            <bpmn:sequenceFlow id="f5" sourceRef="x" targetRef="e"/>
            """)
        let records = given.start(["price": .number(2.5), "qty": .number(4)])
        #expect(given.describe(records).contains("variablesUpdated total"))
        #expect(given.describe(records).last == "instanceCompleted")
        let update = records.first { $0.intent == .variablesUpdated }!
        #expect(update.value == .variables(VariablesRecord(instanceKey: update.value.instanceKey, variables: ["total": .number(11)])))
    }

    @Test func scriptErrorBecomesAnIncidentAndResolvingRunsItAgain() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:scriptTask id="calc"><bpmn:extensionElements><zeebe:script expression="=a / b" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="calc"/><bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="e"/>
            """)
        let started = given.start(["a": .number(1), "b": .number(0)])
        #expect(given.describe(started).last == "incidentCreated calc expressionFailed")
        #expect(given.instance?.incidents.values.first?.message.contains("division by zero") == true)
        let resolved = given.resolveIncident(variables: ["b": .number(4)])
        #expect(given.describe(resolved) == [
            "variablesUpdated b", "incidentResolved", "variablesUpdated r", "elementCompleted calc", "sequenceFlowTaken f2",
            "elementActivated e", "elementCompleted e", "instanceCompleted",
        ])
        #expect(given.replayedState() == given.engine.state)
    }

    static let exclusive = """
        <bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="small"/>
        <bpmn:endEvent id="bigEnd"/><bpmn:endEvent id="smallEnd"/>
        <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="g"/>
        <bpmn:sequenceFlow id="big" sourceRef="g" targetRef="bigEnd"><bpmn:conditionExpression>=order.total &gt; 100</bpmn:conditionExpression></bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="small" sourceRef="g" targetRef="smallEnd"/>
        """

    @Test(arguments: [(150.0, "big"), (100.0, "small"), (-1.0, "small")])
    func exclusiveGatewayTakesFirstTrueConditionElseDefault(_ total: Double, _ flow: String) throws {
        var given = try EngineHarness(Self.exclusive)
        let records = given.start(["order": .object(["total": .number(total)])])
        #expect(given.describe(records).contains("sequenceFlowTaken \(flow)"))
        #expect(given.describe(records).filter { $0.hasPrefix("sequenceFlowTaken") }.count == 2)
        #expect(given.describe(records).last == "instanceCompleted")
    }

    @Test func exclusiveGatewayWithoutMatchOrDefaultRaisesIncident() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"/><bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="g"/>
            <bpmn:sequenceFlow id="fa" sourceRef="g" targetRef="a"><bpmn:conditionExpression>${x == 1}</bpmn:conditionExpression></bpmn:sequenceFlow>
            <bpmn:sequenceFlow id="fb" sourceRef="g" targetRef="b"><bpmn:conditionExpression>${x == 2}</bpmn:conditionExpression></bpmn:sequenceFlow>
            """)
        #expect(given.describe(given.start(["x": .number(3)])).last == "incidentCreated g noFlowTaken")
        #expect(given.describe(given.resolveIncident(variables: ["x": .number(2)])).contains("sequenceFlowTaken fb"))
        #expect(given.engine.state.instances.isEmpty)
    }

    @Test func conditionOfWrongTypeRaisesIncidentNamingTheExpression() throws {
        var given = try EngineHarness(Self.exclusive)
        #expect(given.describe(given.start(["order": .object(["total": .string("lots")])])).last == "incidentCreated g expressionFailed")
        #expect(given.instance!.incidents.values.first!.message.contains("'big'"))
    }

    static let parallel = """
        <bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/><bpmn:parallelGateway id="join"/><bpmn:endEvent id="e"/>
        <bpmn:serviceTask id="a"><bpmn:extensionElements><zeebe:taskDefinition type="a"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:serviceTask id="b"><bpmn:extensionElements><zeebe:taskDefinition type="b"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="fork"/>
        <bpmn:sequenceFlow id="fa" sourceRef="fork" targetRef="a"/><bpmn:sequenceFlow id="fb" sourceRef="fork" targetRef="b"/>
        <bpmn:sequenceFlow id="ja" sourceRef="a" targetRef="join"/><bpmn:sequenceFlow id="jb" sourceRef="b" targetRef="join"/>
        <bpmn:sequenceFlow id="fe" sourceRef="join" targetRef="e"/>
        """

    @Test func parallelGatewayForksAndJoinWaitsForEveryBranch() throws {
        var given = try EngineHarness(Self.parallel)
        let started = given.start()
        #expect(given.describe(started).filter { $0.hasPrefix("taskCreated") } == ["taskCreated a", "taskCreated b"])
        let first = given.complete("b", data: .string("B"))
        #expect(given.describe(first) == ["taskCompleted b", "elementCompleted b", "sequenceFlowTaken jb"])
        #expect(given.instance!.joins.count == 1)
        let second = given.complete("a", data: .string("A"))
        #expect(given.describe(second) == [
            "taskCompleted a", "elementCompleted a", "sequenceFlowTaken ja", "elementActivated join", "elementCompleted join",
            "sequenceFlowTaken fe", "elementActivated e", "elementCompleted e", "instanceCompleted",
        ])
        #expect(given.replayedState() == given.engine.state)
    }

    static let inclusive = """
        <bpmn:startEvent id="s"/><bpmn:inclusiveGateway id="fork" default="fd"/><bpmn:inclusiveGateway id="join"/><bpmn:endEvent id="e"/>
        <bpmn:serviceTask id="a"><bpmn:extensionElements><zeebe:taskDefinition type="a"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:serviceTask id="b"><bpmn:extensionElements><zeebe:taskDefinition type="b"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:serviceTask id="d"><bpmn:extensionElements><zeebe:taskDefinition type="d"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="fork"/>
        <bpmn:sequenceFlow id="fa" sourceRef="fork" targetRef="a"><bpmn:conditionExpression>=wantA</bpmn:conditionExpression></bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="fb" sourceRef="fork" targetRef="b"><bpmn:conditionExpression>=wantB</bpmn:conditionExpression></bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="fd" sourceRef="fork" targetRef="d"/>
        <bpmn:sequenceFlow id="ja" sourceRef="a" targetRef="join"/><bpmn:sequenceFlow id="jb" sourceRef="b" targetRef="join"/>
        <bpmn:sequenceFlow id="jd" sourceRef="d" targetRef="join"/>
        <bpmn:sequenceFlow id="fe" sourceRef="join" targetRef="e"/>
        """

    @Test func inclusiveGatewayForksOnTrueConditionsAndJoinWaitsForThoseTokens() throws {
        var given = try EngineHarness(Self.inclusive)
        let started = given.start(["wantA": .bool(true), "wantB": .bool(true)])
        #expect(given.describe(started).filter { $0.hasPrefix("taskCreated") } == ["taskCreated a", "taskCreated b"])
        #expect(!given.describe(given.complete("a")).contains("elementActivated join"))
        let last = given.complete("b")
        #expect(given.describe(last).filter { $0 == "elementActivated join" }.count == 1)
        #expect(given.describe(last).last == "instanceCompleted")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func inclusiveJoinFiresForASingleBranchAndDefaultIsTakenWhenNothingHolds() throws {
        var one = try EngineHarness(Self.inclusive)
        one.start(["wantA": .bool(true), "wantB": .bool(false)])
        #expect(one.describe(one.complete("a")).last == "instanceCompleted")
        var none = try EngineHarness(Self.inclusive)
        #expect(none.describe(none.start()).filter { $0.hasPrefix("taskCreated") } == ["taskCreated d"])
        #expect(none.describe(none.complete("d")).last == "instanceCompleted")
    }

    @Test func embeddedSubProcessRunsItsOwnScopeThenLeaves() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:subProcess id="sub">
              <bpmn:startEvent id="ss"/>
              <bpmn:serviceTask id="inner"><bpmn:extensionElements><zeebe:taskDefinition type="inner"/></bpmn:extensionElements></bpmn:serviceTask>
              <bpmn:endEvent id="se"/>
              <bpmn:sequenceFlow id="i1" sourceRef="ss" targetRef="inner"/><bpmn:sequenceFlow id="i2" sourceRef="inner" targetRef="se"/>
            </bpmn:subProcess>
            <bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/><bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="e"/>
            """)
        let started = given.start()
        #expect(given.describe(started).suffix(6) == [
            "elementActivated sub", "elementActivated ss", "elementCompleted ss", "sequenceFlowTaken i1", "elementActivated inner",
            "taskCreated inner",
        ])
        let sub = given.instance!.elements.values.first { given.process[element: $0.elementIndex].id == "sub" }!
        #expect(sub.activeChildren == 1)
        #expect(given.describe(given.complete("inner")) == [
            "taskCompleted inner", "elementCompleted inner", "sequenceFlowTaken i2", "elementActivated se", "elementCompleted se",
            "elementCompleted sub", "sequenceFlowTaken f2", "elementActivated e", "elementCompleted e", "instanceCompleted",
        ])
    }

    @Test func errorEndEventInsideSubProcessIsCaughtByItsBoundary() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:subProcess id="sub">
              <bpmn:startEvent id="ss"/><bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="E"/></bpmn:endEvent>
              <bpmn:sequenceFlow id="i1" sourceRef="ss" targetRef="fail"/>
            </bpmn:subProcess>
            <bpmn:boundaryEvent id="caught" attachedToRef="sub"><bpmn:errorEventDefinition errorRef="E"/></bpmn:boundaryEvent>
            <bpmn:endEvent id="ok"/><bpmn:endEvent id="handled"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/><bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="ok"/>
            <bpmn:sequenceFlow id="f3" sourceRef="caught" targetRef="handled"/>
            """, declarations: "<bpmn:error id=\"E\" errorCode=\"BAD\"/>")
        let records = given.describe(given.start())
        #expect(records.suffix(9) == [
            "elementActivated fail", "elementTerminated fail", "elementTerminated sub", "elementActivated caught",
            "elementCompleted caught", "sequenceFlowTaken f3", "elementActivated handled", "elementCompleted handled",
            "instanceCompleted",
        ])
        #expect(records.contains("elementActivated handled") && records.last == "instanceCompleted")
        #expect(!records.contains("elementCompleted sub"))
    }

    @Test func uncaughtErrorEndEventRaisesIncident() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="E"/></bpmn:endEvent>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="fail"/>
            """, declarations: "<bpmn:error id=\"E\" errorCode=\"BAD\"/>")
        #expect(given.describe(given.start()).last == "incidentCreated fail unhandledError")
        #expect(given.instance!.incidents.values.first!.message.contains("'BAD'"))
    }

    @Test func terminateEndEventEndsEveryOtherToken() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/>
            <bpmn:serviceTask id="slow"><bpmn:extensionElements><zeebe:taskDefinition type="slow"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/></bpmn:endEvent>
            <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="fork"/>
            <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="slow"/><bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="wait"/>
            <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="stop"/>
            """)
        given.start()
        given.now += 60_000
        let fired = given.describe(given.triggerTimer("wait"))
        #expect(fired == [
            "timerTriggered wait", "elementCompleted wait", "sequenceFlowTaken f3", "elementActivated stop",
            "taskCanceled slow", "elementTerminated slow", "elementCompleted stop", "instanceCompleted",
        ])
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func intermediateTimerWaitsUntilDue() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT5M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/>
            """)
        #expect(given.describe(given.start()).last == "timerCreated wait")
        let timer = given.instance!.timers.values.first!
        #expect(timer.dueAt == given.now + 300_000)
        given.now += 299_999
        #expect(given.describe(given.triggerTimer("wait")).first?.hasPrefix("rejected triggerTimer: timer") == true)
        given.now += 1
        #expect(given.describe(given.triggerTimer("wait")).last == "instanceCompleted")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func timerWithDateExpression() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDate>=deadline</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/>
            """)
        given.start(["deadline": .string("2030-01-01T00:00:00Z")])
        #expect(given.instance!.timers.values.first!.dueAt == 1_893_456_000_000)
        var broken = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDate>=deadline</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
            """)
        #expect(broken.describe(broken.start(["deadline": .number(3)])).last == "incidentCreated wait expressionFailed")
    }

    @Test func userTaskWaitsOnItsTopicAndManualTaskPassesThrough() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:manualTask id="m"/><bpmn:userTask id="approve"/><bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="m"/><bpmn:sequenceFlow id="f2" sourceRef="m" targetRef="approve"/>
            <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="e"/>
            """)
        given.start()
        #expect(given.task("approve")?.topic == TaskDefinition.userTaskTopic)
        #expect(given.describe(given.complete("approve")).last == "instanceCompleted")
    }

    @Test func loopWithoutWaitStateBecomesAnIncident() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"/><bpmn:task id="t"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/><bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="t"/>
            <bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="g"/>
            """, configuration: EngineConfiguration(maximumActivationsPerCommand: 100))
        let records = given.start()
        #expect(given.describe(records).last?.hasSuffix("stepLimitExceeded") == true)
        #expect(records.filter { $0.intent == .elementActivated }.count == 101)
    }

    @Test func unknownProcessVersionIsRejected() throws {
        var given = try EngineHarness(Self.serviceTask)
        let records = given.send(.createInstance, .instance(InstanceRecord(processId: "nope", processVersion: 1)))
        #expect(given.describe(records) == ["rejected createInstance: process 'nope' version 1 is not deployed"])
    }

    @Test func commandAtAnAnsweredPositionIsADuplicateAndProducesNothing() throws {
        var given = try EngineHarness(Self.serviceTask)
        given.start()
        let again = Record.command(.createInstance, key: "order-1", value: .instance(InstanceRecord(processId: given.process.processId, processVersion: 1)), timestamp: given.now, partition: 1, position: 1)
        #expect(given.engine.process(again, at: given.now).isEmpty)
        #expect(given.engine.state.instances.count == 1)
    }

    /// A Camunda 8 job type written as a FEEL expression is evaluated when the task is
    /// created (it used to be taken as the literal topic name); one that gives no usable
    /// topic is an incident, and resolving it with the missing variable creates the task.
    @Test func taskTypeExpressionsAreEvaluatedWhenTheTaskIsCreated() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="=&quot;work-&quot; + region" retries="2"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/>
            """)
        _ = given.start(["region": .string("eu")])
        #expect(given.task("work")?.topic == "work-eu")
        _ = given.fail("work", retries: 1)
        _ = given.send(.retryTask, .task(TaskRecord(instanceKey: given.instanceKey, taskKey: given.task("work")!.key, attempt: given.task("work")!.attempt)))
        #expect(given.task("work")?.topic == "work-eu", "a retry keeps the topic the expression gave")

        var missing = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="=&quot;work-&quot; + region"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/>
            """)
        let started = missing.start()
        #expect(missing.describe(started).last == "incidentCreated work expressionFailed")
        #expect(missing.instance!.incidents.values.first!.message.contains("gave no topic: null is not a string"), "\(missing.instance!.incidents.values.first!.message)")
        #expect(missing.task("work") == nil)
        _ = missing.resolveIncident(variables: ["region": .string("us")])
        #expect(missing.task("work")?.topic == "work-us")

        for bad in ["=&quot;a/b&quot;", "=&quot;&quot;", "=1 + 2"] {
            var given = try EngineHarness("""
                <bpmn:startEvent id="s"/>
                <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="\(bad)"/></bpmn:extensionElements></bpmn:serviceTask>
                <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/>
                """)
            let records = given.start()
            #expect(given.describe(records).last == "incidentCreated work expressionFailed", "\(bad)")
        }
    }
}
