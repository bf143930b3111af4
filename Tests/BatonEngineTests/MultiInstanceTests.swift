import BatonBPMN
import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Multi-instance activities (issue 13): parallel and sequential, over an input collection
/// or a cardinality, with local items, an output collection in item order, a completion
/// condition, and boundary events on the whole activity.
@Suite struct MultiInstanceTests {
    /// A service task `work` (topic `work`) with these loop characteristics, then a user task
    /// `hold` that keeps the instance alive for inspection.
    static func serviceTask(_ loop: String, boundary: String = "") -> String {
        """
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/>
        <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work"/></bpmn:extensionElements>\(loop)</bpmn:serviceTask>
        <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="hold"/><bpmn:userTask id="hold"/>
        \(boundary)
        """
    }

    static let parallelOverItems = """
        <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>
        <zeebe:loopCharacteristics inputCollection="=items" inputElement="item" outputCollection="results" outputElement="=result"/>
        </bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
        """

    /// The active tasks of the topic, oldest first.
    func tasks(_ given: EngineHarness, topic: String = "work") -> [TaskState] {
        (given.instance?.tasks.values ?? [:].values).filter { $0.topic == topic }.sorted { $0.key < $1.key }
    }

    @discardableResult
    func complete(_ given: inout EngineHarness, _ task: TaskState, _ variables: [String: JSONValue] = [:]) -> [String] {
        var value = TaskRecord(instanceKey: given.instanceKey, taskKey: task.key, attempt: task.attempt)
        value.variables = variables
        return given.describe(given.send(.completeTask, .task(value)))
    }

    func seen(_ given: EngineHarness, _ task: TaskState) -> [String: JSONValue] {
        given.instance!.variables(inScopeOf: task.elementInstanceKey)
    }

    @Test func parallelInstancesEachGetTheirItemAndTheResultsComeBackInItemOrder() throws {
        var given = try EngineHarness(Self.serviceTask(Self.parallelOverItems))
        given.start(["items": .array([.string("a"), .string("b"), .string("c")])])
        let started = tasks(given)
        #expect(started.count == 3)
        #expect(started.map { seen(given, $0)["item"] } == [.string("a"), .string("b"), .string("c")])
        #expect(started.map { seen(given, $0)["loopCounter"] } == [.number(1), .number(2), .number(3)])
        #expect(given.instance?.variables["item"] == nil, "the item is local to its inner instance")
        // Answers arrive out of order; each result lands at its item's place.
        for index in [1, 2, 0] {
            let item = seen(given, started[index])["item"]!
            guard case .string(let text) = item else { continue }
            complete(&given, started[index], ["result": .string(text.uppercased())])
        }
        #expect(given.instance?.variables["results"] == .array([.string("A"), .string("B"), .string("C")]))
        #expect(given.instance?.taskResults.count == 3, "every inner task's result is in taskResults")
        #expect(given.task("hold") != nil)
        #expect(given.instance?.locals.isEmpty == true)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func sequentialInstancesRunOneAfterAnotherCamunda7Style() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/>
            <bpmn:serviceTask id="work" camunda:type="external" camunda:topic="work">
            <bpmn:multiInstanceLoopCharacteristics isSequential="true" camunda:collection="${orders}" camunda:elementVariable="order"/>
            </bpmn:serviceTask>
            <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="hold"/><bpmn:userTask id="hold"/>
            """)
        given.start(["orders": .array([.number(10), .number(20), .number(30)])])
        for expected in [10.0, 20.0, 30.0] {
            let open = tasks(given)
            #expect(open.count == 1)
            #expect(seen(given, open[0])["order"] == .number(expected))
            #expect(given.instance?.locals.values.contains { $0["nrOfCompletedInstances"] == .number(expected / 10 - 1) } == true)
            complete(&given, open[0])
        }
        #expect(tasks(given).isEmpty && given.task("hold") != nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func cardinalityAndACompletionConditionEndTheOthers() throws {
        var given = try EngineHarness(Self.serviceTask("""
            <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>=count</bpmn:loopCardinality>
            <bpmn:completionCondition>=numberOfCompletedInstances &gt;= 2</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>
            """))
        given.start(["count": .number(4)])
        let started = tasks(given)
        #expect(started.count == 4)
        #expect(!complete(&given, started[3]).contains("taskCanceled work"))
        let records = complete(&given, started[0])
        #expect(records.filter { $0 == "taskCanceled work" }.count == 2, "\(records)")
        #expect(records.contains("elementCompleted work") && records.contains("taskCreated hold"), "\(records)")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anEmptyCollectionCompletesAtOnce() throws {
        var given = try EngineHarness(Self.serviceTask(Self.parallelOverItems))
        let records = given.describe(given.start(["items": .array([])]))
        #expect(!records.contains("taskCreated work") && records.contains("taskCreated hold"), "\(records)")
        #expect(given.instance?.variables["results"] == .array([]))
    }

    @Test func aSubProcessRunsPerItemWithTheItemInItsConditionsAndScripts() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="each"/>
            <bpmn:subProcess id="each">
              <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>
              <zeebe:loopCharacteristics inputCollection="=lines" inputElement="line" outputCollection="prices" outputElement="=price"/>
              </bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
              <bpmn:startEvent id="in"/><bpmn:sequenceFlow id="i1" sourceRef="in" targetRef="big"/>
              <bpmn:exclusiveGateway id="big" default="cheap"/>
              <bpmn:sequenceFlow id="costly" sourceRef="big" targetRef="check"><bpmn:conditionExpression>=line.qty &gt; 10</bpmn:conditionExpression></bpmn:sequenceFlow>
              <bpmn:sequenceFlow id="cheap" sourceRef="big" targetRef="price"/>
              <bpmn:serviceTask id="check"><bpmn:extensionElements><zeebe:taskDefinition type="check"/></bpmn:extensionElements></bpmn:serviceTask>
              <bpmn:sequenceFlow id="i2" sourceRef="check" targetRef="price"/>
              <bpmn:scriptTask id="price"><bpmn:extensionElements><zeebe:script expression="=line.qty * 2" resultVariable="price"/></bpmn:extensionElements></bpmn:scriptTask>
              <bpmn:sequenceFlow id="i3" sourceRef="price" targetRef="out"/><bpmn:endEvent id="out"/>
            </bpmn:subProcess>
            <bpmn:sequenceFlow id="f2" sourceRef="each" targetRef="hold"/><bpmn:userTask id="hold"/>
            """)
        given.start(["lines": .array([.object(["qty": .number(1)]), .object(["qty": .number(50)]), .object(["qty": .number(3)])])])
        let checks = tasks(given, topic: "check")
        #expect(checks.count == 1 && seen(given, checks[0])["line"] == .object(["qty": .number(50)]))
        complete(&given, checks[0])
        #expect(given.instance?.variables["prices"] == .array([.number(2), .number(100), .number(6)]))
        #expect(given.task("hold") != nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anErrorBoundaryOnTheActivityEndsEveryInnerInstance() throws {
        var given = try EngineHarness(Self.serviceTask(Self.parallelOverItems, boundary: """
            <bpmn:boundaryEvent id="failed" attachedToRef="work"><bpmn:errorEventDefinition errorRef="E1"/></bpmn:boundaryEvent>
            <bpmn:sequenceFlow id="f3" sourceRef="failed" targetRef="handle"/><bpmn:userTask id="handle"/>
            """), declarations: #"<bpmn:error id="E1" errorCode="E1"/>"#)
        given.start(["items": .array([.number(1), .number(2), .number(3)])])
        let started = tasks(given)
        var value = TaskRecord(instanceKey: given.instanceKey, taskKey: started[1].key, attempt: started[1].attempt)
        value.errorCode = "E1"
        let records = given.describe(given.send(.throwTaskError, .task(value)))
        // The thrower's task ends as with any error boundary, and so do the other two.
        #expect(records.filter { $0 == "taskCanceled work" }.count == 3, "\(records)")
        #expect(records.filter { $0 == "elementTerminated work" }.count == 4, "three inner instances and the body: \(records)")
        #expect(records.contains("elementActivated failed") && records.contains("taskCreated handle"), "\(records)")
        #expect(tasks(given).isEmpty && given.instance?.locals.isEmpty == true)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aTimerBoundaryIsArmedOnceForTheWholeActivity() throws {
        var given = try EngineHarness(Self.serviceTask(Self.parallelOverItems, boundary: """
            <bpmn:boundaryEvent id="late" attachedToRef="work"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalate"/><bpmn:userTask id="escalate"/>
            """))
        given.start(["items": .array([.number(1), .number(2)])])
        #expect(given.instance?.timers.count == 1)
        given.now += 3_600_000
        let records = given.describe(given.triggerTimer("late"))
        #expect(records.filter { $0 == "taskCanceled work" }.count == 2 && records.contains("taskCreated escalate"), "\(records)")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test(arguments: [
        (#"["items": "not a list"]"#, "not a list"),
        (#"[:]"#, "not a list"),
    ])
    func aCollectionThatIsNoListIsAnIncidentOnTheActivity(_ variables: String, _ fragment: String) throws {
        var given = try EngineHarness(Self.serviceTask(Self.parallelOverItems))
        given.start(variables.contains("items") ? ["items": .string("not a list")] : [:])
        let incident = try #require(given.instance?.incidents.values.first)
        #expect(incident.message.contains(fragment), "\(incident.message)")
        #expect(given.process[element: incident.elementIndex].kind == .multiInstanceBody)
    }

    @Test func theCountsAndItemsAreReadableByExpressionsInside() throws {
        var given = try EngineHarness(Self.serviceTask("""
            <bpmn:multiInstanceLoopCharacteristics camunda:collection="names" camunda:elementVariable="name">
            <bpmn:completionCondition>${nrOfCompletedInstances == nrOfInstances}</bpmn:completionCondition>
            </bpmn:multiInstanceLoopCharacteristics>
            """))
        given.start(["names": .array([.string("x"), .string("y")])])
        let started = tasks(given)
        #expect(seen(given, started[0])["nrOfInstances"] == .number(2))
        #expect(seen(given, started[1])["name"] == .string("y"))
        complete(&given, started[0])
        let records = complete(&given, started[1])
        #expect(records.contains("taskCreated hold"), "\(records)")
    }
}

/// The example `bpmn/order-lines.bpmn`: one stock check per order line (map), a FEEL total,
/// then `every … satisfies` over the collected answers (reduce).
@Suite struct OrderLinesExampleTests {
    @Test(arguments: [(true, "ShipOrder"), (false, "Backorder")])
    func eachLineIsCheckedAndTheAnswersDecide(_ lastInStock: Bool, _ next: String) throws {
        var given = try EngineHarness(file: TestFiles.examples + "/order-lines.bpmn")
        let line = { (sku: String, qty: Double, price: Double) -> JSONValue in
            .object(["sku": .string(sku), "qty": .number(qty), "price": .number(price)])
        }
        given.start(["order": .object(["lines": .array([line("A", 2, 10), line("B", 1, 5.5), line("C", 4, 1)])])])
        let checks = (given.instance?.tasks.values ?? [:].values).filter { $0.topic == "check-stock" }.sorted { $0.key < $1.key }
        #expect(checks.count == 3)
        for (index, task) in checks.enumerated() {
            #expect(given.instance!.variables(inScopeOf: task.elementInstanceKey)["line"] != nil)
            var value = TaskRecord(instanceKey: given.instanceKey, taskKey: task.key, attempt: task.attempt)
            value.variables = ["available": .bool(index < 2 || lastInStock)]
            given.send(.completeTask, .task(value))
        }
        #expect(given.instance?.variables["stock"] == .array([.bool(true), .bool(true), .bool(lastInStock)]))
        #expect(given.instance?.variables["total"] == .number(29.5))
        #expect(given.instance?.variables["available"] == nil, "each answer stayed with its line")
        #expect(given.task(next) != nil)
        #expect(given.replayedState() == given.engine.state)
    }
}

/// What the compiler refuses about multi-instance characteristics, naming the element.
@Suite struct MultiInstanceValidationTests {
    func problems(_ loop: String) throws -> [BPMNProblem] {
        try compileOne(bpmnDocument(MultiInstanceTests.serviceTask(loop))).problems
    }

    @Test(arguments: [
        ("<bpmn:multiInstanceLoopCharacteristics/>", "needs an input collection"),
        (#"<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" outputElement="=r"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>"#, "outputCollection is not"),
        (#"<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items +" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>"#, "the input collection"),
        (#"<bpmn:multiInstanceLoopCharacteristics camunda:collection="a b"/>"#, "neither an expression nor a variable name"),
        (#"<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="the item"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>"#, "must be a variable name"),
    ])
    func badCharacteristicsAreNamed(_ loop: String, _ fragment: String) throws {
        let found = try problems(loop)
        #expect(found.count == 1 && found[0].rule == .multiInstanceInvalid && found[0].elementId == "work" && found[0].message.contains(fragment), "\(found)")
    }

    @Test func aStandardLoopIsStillReportedAsUnsupported() throws {
        let found = try problems("<bpmn:standardLoopCharacteristics/>")
        #expect(found.map(\.rule) == [.unsupportedElement])
    }
}
