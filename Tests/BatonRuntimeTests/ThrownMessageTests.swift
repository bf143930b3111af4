import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import Testing

/// A message throw event, a message end event and a send task without a task topic send
/// their message to `baton.messages` once their step is durable (issue 12).
struct ThrownMessageTests {
    static let process = bpmnDocument(
        #"<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="tell"/>"#
            + #"<bpmn:intermediateThrowEvent id="tell"><bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=order.id" target="orderId"/></zeebe:ioMapping></bpmn:extensionElements><bpmn:messageEventDefinition messageRef="Accepted"/></bpmn:intermediateThrowEvent>"#
            + #"<bpmn:sequenceFlow id="f2" sourceRef="tell" targetRef="mail"/>"#
            + #"<bpmn:sendTask id="mail" messageRef="Accepted"/>"#
            + #"<bpmn:sequenceFlow id="f3" sourceRef="mail" targetRef="done"/>"#
            + #"<bpmn:endEvent id="done"><bpmn:messageEventDefinition messageRef="Shipped"/></bpmn:endEvent>"#,
        declarations: #"<bpmn:message id="Accepted" name="order-accepted"/><bpmn:message id="Shipped" name="order-shipped"/>"#)

    @Test func thrownMessagesArePublishedToTheMessagesTopic() async throws {
        let log = MemoryLog(topics: [Topics.journal: 2, Topics.messages: 3])
        let harness = try RuntimeHarness(log: log)
        let deployments = try DeploymentCatalog.deploy(Self.process, fileName: "thrown.bpmn", to: log).deploymentsEnd
        try harness.start("p", correlationId: "order-5", variables: ["order": .object(["id": .string("A-5")])], deployments: deployments)
        try await harness.settle()
        let target = TopicPartition(Topics.messages, try log.partition(forKey: "order-5", topic: Topics.messages))
        let published = try readAll(log, target).map { try JSONValue.parse($0.payload) }
        #expect(published.map { $0.objectValue?["name"] } == [.string("order-accepted"), .string("order-accepted"), .string("order-shipped")])
        #expect(published.allSatisfy { $0.objectValue?["correlationId"] == .string("order-5") })
        // The throw event's input mapping is its message; the others carry the variables.
        #expect(published.first?.objectValue?["variables"] == .object(["orderId": .string("A-5")]))
        #expect(published.last?.objectValue?["variables"]?.objectValue?["order"] == .object(["id": .string("A-5")]))
        #expect(Set(published.compactMap { $0.objectValue?["messageKey"] }).count == 3)
        // Every field the schema names, and nothing else.
        let schema = try #require(try JSONValue.parse(POSIX.readFile(TestFiles.packageRoot + "/topics/schemas/thrown-message.schema.json")).objectValue)
        let properties = Set(try #require(schema["properties"]?.objectValue).keys)
        #expect(published.allSatisfy { Set($0.objectValue.map { Array($0.keys) } ?? []) == properties })
        #expect(try harness.journalEvents().contains { $0.intent == .instanceCompleted && $0.key == "order-5" })
    }
}
