import BatonModel

/// Signals (BPMN 2.0.2 §10.5.5): a broadcast without a correlation key. It reaches every
/// subscription of its name on every partition, and starts the processes whose signal
/// start event it is once, on the partition it was broadcast on. A subscription is a
/// message subscription with an empty correlation key (messages always have one), so
/// boundary events, event-based gateways and event sub-processes wait for signals as they
/// wait for messages.
enum SignalProcessor {
    /// `broadcastSignal`, on the partition of the signal's name: from the API, or thrown by
    /// an instance (then it comes through the outbox and a second delivery is dropped).
    /// Starts, triggers, and goes on to every other partition.
    static func broadcast(_ value: MessageRecord, _ writer: inout StepWriter) {
        guard valid(value, &writer), firstDelivery(value, &writer) else { return }
        let signalKey = record(value, &writer)
        // Subscriptions opened by what this signal starts or moves do not take it.
        let waiting = subscriptions(value.name, writer)
        for (deployed, startEvent) in writer.processes.signalStarts(named: value.name) {
            guard SizeLimits.variablesFit(value.variables, into: nil, &writer) else { break }
            let correlationId = InstanceProcessor.correlationIdOnThisPartition(for: deployed.process.processId, &writer)
            writer.recordKey = correlationId
            let instanceKey = InstanceProcessor.begin(
                InstanceRecord(processId: deployed.process.processId, processVersion: deployed.version, variables: value.variables), &writer)
            writer.activations = 0
            writer.drain(instanceKey, InstanceProcessor.startAgenda(instanceKey, at: startEvent, &writer))
        }
        trigger(value, waiting, &writer)
        let own = writer.command.partition
        for partition in 0..<writer.configuration.journalPartitions where partition != own {
            writer.send(.deliverSignal, key: writer.command.key, to: partition) { offset in
                var delivered = MessageRecord(name: value.name, variables: value.variables)
                delivered.messageKey = signalKey
                delivered.sourceTopic = Topics.journal
                delivered.sourcePartition = own
                delivered.sourceOffset = offset
                return .message(delivered)
            }
        }
        writer.recordKey = writer.command.key
    }

    /// `deliverSignal`, from the outbox of the partition the signal was broadcast on.
    static func deliver(_ value: MessageRecord, _ writer: inout StepWriter) {
        guard value.sourcePartition >= 0 else {
            writer.reject("deliverSignal comes only from another partition's outbox; broadcast a signal with broadcastSignal")
            return
        }
        guard valid(value, &writer), firstDelivery(value, &writer) else { return }
        _ = record(value, &writer)
        trigger(value, subscriptions(value.name, writer), &writer)
        writer.recordKey = writer.command.key
    }

    /// Every subscription waiting for the signal here, oldest first: each is triggered in
    /// turn (a non-interrupting one stays for the next signal).
    private static func trigger(_ value: MessageRecord, _ waiting: [SubscriptionReference], _ writer: inout StepWriter) {
        for reference in waiting {
            guard let instance = writer.state.instances[reference.instanceKey],
                let subscription = instance.subscriptions[reference.subscriptionKey]
            else { continue }
            writer.recordKey = instance.correlationId
            var agenda = TokenAgenda()
            writer.activations = 0
            MessageCorrelation.reached(subscription, reference.instanceKey, variables: value.variables, &writer, &agenda)
            writer.drain(reference.instanceKey, agenda)
        }
    }

    private static func subscriptions(_ name: String, _ writer: StepWriter) -> [SubscriptionReference] {
        writer.state.subscriptionsByAddress[MessageAddress(name: name, correlationKey: "")] ?? []
    }

    private static func record(_ value: MessageRecord, _ writer: inout StepWriter) -> Int64 {
        var broadcast = MessageRecord(name: value.name, variables: value.variables)
        broadcast.messageKey = value.messageKey != 0 ? value.messageKey : writer.nextKey()
        broadcast.sourcePartition = value.sourcePartition
        writer.write(.signalBroadcast, .message(broadcast))
        return broadcast.messageKey
    }

    /// A signal from an outbox (another partition's, or this one's for a thrown signal) is
    /// applied once per source offset.
    private static func firstDelivery(_ value: MessageRecord, _ writer: inout StepWriter) -> Bool {
        guard value.sourcePartition >= 0 else { return true }
        guard MessageProcessor.notApplied(topic: Topics.journal, partition: value.sourcePartition, offset: value.sourceOffset, &writer) else {
            return false
        }
        MessageProcessor.recordApplied(topic: Topics.journal, partition: value.sourcePartition, offset: value.sourceOffset, &writer)
        return true
    }

    private static func valid(_ value: MessageRecord, _ writer: inout StepWriter) -> Bool {
        let problem: String?
        if value.name.isEmpty {
            problem = "a signal needs a name"
        } else if value.name.utf8.count > MessageProcessor.maximumNameBytes {
            problem = "a signal name may have at most \(MessageProcessor.maximumNameBytes) bytes"
        } else {
            problem = SizeLimits.broughtTooMuch(value.variables, by: "signal", writer)
        }
        if let problem { writer.reject(problem) }
        return problem == nil
    }
}

/// A signal throw or end event: the signal (carrying the element's input mappings, or the
/// instance's variables when it has none) is broadcast through the outbox once the step is
/// durable, on the partition of the signal's name (as the API broadcasts it); then the token
/// leaves. The broadcast is a command of its own, so an instance that catches its own
/// signal does so after this step.
enum SignalThrowBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        guard let variables = carried(by: token, &writer) else { return }
        let name = token.element.message!.name
        if let problem = SizeLimits.broughtTooMuch(variables, by: "signal", writer) {
            writer.raiseIncident(.expressionFailed, token, "signal '\(name)': \(problem); map fewer with input mappings")
            return
        }
        let own = writer.command.partition
        writer.send(.broadcastSignal, key: name, to: writer.partition(ofKey: name)) { offset in
            var signal = MessageRecord(name: name, variables: variables)
            signal.instanceKey = token.instanceKey
            signal.elementInstanceKey = token.elementInstanceKey
            signal.elementIndex = token.elementIndex
            signal.sourceTopic = Topics.journal
            signal.sourcePartition = own
            signal.sourceOffset = offset
            return .message(signal)
        }
        guard OutputMappings.apply(token, extra: [:], &writer) else { return }
        writer.leave(token, &agenda)
    }
}
