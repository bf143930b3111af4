import BatonModel

/// The binary form of a partition's state, for snapshots. Dictionaries are written in key
/// order, so equal states give equal bytes. Format 6 (timers of timer start events and the
/// versions they were scheduled for); formats 5 (local variables of element
/// instances, the calling instance of a called one, cycle timers' repetitions), 4 (message subscriptions, buffered messages, applied source
/// offsets), 3 (tasks keep their lock owner), 2 (incidents
/// keep the variables of the completion whose output mapping failed) and 1 still load.
extension EngineState {
    static let snapshotFormat: UInt8 = 6

    /// The snapshot; format 2 names every definition its instances run, with the checksum of
    /// its compiled graph, so a replica whose compiler numbers a definition otherwise refuses
    /// the snapshot instead of loading element indexes into another graph.
    public func snapshotBytes(processes: ProcessRegistry) -> [UInt8] {
        var writer = BinaryWriter(capacity: 1024 + instances.count * 256)
        writer.byte(Self.snapshotFormat)
        writer.signed(lastCommandPosition)
        let startTimerDefinitions = startTimers.values.compactMap { processes.process(id: $0.processId, version: $0.version)?.definition }
        let definitions = Set(instances.values.map(\.definition)).union(startTimerDefinitions).sorted()
        writer.unsigned(UInt64(definitions.count))
        for definition in definitions {
            let deployed = processes[definition]
            writer.string(deployed.process.processId)
            writer.signed(Int64(deployed.version))
            writer.signed(Int64(bitPattern: deployed.graphChecksum))
        }
        writer.unsigned(UInt64(instances.count))
        for key in instances.keys.sorted() { instances[key]!.encode(into: &writer) }
        writer.unsigned(UInt64(messages.count))
        for key in messages.messages.keys.sorted() {
            let message = messages.messages[key]!
            writer.signed(message.key)
            writer.string(message.name)
            writer.string(message.correlationKey)
            writer.variables(message.variables)
            writer.signed(message.expiresAt)
            writer.string(message.messageId)
            writer.unsigned(UInt64(message.correlatedInstances.count))
            for instance in message.correlatedInstances { writer.signed(instance) }
        }
        writer.unsigned(UInt64(sourceOffsets.count))
        for source in sourceOffsets.keys.sorted() {
            writer.string(source)
            writer.signed(sourceOffsets[source]!)
        }
        let remote = remoteSubscriptions.sorted { ($0.key.name, $0.key.correlationKey) < ($1.key.name, $1.key.correlationKey) }
        writer.unsigned(UInt64(remote.count))
        for (address, subscriptions) in remote {
            writer.string(address.name)
            writer.string(address.correlationKey)
            writer.unsigned(UInt64(subscriptions.count))
            for subscription in subscriptions {
                writer.signed(subscription.instanceKey)
                writer.signed(subscription.subscriptionKey)
                writer.signed(subscription.elementInstanceKey)
                writer.signed(Int64(subscription.elementIndex))
                writer.signed(Int64(subscription.instancePartition))
                writer.string(subscription.correlationId)
                writer.byte(subscription.interrupting ? 1 : 0)
            }
        }
        writer.unsigned(UInt64(startTimers.count))
        for key in startTimers.keys.sorted() {
            let timer = startTimers[key]!
            writer.signed(timer.key)
            writer.string(timer.processId)
            writer.signed(Int64(timer.version))
            writer.signed(Int64(timer.elementIndex))
            writer.signed(timer.dueAt)
            writer.signed(Int64(timer.repetitions))
        }
        writer.unsigned(UInt64(startTimerVersions.count))
        for processId in startTimerVersions.keys.sorted() {
            writer.string(processId)
            writer.signed(Int64(startTimerVersions[processId]!))
        }
        return writer.bytes
    }

    /// Rebuilds a state from `snapshotBytes()`; `processes` resolves each instance's
    /// definition, which must be deployed. (The runtime decodes the instances of a large
    /// snapshot on a second thread: `SnapshotDecoder`.)
    public static func fromSnapshot(_ bytes: [UInt8], processes: ProcessRegistry) throws(DecodingError) -> EngineState {
        var decoder = try SnapshotDecoder(bytes, processes: processes)
        var builder = decoder.builder()
        while true {
            let instances = try decoder.nextInstances(upTo: 4_096)
            if instances.isEmpty { break }
            builder.add(instances)
        }
        return try decoder.finish(builder)
    }
}

/// A snapshot read in three parts: the header, the instances in batches, the rest. The
/// instances (most of the bytes) may be decoded on one thread while another adds them to
/// the state being built (`SnapshotStateBuilder`): recovery of a partition holding a
/// million instances does both halves at once.
public struct SnapshotDecoder: Sendable {
    private var reader: BinaryReader
    private let format: UInt8
    private let processes: ProcessRegistry
    private let lastCommandPosition: Int64
    public let instanceCount: Int
    private var instancesRead = 0

    public init(_ bytes: [UInt8], processes: ProcessRegistry) throws(DecodingError) {
        var reader = BinaryReader(bytes)
        let format = try reader.byte()
        guard format >= 1, format <= EngineState.snapshotFormat else { throw reader.failure("snapshot format \(format) is not one this Baton reads") }
        lastCommandPosition = try reader.signed()
        if format >= 2 {
            for _ in 0..<(try reader.count()) {
                let processId = try reader.string()
                let version = try reader.int32()
                let checksum = UInt64(bitPattern: try reader.signed())
                guard let deployed = processes.process(id: processId, version: version) else {
                    throw reader.failure("snapshot names process '\(processId)' version \(version), which is not deployed")
                }
                guard deployed.graphChecksum == checksum else {
                    throw reader.failure("snapshot was written for process '\(processId)' version \(version) compiled to graph \(String(checksum, radix: 16)); this Baton compiles it to \(String(deployed.graphChecksum, radix: 16))")
                }
            }
        }
        instanceCount = try reader.count()
        self.reader = reader
        self.format = format
        self.processes = processes
    }

    /// The builder the instances go to.
    public func builder() -> SnapshotStateBuilder {
        SnapshotStateBuilder(instanceCount: instanceCount, lastCommandPosition: lastCommandPosition)
    }

    /// The next instances, at most `limit`; empty once all are read.
    public mutating func nextInstances(upTo limit: Int) throws(DecodingError) -> [InstanceState] {
        let count = min(limit, instanceCount - instancesRead)
        var instances: [InstanceState] = []
        instances.reserveCapacity(count)
        for _ in 0..<count { instances.append(try InstanceState.decode(from: &reader, format: format, processes: processes)) }
        instancesRead += count
        return instances
    }

    /// Reads what follows the instances into `builder`'s state and returns it.
    public mutating func finish(_ builder: consuming SnapshotStateBuilder) throws(DecodingError) -> EngineState {
        guard instancesRead == instanceCount else { throw reader.failure("snapshot instances left unread") }
        var state = builder.state
        if format >= 4 {
            for _ in 0..<(try reader.count()) {
                var message = BufferedMessage(
                    key: try reader.signed(), name: try reader.string(), correlationKey: try reader.string(),
                    variables: try reader.variables(), expiresAt: try reader.signed(), messageId: try reader.string())
                for _ in 0..<(try reader.count()) { message.correlatedInstances.append(try reader.signed()) }
                state.messages.insert(message)
            }
            for _ in 0..<(try reader.count()) { state.sourceOffsets[try reader.string()] = try reader.signed() }
            for _ in 0..<(try reader.count()) {
                let address = MessageAddress(name: try reader.string(), correlationKey: try reader.string())
                for _ in 0..<(try reader.count()) {
                    var value = SubscriptionRecord(
                        instanceKey: try reader.signed(), subscriptionKey: try reader.signed(), elementInstanceKey: try reader.signed(),
                        elementIndex: try reader.int32(), messageName: address.name, correlationKey: address.correlationKey)
                    value.instancePartition = try reader.int32()
                    value.correlationId = try reader.string()
                    value.interrupting = try reader.byte() != 0
                    state.remoteSubscriptions[address, default: []].append(RemoteSubscription(value))
                }
            }
        }
        if format >= 6 {
            for _ in 0..<(try reader.count()) {
                let timer = StartTimer(
                    key: try reader.signed(), processId: try reader.string(), version: try reader.int32(), elementIndex: try reader.int32(),
                    dueAt: try reader.signed(), repetitions: try reader.int32())
                state.startTimers[timer.key] = timer
            }
            for _ in 0..<(try reader.count()) { state.startTimerVersions[try reader.string()] = try reader.int32() }
        }
        state.finishIndexes(subscriptions: builder.subscriptions)
        guard reader.isAtEnd else { throw reader.failure("unexpected bytes after the snapshot") }
        return state
    }
}

/// The state a snapshot's instances are added to, indexed as they come (no second pass
/// over a million instances); `SnapshotDecoder.finish` completes it.
public struct SnapshotStateBuilder: Sendable {
    fileprivate var state = EngineState()
    fileprivate var subscriptions: [(SubscriptionReference, MessageAddress)] = []

    init(instanceCount: Int, lastCommandPosition: Int64) {
        state.lastCommandPosition = lastCommandPosition
        // One allocation for the table (growing it a million instances at a time costs
        // fresh pages at every doubling).
        state.instances.reserveCapacity(instanceCount)
        state.resetIndexes(reservingFor: instanceCount)
    }

    public mutating func add(_ instances: consuming [InstanceState]) {
        for instance in instances {
            state.index(instance, subscriptions: &subscriptions)
            state.instances[instance.key] = instance
        }
    }
}

extension EngineState {
    // The indexes and counts the appliers keep are derived again when a snapshot loads
    // (snapshots do not store them): reset, then each instance as it is decoded (no second
    // pass over a million instances), then what depends on all of them.

    mutating func resetIndexes(reservingFor instanceCount: Int) {
        instancesByCorrelation = [:]
        instancesByCorrelation.reserveCapacity(instanceCount)
        dueWork = DueWorkIndex()
        openIncidents = 0
        instancesWithIncidents = 0
        subscriptionsByAddress = [:]
    }

    mutating func index(_ instance: borrowing InstanceState, subscriptions: inout [(SubscriptionReference, MessageAddress)]) {
        let key = instance.key
        for subscription in instance.subscriptions.values {
            subscriptions.append((SubscriptionReference(instanceKey: key, subscriptionKey: subscription.key), subscription.address))
        }
        instancesByCorrelation.add(key, for: instance.correlationId)
        for timer in instance.timers.values { dueWork.insert(.timer(instanceKey: key, timerKey: timer.key, dueAt: timer.dueAt)) }
        for task in instance.tasks.values { dueWork.replace(nil, with: DueWork(task, instanceKey: key)) }
        openIncidents += instance.incidents.count
        if !instance.incidents.isEmpty { instancesWithIncidents += 1 }
    }

    mutating func finishIndexes(subscriptions: [(SubscriptionReference, MessageAddress)]) {
        for message in messages.messages.values { dueWork.insert(.messageExpiry(messageKey: message.key, dueAt: message.expiresAt)) }
        for timer in startTimers.values { dueWork.insert(.timer(instanceKey: 0, timerKey: timer.key, dueAt: timer.dueAt)) }
        // Subscriptions of one address in the order they were opened (keys grow with position).
        for (reference, address) in subscriptions.sorted(by: { $0.0.subscriptionKey < $1.0.subscriptionKey }) {
            subscriptionsByAddress[address, default: []].append(reference)
        }
    }
}

extension InstanceState {
    func encode(into writer: inout BinaryWriter) {
        writer.signed(key)
        writer.string(processId)
        writer.signed(Int64(processVersion))
        writer.string(correlationId)
        writer.string(businessKey)
        writer.signed(startTime)
        writer.variables(variables)
        writer.unsigned(UInt64(taskResults.count))
        for result in taskResults {
            writer.string(result.taskId)
            writer.json(result.data)
            writer.signed(result.startTime)
            writer.signed(result.endTime)
        }
        writer.signed(Int64(rootChildren))
        writer.unsigned(UInt64(elements.count))
        for key in elements.keys.sorted() {
            let element = elements[key]!
            writer.signed(element.key)
            writer.signed(Int64(element.elementIndex))
            writer.signed(element.flowScopeKey)
            writer.signed(Int64(element.activeChildren))
        }
        writer.unsigned(UInt64(tasks.count))
        for key in tasks.keys.sorted() {
            let task = tasks[key]!
            writer.signed(task.key)
            writer.signed(task.elementInstanceKey)
            writer.signed(Int64(task.elementIndex))
            writer.string(task.topic)
            writer.signed(Int64(task.priority))
            writer.signed(Int64(task.attempt))
            writer.signed(Int64(task.retries))
            switch task.phase {
            case .active(let lockExpiresAt): writer.byte(1); writer.signed(lockExpiresAt)
            case .waitingForRetry(let retryAt): writer.byte(2); writer.signed(retryAt)
            case .incident: writer.byte(3)
            }
            writer.signed(task.activatedAt)
            writer.string(task.lastError)
            writer.string(task.lockOwner)
        }
        writer.unsigned(UInt64(timers.count))
        for key in timers.keys.sorted() {
            let timer = timers[key]!
            writer.signed(timer.key)
            writer.signed(timer.elementInstanceKey)
            writer.signed(Int64(timer.elementIndex))
            writer.signed(timer.dueAt)
            writer.signed(Int64(timer.repetitions))
        }
        writer.unsigned(UInt64(incidents.count))
        for key in incidents.keys.sorted() {
            let incident = incidents[key]!
            writer.signed(incident.key)
            writer.byte(incident.kind.rawValue)
            writer.signed(incident.elementInstanceKey)
            writer.signed(Int64(incident.elementIndex))
            writer.signed(incident.taskKey)
            writer.string(incident.message)
            writer.variables(incident.variables)
        }
        writer.unsigned(UInt64(joins.count))
        for join in joins.keys.sorted(by: { ($0.scopeKey, $0.gateway) < ($1.scopeKey, $1.gateway) }) {
            writer.signed(join.scopeKey)
            writer.signed(Int64(join.gateway))
            let arrivals = joins[join]!
            writer.unsigned(UInt64(arrivals.count))
            for flow in arrivals.keys.sorted() {
                writer.signed(Int64(flow))
                writer.signed(Int64(arrivals[flow]!))
            }
        }
        writer.unsigned(UInt64(subscriptions.count))
        for key in subscriptions.keys.sorted() {
            let subscription = subscriptions[key]!
            writer.signed(subscription.key)
            writer.signed(subscription.elementInstanceKey)
            writer.signed(Int64(subscription.elementIndex))
            writer.string(subscription.messageName)
            writer.string(subscription.correlationKey)
        }
        writer.unsigned(UInt64(locals.count))
        for key in locals.keys.sorted() {
            writer.signed(key)
            writer.variables(locals[key]!)
        }
        writer.signed(parentInstanceKey)
        writer.signed(parentElementInstanceKey)
    }

    static func decode(from reader: inout BinaryReader, format: UInt8, processes: ProcessRegistry) throws(DecodingError) -> InstanceState {
        let key = try reader.signed()
        let processId = try reader.string()
        let processVersion = try reader.int32()
        guard let deployed = processes.process(id: processId, version: processVersion) else {
            throw reader.failure("snapshot holds instance \(key) of process '\(processId)' version \(processVersion), which is not deployed")
        }
        var instance = InstanceState(
            key: key, processId: processId, processVersion: processVersion, definition: deployed.definition,
            correlationId: try reader.string(), businessKey: try reader.string(), startTime: try reader.signed(),
            variables: try reader.variables())
        for _ in 0..<(try reader.count()) {
            instance.taskResults.append(
                TaskResult(taskId: try reader.string(), data: try reader.json(), startTime: try reader.signed(), endTime: try reader.signed()))
        }
        instance.rootChildren = try reader.int32()
        for _ in 0..<(try reader.count()) {
            var element = ElementInstance(key: try reader.signed(), elementIndex: try reader.int32(), flowScopeKey: try reader.signed())
            element.activeChildren = try reader.int32()
            instance.elements[element.key] = element
        }
        for _ in 0..<(try reader.count()) {
            let taskKey = try reader.signed()
            let elementInstanceKey = try reader.signed()
            let elementIndex = try reader.int32()
            let topic = try reader.string()
            let priority = try reader.int32()
            let attempt = try reader.int32()
            let retries = try reader.int32()
            let phase: TaskState.Phase
            switch try reader.byte() {
            case 1: phase = .active(lockExpiresAt: try reader.signed())
            case 2: phase = .waitingForRetry(retryAt: try reader.signed())
            case 3: phase = .incident
            case let other: throw reader.failure("unknown task phase \(other)")
            }
            instance.tasks[taskKey] = TaskState(
                key: taskKey, elementInstanceKey: elementInstanceKey, elementIndex: elementIndex, topic: topic, priority: priority,
                attempt: attempt, retries: retries, phase: phase, activatedAt: try reader.signed(), lastError: try reader.string(),
                lockOwner: format >= 3 ? try reader.string() : "")
        }
        for _ in 0..<(try reader.count()) {
            var timer = TimerState(key: try reader.signed(), elementInstanceKey: try reader.signed(), elementIndex: try reader.int32(), dueAt: try reader.signed())
            if format >= 5 { timer.repetitions = try reader.int32() }
            instance.timers[timer.key] = timer
        }
        for _ in 0..<(try reader.count()) {
            let incidentKey = try reader.signed()
            guard let kind = IncidentKind(rawValue: try reader.byte()) else { throw reader.failure("unknown incident kind") }
            instance.incidents[incidentKey] = IncidentState(
                key: incidentKey, kind: kind, elementInstanceKey: try reader.signed(), elementIndex: try reader.int32(),
                taskKey: try reader.signed(), message: try reader.string(), variables: format >= 2 ? try reader.variables() : [:])
        }
        for _ in 0..<(try reader.count()) {
            let join = JoinPoint(scopeKey: try reader.signed(), gateway: try reader.int32())
            var arrivals: [Int32: Int32] = [:]
            for _ in 0..<(try reader.count()) { arrivals[try reader.int32()] = try reader.int32() }
            instance.joins[join] = arrivals
        }
        if format >= 4 {
            for _ in 0..<(try reader.count()) {
                let subscription = SubscriptionState(
                    key: try reader.signed(), elementInstanceKey: try reader.signed(), elementIndex: try reader.int32(),
                    messageName: try reader.string(), correlationKey: try reader.string())
                instance.subscriptions[subscription.key] = subscription
            }
        }
        if format >= 5 {
            for _ in 0..<(try reader.count()) { instance.locals[try reader.signed()] = try reader.variables() }
            instance.parentInstanceKey = try reader.signed()
            instance.parentElementInstanceKey = try reader.signed()
        }
        return instance
    }
}
