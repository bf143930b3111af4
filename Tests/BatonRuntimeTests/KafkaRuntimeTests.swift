import BatonKafka
import BatonLog
import BatonModel
import BatonRuntime
import BatonTestSupport
import Testing

/// The same runtime and workers on the Kafka-protocol test broker instead of the file log.
@Suite(.serialized)
struct KafkaRuntimeTests {
    @Test func ordersCompleteOnKafka() async throws {
        let log = try KafkaLog(try KafkaBroker.configuration(), topicPrefix: KafkaBroker.freshTopic("runtime") + ".", topics: [Topics.journal: 3])
        let harness = try RuntimeHarness(log: log)
        try harness.deploy(RuntimeTests.order)
        RuntimeTests().subscribeOrderWorkers(harness.worker, declined: ["order-4"])
        for index in 0..<20 {
            try harness.start("order-process", correlationId: "order-\(index)", variables: ["order": .object(["total": .number(Double(index * 100))])])
        }
        try await harness.settle(rounds: 400)
        #expect(harness.activeInstances == 0)
        let events = try harness.journalEvents()
        #expect(events.filter { $0.intent == .instanceCompleted }.count == 20)
        // A replica that starts now rebuilds the same (empty) state from the topics alone.
        let replica = try RuntimeHarness(log: try KafkaLog(try KafkaBroker.configuration(), topicPrefix: log.topicPrefix))
        #expect(replica.processors.map(\.engine.state) == harness.processors.map(\.engine.state))
    }
}
