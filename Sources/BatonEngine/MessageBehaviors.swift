import BatonModel

/// Opening the message subscriptions of an element that waits for messages, and taking a
/// buffered message when one is already there.
enum MessageSubscriptions {
    /// The correlation keys of the message events `catchers` for the token's instance: the
    /// Camunda 8 `correlationKey` expression's value, or the instance's correlationId. Nil
    /// after raising an incident on the token (nothing is written before).
    static func keys(_ catchers: [Int32], _ token: Token, _ writer: inout StepWriter) -> [String]? {
        guard !catchers.isEmpty else { return [] }
        let correlationId = writer.withInstance(token.instanceKey) { $0.correlationId }
        var keys: [String] = []
        for catcher in catchers {
            let element = token.deployed.process[element: catcher]
            // A signal reaches every subscription of its name: no correlation key.
            guard !element.kind.catchesSignal else {
                keys.append("")
                continue
            }
            let message = element.message!
            var key = correlationId
            if let expression = message.correlationKey {
                let what = "correlation key '\(expression.source)' of message '\(message.name)'"
                do {
                    switch try writer.evaluator(token).evaluate(expression.root) {
                    case .string(let text) where !text.isEmpty:
                        key = text
                    case .number(let number) where number == number.rounded(.towardZero) && abs(number) < 1e15:
                        key = String(Int64(number))
                    case let other:
                        writer.raiseIncident(.expressionFailed, token, "\(what) gave \(other.jsonText.prefix(80)); it must be a non-empty string or a whole number")
                        return nil
                    }
                } catch {
                    writer.raiseIncident(.expressionFailed, token, "\(what): \(error.message)")
                    return nil
                }
            }
            keys.append(key)
        }
        return keys
    }

    /// Opens one subscription per catcher, held by the element instance `holder`. A key
    /// that belongs to another journal partition is also opened there, through the outbox:
    /// messages with that key are published on that partition (DESIGN.md §4).
    static func open(_ catchers: [Int32], keys: [String], holder: Int64, _ token: Token, _ writer: inout StepWriter) -> [SubscriptionState] {
        var opened: [SubscriptionState] = []
        for (catcher, key) in zip(catchers, keys) {
            let element = token.deployed.process[element: catcher]
            var value = SubscriptionRecord(
                instanceKey: token.instanceKey, subscriptionKey: writer.nextKey(), elementInstanceKey: holder, elementIndex: catcher,
                messageName: element.message!.name, correlationKey: key)
            writer.write(.messageSubscriptionOpened, .subscription(value))
            let home = writer.partition(ofKey: key)
            let own = writer.command.partition
            if !key.isEmpty, home != own {
                value.correlationId = writer.withInstance(token.instanceKey) { $0.correlationId }
                value.instancePartition = own
                value.interrupting = element.kind != .messageBoundaryEvent || element.cancelActivity
                writer.send(.openMessageSubscription, key: key, to: home) { offset in
                    value.sourcePartition = own
                    value.sourceOffset = offset
                    return .subscription(value)
                }
            }
            opened.append(SubscriptionState(
                key: value.subscriptionKey, elementInstanceKey: holder, elementIndex: catcher, messageName: value.messageName,
                correlationKey: key))
        }
        return opened
    }

    /// A message published before its subscription and still within its time to live is
    /// taken by the first subscription it matches (one message per activation). Signals
    /// are not buffered.
    static func correlateBuffered(_ opened: [SubscriptionState], _ instanceKey: Int64, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        for subscription in opened where !subscription.correlationKey.isEmpty {
            guard let message = writer.state.messages.firstWaiting(at: subscription.address, for: instanceKey, now: writer.now) else { continue }
            MessageCorrelation.trigger(subscription, instanceKey, messageKey: message.key, name: message.name, variables: message.variables, &writer, &agenda)
            return
        }
    }
}

/// What a message (or a signal) that reaches a subscription does.
enum MessageCorrelation {
    /// Records the correlation, merges the message's variables into the process scope and
    /// moves the token: a catch event or receive task leaves; an event-based gateway leaves
    /// towards the event; an interrupting boundary event ends its activity, a
    /// non-interrupting one starts a token beside it (its subscription stays open).
    static func trigger(
        _ subscription: SubscriptionState, _ instanceKey: Int64, messageKey: Int64, name: String, variables: [String: JSONValue],
        _ writer: inout StepWriter, _ agenda: inout TokenAgenda
    ) {
        var value = MessageRecord(name: name)
        value.messageKey = messageKey
        value.instanceKey = instanceKey
        value.elementInstanceKey = subscription.elementInstanceKey
        value.elementIndex = subscription.elementIndex
        writer.write(.messageCorrelated, .message(value))
        reached(subscription, instanceKey, variables: variables, &writer, &agenda)
    }

    /// What a message or signal does to the subscription it reached: its variables are set
    /// where the waiting element sees them, then the token moves.
    static func reached(
        _ subscription: SubscriptionState, _ instanceKey: Int64, variables: [String: JSONValue], _ writer: inout StepWriter,
        _ agenda: inout TokenAgenda
    ) {
        writer.setVariables(variables, instanceKey, seenFrom: subscription.elementInstanceKey)
        if writer.deployed(instanceKey).kind(subscription.elementIndex).startsEventSubProcess {
            // An interrupting start's subscription closes with the scope's others; a
            // non-interrupting one stays open for the next message.
            EventSubProcesses.trigger(subscription.elementIndex, scopeKey: subscription.elementInstanceKey, instanceKey, &writer, &agenda)
            return
        }
        guard let holder = writer.token(instanceKey, subscription.elementInstanceKey) else { return }
        let catcher = holder.deployed.process[element: subscription.elementIndex]
        if holder.elementIndex == subscription.elementIndex {
            // Closed before the mappings run: a mapping that fails leaves the element waiting
            // on an incident, not on the message it already had.
            writer.closeWaits(of: holder.elementInstanceKey, instanceKey)
            guard OutputMappings.apply(holder, extra: [:], &writer) else { return }
            writer.leave(holder, &agenda)
        } else if holder.deployed.kind(holder.elementIndex) == .eventBasedGateway {
            EventBasedGatewayBehavior.trigger(holder, target: subscription.elementIndex, &writer, &agenda)
        } else {
            if catcher.cancelActivity { writer.terminate(holder.elementInstanceKey, instanceKey) }
            agenda.append(.activate(element: subscription.elementIndex, scopeKey: holder.flowScopeKey))
        }
    }
}

/// Intermediate message catch event and receive task: wait for the message (a receive
/// task also arms its boundary events).
enum MessageCatchBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        guard var waits = BoundaryEvents.prepare(token, &writer) else { return }
        guard let own = MessageSubscriptions.keys([token.elementIndex], token, &writer) else { return }
        waits.catchers.insert(token.elementIndex, at: 0)
        waits.keys.insert(contentsOf: own, at: 0)
        BoundaryEvents.open(waits, token, &writer, &agenda)
    }
}

/// Waits for the first of the message and timer catch events its flows lead to; the
/// others are canceled when one happens.
enum EventBasedGatewayBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let process = token.deployed.process
        var waits = BoundaryWaits()
        for flow in token.element.outgoing {
            let target = process[flow: flow].target
            let element = process[element: target]
            if element.kind == .timerCatchEvent {
                guard let dueAt = TimerDueTime.compute(element.timer!, token, &writer) else { return }
                waits.timers.append((target, TimerDueTime.Schedule(dueAt: dueAt)))
            } else {
                waits.catchers.append(target)
            }
        }
        guard let keys = MessageSubscriptions.keys(waits.catchers, token, &writer) else { return }
        waits.keys = keys
        BoundaryEvents.open(waits, token, &writer, &agenda)
    }

    /// The event `target` happened: the gateway leaves towards it, and it leaves at once.
    static func trigger(_ gateway: Token, target: Int32, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let process = gateway.deployed.process
        guard let flow = gateway.element.outgoing.first(where: { process[flow: $0].target == target }) else { return }
        writer.leave(gateway, flows: [flow], triggered: true, &agenda)
    }
}

/// What a thrown message or signal carries: the element's input mappings, or every variable
/// it sees when it has none. Nil after raising an incident (a mapping that fails).
func carried(by token: Token, _ writer: inout StepWriter) -> [String: JSONValue]? {
    guard !token.element.inputs.isEmpty else {
        return writer.withInstance(token.instanceKey) { $0.variables(inScopeOf: token.elementInstanceKey) }
    }
    switch OutputMappings.evaluate(token.element.inputs, writer.evaluator(token)) {
    case .success(let values): return values
    case .failure(let failure):
        writer.raiseIncident(.expressionFailed, token, failure.message)
        return nil
    }
}

/// A message throw or end event, or a send task, without a task topic: the message (named
/// by its `<message>`, carrying the element's input mappings, or the instance's variables
/// when it has none) is recorded as `messageThrown`, which the runtime publishes to
/// `baton.messages` keyed by the correlationId once the step is durable; then it leaves.
enum MessageThrowBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        guard let variables = carried(by: token, &writer) else { return }
        var message = MessageRecord(name: token.element.message!.name, variables: variables)
        message.messageKey = writer.nextKey()
        message.instanceKey = token.instanceKey
        message.elementInstanceKey = token.elementInstanceKey
        message.elementIndex = token.elementIndex
        writer.write(.messageThrown, .message(message))
        guard OutputMappings.apply(token, extra: [:], &writer) else { return }
        writer.leave(token, &agenda)
    }
}
