import BatonEngine
import BatonFileLog
import BatonLog
import BatonModel
import BatonRuntime
import BatonTestSupport
import BatonWorker
import Synchronization
import Testing

/// The runtime end to end over a log: deploy, start, workers complete tasks, instances end.
struct RuntimeTests {
    static let order = TestFiles.examples + "/order-process.bpmn"

    func subscribeOrderWorkers(_ worker: Worker, failPaymentOf: Set<String> = [], declined: Set<String> = []) {
        for topic in ["validate-order", "reserve-inventory", "ship-order", "notify-customer", "cancel-order", "manual-approval"] {
            worker.subscribe(topic: topic) { task in .complete(data: .object(["by": .string(topic)])) }
        }
        worker.subscribe(topic: "charge-payment") { task in
            if declined.contains(task.correlationId) { return .bpmnError(code: "PAYMENT_DECLINED", message: "card declined") }
            if failPaymentOf.contains(task.correlationId) {
                return .failure(message: "payment service down", retries: task.retries - 1, retryTimeout: 1000)
            }
            return .complete(data: .object(["paid": .bool(true)]))
        }
    }

    @Test func ordersCompleteThroughEngineAndWorkersOnTheMemoryLog() async throws {
        let harness = try RuntimeHarness(log: MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 3]))
        try harness.deploy(Self.order)
        subscribeOrderWorkers(harness.worker, declined: ["order-7"])
        for index in 0..<30 {
            try harness.start("order-process", correlationId: "order-\(index)", variables: ["order": .object(["total": .number(Double(index * 100))])])
        }
        try await harness.settle()
        #expect(harness.activeInstances == 0)
        let events = try harness.journalEvents()
        #expect(events.filter { $0.intent == .instanceCompleted }.count == 30)
        // Orders above 1000 went through manual approval; order-7 was cancelled.
        #expect(events.filter { $0.intent == .taskCompleted && $0.key == "order-15" }.count == 6)
        let process = try #require(harness.processors[0].catalog.registry.process(id: "order-process", version: 1)).process
        let cancelled = try #require(process.elementIndex(id: "OrderCancelled"))
        let reached = events.filter { $0.intent == .elementActivated }.compactMap { record -> String? in
            if case .element(let value) = record.value, value.elementIndex == cancelled { return record.key }
            return nil
        }
        #expect(reached == ["order-7"])
    }

    @Test func failuresAreRetriedAfterTheirTimeoutAndExhaustedRetriesBecomeIncidents() async throws {
        let harness = try RuntimeHarness(log: MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 2]))
        try harness.deploy(Self.order)
        subscribeOrderWorkers(harness.worker, failPaymentOf: ["order-1"])
        try harness.start("order-process", correlationId: "order-1", variables: ["order": .object(["total": .number(10)])])
        try harness.start("order-process", correlationId: "order-2", variables: ["order": .object(["total": .number(10)])])
        try await harness.settle()
        #expect(harness.activeInstances == 1)
        // Three attempts (retries 3 -> 2 -> 1 -> 0), each after the 1 s retry timeout.
        for _ in 0..<3 {
            harness.clock.advance(1001)
            try await harness.settle()
        }
        let incidents = harness.processors.flatMap { $0.engine.state.instances.values.flatMap(\.incidents.values) }
        #expect(incidents.map(\.kind) == [.taskRetriesExhausted])
        #expect(incidents.first?.message == "payment service down")
    }

    @Test func lockExpiryRepublishesTheTask() async throws {
        var options = RuntimeOptions()
        options.engine.lockDuration = 5_000
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        let harness = try RuntimeHarness(log: log, options: options)
        try harness.deploy(Self.order)
        try harness.start("order-process", correlationId: "order-1")
        try await harness.settle()
        let topic = TopicPartition(Topics.tasks("validate-order"), 0)
        #expect(try log.endPosition(of: topic) == 1)
        harness.clock.advance(5_000)
        try await harness.settle()
        // Nobody took it: the lock ran out and attempt 2 was published.
        let messages = try log.read(topic, from: 0, limit: 10).map { try TaskMessage(json: JSONValue.parse($0.payload)) }
        #expect(messages.map(\.attempt) == [1, 2])
    }
}

/// Worker SDK behaviour beyond completing tasks.
struct WorkerTests {
    @Test func lockDurationOfASubscriptionExtendsEachFetchedTask() async throws {
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        let harness = try RuntimeHarness(log: log)
        try harness.deploy(RuntimeTests.order)
        try harness.start("order-process", correlationId: "order-1")
        try await harness.settle()
        let seen = WarningSink()
        harness.worker.subscribe(topic: "validate-order", lockDuration: 900_000) { task in
            seen.add("\(task.lockExpirationTime)")
            return .complete()
        }
        for processor in harness.processors { try processor.poll() }
        _ = try await harness.worker.poll()
        for processor in harness.processors { try processor.poll() }
        let extended = try harness.journalEvents().filter { $0.intent == .taskLockExtended }
        #expect(extended.count == 1)
        if case .task(let value) = extended.first?.value { #expect(value.lockExpiresAt == harness.clock.now() + 900_000) }
        #expect(seen.all.count == 1)
    }

    @Test func aThrowingHandlerReportsAFailureWithItsMessage() async throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "inventory database unreachable" } }
        let harness = try RuntimeHarness(log: MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1]))
        try harness.deploy(RuntimeTests.order)
        harness.worker.subscribe(topic: "validate-order") { _ in throw Boom() }
        try harness.start("order-process", correlationId: "order-1")
        try await harness.settle()
        let incidents = harness.processors.flatMap { $0.engine.state.instances.values.flatMap(\.incidents.values) }
        #expect(incidents.map(\.message) == ["inventory database unreachable"])
    }
}

/// Engine time in the runtime: the step time is the processor's clock.
struct RuntimeTimeTests {
    /// Commands that waited in the journal longer than the lock duration (a backlog, or a
    /// producer whose clock is behind) still give tasks their full lock from when the
    /// engine processed them: none is published already expired.
    @Test func backlogOlderThanTheLockDurationDoesNotPublishExpiredTasks() async throws {
        var options = RuntimeOptions()
        options.engine.lockDuration = 5_000
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        let harness = try RuntimeHarness(log: log, options: options)
        try harness.deploy(RuntimeTests.order)
        for number in 0..<20 {
            try harness.start("order-process", correlationId: "order-\(number)")
        }
        // The engine reaches the backlog ten minutes after it was appended.
        harness.clock.advance(600_000)
        for processor in harness.processors { try processor.poll() }
        let now = harness.clock.now()
        let messages = try log.read(TopicPartition(Topics.tasks("validate-order"), 0), from: 0, limit: 100)
            .map { try TaskMessage(json: JSONValue.parse($0.payload)) }
        #expect(messages.count == 20)
        #expect(messages.allSatisfy { $0.lockExpirationTime == now + 5_000 })
        #expect(harness.processors[0].lastStepTime == now)
    }

    /// A replica whose clock is behind the one that wrote the journal so far never stamps
    /// a step earlier than a step already there.
    @Test func stepTimeNeverGoesBackAcrossReplicas() async throws {
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        let ahead = try RuntimeHarness(log: log)
        ahead.clock.advance(3_600_000)
        try ahead.deploy(RuntimeTests.order)
        try ahead.start("order-process", correlationId: "order-1")
        for processor in ahead.processors { try processor.poll() }
        let written = ahead.processors[0].lastStepTime
        let behind = try RuntimeHarness(log: log)
        #expect(behind.processors[0].lastStepTime == written)
        try behind.start("order-process", correlationId: "order-2")
        for processor in behind.processors { try processor.poll() }
        #expect(behind.processors[0].lastStepTime == written)
        #expect(try behind.journalEvents().allSatisfy { $0.timestamp == written })
    }

    /// A multi-instance task's workers get each inner instance's item with the task, and
    /// their answers come back in item order (bpmn/order-lines.bpmn on the memory log).
    @Test func eachInnerInstanceOfAMultiInstanceTaskReachesItsWorkerWithItsItem() async throws {
        let harness = try RuntimeHarness(log: MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 2]))
        try harness.deploy(TestFiles.examples + "/order-lines.bpmn")
        let seen = Mutex<[String]>([])
        harness.worker.subscribe(topic: "check-stock") { task in
            guard case .string(let sku)? = task.variables["line"]?["sku"] else { return .failure(message: "no line", retries: 0) }
            seen.withLock { $0.append(sku) }
            return .complete(variables: ["available": .bool(sku != "B")])
        }
        harness.worker.subscribe(topic: "ship-order") { _ in .complete() }
        let lines: [JSONValue] = ["A", "B", "C"].map { .object(["sku": .string($0), "qty": .number(1), "price": .number(2)]) }
        try harness.start("order-lines", correlationId: "lines-1", variables: ["order": .object(["lines": .array(lines)])])
        try await harness.settle()
        #expect(seen.withLock { $0.sorted() } == ["A", "B", "C"])
        let instance = try #require(harness.processors.flatMap { $0.engine.state.instances.values }.first)
        #expect(instance.variables["stock"] == .array([.bool(true), .bool(false), .bool(true)]))
        #expect(instance.tasks.values.map(\.topic) == [TaskDefinition.userTaskTopic], "a line is missing: the order waits at Backorder")
    }
}
