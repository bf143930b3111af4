import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import DequeModule
import Synchronization

/// What a fetchAndLock asks for on one topic.
public struct TopicRequest: Sendable {
    public var topicName: String
    public var lockDuration: Int64
    /// Variables to return (all when nil).
    public var variables: [String]?
    public var businessKey: String?
    public var processDefinitionKeys: [String]?
    public var processDefinitionIds: [String]?
    public var tenantIds: [String]?
    public var withoutTenantId = false
    /// Only tasks whose instance has these variable values.
    public var processVariables: [String: JSONValue] = [:]

    public init(topicName: String, lockDuration: Int64) {
        self.topicName = topicName
        self.lockDuration = lockDuration
    }

    /// Whether the task of `message` is one this topic request takes.
    func matches(_ message: TaskMessage) -> Bool {
        if let businessKey, message.businessKey != businessKey { return false }
        // Camunda's definition key is the BPMN process id; its definition id names the version.
        if let keys = processDefinitionKeys, !keys.contains(message.processDefinitionId) { return false }
        if let ids = processDefinitionIds, !ids.contains(message.processDefinitionKey) { return false }
        if tenantIds != nil || withoutTenantId {
            let tenant = message.tenantId ?? ""
            let allowed = (!tenant.isEmpty && (tenantIds?.contains(tenant) ?? false)) || (withoutTenantId && tenant.isEmpty)
            if !allowed { return false }
        }
        return processVariablesMatch(message)
    }

    private func processVariablesMatch(_ message: TaskMessage) -> Bool {
        processVariables.allSatisfy { message.variables[$0.key] == $0.value }
    }
}

/// A task claimed for a worker: its message and the lock the engine granted.
public struct ClaimedTask: Sendable {
    public let message: TaskMessage
    public let id: ExternalTaskID
    public let workerId: String
    public let lockExpirationTime: Int64
}

/// fetchAndLock on top of the task topics: the gateway reads each topic as a member of its
/// workers' consumer group (so gateway replicas and native workers share the work), keeps
/// what it read in a buffer per topic, and hands a task to a worker only once the engine
/// has granted that worker the lock (an `extendTaskLock` with the workerId, answered
/// without rejection). Two replicas that read the same task (a rebalance) cannot both hand
/// it out: the engine grants one lock. A buffered task whose lock ran out is dropped: the
/// engine publishes it again as a new attempt. Positions are acknowledged once every task
/// read before them is claimed or dropped, so a gateway killed with tasks in its buffer
/// leaves them to the next member.
public final class TaskClaims: Sendable {
    let transport: any TaskTransport
    let log: any Log
    let readModel: ReadModel
    let verdictTimeout: Int64
    /// Claims go into the journal with the gateway's other commands, gathered per partition.
    let appends: JournalAppends
    private let topics = Mutex<[String: TopicBuffer]>([:])
    private let arrivals = TaskArrivals()
    private let acknowledgements: TaskAcknowledgements
    /// Most task messages buffered per topic.
    static let bufferLimit = 2_000

    struct Buffered {
        let message: TaskMessage
        let round: Int
    }

    struct TopicBuffer {
        /// Oldest first; tasks leave mostly from the front (a deque: no shift of the rest).
        var tasks = Deque<Buffered>()
        /// Per fetch round: the positions it reached and how many of its tasks are still buffered.
        var rounds: [Int: (mark: [Int32: Int64], remaining: Int)] = [:]
        var firstRound = 0
        var nextRound = 0
        var fetching = false
        var lastFetch: Int64 = 0
        /// Whether the buffered tasks have different priorities (else no sorting is needed).
        var mixedPriorities = false
    }

    init(transport: any TaskTransport, log: any Log, readModel: ReadModel, verdictTimeout: Int64 = 10_000, appends: JournalAppends? = nil) {
        self.transport = transport
        self.appends = appends ?? JournalAppends(log: log)
        acknowledgements = TaskAcknowledgements(transport: transport)
        self.log = log
        self.readModel = readModel
        self.verdictTimeout = verdictTimeout
    }

    /// Claims up to `maxTasks` tasks of the requested topics for `workerId`, waiting up to
    /// `timeout` ms for the first one (Camunda's long polling). Returns what was claimed.
    public func fetchAndLock(workerId: String, maxTasks: Int, usePriority: Bool, topics requests: [TopicRequest], timeout: Int64) async throws -> [ClaimedTask] {
        let deadline = WallClock.now() + timeout
        let topicSet = Set(requests.map(\.topicName)).sorted().joined(separator: "\u{0}")
        while true {
            var claimed: [ClaimedTask] = []
            for request in requests where claimed.count < maxTasks {
                try await fill(request.topicName)
                let candidates = take(request, limit: maxTasks - claimed.count, usePriority: usePriority)
                if !candidates.isEmpty {
                    claimed += try await lock(candidates, request: request, workerId: workerId)
                }
                try acknowledgeClaimed(request.topicName)
            }
            if !claimed.isEmpty || WallClock.now() >= deadline || Task.isCancelled { return claimed }
            // Nothing yet: one waiting request per set of topics polls them, the rest sleep.
            // The poller waits for a task published to its topics (on the file log it hears
            // of each one; elsewhere it reads them every millisecond), at most until the next
            // sleeping request's deadline or its own (an idle gateway with four long-polling
            // clients used 0.14 of a core reading every millisecond).
            if await arrivals.pollOrWait(topicSet, until: deadline) {
                defer { arrivals.resignPoller(of: topicSet) }
                while WallClock.now() < deadline, !Task.isCancelled {
                    let due = min(deadline, arrivals.earliestDeadline() ?? deadline) - WallClock.now()
                    await transport.waitForTasks(
                        topics: requests.map(\.topicName), atMost: UInt64(max(1, min(Self.longestPollWait, due))), poll: 1)
                    arrivals.wakeExpired(now: WallClock.now())
                    for request in requests { try await fill(request.topicName) }
                    if requests.contains(where: { buffered($0.topicName) }) { break }
                }
            }
        }
    }

    /// The longest a poller waits for a task to be published before it reads its topics anyway.
    static let longestPollWait: Int64 = 100

    /// Whether `topic` has tasks buffered.
    private func buffered(_ topic: String) -> Bool { topics.withLock { !($0[topic]?.tasks.isEmpty ?? true) } }

    /// Reads new task messages of `topic` into its buffer (one reader at a time per topic;
    /// at most every millisecond; never beyond the buffer limit).
    private func fill(_ topic: String) async throws {
        let now = WallClock.now()
        let free: Int? = topics.withLock { topics in
            var buffer = topics[topic] ?? TopicBuffer()
            defer { topics[topic] = buffer }
            guard !buffer.fetching, buffer.tasks.count < Self.bufferLimit, now > buffer.lastFetch else { return nil }
            buffer.fetching = true
            return Self.bufferLimit - buffer.tasks.count
        }
        guard let free else { return }
        let transport = transport
        let fetched: (messages: [TaskMessage], mark: [Int32: Int64])
        do {
            fetched = try await DedicatedThread.run {
                (try transport.fetch(topic: topic, limit: min(free, 256)), transport.fetchMark(topic: topic))
            }
        } catch {
            topics.withLock { $0[topic]?.fetching = false }
            throw error
        }
        topics.withLock { topics in
            Self.add(fetched, to: &topics[topic]!, at: now)
        }
    }

    /// Appends what a fetch read to the buffer, in place.
    static func add(_ fetched: (messages: [TaskMessage], mark: [Int32: Int64]), to buffer: inout TopicBuffer, at now: Int64) {
        buffer.fetching = false
        buffer.lastFetch = now
        guard !fetched.messages.isEmpty else { return }
        let round = buffer.nextRound
        buffer.nextRound += 1
        buffer.rounds[round] = (fetched.mark, fetched.messages.count)
        let priority = buffer.tasks.first?.message.priority ?? fetched.messages[0].priority
        if fetched.messages.contains(where: { $0.priority != priority }) { buffer.mixedPriorities = true }
        buffer.tasks += fetched.messages.map { Buffered(message: $0, round: round) }
    }

    /// Takes matching live tasks out of the buffer (stale ones met on the way are dropped).
    private func take(_ request: TopicRequest, limit: Int, usePriority: Bool) -> [Buffered] {
        let now = WallClock.now()
        return topics.withLock { topics in
            guard topics[request.topicName] != nil else { return [] }
            return Self.take(from: &topics[request.topicName]!, request, limit: limit, usePriority: usePriority, now: now)
        }
    }

    /// In place: the buffer holds up to `bufferLimit` task messages and every fetch looks at
    /// it, so it is neither copied nor rebuilt; a scan stops once it has taken `limit`.
    static func take(from buffer: inout TopicBuffer, _ request: TopicRequest, limit: Int, usePriority: Bool, now: Int64) -> [Buffered] {
        guard !buffer.tasks.isEmpty else { return [] }
        let byPriority = usePriority && buffer.mixedPriorities
        let order: [Int]? = byPriority ? buffer.tasks.indices.sorted { buffer.tasks[$0].message.priority > buffer.tasks[$1].message.priority } : nil
        var takenIndexes: [Int] = []
        var leaving: [Int] = []
        for place in 0..<buffer.tasks.count {
            guard takenIndexes.count < limit else { break }
            let index = order?[place] ?? place
            if buffer.tasks[index].message.lockExpirationTime <= now {
                leaving.append(index)
            } else if request.matches(buffer.tasks[index].message) {
                takenIndexes.append(index)
                leaving.append(index)
            }
        }
        let taken = takenIndexes.map { buffer.tasks[$0] }
        for index in leaving.sorted(by: >) {
            buffer.rounds[buffer.tasks[index].round]?.remaining -= 1
            buffer.tasks.remove(at: index)
        }
        if buffer.tasks.isEmpty { buffer.mixedPriorities = false }
        return taken
    }

    /// Asks the engine to lock `candidates` for `workerId`; returns those it granted.
    private func lock(_ candidates: [Buffered], request: TopicRequest, workerId: String) async throws -> [ClaimedTask] {
        let now = WallClock.now()
        var byPartition: [Int32: [(Buffered, Record)]] = [:]
        for candidate in candidates {
            let message = candidate.message
            var value = TaskRecord(instanceKey: Int64(message.processInstanceId) ?? 0, taskKey: message.taskKey, attempt: message.attempt)
            value.lockDuration = max(1, request.lockDuration)
            value.workerId = workerId
            let command = Record.command(.extendTaskLock, key: message.correlationId, value: .task(value), timestamp: now, partition: message.partition)
            byPartition[message.partition, default: []].append((candidate, command))
        }
        var claimed: [ClaimedTask] = []
        for (partition, batch) in byPartition.sorted(by: { $0.key < $1.key }) {
            let first = try await appends.append(batch.map(\.1), partition: partition)
            for (offset, (candidate, _)) in batch.enumerated() {
                let verdict = try await readModel.verdict(partition: partition, position: first + Int64(offset), timeout: verdictTimeout)
                guard verdict == .accepted, let id = ExternalTaskID(message: candidate.message) else { continue }
                claimed.append(ClaimedTask(message: candidate.message, id: id, workerId: workerId, lockExpirationTime: now + max(1, request.lockDuration)))
            }
        }
        return claimed
    }

    /// Acknowledges the rounds whose tasks are all claimed or dropped, oldest first, in the
    /// background (`TaskAcknowledgements`: a commit never holds a response back).
    private func acknowledgeClaimed(_ topic: String) throws {
        let mark: [Int32: Int64]? = topics.withLock { topics in
            guard var buffer = topics[topic] else { return nil }
            defer { topics[topic] = buffer }
            var mark: [Int32: Int64]?
            while let round = buffer.rounds[buffer.firstRound], round.remaining <= 0 {
                mark = round.mark
                buffer.rounds[buffer.firstRound] = nil
                buffer.firstRound += 1
            }
            return mark
        }
        try acknowledgements.acknowledge(topic: topic, through: mark ?? [:])
    }

    /// The topics this gateway has read.
    public var topicNames: [String] { topics.withLock { Array($0.keys) }.sorted() }
}
