import BatonBPMN
import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Signal events (issue 13): a broadcast without a correlation key reaches every
/// subscription of its name on every partition, starts the processes whose signal start
/// event it is once, and a thrown signal goes out through the outbox.
@Suite struct SignalEventTests {
    static let signals = #"<bpmn:signal id="Sig" name="stock-arrived"/><bpmn:signal id="Other" name="other"/><bpmn:signal id="Unnamed"/>"#

    static let catchThenWork = """
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
        <bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="Sig"/></bpmn:intermediateCatchEvent>
        <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="work"/><bpmn:userTask id="work"/>
        """

    static func signal(_ name: String = "stock-arrived", _ variables: [String: JSONValue] = [:]) -> RecordValue {
        .message(MessageRecord(name: name, variables: variables))
    }

    @Test func aBroadcastReachesTheCatchEventOfEveryWaitingInstance() throws {
        var given = try EngineHarness(Self.catchThenWork, declarations: Self.signals)
        given.correlationId = "order-1"
        given.start()
        given.correlationId = "order-2"
        given.start()
        let records = given.send(.broadcastSignal, Self.signal("stock-arrived", ["sku": .string("A-1")]), key: "stock-arrived")
        #expect(records.first?.intent == .signalBroadcast)
        let instances = given.engine.state.instances.values
        #expect(instances.count == 2 && instances.allSatisfy { $0.tasks.count == 1 && $0.variables["sku"] == .string("A-1") })
        // Each instance's records carry its own correlationId.
        let keys = Set(records.filter { $0.intent == .elementActivated }.map(\.key))
        #expect(keys == ["order-1", "order-2"])
        #expect(given.engine.state.subscriptionsByAddress.isEmpty)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aSignalOfAnotherNameOrBeforeTheSubscriptionIsNotCaught() throws {
        var given = try EngineHarness(Self.catchThenWork, declarations: Self.signals)
        given.send(.broadcastSignal, Self.signal(), key: "stock-arrived")
        given.start()
        given.send(.broadcastSignal, Self.signal("other"), key: "other")
        #expect(given.task("work") == nil, "signals are not buffered, and names must match")
        given.send(.broadcastSignal, Self.signal(), key: "stock-arrived")
        #expect(given.task("work") != nil)
    }

    @Test func boundaryEventsInterruptOrStartATokenEachTime() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/>
            <bpmn:userTask id="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/><bpmn:endEvent id="e"/>
            <bpmn:boundaryEvent id="notice" attachedToRef="work" cancelActivity="false"><bpmn:signalEventDefinition signalRef="Other"/></bpmn:boundaryEvent>
            <bpmn:sequenceFlow id="f3" sourceRef="notice" targetRef="note"/><bpmn:userTask id="note"/>
            <bpmn:boundaryEvent id="stop" attachedToRef="work"><bpmn:signalEventDefinition signalRef="Sig"/></bpmn:boundaryEvent>
            <bpmn:sequenceFlow id="f4" sourceRef="stop" targetRef="stopped"/><bpmn:endEvent id="stopped"/>
            """, declarations: Self.signals)
        given.start()
        given.send(.broadcastSignal, Self.signal("other"), key: "other")
        given.send(.broadcastSignal, Self.signal("other"), key: "other")
        #expect(given.instance?.tasks.count == 3, "two notes beside the work")
        let records = given.describe(given.send(.broadcastSignal, Self.signal(), key: "stock-arrived"))
        #expect(records.contains("elementTerminated work"), "\(records)")
        #expect(given.task("work") == nil && given.instance?.tasks.count == 2)
        #expect(given.instance?.subscriptions.isEmpty == true, "the work's subscriptions closed with it")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anEventBasedGatewayTakesTheSignalAndCancelsItsTimer() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="gw"/><bpmn:eventBasedGateway id="gw"/>
            <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="sig"/><bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="late"/>
            <bpmn:intermediateCatchEvent id="sig"><bpmn:signalEventDefinition signalRef="Unnamed"/></bpmn:intermediateCatchEvent>
            <bpmn:intermediateCatchEvent id="late"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:sequenceFlow id="f4" sourceRef="sig" targetRef="work"/><bpmn:userTask id="work"/>
            <bpmn:sequenceFlow id="f5" sourceRef="late" targetRef="e"/><bpmn:endEvent id="e"/>
            """, declarations: Self.signals)
        given.start()
        // A <signal> without a name is broadcast by its id, as Camunda 7 does.
        let records = given.describe(given.send(.broadcastSignal, Self.signal("Unnamed"), key: "Unnamed"))
        #expect(records.contains("timerCanceled late"), "\(records)")
        #expect(given.task("work") != nil && given.instance?.timers.isEmpty == true)
    }

    @Test func aSignalStartEventStartsTheProcessOnThisPartitionWithACorrelationIdOfItsOwn() throws {
        let configuration = EngineConfiguration(journalPartitions: 4)
        var given = try EngineHarness(bytes: bpmnDocument("""
            <bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="Sig"/></bpmn:startEvent>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="Sig"/></bpmn:intermediateCatchEvent>
            <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="work"/><bpmn:userTask id="work"/>
            """, declarations: Self.signals), configuration: configuration)
        let first = given.send(.broadcastSignal, Self.signal("stock-arrived", ["n": .number(1)]), key: "stock-arrived")
        var instances = given.engine.state.instances.values
        #expect(instances.count == 1)
        let started = try #require(instances.first)
        #expect(Murmur2.partition(forKey: started.correlationId, partitions: 4) == 1, "\(started.correlationId) lives on this partition")
        #expect(started.correlationId.hasPrefix("p-"))
        #expect(started.tasks.isEmpty, "the subscription it opened did not take the signal that started it")
        #expect(first.filter { $0.recordType == .command }.map(\.intent) == [.deliverSignal, .deliverSignal, .deliverSignal])
        #expect(Set(first.filter { $0.recordType == .command }.map(\.partition)) == [0, 2, 3])
        given.send(.broadcastSignal, Self.signal(), key: "stock-arrived")
        instances = given.engine.state.instances.values
        #expect(instances.count == 2 && instances.filter { !$0.tasks.isEmpty }.count == 1)
        #expect(given.replayedState() == given.engine.state)
        // A process that starts only by signal cannot be created directly.
        let refused = given.start()
        #expect(refused.first?.rejectionReason.contains("signal 'stock-arrived' is broadcast") == true)
    }

    @Test func aThrownSignalGoesOutThroughTheOutboxAndIsCaughtOnce() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="fork"/>
            <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="wait"/><bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="throw"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="Sig"/></bpmn:intermediateCatchEvent>
            <bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="work"/><bpmn:userTask id="work"/>
            <bpmn:intermediateThrowEvent id="throw"><bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=&quot;x&quot;" target="from"/></zeebe:ioMapping></bpmn:extensionElements>
              <bpmn:signalEventDefinition signalRef="Sig"/></bpmn:intermediateThrowEvent>
            <bpmn:sequenceFlow id="f5" sourceRef="throw" targetRef="e"/><bpmn:endEvent id="e"/>
            """, declarations: Self.signals)
        let started = given.start()
        let outbox = started.filter { $0.recordType == .command }
        #expect(outbox.map(\.intent) == [.broadcastSignal] && outbox.first?.partition == 1 && outbox.first?.key == "stock-arrived")
        #expect(given.task("work") == nil, "the signal is a command of its own, caught after the step")
        given.deliverOutbox(of: started)
        #expect(given.task("work") != nil && given.instance?.variables["from"] == .string("x"))
        let again = given.deliverOutbox(of: started)
        #expect(again.first?.recordType == .rejection && again.first?.rejectionReason.hasPrefix(MessageProcessor.duplicateEventReason) == true)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func eventSubProcessSignalStartsInterruptOrNot() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/><bpmn:userTask id="work"/>
            <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/><bpmn:endEvent id="e"/>
            <bpmn:subProcess id="note" triggeredByEvent="true">
              <bpmn:startEvent id="ns" isInterrupting="false"><bpmn:signalEventDefinition signalRef="Other"/></bpmn:startEvent>
              <bpmn:sequenceFlow id="n1" sourceRef="ns" targetRef="noted"/><bpmn:userTask id="noted"/>
            </bpmn:subProcess>
            <bpmn:subProcess id="abort" triggeredByEvent="true">
              <bpmn:startEvent id="as"><bpmn:signalEventDefinition signalRef="Sig"/></bpmn:startEvent>
              <bpmn:sequenceFlow id="a1" sourceRef="as" targetRef="ae"/><bpmn:endEvent id="ae"/>
            </bpmn:subProcess>
            """, declarations: Self.signals)
        given.start()
        given.send(.broadcastSignal, Self.signal("other"), key: "other")
        given.send(.broadcastSignal, Self.signal("other"), key: "other")
        #expect(given.instance?.tasks.count == 3)
        given.send(.broadcastSignal, Self.signal(), key: "stock-arrived")
        #expect(given.instance == nil, "the interrupting start ended everything, then the instance completed")
        #expect(given.engine.state.subscriptionsByAddress.isEmpty)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aSignalEndEventBroadcastsAndEnds() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="e"/>
            <bpmn:endEvent id="e"><bpmn:signalEventDefinition signalRef="Other"/></bpmn:endEvent>
            """, declarations: Self.signals)
        let records = given.start()
        #expect(records.contains { $0.intent == .instanceCompleted })
        #expect(records.contains { $0.recordType == .command && $0.intent == .broadcastSignal && $0.key == "other" })
    }

    @Test func hostileBroadcastsAreRefusedWithTheReason() throws {
        var given = try EngineHarness(Self.catchThenWork, declarations: Self.signals)
        given.start()
        let empty = given.send(.broadcastSignal, Self.signal(""), key: "")
        #expect(empty.first?.rejectionReason == "a signal needs a name")
        let long = String(repeating: "s", count: 1025)
        #expect(given.send(.broadcastSignal, Self.signal(long), key: long).first?.rejectionReason.contains("at most 1024 bytes") == true)
        let big: [String: JSONValue] = ["blob": .string(String(repeating: "x", count: 300 * 1024))]
        #expect(given.send(.broadcastSignal, Self.signal("stock-arrived", big), key: "stock-arrived").first?.rejectionReason.contains("a signal may bring") == true)
        let forged = given.send(.deliverSignal, Self.signal(), key: "stock-arrived")
        #expect(forged.first?.rejectionReason.contains("only from another partition's outbox") == true)
        #expect(given.task("work") == nil)
    }

    @Test func aThrownSignalTooBigToCarryIsAnIncidentNotAMessage() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
            <bpmn:intermediateThrowEvent id="t"><bpmn:signalEventDefinition signalRef="Sig"/></bpmn:intermediateThrowEvent>
            <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>
            """, declarations: Self.signals, configuration: EngineConfiguration(maximumTaskResultBytes: 100))
        let records = given.start(["blob": .string(String(repeating: "x", count: 200))])
        #expect(!records.contains { $0.recordType == .command }, "nothing was sent")
        let incident = try #require(given.instance?.incidents.values.first)
        #expect(incident.message.contains("signal 'stock-arrived': the signal's variables take") && incident.message.contains("map fewer"), "\(incident.message)")
    }

    @Test func signalDefinitionsAreChecked() throws {
        func problems(_ content: String) throws -> [BPMNProblem] {
            try BPMNDeployment.load(bpmnDocument(content, declarations: Self.signals + #"<bpmn:signal id="Expr" name="=x"/>"#), fileName: "s.bpmn").processes[0].problems
        }
        let missing = try problems("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="w"/>
            <bpmn:intermediateCatchEvent id="w"><bpmn:signalEventDefinition signalRef="Nope"/></bpmn:intermediateCatchEvent>
            <bpmn:sequenceFlow id="f2" sourceRef="w" targetRef="t"/>
            <bpmn:intermediateThrowEvent id="t"><bpmn:signalEventDefinition/></bpmn:intermediateThrowEvent>
            <bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="x"/>
            <bpmn:intermediateThrowEvent id="x"><bpmn:signalEventDefinition signalRef="Expr"/></bpmn:intermediateThrowEvent>
            """)
        #expect(missing.filter { $0.rule == .signalReferenceInvalid }.map(\.elementId) == ["w", "t", "x"], "\(missing)")
        #expect(missing.contains { $0.message.contains("signalRef 'Nope' names no <signal>") })
        let long = try BPMNDeployment.load(bpmnDocument("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
            <bpmn:intermediateThrowEvent id="t"><bpmn:signalEventDefinition signalRef="Long"/></bpmn:intermediateThrowEvent>
            """, declarations: "<bpmn:signal id=\"Long\" name=\"\(String(repeating: "n", count: 1025))\"/>"), fileName: "s.bpmn").processes[0].problems
        #expect(long.contains { $0.rule == .signalReferenceInvalid && $0.message.contains("1025 bytes; at most 1024") }, "\(long)")
        let nested = try problems("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>
            <bpmn:subProcess id="sub"><bpmn:startEvent id="in"><bpmn:signalEventDefinition signalRef="Sig"/></bpmn:startEvent></bpmn:subProcess>
            """)
        #expect(nested.contains { $0.rule == .missingStartEvent && $0.message.contains("signal start event inside an embedded sub-process") }, "\(nested)")
    }

    @Test func aBroadcastReachesInstancesOnEveryPartition() throws {
        var partitions = try CrossPartitionMessageTests.TwoPartitions(Self.catchThenWork, declarations: Self.signals)
        let ids = ["a", "b", "c", "d", "e", "f"]
        for id in ids { partitions.send(.createInstance, key: id, .instance(InstanceRecord(processId: "p", processVersion: 1))) }
        #expect(Set(ids.map(CrossPartitionMessageTests.TwoPartitions.partition)).count == 2, "instances on both partitions")
        partitions.send(.broadcastSignal, key: "stock-arrived", Self.signal())
        #expect(partitions.outbox.map(\.intent) == [.deliverSignal])
        partitions.deliver(twice: true)
        for engine in partitions.engines {
            #expect(engine.state.instances.values.allSatisfy { $0.tasks.count == 1 })
        }
        #expect(partitions.replayed(0) == partitions.engines[0].state && partitions.replayed(1) == partitions.engines[1].state)
    }
}

/// The example `bpmn/restock-signals.bpmn`: a nightly restock started by a cron timer start
/// event throws `stock-replenished`, which releases every held order; `shop-closed` refunds
/// the held orders instead (an interrupting event sub-process).
@Suite struct RestockExampleTests {
    static func tasks(_ given: EngineHarness, _ topic: String) -> [(InstanceState, TaskState)] {
        given.engine.state.instances.values.flatMap { instance in instance.tasks.values.filter { $0.topic == topic }.map { (instance, $0) } }
            .sorted { $0.1.key < $1.1.key }
    }

    @discardableResult
    static func complete(_ given: inout EngineHarness, _ topic: String, _ variables: [String: JSONValue] = [:]) -> Int {
        let waiting = tasks(given, topic)
        for (instance, task) in waiting {
            var value = TaskRecord(instanceKey: instance.key, taskKey: task.key, attempt: task.attempt)
            value.variables = variables
            given.send(.completeTask, .task(value), key: instance.correlationId)
        }
        return waiting.count
    }

    static func holdOrders(_ given: inout EngineHarness, _ count: Int) {
        for index in 1...count {
            given.send(.createInstance, .instance(InstanceRecord(processId: "held-order", processVersion: 1)), key: "order-\(index)")
        }
        #expect(complete(&given, "notify-customer") == count)
    }

    @Test func theNightlyRestockReleasesEveryHeldOrder() throws {
        var given = try EngineHarness(file: TestFiles.examples + "/restock-signals.bpmn")
        given.now = try ISO8601.epochMilliseconds("2026-11-28T12:00:00Z")
        Self.holdOrders(&given, 3)
        given.send(.scheduleStartTimers, .instance(InstanceRecord(processId: "nightly-restock", processVersion: 1)), key: "nightly-restock")
        let timer = try #require(given.engine.state.startTimers.values.first)
        #expect(timer.dueAt == (try ISO8601.epochMilliseconds("2026-11-29T02:00:00Z")))
        given.now = timer.dueAt
        given.send(.triggerTimer, .timer(TimerRecord(instanceKey: 0, timerKey: timer.key)), key: "nightly-restock")
        #expect(Self.complete(&given, "count-stock", ["low": .array([.string("A-1")])]) == 1)
        let thrown = given.outbox
        #expect(Self.complete(&given, "reorder-stock") == 1)
        #expect(given.outbox.count == thrown.count + 1, "the restock threw its signal")
        given.deliverOutbox(of: given.outbox)
        #expect(Self.complete(&given, "ship-order") == 3, "every held order was released")
        #expect(given.engine.state.instances.isEmpty)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aShopClosedSignalRefundsTheHeldOrders() throws {
        var given = try EngineHarness(file: TestFiles.examples + "/restock-signals.bpmn")
        Self.holdOrders(&given, 2)
        given.send(.broadcastSignal, .message(MessageRecord(name: "shop-closed")), key: "shop-closed")
        #expect(Self.complete(&given, "refund-order") == 2)
        #expect(given.engine.state.instances.isEmpty && given.engine.state.subscriptionsByAddress.isEmpty)
    }
}
