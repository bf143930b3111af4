import BatonLog
import BatonModel
import BatonWorker
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A worker with a backlog keeps `maxConcurrent` handlers running, never more: a slot freed
/// while a fetch is on its way is filled from the tasks fetched ahead, not after the fetch;
/// every task is answered once and every fetch acknowledged, and shutdown finishes the tasks
/// fetched ahead. Driven through an in-memory transport whose fetches wait at a gate.
@Suite(.serialized)
struct WorkerSlotsTests {
    /// Task messages `0..<count` of one partition; fetches can be held at a gate.
    final class BacklogTransport: TaskTransport {
        let count: Int
        let next = Mutex(0)
        let fetchesHeld = Mutex(false)
        let fetchWaiting = Mutex(false)
        let answers = Mutex<[Int64: Int]>([:])
        let acknowledged = Mutex<Int64>(0)

        init(count: Int) { self.count = count }

        func fetch(topic: String, limit: Int) throws -> [TaskMessage] {
            while fetchesHeld.withLock({ $0 }) {
                fetchWaiting.withLock { $0 = true }
                usleep(1_000)
            }
            fetchWaiting.withLock { $0 = false }
            return next.withLock { next in
                let taken = (next..<min(count, next + limit)).map { index in
                    TaskMessage(
                        taskKey: Int64(index), attempt: 1, topicName: topic, activityId: "Work", activityInstanceId: "\(index)",
                        processInstanceId: "\(index)", processDefinitionKey: "p:1", processDefinitionId: "p", businessKey: "",
                        correlationId: "c-\(index)", variables: [:], retries: 3, priority: 0, lockExpirationTime: .max, partition: 0,
                        processTaskResults: .null)
                }
                next += taken.count
                return taken
            }
        }
        func fetchMark(topic: String) -> [Int32: Int64] { [0: Int64(next.withLock { $0 })] }
        func acknowledge(topic: String, through mark: [Int32: Int64]) throws {
            acknowledged.withLock { $0 = max($0, mark[0] ?? 0) }
        }
        func acknowledge(topic: String) throws { acknowledged.withLock { $0 = Int64(next.withLock { $0 }) } }
        func send(_ commands: [Record], partition: Int32) throws {
            answers.withLock { answers in
                for command in commands {
                    if case .task(let task) = command.value { answers[task.taskKey, default: 0] += 1 }
                }
            }
        }
        func now() -> Int64 { 1_800_000_000_000 }
        func waitForTasks(topics: [String], atMost: UInt64, poll: UInt64) async { try? await Task.sleep(for: .milliseconds(1)) }
    }

    /// Handlers wait at a gate the test opens one at a time; counts who runs.
    final class HeldHandlers: Sendable {
        let running = Mutex(0)
        let mostRunning = Mutex(0)
        let releases = Mutex(0)
        let releaseAll = Mutex(false)

        func handle() async -> TaskOutcome {
            running.withLock { running in
                running += 1
                mostRunning.withLock { $0 = max($0, running) }
            }
            while true {
                let go = releaseAll.withLock { $0 } || releases.withLock { releases in
                    guard releases > 0 else { return false }
                    releases -= 1
                    return true
                }
                if go { break }
                try? await Task.sleep(for: .milliseconds(1))
            }
            running.withLock { $0 -= 1 }
            return .complete()
        }
    }

    /// Looks up to `looks` times, 2 ms apart. Counted in looks rather than seconds: the whole
    /// suite shares two cores, and while other tests hold the cooperative threads neither
    /// this test nor the worker's tasks run, so a wall-clock deadline can pass with the
    /// worker never having had a turn.
    static func waitUntil(looks: Int = 10_000, _ condition: () -> Bool) async throws {
        for _ in 0..<looks {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw LogError("condition not met after \(looks) looks")
    }

    /// A worker of one topic over a backlog of `count` tasks, running, its handlers held.
    static func running(count: Int, maxConcurrent: Int) -> (BacklogTransport, HeldHandlers, Worker, Task<Void, any Error>) {
        let transport = BacklogTransport(count: count)
        let handlers = HeldHandlers()
        let worker = Worker(transport: transport, workerId: "slots")
        worker.subscribe(topic: "work", maxConcurrent: maxConcurrent) { _ in await handlers.handle() }
        return (transport, handlers, worker, Task { try await worker.run() })
    }

    @Test func aSlotFreedWhileAFetchIsHeldIsFilledFromTheTasksFetchedAhead() async throws {
        let (transport, handlers, worker, running) = Self.running(count: 200, maxConcurrent: 8)

        // Eight run, and up to four more are fetched ahead: no more.
        try await Self.waitUntil { handlers.running.withLock { $0 } == 8 && transport.next.withLock { $0 } >= 10 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(handlers.running.withLock { $0 } == 8)
        let fetched = transport.next.withLock { $0 }
        #expect(fetched >= 10 && fetched <= 12, "fetched \(fetched): 8 running and up to 4 ahead")

        // With every further fetch held, freed slots are still filled, from what was fetched ahead.
        transport.fetchesHeld.withLock { $0 = true }
        handlers.releases.withLock { $0 = 2 }
        try await Self.waitUntil { handlers.releases.withLock { $0 } == 0 }
        try await Self.waitUntil { handlers.running.withLock { $0 } == 8 }
        #expect(transport.next.withLock { $0 } == fetched, "no fetch went through the gate")

        // Released: the backlog drains with never more than eight at once, each task answered once.
        transport.fetchesHeld.withLock { $0 = false }
        handlers.releaseAll.withLock { $0 = true }
        try await Self.waitUntil { transport.answers.withLock { $0.count } == 200 }
        worker.shutdown()
        try await running.value
        #expect(handlers.mostRunning.withLock { $0 } == 8)
        #expect(transport.answers.withLock { $0.values.allSatisfy { $0 == 1 } })
        #expect(transport.acknowledged.withLock { $0 } == 200)
    }

    @Test func shutdownFinishesTheTasksFetchedAhead() async throws {
        let (transport, handlers, worker, running) = Self.running(count: 1_000, maxConcurrent: 6)
        try await Self.waitUntil { handlers.running.withLock { $0 } == 6 && transport.next.withLock { $0 } >= 8 }
        worker.shutdown()
        handlers.releaseAll.withLock { $0 = true }
        try await running.value
        // Everything fetched (the running six and those fetched ahead) is answered and acknowledged.
        let fetched = transport.next.withLock { $0 }
        #expect(fetched < 1_000)
        #expect(transport.answers.withLock { $0.count } == fetched)
        #expect(transport.acknowledged.withLock { $0 } == Int64(fetched))
    }
}
