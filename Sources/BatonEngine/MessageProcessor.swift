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
        if let applied = writer.state.sourceOffsets[value.sourcePartitionName], value.sourceOffset <= applied {
            writer.reject("\(duplicateEventReason)\(value.sourcePartitionName) offset \(value.sourceOffset) is at or below the highest offset applied from that partition (\(applied))")
            return
        }
        guard value.name.isEmpty || valid(value, &writer) else { return }
        guard value.startProcessId.isEmpty || SizeLimits.variablesFit(value.variables, into: nil, &writer) else { return }
        guard !value.name.isEmpty || !value.startProcessId.isEmpty else {
            writer.reject("an ingested event must start a process, publish a message, or both")
            return
        }
        var applied = MessageRecord()
        applied.sourceTopic = value.sourceTopic
        applied.sourcePartition = value.sourcePartition
        applied.sourceOffset = value.sourceOffset
        applied.name = value.name
        applied.startProcessId = value.startProcessId
        writer.write(.eventIngested, .message(applied))
        if !value.name.isEmpty {
            let address = MessageAddress(name: value.name, correlationKey: writer.command.key)
            let waiting = !(writer.state.subscriptionsByAddress[address] ?? []).isEmpty
            if waiting || value.startProcessId.isEmpty || InstanceProcessor.activeInstanceProblem(value.startProcessId, &writer) != nil {
                guard let message = record(value, timeToLive: value.timeToLive, &writer) else { return }
                _ = deliver(message, onlyInstance: 0, &writer)
                return
            }
        }
        start(value, &writer)
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
        } else if !value.variables.isEmpty, SizeLimits.bytes(of: value.variables) > writer.configuration.maximumTaskResultBytes {
            problem = "the message's variables take \(SizeLimits.bytes(of: value.variables)) bytes, more than the \(writer.configuration.maximumTaskResultBytes) a message may bring"
        } else {
            problem = nil
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
            writer.drain(instanceKey, TokenAgenda([.activate(element: startEvent, scopeKey: instanceKey)]))
            started += 1
        }
        return took.count + started
    }
}
