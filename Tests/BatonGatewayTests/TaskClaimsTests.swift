import BatonFileLog
@testable import BatonGateway
import BatonLog
import BatonModel
import BatonRuntime
import BatonTestSupport
import BatonWorker
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// fetchAndLock on the file log with a running engine: what the task topic's position commit
/// may and may not hold up.
@Suite(.serialized)
struct TaskClaimsTests {
    /// The file log's transport, with acknowledgements that wait at a gate the test opens
    /// (a commit that takes long: fsyncs under load) or fail (a disk that refuses).
    final class GatedTransport: TaskTransport {
        let inner: LogTaskTransport
        let gateOpen = Mutex(false)
        let failing = Mutex(false)
        let entered = Mutex(0)
        init(_ inner: LogTaskTransport) { self.inner = inner }

        func acknowledge(topic: String, through mark: [Int32: Int64]) throws {
            entered.withLock { $0 += 1 }
            while !gateOpen.withLock({ $0 }) { usleep(1_000) }
            if failing.withLock({ $0 }) { throw LogError("the disk is full") }
            try inner.acknowledge(topic: topic, through: mark)
        }
        func fetch(topic: String, limit: Int) throws -> [TaskMessage] { try inner.fetch(topic: topic, limit: limit) }
        func acknowledge(topic: String) throws { try inner.acknowledge(topic: topic) }
        func send(_ commands: [Record], partition: Int32) throws { try inner.send(commands, partition: partition) }
        func now() -> Int64 { inner.now() }
        func fetchMark(topic: String) -> [Int32: Int64] { inner.fetchMark(topic: topic) }
        func waitForTasks(topics: [String], atMost: UInt64, poll: UInt64) async {
            await inner.waitForTasks(topics: topics, atMost: atMost, poll: poll)
        }
    }

    struct Running {
        let log: FileLog
        let transport: GatedTransport
        let claims: TaskClaims
        let loop: EngineLoop
        let engine: Task<Void, any Error>
        let follower: Task<Void, any Error>

        func start(_ correlationId: String) throws {
            try CommandWriter(log: log).append(.command(
                .createInstance, key: correlationId, value: .instance(InstanceRecord(processId: "claimed", processVersion: 1)), timestamp: WallClock.now()))
        }

        func fetch() async throws -> [ClaimedTask] {
            try await claims.fetchAndLock(
                workerId: "w", maxTasks: 1, usePriority: false, topics: [TopicRequest(topicName: "claim-work", lockDuration: 60_000)], timeout: 20_000)
        }

        /// Long polls until a task comes (the whole suite shares two cores: an engine may take
        /// longer than one long poll to start).
        func fetchUntilClaimed() async throws -> [ClaimedTask] {
            while true {
                let claimed = try await fetch()
                if !claimed.isEmpty { return claimed }
            }
        }

        func committed() throws -> Int64? {
            try log.committedPosition(group: TaskTopicLag.group("claim-work"), partition: TopicPartition(Topics.tasks("claim-work"), 0))
        }

        func stop() async {
            transport.gateOpen.withLock { $0 = true }
            follower.cancel()
            loop.stop()
            _ = try? await engine.value
            _ = try? await follower.value
        }
    }

    static func running(in directory: TemporaryDirectory) throws -> Running {
        let log = try FileLog(directory: directory.path, topics: [Topics.journal: 1, Topics.events: 1], partitionsByPrefix: [Topics.taskPrefix: 1])
        _ = try DeploymentCatalog.deploy(oneTaskProcess(id: "claimed", topic: "claim-work"), fileName: "claimed.bpmn", to: log)
        let loop = EngineLoop(log: log, snapshots: { _ in nil }, options: RuntimeOptions(), clock: WallClock.now, warn: { print("warning: \($0)") })
        let engine = Task { try await DedicatedThread.run { try loop.runBlocking() } }
        let readModel = try ReadModel(log: log, snapshots: { _ in nil })
        let follower = Task { try await readModel.follow() }
        let transport = GatedTransport(LogTaskTransport(log: log))
        return Running(log: log, transport: transport, claims: TaskClaims(transport: transport, log: log, readModel: readModel, verdictTimeout: 300_000), loop: loop, engine: engine, follower: follower)
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(seconds: Int = 60, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// The claimed task is answered while the commit of the topic's position still waits:
    /// a commit held every fetchAndLock that made one (tens to hundreds of ms under load in
    /// the gateway benchmark). The position is committed once the gate opens.
    @Test func aClaimIsAnsweredWithoutWaitingForThePositionCommit() async throws {
        let directory = TemporaryDirectory("baton-claims")
        defer { directory.remove() }
        let running = try Self.running(in: directory)
        try running.start("order-1")
        let fetched: [ClaimedTask]? = try await withThrowingTaskGroup(of: [ClaimedTask]?.self) { group in
            group.addTask { try await running.fetchUntilClaimed() }
            group.addTask {
                // Once the commit waits at the gate, the fetch has 30 s to answer (a loaded
                // machine); then the gate opens so that a fetch held by the commit can end,
                // and the test fails rather than hangs.
                // (Cancelled once the fetch has answered: then the gate stays shut.)
                _ = try? await Self.eventually(seconds: 600) { running.transport.entered.withLock { $0 } > 0 }
                try? await Task.sleep(for: .seconds(30))
                if Task.isCancelled { return nil }
                running.transport.gateOpen.withLock { $0 = true }
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        #expect(fetched?.map(\.message.correlationId) == ["order-1"], "fetchAndLock did not answer while the commit waited")
        #expect(try await Self.eventually { running.transport.entered.withLock { $0 } == 1 }, "the claim was not acknowledged")
        #expect(try running.committed() == nil)
        running.transport.gateOpen.withLock { $0 = true }
        #expect(try await Self.eventually { try running.committed() == 1 }, "the position after the claimed task was not committed")
        await running.stop()
    }

    /// A long poll that found nothing waits for the topic's next task and claims it when the
    /// engine publishes it; a sleeping long poll of the same topic answers empty at its own
    /// deadline meanwhile, not at the waiting poller's.
    @Test func aWaitingLongPollClaimsATaskPublishedLater() async throws {
        let directory = TemporaryDirectory("baton-claims")
        defer { directory.remove() }
        let running = try Self.running(in: directory)
        running.transport.gateOpen.withLock { $0 = true }
        let request = [TopicRequest(topicName: "claim-work", lockDuration: 60_000)]
        let pollerEnded = Mutex(false)
        let poller = Task {
            defer { pollerEnded.withLock { $0 = true } }
            return try await running.claims.fetchAndLock(workerId: "w1", maxTasks: 1, usePriority: false, topics: request, timeout: 120_000)
        }
        try await Task.sleep(for: .milliseconds(300))
        let sleeper = try await running.claims.fetchAndLock(workerId: "w2", maxTasks: 1, usePriority: false, topics: request, timeout: 500)
        #expect(sleeper.isEmpty)
        #expect(!pollerEnded.withLock { $0 }, "the first long poll ended with nothing to claim")
        try running.start("order-late")
        let claimed = try await poller.value
        #expect(claimed.map(\.message.correlationId) == ["order-late"], "the long poll ended without the task published while it waited")
        await running.stop()
    }

    /// A commit that fails is reported to the next fetchAndLock, naming the topic and why,
    /// and its position is committed by the next commit.
    @Test func aFailedCommitIsReportedAndRetried() async throws {
        let directory = TemporaryDirectory("baton-claims")
        defer { directory.remove() }
        let running = try Self.running(in: directory)
        running.transport.failing.withLock { $0 = true }
        running.transport.gateOpen.withLock { $0 = true }
        try running.start("order-1")
        #expect(try await running.fetchUntilClaimed().count == 1)
        #expect(try await Self.eventually { running.transport.entered.withLock { $0 } == 1 })
        try await Task.sleep(for: .milliseconds(50))
        do {
            _ = try await running.fetch()
            Issue.record("the failed commit was not reported")
        } catch {
            #expect("\(error)".contains("claim-work") && "\(error)".contains("the disk is full"), "\(error)")
        }
        running.transport.failing.withLock { $0 = false }
        try running.start("order-2")
        #expect(try await running.fetchUntilClaimed().map(\.message.correlationId) == ["order-2"])
        #expect(try await Self.eventually { try running.committed() == 2 })
        await running.stop()
    }
}

/// The topic buffer a fetchAndLock takes from: oldest first, or highest priority first when
/// asked and the priorities differ; expired tasks leave on the way; what is not taken stays
/// in its order; each fetch round counts the tasks it still has buffered.
@Suite struct TaskBufferTests {
    static func message(_ key: Int64, priority: Int32 = 0, businessKey: String = "", expires: Int64 = .max) -> TaskMessage {
        TaskMessage(
            taskKey: key, attempt: 1, topicName: "work", activityId: "Work", activityInstanceId: "\(key)",
            processInstanceId: "\(key)", processDefinitionKey: "p:1", processDefinitionId: "p", businessKey: businessKey,
            correlationId: "c-\(key)", variables: [:], retries: 3, priority: priority, lockExpirationTime: expires, partition: 0,
            processTaskResults: .null)
    }

    static func buffer(_ rounds: [[TaskMessage]]) -> TaskClaims.TopicBuffer {
        var buffer = TaskClaims.TopicBuffer()
        for (round, messages) in rounds.enumerated() {
            TaskClaims.add((messages, [0: Int64(round + 1) * 100]), to: &buffer, at: Int64(round + 1))
        }
        return buffer
    }

    @Test func tasksLeaveOldestFirstAndTheRestKeepTheirOrder() {
        var buffer = Self.buffer([(0..<5).map { Self.message($0) }, (5..<8).map { Self.message($0) }])
        let request = TopicRequest(topicName: "work", lockDuration: 1_000)
        let first = TaskClaims.take(from: &buffer, request, limit: 3, usePriority: false, now: 10)
        #expect(first.map(\.message.taskKey) == [0, 1, 2])
        #expect(buffer.tasks.map(\.message.taskKey) == [3, 4, 5, 6, 7])
        #expect(buffer.rounds[0]?.remaining == 2 && buffer.rounds[1]?.remaining == 3)
        let rest = TaskClaims.take(from: &buffer, request, limit: 10, usePriority: false, now: 10)
        #expect(rest.map(\.message.taskKey) == [3, 4, 5, 6, 7])
        #expect(buffer.tasks.isEmpty && buffer.rounds[0]?.remaining == 0 && buffer.rounds[1]?.remaining == 0)
    }

    @Test func highestPriorityFirstWhenAskedExpiredOnesDroppedMismatchesKept() {
        var buffer = Self.buffer([[
            Self.message(0, priority: 1), Self.message(1, priority: 9), Self.message(2, priority: 5, expires: 5),
            Self.message(3, priority: 7, businessKey: "other"), Self.message(4, priority: 7), Self.message(5, priority: 3),
        ]])
        var request = TopicRequest(topicName: "work", lockDuration: 1_000)
        request.businessKey = ""
        let taken = TaskClaims.take(from: &buffer, request, limit: 3, usePriority: true, now: 10)
        // 9, then the 7 that matches; the expired 5 leaves untaken; then 3.
        #expect(taken.map(\.message.taskKey) == [1, 4, 5])
        #expect(buffer.tasks.map(\.message.taskKey) == [0, 3])
        #expect(buffer.rounds[0]?.remaining == 2)
        let plain = TaskClaims.take(from: &buffer, TopicRequest(topicName: "work", lockDuration: 1_000), limit: 1, usePriority: false, now: 10)
        #expect(plain.map(\.message.taskKey) == [0])
    }
}
