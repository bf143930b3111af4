import BatonModel

/// Messages and ingested events: `publishMessage`, `correlateMessage`, `expireMessage`,
/// `ingestEvent`. A message is on the partition of its correlation key (the command's key),
/// where the instances whose correlationId it is live: it is correlated in the same step.
public enum MessageProcessor {
    /// How the rejection of a redelivered source event begins: the normal answer to a
    /// redelivery, not a dead letter.
    public static let duplicateEventReason = "duplicate event: "
    /// The longest message name and message id accepted.
    static let maximumNameBytes = 1024
    /// The longest time to live: 10 years, in milliseconds.
    static let maximumTimeToLive: Int64 = 10 * 365 * 24 * 3_600_000

    static func publish(_ value: MessageRecord, _ writer: inout StepWriter) {
        guard valid(value, &writer), let message = record(value, timeToLive: value.timeToLive, &writer) else { return }
        _ = deliver(message, onlyInstance: 0, &writer)
    }

    /// Correlates now or never: rejected (nothing written) when no subscription or message
    /// start event takes it.
    static func correlate(_ value: MessageRecord, _ writer: inout StepWriter) {
        guard valid(value, &writer) else { return }
        let address = MessageAddress(name: value.name, correlationKey: writer.command.key)
        if value.instanceKey != 0 {
            guard let instance = writer.state.instances[value.instanceKey], instance.correlationId == writer.command.key else {
                writer.reject("process instance \(value.instanceKey) is not active for correlation key '\(writer.command.key)'")
                return
            }
        }
        let waiting = (writer.state.subscriptionsByAddress[address] ?? []).contains { value.instanceKey == 0 || $0.instanceKey == value.instanceKey }
            || (value.instanceKey == 0 && !(writer.state.remoteSubscriptions[address] ?? []).isEmpty)
        let starts = value.instanceKey == 0
            && writer.processes.messageStarts(named: value.name).contains { InstanceProcessor.activeInstanceProblem($0.process.process.processId, &writer) == nil }
        guard waiting || starts else {
            let target = value.instanceKey == 0 ? "" : " in instance \(value.instanceKey)"
            writer.reject("no subscription\(target) waits for message '\(value.name)' with correlation key '\(writer.command.key)', and no process starts with it")
            return
        }
        guard let message = record(value, timeToLive: 0, &writer) else { return }
        _ = deliver(message, onlyInstance: value.instanceKey, &writer)
    }

    /// `expireMessage`: the runtime asks once the time to live has passed.
    static func expire(_ value: MessageRecord, _ writer: inout StepWriter) {
        guard let message = writer.state.messages.messages[value.messageKey] else {
            writer.reject("message \(value.messageKey) is not buffered (expired already, or never had a time to live)")
            return
        }
        guard writer.now >= message.expiresAt else {
            writer.reject("message \(value.messageKey) expires at \(message.expiresAt); the engine's time is \(writer.now)")
            return
        }
        var expired = MessageRecord(name: message.name, messageId: message.messageId)
        expired.messageKey = message.key
        expired.expiresAt = message.expiresAt
        writer.write(.messageExpired, .message(expired))
    }

    /// `ingestEvent`: applied once per source offset, then started, correlated or published
    /// as its rule says. "Start or correlate" (a message name and a process): a waiting
    /// subscription takes the message; otherwise the process starts when no instance of it
    /// is active for the key; otherwise the message is published (and buffered).
    static func ingest(_ value: MessageRecord, _ writer: inout StepWriter) {
        guard !value.sourceTopic.isEmpty, value.sourcePartition >= 0, value.sourceOffset >= 0 else {
            writer.reject("an ingested event must name its source topic, partition and offset")
            return
        }
        guard notApplied(topic: value.sourceTopic, partition: value.sourcePartition, offset: value.sourceOffset, &writer) else { return }
        guard value.name.isEmpty || valid(value, &writer) else { return }
        guard value.startProcessId.isEmpty || SizeLimits.variablesFit(value.variables, into: nil, &writer) else { return }
        guard !value.name.isEmpty || !value.startProcessId.isEmpty else {
            writer.reject("an ingested event must start a process, publish a message, or both")
            return
        }
        recordApplied(topic: value.sourceTopic, partition: value.sourcePartition, offset: value.sourceOffset, name: value.name, start: value.startProcessId, &writer)
        if !value.name.isEmpty {
            let address = MessageAddress(name: value.name, correlationKey: writer.command.key)
            let waiting = !(writer.state.subscriptionsByAddress[address] ?? []).isEmpty || !(writer.state.remoteSubscriptions[address] ?? []).isEmpty
            if waiting || value.startProcessId.isEmpty || InstanceProcessor.activeInstanceProblem(value.startProcessId, &writer) != nil {
                guard let message = record(value, timeToLive: value.timeToLive, &writer) else { return }
                _ = deliver(message, onlyInstance: 0, &writer)
                return
            }
        }
        start(value, &writer)
    }

    /// Rejects (and returns false) a source offset at or below the highest applied from its
    /// source partition: a redelivered event, or a second delivery of an outbox command.
    static func notApplied(topic: String, partition: Int32, offset: Int64, _ writer: inout StepWriter) -> Bool {
        let source = "\(topic)/\(partition)"
        guard let applied = writer.state.sourceOffsets[source], offset <= applied else { return true }
        writer.reject("\(duplicateEventReason)\(source) offset \(offset) is at or below the highest offset applied from that partition (\(applied))")
        return false
    }

    static func recordApplied(topic: String, partition: Int32, offset: Int64, name: String = "", start: String = "", _ writer: inout StepWriter) {
        var applied = MessageRecord(name: name)
        applied.sourceTopic = topic
        applied.sourcePartition = partition
        applied.sourceOffset = offset
        applied.startProcessId = start
        writer.write(.eventIngested, .message(applied))
    }

    // MARK: Subscriptions across partitions (DESIGN.md §4)

    /// `openMessageSubscription`, from the outbox of the instance's partition: this
    /// partition holds the subscription, and a buffered message may take it at once.
    static func openRemote(_ value: SubscriptionRecord, _ writer: inout StepWriter) {
        guard value.sourcePartition >= 0, value.instancePartition >= 0, notApplied(topic: Topics.journal, partition: value.sourcePartition, offset: value.sourceOffset, &writer) else {
            if value.sourcePartition < 0 || value.instancePartition < 0 { writer.reject("openMessageSubscription comes only from another partition's outbox") }
            return
        }
        recordApplied(topic: Topics.journal, partition: value.sourcePartition, offset: value.sourceOffset, &writer)
        writer.write(.remoteSubscriptionOpened, .subscription(value))
        let address = MessageAddress(name: value.messageName, correlationKey: writer.command.key)
        guard let message = writer.state.messages.firstWaiting(at: address, for: value.instanceKey, now: writer.now) else { return }
        correlateRemote(RemoteSubscription(value), address, messageKey: message.key, name: message.name, variables: message.variables, &writer)
    }

    /// `closeMessageSubscription`: the waiting element on the other partition has ended.
    static func closeRemote(_ value: SubscriptionRecord, _ writer: inout StepWriter) {
        guard value.sourcePartition >= 0, notApplied(topic: Topics.journal, partition: value.sourcePartition, offset: value.sourceOffset, &writer) else {
            if value.sourcePartition < 0 { writer.reject("closeMessageSubscription comes only from another partition's outbox") }
            return
        }
        recordApplied(topic: Topics.journal, partition: value.sourcePartition, offset: value.sourceOffset, &writer)
        let address = MessageAddress(name: value.messageName, correlationKey: writer.command.key)
        guard (writer.state.remoteSubscriptions[address] ?? []).contains(where: { $0.subscriptionKey == value.subscriptionKey && $0.instanceKey == value.instanceKey }) else { return }
        writer.write(.remoteSubscriptionClosed, .subscription(value))
    }

    /// `correlateSubscription`, from the outbox of the partition the message was published
    /// on: the instance's subscription takes the message, if it is still open.
    static func correlateSubscription(_ value: MessageRecord, _ writer: inout StepWriter) {
        guard value.sourcePartition >= 0, notApplied(topic: Topics.journal, partition: value.sourcePartition, offset: value.sourceOffset, &writer) else {
            if value.sourcePartition < 0 { writer.reject("correlateSubscription comes only from another partition's outbox") }
            return
        }
        recordApplied(topic: Topics.journal, partition: value.sourcePartition, offset: value.sourceOffset, &writer)
        // Closed meanwhile (the element ended): the message is not for this instance any more.
        guard let subscription = writer.state.instances[value.instanceKey]?.subscriptions.values
            .first(where: { $0.elementInstanceKey == value.elementInstanceKey && $0.elementIndex == value.elementIndex && $0.messageName == value.name })
        else { return }
        var agenda = TokenAgenda()
        writer.activations = 0
        MessageCorrelation.trigger(subscription, value.instanceKey, messageKey: value.messageKey, name: value.name, variables: value.variables, &writer, &agenda)
        writer.drain(value.instanceKey, agenda)
    }

    /// A message published here reaches a subscription held for an instance elsewhere:
    /// recorded here (so a buffered message is not taken twice by that instance) and sent
    /// to the instance's partition; an interrupting subscription is released at once.
    private static func correlateRemote(
        _ remote: RemoteSubscription, _ address: MessageAddress, messageKey: Int64, name: String, variables: [String: JSONValue],
        _ writer: inout StepWriter
    ) {
        var correlated = MessageRecord(name: name)
        correlated.messageKey = messageKey
        correlated.instanceKey = remote.instanceKey
        correlated.elementInstanceKey = remote.elementInstanceKey
        correlated.elementIndex = remote.elementIndex
        writer.write(.messageCorrelated, .message(correlated))
        let own = writer.command.partition
        writer.send(.correlateSubscription, key: remote.correlationId, to: remote.instancePartition) { offset in
            var command = correlated
            command.variables = variables
            command.sourceTopic = Topics.journal
            command.sourcePartition = own
            command.sourceOffset = offset
            return .message(command)
        }
        if remote.interrupting {
            var released = SubscriptionRecord(
                instanceKey: remote.instanceKey, subscriptionKey: remote.subscriptionKey, elementInstanceKey: remote.elementInstanceKey,
                elementIndex: remote.elementIndex, messageName: address.name, correlationKey: address.correlationKey)
            released.instancePartition = remote.instancePartition
            released.correlationId = remote.correlationId
            writer.write(.remoteSubscriptionClosed, .subscription(released))
        }
    }

    /// Starts the event's process at its none start event (the version its producer resolved).
    private static func start(_ value: MessageRecord, _ writer: inout StepWriter) {
        var instance = InstanceRecord(
            processId: value.startProcessId, processVersion: value.processVersion, businessKey: value.businessKey,
            variables: value.variables, deploymentPosition: value.deploymentPosition)
        instance.allowDuplicate = false
        InstanceProcessor.create(instance, &writer)
    }

    /// Checks what every message must be: named, bounded, with a sane time to live.
    private static func valid(_ value: MessageRecord, _ writer: inout StepWriter) -> Bool {
        let problem: String?
        if value.name.isEmpty {
            problem = "a message needs a name"
        } else if value.name.utf8.count > maximumNameBytes || value.messageId.utf8.count > maximumNameBytes {
            problem = "a message name or id may have at most \(maximumNameBytes) bytes"
        } else if writer.command.key.isEmpty {
            problem = "a message needs a correlation key (the record's key)"
        } else if !(0...maximumTimeToLive).contains(value.timeToLive) {
            problem = "time to live \(value.timeToLive) ms is not between 0 and \(maximumTimeToLive) (10 years)"
        } else {
            problem = SizeLimits.broughtTooMuch(value.variables, by: "message", writer)
        }
        if let problem { writer.reject(problem) }
        return problem == nil
    }

    /// Writes `messagePublished` (buffered when it has a time to live); a message id already
    /// buffered for the same name and key is rejected.
    private static func record(_ value: MessageRecord, timeToLive: Int64, _ writer: inout StepWriter) -> MessageRecord? {
        let address = MessageAddress(name: value.name, correlationKey: writer.command.key)
        if !value.messageId.isEmpty, let earlier = writer.state.messages.message(at: address, id: value.messageId) {
            writer.reject("message id '\(value.messageId)' was already published as message \(earlier.key) ('\(value.name)', correlation key '\(writer.command.key)'), buffered until \(earlier.expiresAt)")
            return nil
        }
        var message = MessageRecord(name: value.name, variables: value.variables, timeToLive: timeToLive, messageId: value.messageId)
        message.messageKey = writer.nextKey()
        message.expiresAt = writer.now + timeToLive
        message.businessKey = value.businessKey
        writer.write(.messagePublished, .message(message))
        return message
    }

    /// Correlates the message to the subscriptions waiting for it (the oldest of each
    /// instance: one per instance), then starts the processes whose message start event it
    /// is, where no instance of the process is active for the key. Returns how many
    /// instances took it.
    private static func deliver(_ message: MessageRecord, onlyInstance: Int64, _ writer: inout StepWriter) -> Int {
        let address = MessageAddress(name: message.name, correlationKey: writer.command.key)
        var took: Set<Int64> = []
        for reference in writer.state.subscriptionsByAddress[address] ?? [] {
            guard onlyInstance == 0 || reference.instanceKey == onlyInstance, !took.contains(reference.instanceKey),
                let subscription = writer.state.instances[reference.instanceKey]?.subscriptions[reference.subscriptionKey]
            else { continue }
            took.insert(reference.instanceKey)
            var agenda = TokenAgenda()
            writer.activations = 0
            MessageCorrelation.trigger(
                subscription, reference.instanceKey, messageKey: message.messageKey, name: message.name, variables: message.variables,
                &writer, &agenda)
            writer.drain(reference.instanceKey, agenda)
        }
        for remote in writer.state.remoteSubscriptions[address] ?? [] {
            guard onlyInstance == 0 || remote.instanceKey == onlyInstance, took.insert(remote.instanceKey).inserted else { continue }
            correlateRemote(remote, address, messageKey: message.messageKey, name: message.name, variables: message.variables, &writer)
        }
        guard onlyInstance == 0 else { return took.count }
        var started = 0
        for (deployed, startEvent) in writer.processes.messageStarts(named: message.name)
        where InstanceProcessor.activeInstanceProblem(deployed.process.processId, &writer) == nil {
            guard SizeLimits.variablesFit(message.variables, into: nil, &writer) else { break }
            let instanceKey = InstanceProcessor.begin(
                InstanceRecord(
                    processId: deployed.process.processId, processVersion: deployed.version, businessKey: message.businessKey,
                    variables: message.variables),
                &writer)
            var correlated = MessageRecord(name: message.name)
            correlated.messageKey = message.messageKey
            correlated.instanceKey = instanceKey
            correlated.elementIndex = startEvent
            writer.write(.messageCorrelated, .message(correlated))
            writer.activations = 0
            writer.drain(instanceKey, InstanceProcessor.startAgenda(instanceKey, at: startEvent, &writer))
            started += 1
        }
        return took.count + started
    }
}
