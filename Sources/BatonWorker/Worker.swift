import BatonLog
import BatonModel
import CoreMetrics
import Synchronization

/// Runs handlers for external tasks: `subscribe` to topics, then `run()` until `shutdown()`
/// (or cancellation). Each subscription runs at most `maxConcurrent` handlers at a time
/// (with up to half as many tasks fetched ahead), sends every answer, then acknowledges
/// each fetch: a crash before the acknowledgement means the tasks are fetched again, and
/// the engine rejects answers it already has.
public final class Worker: Sendable {
    public typealias Handler = @Sendable (ExternalTask) async throws -> TaskOutcome

    struct Subscription: Sendable {
        let topic: String
        let maxConcurrent: Int
        let lockDuration: Int64?
        let handler: Handler
    }

    public let workerId: String
    let transport: any TaskTransport
    /// Commits fetched positions in the background (see `TaskAcknowledgements`).
    let acknowledgements: TaskAcknowledgements
    private let subscriptions = Mutex<[Subscription]>([])
    private let stopping = Mutex(false)
    /// How long to wait when no topic had work, where the transport must poll.
    let idleMilliseconds: UInt64
    /// How long to wait when no topic had work, where the transport hears of every task as
    /// it is published: a safety net. A member that holds no partition still looks at its
    /// group this often, and a partition given up by a member that died is taken over
    /// within this plus the group's rebalance interval.
    static let longestIdleWait: UInt64 = 100
    /// Tasks being handled, per topic.
    private let inFlight = Mutex<[String: Int]>([:])
    /// `baton_worker_tasks_total` per topic and outcome, made once (making one takes the
    /// metrics system's lock).
    private let counters = Mutex<[String: Counter]>([:])

    func counter(_ topic: String, _ outcome: String) -> Counter {
        counters.withLock { counters in
            let key = topic + "\u{0}" + outcome
            if let counter = counters[key] { return counter }
            let counter = Counter(label: "baton_worker_tasks_total", dimensions: [("topic", topic), ("outcome", outcome)])
            counters[key] = counter
            return counter
        }
    }

    public init(transport: any TaskTransport, workerId: String, idleMilliseconds: UInt64 = 2) {
        self.transport = transport
        self.workerId = workerId
        self.idleMilliseconds = idleMilliseconds
        acknowledgements = TaskAcknowledgements(transport: transport)
    }

    /// Handles tasks of `topic` with `handler`, at most `maxConcurrent` at once. A handler
    /// that throws reports a failure with no retries left (an incident), with the error as
    /// the message.
    ///
    /// - Parameter lockDuration: how long (ms) this worker needs a task; when given, the
    ///   worker asks the engine to set each fetched task's lock to now + `lockDuration`
    ///   (one `extendTaskLock` per task, appended as one batch) before handling it.
    ///   Without it, the engine's lock duration applies.
    public func subscribe(topic: String, maxConcurrent: Int = 32, lockDuration: Int64? = nil, handler: @escaping Handler) {
        subscriptions.withLock {
            $0.append(Subscription(topic: topic, maxConcurrent: max(1, maxConcurrent), lockDuration: lockDuration, handler: handler))
        }
    }

    /// Asks for more time on a task; the engine moves its lock expiry to now + `milliseconds`.
    public func extendLock(_ task: ExternalTask, by milliseconds: Int64) throws {
        try send([lockCommand(for: task, milliseconds: milliseconds)])
    }

    private func lockCommand(for task: ExternalTask, milliseconds: Int64) -> Record {
        var value = TaskRecord(instanceKey: Int64(task.processInstanceId) ?? 0, taskKey: task.message.taskKey, attempt: task.message.attempt)
        value.lockDuration = milliseconds
        value.workerId = workerId
        return .command(.extendTaskLock, key: task.correlationId, value: .task(value), timestamp: transport.now(), partition: task.message.partition)
    }

    /// Appends commands with one append (one fsync) per journal partition.
    private func send(_ commands: [Record]) throws {
        var byPartition: [Int32: [Record]] = [:]
        for command in commands { byPartition[command.partition, default: []].append(command) }
        for (partition, batch) in byPartition.sorted(by: { $0.key < $1.key }) {
            try transport.send(batch, partition: partition)
        }
    }

    /// Tasks being handled right now, per topic (also `baton_tasks_in_flight`).
    public var tasksInFlight: [String: Int] { inFlight.withLock { $0 } }

    func track(_ topic: String, _ change: Int) {
        inFlight.withLock { $0[topic, default: 0] += change }
    }

    /// The topics this worker is subscribed to.
    public var topics: [String] { subscriptions.withLock { $0.map(\.topic) } }

    /// Stops fetching; `run()` returns once the tasks in hand are answered.
    public func shutdown() { stopping.withLock { $0 = true } }

    public var isStopping: Bool { stopping.withLock { $0 } }

    /// Fetches and handles tasks until `shutdown()` or cancellation.
    ///
    /// Each subscription runs on its own, so a slow topic never holds the others back, and
    /// keeps up to `maxConcurrent` tasks in flight: as answers come back they are appended
    /// together (one append per journal partition for all that finished meanwhile) and the
    /// tasks fetched ahead take the freed slots, without waiting for the slowest task of a
    /// batch or for the next fetch.
    public func run() async throws {
        defer { transport.leave() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for subscription in subscriptions.withLock({ $0 }) {
                group.addTask { [self] in try await runContinuously(subscription) }
            }
            try await group.waitForAll()
        }
        // The last positions are committed before the groups are left.
        try await acknowledgements.drain()
    }

    /// What the fetching, starting and answering loops of one subscription share.
    final class Flow: Sendable {
        struct State {
            /// Tasks whose handler has not finished.
            var inFlight = 0
            /// Tasks fetched and not started yet (at most `prefetch` beyond the free slots),
            /// with the fetch they came from.
            var queued: [(round: Int, task: ExternalTask)] = []
            var nextQueued = 0
            /// Answers finished and not yet appended, with the fetch they came from.
            var finished: [(round: Int, command: Record)] = []
            /// Fetches not yet acknowledged, by number: where fetching had got to, and how
            /// many of their tasks are unanswered. Acknowledged in order, each once all of
            /// its tasks and all before it are answered and their answers appended.
            var rounds: [Int: (mark: [Int32: Int64], unanswered: Int)] = [:]
            var firstRound = 0
            var nextRound = 0
            var fetching = true

            var waiting: Int { queued.count - nextQueued }
        }
        let state = Mutex(State())
        let (answers, answered) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        /// A handler finished: room to fetch into.
        let (room, roomMade) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        /// A handler finished, tasks were queued or fetching ended: something to start.
        let (work, workArrived) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Keeps up to `maxConcurrent` handlers running: a fetching loop keeps a few tasks
    /// queued beyond the free slots (half of `maxConcurrent`), so that a slot freed while a
    /// fetch is on its way is filled at once rather than after the fetch (with fetch and
    /// handler latencies alike, starting only on free slots kept about 40 of 64 busy); a
    /// starting loop hands queued tasks to handlers as slots free; a third loop appends the
    /// answers as they come (all that finished meanwhile in one append per journal
    /// partition) and acknowledges the fetches they complete. None waits for another:
    /// handlers keep running while answers are made durable. A queued task's lock runs from
    /// when it was fetched, like a running one's.
    func runContinuously(_ subscription: Subscription) async throws {
        let topic = subscription.topic
        let flow = Flow()
        // Discarding: a handler's child task is freed as soon as it ends (a plain group
        // keeps every finished child until it is awaited, ~20 KB per task).
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { [self] in try await answer(flow, topic: topic) }
            group.addTask { [self] in try await fetch(flow, for: subscription) }
            var work = flow.work.makeAsyncIterator()
            while true {
                let (started, done) = flow.state.withLock { state -> ([(round: Int, task: ExternalTask)], Bool) in
                    let count = min(subscription.maxConcurrent - state.inFlight, state.waiting)
                    guard count > 0 else { return ([], !state.fetching && state.waiting == 0) }
                    let started = Array(state.queued[state.nextQueued..<state.nextQueued + count])
                    state.nextQueued += count
                    state.inFlight += count
                    return (started, false)
                }
                if done { return }
                guard !started.isEmpty else {
                    _ = await work.next()
                    continue
                }
                track(topic, started.count)
                for first in started {
                    // A slot: handles its task, then the next queued one while there is one
                    // (no hop back to this loop), and frees itself when the queue is empty.
                    group.addTask { [self] in
                        var current = first
                        while true {
                            let command = await answer(current.task, with: subscription)
                            let next = flow.state.withLock { state -> (round: Int, task: ExternalTask)? in
                                state.finished.append((current.round, command))
                                guard state.waiting > 0 else {
                                    state.inFlight -= 1
                                    return nil
                                }
                                let next = state.queued[state.nextQueued]
                                state.nextQueued += 1
                                return next
                            }
                            flow.answered.yield()
                            flow.roomMade.yield()
                            guard let next else { break }
                            current = next
                        }
                        track(topic, -1)
                        flow.workArrived.yield()
                    }
                }
            }
        }
    }

    /// The fetching loop of `runContinuously`: fetches while the tasks running and queued
    /// leave room for at least a quarter of `maxConcurrent`, until `shutdown()`.
    private func fetch(_ flow: Flow, for subscription: Subscription) async throws {
        let transport = transport
        let topic = subscription.topic
        let prefetch = max(1, subscription.maxConcurrent / 2)
        var room = flow.room.makeAsyncIterator()
        defer {
            flow.state.withLock { $0.fetching = false }
            flow.answered.yield()
            flow.workArrived.yield()
        }
        while !isStopping, !Task.isCancelled {
            let free = subscription.maxConcurrent + prefetch - flow.state.withLock { $0.inFlight + $0.waiting }
            guard free >= max(1, subscription.maxConcurrent / 4) else {
                _ = await room.next()  // wait until a handler finishes
                continue
            }
            let now = transport.now()
            let messages: [TaskMessage]
            if let quick = try transport.fetchWithoutWaiting(topic: topic, limit: free) {
                messages = quick
            } else {
                messages = try await DedicatedThread.run { try transport.fetch(topic: topic, limit: free) }
            }
            // Only this loop fetches the topic: the mark is where this fetch got to.
            let mark = transport.fetchMark(topic: topic)
            guard !messages.isEmpty else {
                await transport.waitForTasks(topics: [topic], atMost: Self.longestIdleWait, poll: idleMilliseconds)
                continue
            }
            // A message whose lock has already run out is stale: a newer attempt follows.
            let tasks = messages.filter { $0.lockExpirationTime > now }.map { ExternalTask(message: $0, workerId: workerId) }
            if let lockDuration = subscription.lockDuration, !tasks.isEmpty {
                let commands = tasks.map { lockCommand(for: $0, milliseconds: lockDuration) }
                try await DedicatedThread.run { [self] in try send(commands) }
            }
            flow.state.withLock { state in
                let round = state.nextRound
                state.nextRound += 1
                state.rounds[round] = (mark, tasks.count)
                // What was started is dropped from the front before more is queued.
                state.queued.removeFirst(state.nextQueued)
                state.nextQueued = 0
                for task in tasks { state.queued.append((round, task)) }
            }
            if tasks.isEmpty { flow.answered.yield() }  // nothing to wait for: acknowledge it
            flow.workArrived.yield()
        }
    }

    /// The answering loop of `runContinuously`: appends finished answers, acknowledges the
    /// fetches they complete, and ends when fetching has stopped and every task is answered.
    private func answer(_ flow: Flow, topic: String) async throws {
        var answers = flow.answers.makeAsyncIterator()
        while true {
            let (done, finishedAll) = flow.state.withLock { state in
                defer { state.finished = [] }
                return (state.finished, !state.fetching && state.waiting == 0 && state.inFlight == 0)
            }
            if !done.isEmpty { try await DedicatedThread.run { [self] in try send(done.map(\.command)) } }
            let acknowledged = flow.state.withLock { state -> [Int32: Int64]? in
                for (round, _) in done { state.rounds[round]?.unanswered -= 1 }
                var mark: [Int32: Int64]?
                while let round = state.rounds[state.firstRound], round.unanswered == 0 {
                    mark = round.mark
                    state.rounds[state.firstRound] = nil
                    state.firstRound += 1
                }
                return mark
            }
            if let acknowledged { try acknowledgements.acknowledge(topic: topic, through: acknowledged) }
            if finishedAll, done.isEmpty { return }
            if done.isEmpty { _ = await answers.next() }
        }
    }

    /// Runs the handler for `task`; the command reporting its outcome (a handler that throws
    /// reports a failure with no retries left).
    private func answer(_ task: ExternalTask, with subscription: Subscription) async -> Record {
        let outcome: TaskOutcome
        do {
            outcome = try await subscription.handler(task)
        } catch {
            outcome = .failure(message: "\(error)", retries: 0)
        }
        counter(task.topicName, outcome.name).increment()
        return outcome.command(for: task, now: transport.now())
    }

    /// One round over every subscription (fetch, handle all, answer, acknowledge); returns
    /// how many task messages it took. For callers that drive the worker themselves (tests,
    /// simulations).
    public func poll() async throws -> Int {
        var handled = 0
        for subscription in subscriptions.withLock({ $0 }) {
            handled += try await runOnce(subscription)
        }
        return handled
    }

    /// One fetch-handle-answer-acknowledge round for a subscription. Returns tasks handled.
    func runOnce(_ subscription: Subscription) async throws -> Int {
        let now = transport.now()
        // A message whose lock has already run out is stale: a newer attempt will follow.
        // Transports block (file I/O with fsync, librdkafka): never on a cooperative thread.
        let transport = transport
        let messages = try await DedicatedThread.run { try transport.fetch(topic: subscription.topic, limit: subscription.maxConcurrent) }
        let live = messages.filter { $0.lockExpirationTime > now }
        let tasks = live.map { ExternalTask(message: $0, workerId: workerId) }
        if let lockDuration = subscription.lockDuration, !tasks.isEmpty {
            let commands = tasks.map { lockCommand(for: $0, milliseconds: lockDuration) }
            try await DedicatedThread.run { [self] in try send(commands) }
        }
        // Each child answers for the task it handled: the command is built next to the
        // handler call, so an answer can never be paired with another task.
        track(subscription.topic, tasks.count)
        defer { track(subscription.topic, -tasks.count) }
        let commands = await withTaskGroup(of: Record.self) { group in
            for task in tasks {
                group.addTask { [self] in await answer(task, with: subscription) }
            }
            var collected: [Record] = []
            collected.reserveCapacity(tasks.count)
            for await command in group { collected.append(command) }
            return collected
        }
        let topic = subscription.topic
        try await DedicatedThread.run { [self] in
            try send(commands)
            if !messages.isEmpty { try transport.acknowledge(topic: topic) }
        }
        return messages.count
    }
}
