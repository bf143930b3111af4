import BatonIngest
import BatonLog
import BatonModel
import BatonStorage
import BatonTestSupport
import Testing

/// The rules of `baton ingest`, and what each event becomes, without any log.
@Suite struct IngestRulesTests {
    static let rules = """
        source: orders
        maximumEventBytes: 512
        rules:
          - when: { type: OrderPlaced }
            start: order-events
            correlationId: $.orderId
            businessKey: $.orderId
            variables: { order: $.order, channel: $.meta.channel }
          - when: { type: PaymentConfirmed }
            message: payment-confirmed
            correlationId: $.orderId
            timeToLive: PT10M
            variables: $.payment
          - when: { type: Ping, priority: 2 }
            message: ping
            correlationId: key
            messageId: $.id
            variables: none
        """

    static let deployed = DeployedVersions(latest: ["order-events": 3], deploymentPosition: 7)

    func decide(_ json: String, key: String? = nil, offset: Int64 = 5) throws -> IngestDecision {
        let rules = try IngestRules.load(Self.rules, file: "rules.yaml")
        return rules.decide(LogEntry(position: offset, payload: Array(json.utf8), key: key.map { Array($0.utf8) }), partition: 2, deployed: Self.deployed, now: 1)
    }

    func reason(_ decision: IngestDecision) -> String? {
        if case .deadLetter(let reason, _) = decision { return reason }
        return nil
    }

    @Test func anOrderEventStartsTheLatestVersionWithItsSourceCoordinates() throws {
        guard case .command(let command) = try decide(#"{"type":"OrderPlaced","orderId":"o-1","order":{"total":5},"meta":{"channel":"web"}}"#) else {
            Issue.record("not a command")
            return
        }
        #expect(command.intent == .ingestEvent && command.key == "o-1")
        guard case .message(let value) = command.value else { return }
        #expect(value.startProcessId == "order-events" && value.processVersion == 3 && value.deploymentPosition == 7)
        #expect(value.businessKey == "o-1" && value.name.isEmpty)
        #expect(value.variables == ["order": .object(["total": .number(5)]), "channel": .string("web")])
        #expect(value.sourceTopic == "orders" && value.sourcePartition == 2 && value.sourceOffset == 5)
    }

    @Test func aPaymentEventIsAMessageWithItsTimeToLiveAndADefaultMessageId() throws {
        guard case .command(let command) = try decide(#"{"type":"PaymentConfirmed","orderId":42,"payment":{"ok":true}}"#, offset: 9),
            case .message(let value) = command.value
        else {
            Issue.record("not a message command")
            return
        }
        #expect(command.key == "42", "a whole number is a correlation id too")
        #expect(value.name == "payment-confirmed" && value.timeToLive == 600_000)
        #expect(value.messageId == "orders/2/9")
        #expect(value.variables == ["ok": .bool(true)])
    }

    @Test func theEntryKeyAndSeveralConditionsWork() throws {
        guard case .command(let command) = try decide(#"{"type":"Ping","priority":2,"id":"p-1"}"#, key: "k-9"), case .message(let value) = command.value else {
            Issue.record("not a command")
            return
        }
        #expect(command.key == "k-9" && value.messageId == "p-1" && value.variables.isEmpty)
        #expect(reason(try decide(#"{"type":"Ping","priority":3,"id":"p-1"}"#, key: "k"))?.contains("no rule matches") == true)
        #expect(reason(try decide(#"{"type":"Ping","priority":2,"id":"p-1"}"#))?.contains("no correlation id at key") == true, "the embedded log keeps no keys")
    }

    @Test(arguments: [
        ("not json at all", "not JSON"),
        ("[1,2]", "not a JSON object"),
        (#"{"type":"Refund","orderId":"o"}"#, "no rule matches the event (the rules look at $.priority, $.type)"),
        (#"{"type":"OrderPlaced","order":{}}"#, "no correlation id at $.orderId"),
        (#"{"type":"OrderPlaced","orderId":"","order":{}}"#, "no correlation id"),
        (#"{"type":"OrderPlaced","orderId":1.5,"order":{}}"#, "no correlation id"),
        (#"{"type":"PaymentConfirmed","orderId":"o","payment":7}"#, "not a JSON object"),
        ("{\"type\":\"OrderPlaced\",\"orderId\":\"o\",\"pad\":\"" + String(repeating: "x", count: 600) + "\"}", "more than the 512 an event may have"),
    ])
    func malformedEventsAreDeadLettersWithTheReason(_ json: String, _ expected: String) throws {
        let why = reason(try decide(json))
        #expect(why?.contains(expected) == true, "\(why ?? "a command")")
    }

    @Test func anUndeployedProcessIsADeadLetter() throws {
        let rules = try IngestRules.load(Self.rules, file: "rules.yaml")
        let decision = rules.decide(
            LogEntry(position: 0, payload: Array(#"{"type":"OrderPlaced","orderId":"o","order":{}}"#.utf8)), partition: 0,
            deployed: DeployedVersions(latest: [:], deploymentPosition: 0), now: 1)
        #expect(reason(decision)?.contains("process 'order-events' is not deployed") == true)
    }

    @Test(arguments: [
        ("", "empty"),
        ("source: orders\n", "'rules' must be a list"),
        ("source: orders\nrules:\n  - {when: {type: A}, start: p}\n", "rules[0] needs correlationId"),
        ("source: orders\nrules:\n  - {correlationId: $.id}\n", "must say what an event becomes"),
        ("source: orders\nrules:\n  - {correlationId: '$.', start: p}\n", "is not a field"),
        ("source: orders\nrules:\n  - {correlationId: $.id, message: m, timeToLive: soon}\n", "timeToLive 'soon'"),
        ("source: orders\nrules:\n  - {correlationId: $.id, start: p, colour: red}\n", "rules[0].colour is not a setting here"),
        ("source: orders\nrules: [\n", "not YAML"),
    ])
    func brokenRulesFilesNameTheFieldAndLine(_ text: String, _ expected: String) {
        #expect(throws: (any Error).self) { try IngestRules.load(text, file: "rules.yaml") }
        do {
            _ = try IngestRules.load(text, file: "rules.yaml")
        } catch {
            #expect("\(error)".hasPrefix("rules.yaml"), "\(error)")
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func theExampleRulesFileLoads() throws {
        let text = String(decoding: try POSIX.readFile(TestFiles.examples + "/order-events.yaml"), as: UTF8.self)
        let rules = try IngestRules.load(text, file: "bpmn/order-events.yaml")
        #expect(rules.source == "orders" && rules.rules.count == 2)
        #expect(rules.rules[0].start == "order-events" && rules.rules[1].message == "payment-confirmed")
    }
}
