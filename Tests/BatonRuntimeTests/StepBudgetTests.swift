import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonTestSupport
import Testing

/// Every step fits one log message, and what cannot fit becomes a rejection or an incident,
/// never a stuck partition or a silent skip (issue 9).
struct StepBudgetTests {
    static func big(_ count: Int) -> [String: JSONValue] { ["blob": .string(String(repeating: "x", count: count))] }

    /// A batch whose records exceed the budget is split across steps, whole commands each;
    /// a replica folds them into the same state.
    @Test func aLargeBatchIsSplitIntoStepsWithinTheBudget() async throws {
        var options = RuntimeOptions()
        options.maximumStepBytes = 6_000
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        let harness = try RuntimeHarness(log: log, options: options)
        let deployments = try harness.deploy(RuntimeTests.order)
        for number in 0..<12 {
            try harness.start("order-process", correlationId: "order-\(number)", variables: Self.big(1_500), deployments: deployments)
        }
        try await harness.settle(rounds: 1)
        let steps = try readAll(log, TopicPartition(Topics.journal, 0)).filter { $0.payload.first == 0x53 }
        #expect(steps.count > 1)
        #expect(steps.allSatisfy { $0.payload.count <= 6_000 }, "\(steps.map(\.payload.count))")
        #expect(harness.processors[0].engine.state.instances.count == 12)
        let replica = try RuntimeHarness(log: log, options: options)
        #expect(replica.processors[0].engine.state == harness.processors[0].engine.state)
    }

    /// A command whose records alone exceed the budget is refused like a poison pill; the
    /// partition rebuilds from the log and goes on.
    @Test func aCommandWhoseRecordsCannotFitAStepIsRefused() async throws {
        var options = RuntimeOptions()
        options.maximumStepBytes = 6_000
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1, Topics.deadLetter: 1])
        let harness = try RuntimeHarness(log: log, options: options)
        let deployments = try harness.deploy(RuntimeTests.order)
        try harness.start("order-process", correlationId: "small-1", deployments: deployments)
        try harness.start("order-process", correlationId: "huge", variables: Self.big(8_000), deployments: deployments)
        try harness.start("order-process", correlationId: "small-2", deployments: deployments)
        try await harness.settle()
        let state = harness.processors[0].engine.state
        #expect(Set(state.instances.values.map(\.correlationId)) == ["small-1", "small-2"])
        let rejection = try harness.journalRejections(partition: 0).first { $0.key == "huge" }
        #expect(rejection?.rejectionReason.contains("more than the 6000 one step may hold") == true, "\(String(describing: rejection))")
        let letters = try readAll(log, TopicPartition(Topics.deadLetter, 0)).map { try DeadLetter(json: JSONValue.parse($0.payload)) }
        #expect(letters.count == 1 && letters[0].key == "huge")
        #expect(try readAll(log, TopicPartition(Topics.journal, 0)).filter { $0.payload.first == 0x53 }.allSatisfy { $0.payload.count <= 6_000 })
        let replica = try RuntimeHarness(log: log, options: options)
        #expect(replica.processors[0].engine.state == state)
    }

    /// A task whose message would be too big to publish becomes an incident on the task,
    /// with the reason; workers are never left waiting for it.
    @Test func aTaskMessageTooBigToPublishBecomesAnIncident() async throws {
        var options = RuntimeOptions()
        options.maximumTaskMessageBytes = 4_000
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        let harness = try RuntimeHarness(log: log, options: options)
        let deployments = try harness.deploy(RuntimeTests.order)
        try harness.start("order-process", correlationId: "order-1", variables: Self.big(5_000), deployments: deployments)
        try await harness.settle()
        #expect(try log.endPosition(of: TopicPartition(Topics.tasks("validate-order"), 0)) == 0)
        let instance = try #require(harness.processors[0].engine.state.instances.values.first)
        let incident = try #require(instance.incidents.values.first)
        #expect(incident.kind == .taskRetriesExhausted)
        #expect(incident.message.contains("more than the 4000 a task message may have"), "\(incident.message)")
    }
}

/// Bounded memory while a partition catches up (issue 9): at most `maximumPendingCommands`
/// commands wait in memory; the rest are read again once those are processed.
struct PendingQueueTests {
    @Test func aBacklogLargerThanTheQueueIsProcessedInOrderWithBoundedMemory() async throws {
        var options = RuntimeOptions()
        options.maximumPendingCommands = 5
        options.maximumBatch = 3
        options.readLimit = 4
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        let harness = try RuntimeHarness(log: log, options: options)
        let deployments = try harness.deploy(RuntimeTests.order)
        for number in 0..<40 { try harness.start("order-process", correlationId: "order-\(number)", deployments: deployments) }
        let processor = harness.processors[0]
        var mostPending = 0
        for _ in 0..<200 {
            try processor.poll()
            try log.flush()
            try processor.logFlushed()
            mostPending = max(mostPending, processor.pendingCount)
        }
        #expect(mostPending <= 5)
        #expect(processor.engine.state.instances.count == 40)
        // In journal order: instance keys grow with the position of their createInstance.
        let created = try harness.journalEvents().filter { $0.intent == .instanceCreated }.map(\.key)
        #expect(created == (0..<40).map { "order-\($0)" })
    }
}

/// Due work comes from the engine's index, not from a walk over every instance.
struct DueWorkIndexTests {
    @Test func dueTimersLocksAndRetriesAreFoundThroughTheIndex() async throws {
        var options = RuntimeOptions()
        options.engine.lockDuration = 5_000
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        let harness = try RuntimeHarness(log: log, options: options)
        let deployments = try harness.deploy(RuntimeTests.order)
        for number in 0..<3 { try harness.start("order-process", correlationId: "order-\(number)", deployments: deployments) }
        try await harness.settle()
        let state = harness.processors[0].engine.state
        #expect(state.dueWork.count == 3)
        #expect(state.dueWork.due(at: harness.clock.now() + 4_999).isEmpty)
        let due = state.dueWork.due(at: harness.clock.now() + 5_000)
        #expect(due.count == 3 && due.allSatisfy { if case .lockExpiry = $0 { true } else { false } })
        harness.clock.advance(5_000)
        try await harness.settle()
        // Each lock ran out and its task was published again: a new lock, one entry each.
        let after = harness.processors[0].engine.state.dueWork
        #expect(after.count == 3 && after.due(at: harness.clock.now()).isEmpty)
        let replica = try RuntimeHarness(log: log, options: options)
        #expect(replica.processors[0].engine.state == harness.processors[0].engine.state)
    }
}
