import BatonBPMN
import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Message elements (issue 12): catch events, receive tasks, boundaries, event-based
/// gateways, message start events; buffering with a time to live; message ids; ingested
/// events applied once per source offset.
@Suite struct MessageEventTests {
    static let messages = """
        <bpmn:message id="Paid" name="payment-confirmed"/>
        <bpmn:message id="Cancel" name="order-canceled"/>
        <bpmn:message id="ByOrder" name="shipped"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements></bpmn:message>
        """

    static func harness(_ content: String, configuration: EngineConfiguration = EngineConfiguration()) throws -> EngineHarness {
        try EngineHarness(content, declarations: messages, configuration: configuration)
    }

    static let catchProcess = """
        <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
        <bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="Paid"/></bpmn:intermediateCatchEvent>
        <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/><bpmn:endEvent id="end"/>
        """

    @Test func aCatchEventWaitsForItsMessageAndTakesItsVariables() throws {
        var given = try Self.harness(Self.catchProcess)
        let started = given.describe(given.start())
        #expect(started.contains("messageSubscriptionOpened"))
        #expect(given.instance?.subscriptions.count == 1)
        // Another name, or the same name for another key, is not for this instance.
        given.publish("order-canceled")
        given.publish("payment-confirmed", key: "order-2")
        #expect(given.instance != nil)
        let records = given.describe(given.publish("payment-confirmed", variables: ["amount": .number(42)]))
        #expect(records.contains("messageCorrelated"))
        #expect(records.contains("variablesUpdated amount"))
        #expect(records.contains("messageSubscriptionClosed"))
        #expect(records.last == "instanceCompleted")
        #expect(given.engine.state.subscriptionsByAddress.isEmpty)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aMessagePublishedBeforeItsSubscriptionWaitsForItsTimeToLive() throws {
        var given = try Self.harness(Self.catchProcess)
        given.publish("payment-confirmed", variables: ["early": .bool(true)], timeToLive: 60_000)
        #expect(given.engine.state.messages.count == 1)
        #expect(given.engine.state.dueWork.count == 1)
        let records = given.describe(given.start())
        #expect(records.contains("messageCorrelated"))
        #expect(records.last == "instanceCompleted")
        // The message stays buffered (another instance may take it), but never twice for one
        // instance; it expires at its time.
        #expect(given.engine.state.messages.count == 1)
        given.now += 59_000
        #expect(given.describe(given.expire()).first?.hasPrefix("rejected") == true)
        given.now += 1_000
        #expect(given.describe(given.expire()) == ["messageExpired"])
        #expect(given.engine.state.messages.count == 0 && given.engine.state.dueWork.count == 0)
        // Without a time to live, a message nobody waits for is gone at once.
        var later = try Self.harness(Self.catchProcess)
        later.publish("payment-confirmed")
        later.start()
        #expect(later.instance?.subscriptions.count == 1)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anExpiredMessageIsNotTaken() throws {
        var given = try Self.harness(Self.catchProcess)
        given.publish("payment-confirmed", timeToLive: 1_000)
        given.now += 1_000
        given.start()
        #expect(given.instance?.subscriptions.count == 1, "a message at its expiry time is no longer correlated")
    }

    @Test func aMessageIdIsPublishedOnceWhileBuffered() throws {
        var given = try Self.harness(Self.catchProcess)
        #expect(given.describe(given.publish("payment-confirmed", timeToLive: 60_000, messageId: "m-1")) == ["messagePublished"])
        let again = given.describe(given.publish("payment-confirmed", timeToLive: 60_000, messageId: "m-1"))
        #expect(again.first?.contains("message id 'm-1' was already published") == true)
        #expect(given.describe(given.publish("payment-confirmed", key: "order-2", timeToLive: 60_000, messageId: "m-1")) == ["messagePublished"])
    }

    @Test func aMessageCorrelatesToOneSubscriptionPerInstance() throws {
        var given = try Self.harness("""
            <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
            <bpmn:parallelGateway id="fork"/>
            <bpmn:sequenceFlow id="fa" sourceRef="fork" targetRef="a"/><bpmn:sequenceFlow id="fb" sourceRef="fork" targetRef="b"/>
            <bpmn:intermediateCatchEvent id="a"><bpmn:messageEventDefinition messageRef="Paid"/></bpmn:intermediateCatchEvent>
            <bpmn:intermediateCatchEvent id="b"><bpmn:messageEventDefinition messageRef="Paid"/></bpmn:intermediateCatchEvent>
            <bpmn:sequenceFlow id="fa2" sourceRef="a" targetRef="ea"/><bpmn:endEvent id="ea"/>
            <bpmn:sequenceFlow id="fb2" sourceRef="b" targetRef="eb"/><bpmn:endEvent id="eb"/>
            """)
        given.start()
        #expect(given.instance?.subscriptions.count == 2)
        let first = given.describe(given.publish("payment-confirmed"))
        #expect(first.filter { $0 == "messageCorrelated" }.count == 1)
        #expect(first.contains("elementCompleted a"))
        #expect(given.instance?.subscriptions.count == 1)
        let second = given.describe(given.publish("payment-confirmed"))
        #expect(second.contains("elementCompleted b"))
        #expect(second.last == "instanceCompleted")
    }

    @Test func aReceiveTaskMapsTheMessageAndHasBoundaryEvents() throws {
        var given = try Self.harness("""
            <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="receive"/>
            <bpmn:receiveTask id="receive" messageRef="Paid">
              <bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="=amount * 2" target="doubled"/></zeebe:ioMapping></bpmn:extensionElements>
            </bpmn:receiveTask>
            <bpmn:boundaryEvent id="late" attachedToRef="receive"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            <bpmn:sequenceFlow id="f2" sourceRef="receive" targetRef="end"/><bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="timedOut"/><bpmn:endEvent id="timedOut"/>
            """)
        given.start()
        #expect(given.instance?.timers.count == 1)
        let records = given.describe(given.publish("payment-confirmed", variables: ["amount": .number(21)]))
        #expect(records.contains("timerCanceled late"))
        #expect(records.last == "instanceCompleted")
        #expect(given.journal.contains { record in
            if case .variables(let value) = record.value { return value.variables["doubled"] == .number(42) }
            return false
        })
    }

    static func boundaryProcess(_ interrupting: Bool) -> String { """
        <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
        <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:boundaryEvent id="canceled" attachedToRef="work" cancelActivity="\(interrupting)"><bpmn:messageEventDefinition messageRef="Cancel"/></bpmn:boundaryEvent>
        <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/><bpmn:endEvent id="end"/>
        <bpmn:sequenceFlow id="f3" sourceRef="canceled" targetRef="note"/>
        <bpmn:serviceTask id="note"><bpmn:extensionElements><zeebe:taskDefinition type="note"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:sequenceFlow id="f4" sourceRef="note" targetRef="noted"/><bpmn:endEvent id="noted"/>
        """
    }

    @Test func anInterruptingMessageBoundaryEndsTheTask() throws {
        var given = try Self.harness(Self.boundaryProcess(true))
        given.start()
        let records = given.describe(given.publish("order-canceled"))
        #expect(records.contains("taskCanceled work"))
        #expect(records.contains("elementTerminated work"))
        #expect(records.contains("taskCreated note"))
        #expect(given.task("work") == nil)
        given.complete("note")
        #expect(given.instance == nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aNonInterruptingMessageBoundaryRunsBesideTheTaskEveryTime() throws {
        var given = try Self.harness(Self.boundaryProcess(false))
        given.start()
        let records = given.describe(given.publish("order-canceled"))
        #expect(!records.contains("taskCanceled work"))
        #expect(records.contains("taskCreated note"))
        #expect(given.instance?.subscriptions.count == 1, "the subscription stays open")
        given.complete("note")
        given.publish("order-canceled")
        #expect(given.task("note") != nil, "a second message starts the boundary path again")
        given.complete("note")
        given.complete("work")
        #expect(given.instance == nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aNonInterruptingTimerBoundaryRunsBesideTheTask() throws {
        var given = try Self.harness("""
            <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
            <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:boundaryEvent id="remind" attachedToRef="work" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/><bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="reminded"/><bpmn:endEvent id="reminded"/>
            """)
        given.start()
        given.now += 60_000
        let records = given.describe(given.triggerTimer("remind"))
        #expect(records.contains("elementCompleted reminded"))
        #expect(given.task("work") != nil)
        given.complete("work")
        #expect(given.instance == nil)
    }

    static let raceProcess = race(message: "Paid")

    /// An event-based gateway: the message against a ten-minute timer.
    static func race(message: String) -> String {
        """
        <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="race"/>
        <bpmn:eventBasedGateway id="race"/>
        <bpmn:sequenceFlow id="toPaid" sourceRef="race" targetRef="paid"/>
        <bpmn:sequenceFlow id="toTimeout" sourceRef="race" targetRef="timeout"/>
        <bpmn:intermediateCatchEvent id="paid"><bpmn:messageEventDefinition messageRef="\(message)"/></bpmn:intermediateCatchEvent>
        <bpmn:intermediateCatchEvent id="timeout"><bpmn:timerEventDefinition><bpmn:timeDuration>PT10M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:sequenceFlow id="f2" sourceRef="paid" targetRef="shipped"/><bpmn:endEvent id="shipped"/>
        <bpmn:sequenceFlow id="f3" sourceRef="timeout" targetRef="expired"/><bpmn:endEvent id="expired"/>
        """
    }

    @Test func anEventBasedGatewayTakesTheMessageWhenItComesFirst() throws {
        var given = try Self.harness(Self.raceProcess)
        given.start()
        #expect(given.instance?.timers.count == 1 && given.instance?.subscriptions.count == 1)
        let records = given.describe(given.publish("payment-confirmed"))
        #expect(records.contains("timerCanceled timeout"))
        #expect(records.contains("sequenceFlowTaken toPaid"))
        #expect(records.contains("elementCompleted paid"))
        #expect(records.contains("elementCompleted shipped"))
        #expect(!records.contains("messageSubscriptionOpened"), "the event after the gateway does not wait again")
        #expect(given.instance == nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anEventBasedGatewayTakesTheTimerWhenItFiresFirst() throws {
        var given = try Self.harness(Self.raceProcess)
        given.start()
        given.now += 600_000
        let index = given.process.elementIndex(id: "timeout")
        let timer = given.instance!.timers.values.first { $0.elementIndex == index }!
        let records = given.describe(given.send(.triggerTimer, .timer(TimerRecord(instanceKey: given.instanceKey, timerKey: timer.key))))
        #expect(records.contains("messageSubscriptionClosed"))
        #expect(records.contains("elementCompleted expired"))
        #expect(given.instance == nil)
        // The message that comes too late finds nobody.
        #expect(!given.describe(given.publish("payment-confirmed")).contains("messageCorrelated"))
    }

    @Test func aMessageStartEventStartsOneInstancePerKey() throws {
        var given = try Self.harness("""
            <bpmn:startEvent id="start"><bpmn:messageEventDefinition messageRef="Paid"/></bpmn:startEvent>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
            <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/><bpmn:endEvent id="end"/>
            """)
        let records = given.describe(given.publish("payment-confirmed", variables: ["amount": .number(5)]))
        #expect(records.contains("instanceCreated"))
        #expect(records.contains("taskCreated work"))
        #expect(given.instance?.variables["amount"] == .number(5))
        #expect(!given.describe(given.publish("payment-confirmed")).contains("instanceCreated"), "one instance per correlation key")
        #expect(given.describe(given.publish("payment-confirmed", key: "order-2")).contains("instanceCreated"))
        #expect(given.engine.state.instances.count == 2)
        // A process that starts only by message cannot be started with createInstance.
        let direct = given.describe(given.start())
        #expect(direct.first?.contains("has no none start event") == true)
    }

    @Test func correlateIsRejectedWhenNothingWaits() throws {
        var given = try Self.harness(Self.catchProcess)
        let nobody = given.describe(given.send(.correlateMessage, .message(MessageRecord(name: "payment-confirmed"))))
        #expect(nobody.first?.contains("no subscription waits for message 'payment-confirmed'") == true)
        given.start()
        var value = MessageRecord(name: "payment-confirmed")
        value.instanceKey = given.instanceKey + 1
        #expect(given.describe(given.send(.correlateMessage, .message(value))).first?.hasPrefix("rejected") == true)
        value.instanceKey = given.instanceKey
        #expect(given.describe(given.send(.correlateMessage, .message(value))).last == "instanceCompleted")
        #expect(given.engine.state.messages.count == 0, "a correlated message is never buffered")
    }

    @Test func aCamunda8CorrelationKeyIsEvaluatedWhenTheSubscriptionOpens() throws {
        let process = """
            <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="ByOrder"/></bpmn:intermediateCatchEvent>
            <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/><bpmn:endEvent id="end"/>
            """
        var given = try Self.harness(process)
        given.start(["orderId": .number(4711)])
        #expect(given.instance?.subscriptions.values.first?.correlationKey == "4711")
        #expect(given.describe(given.publish("shipped", key: "4711")).last == "instanceCompleted")

        // Without the variable: an incident; resolving it with the variable opens the subscription.
        var missing = try Self.harness(process)
        missing.start()
        #expect(missing.instance?.incidents.count == 1)
        missing.resolveIncident(variables: ["orderId": .string("A-1")])
        #expect(missing.instance?.subscriptions.values.first?.correlationKey == "A-1")

        // A key on another journal partition than the instance: the subscription is opened
        // there too, through the outbox (CrossPartitionMessageTests follows it).
        let key = (0..<100).map { "other-\($0)" }.first { Murmur2.partition(forKey: $0, partitions: 4) != 1 }!
        var elsewhere = try Self.harness(process, configuration: EngineConfiguration(journalPartitions: 4))
        let opened = elsewhere.start(["orderId": .string(key)])
        let sent = opened.filter { $0.recordType == .command }
        #expect(sent.map(\.intent) == [.openMessageSubscription])
        #expect(sent.first?.partition == Murmur2.partition(forKey: key, partitions: 4) && sent.first?.key == key)
        #expect(elsewhere.instance?.incidents.isEmpty == true)
    }

    @Test func ingestedEventsApplyOncePerSourceOffset() throws {
        var given = try Self.harness(Self.catchProcess)
        // "Start or correlate": no instance yet, so the process starts.
        let first = given.describe(given.ingest(offset: 7, message: "payment-confirmed", start: true))
        #expect(first.contains("eventIngested") && first.contains("instanceCreated"))
        #expect(given.instance?.subscriptions.count == 1)
        // The same offset again (a redelivery) is a duplicate; a lower one too.
        #expect(given.describe(given.ingest(offset: 7, message: "payment-confirmed", start: true)).first?.contains(MessageProcessor.duplicateEventReason) == true)
        #expect(given.describe(given.ingest(offset: 3, message: "payment-confirmed", start: true)).first?.hasPrefix("rejected") == true)
        // The next offset correlates to the waiting instance instead of starting another.
        let second = given.describe(given.ingest(offset: 8, message: "payment-confirmed", start: true))
        #expect(second.contains("messageCorrelated") && second.last == "instanceCompleted")
        // Another source partition has its own offsets.
        #expect(given.describe(given.ingest(offset: 1, partition: 1, message: "", start: true)).contains("instanceCreated"))
        #expect(given.engine.state.sourceOffsets == ["orders/0": 8, "orders/1": 1])
        let snapshot = try EngineState.fromSnapshot(given.engine.state.snapshotBytes(processes: given.engine.processes), processes: given.engine.processes)
        #expect(snapshot == given.engine.state)
        #expect(given.replayedState() == given.engine.state)
    }

    /// Send tasks, message throw and end events (and business rule tasks) name a topic: a
    /// worker sends the message; the element waits for it like a service task.
    @Test func messageThrowingElementsAreExternalTasks() throws {
        var given = try Self.harness("""
            <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="notify"/>
            <bpmn:sendTask id="notify"><bpmn:extensionElements><zeebe:taskDefinition type="send-mail"/></bpmn:extensionElements></bpmn:sendTask>
            <bpmn:sequenceFlow id="f2" sourceRef="notify" targetRef="rule"/>
            <bpmn:businessRuleTask id="rule" camunda:type="external" camunda:topic="score"/>
            <bpmn:sequenceFlow id="f3" sourceRef="rule" targetRef="signal"/>
            <bpmn:intermediateThrowEvent id="signal"><bpmn:extensionElements><zeebe:taskDefinition type="emit"/></bpmn:extensionElements><bpmn:messageEventDefinition messageRef="Paid"/></bpmn:intermediateThrowEvent>
            <bpmn:sequenceFlow id="f4" sourceRef="signal" targetRef="done"/>
            <bpmn:endEvent id="done"><bpmn:extensionElements><zeebe:taskDefinition type="reply"/></bpmn:extensionElements><bpmn:messageEventDefinition messageRef="Paid"/></bpmn:endEvent>
            """)
        given.start()
        for (element, topic) in [("notify", "send-mail"), ("rule", "score"), ("signal", "emit"), ("done", "reply")] {
            #expect(given.task(element)?.topic == topic, "\(element)")
            given.complete(element, data: .object(["sent": .string(element)]))
        }
        #expect(given.instance == nil)
        #expect(given.replayedState() == given.engine.state)
    }

    /// Without a task topic, the element throws its message itself and moves on.
    @Test func aMessageThrowEventWithoutATopicThrowsItsMessage() throws {
        var given = try Self.harness("""
            <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="tell"/>
            <bpmn:intermediateThrowEvent id="tell"><bpmn:messageEventDefinition messageRef="Paid"/></bpmn:intermediateThrowEvent>
            <bpmn:sequenceFlow id="f2" sourceRef="tell" targetRef="done"/>
            <bpmn:endEvent id="done"><bpmn:messageEventDefinition messageRef="Cancel"/></bpmn:endEvent>
            """)
        let records = given.start(["amount": .number(3)])
        let thrown = records.filter { $0.intent == .messageThrown }.compactMap { record -> MessageRecord? in
            if case .message(let value) = record.value { return value }
            return nil
        }
        #expect(thrown.map(\.name) == ["payment-confirmed", "order-canceled"])
        #expect(thrown.allSatisfy { $0.variables == ["amount": .number(3)] && $0.instanceKey != 0 && $0.messageKey != 0 })
        #expect(given.instance == nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func snapshotsKeepSubscriptionsAndBufferedMessages() throws {
        var given = try Self.harness(Self.raceProcess)
        given.start()
        given.publish("order-canceled", key: "order-9", timeToLive: 5_000, messageId: "x")
        let snapshot = try EngineState.fromSnapshot(given.engine.state.snapshotBytes(processes: given.engine.processes), processes: given.engine.processes)
        #expect(snapshot == given.engine.state)
        #expect(snapshot.subscriptionsByAddress == given.engine.state.subscriptionsByAddress)
        #expect(snapshot.dueWork.count == 2)
    }
}

extension EngineHarness {
    @discardableResult
    mutating func publish(
        _ name: String, key: String? = nil, variables: [String: JSONValue] = [:], timeToLive: Int64 = 0, messageId: String = ""
    ) -> [Record] {
        let own = correlationId
        defer { correlationId = own }
        if let key { correlationId = key }
        return send(.publishMessage, .message(MessageRecord(name: name, variables: variables, timeToLive: timeToLive, messageId: messageId)))
    }

    @discardableResult
    mutating func expire() -> [Record] {
        guard let message = engine.state.messages.messages.values.first else { return [] }
        let own = correlationId
        defer { correlationId = own }
        correlationId = message.correlationKey
        var value = MessageRecord()
        value.messageKey = message.key
        return send(.expireMessage, .message(value))
    }

    @discardableResult
    mutating func ingest(offset: Int64, partition: Int32 = 0, message: String, start: Bool) -> [Record] {
        var value = MessageRecord(name: message, variables: ["source": .number(Double(offset))], timeToLive: 0)
        value.sourceTopic = "orders"
        value.sourcePartition = partition
        value.sourceOffset = offset
        if start {
            value.startProcessId = process.processId
            value.processVersion = version
        }
        return send(.ingestEvent, .message(value))
    }
}
