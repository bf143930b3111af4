/// A message (BPMN 2.0 §10.4.4), and what a source event asks for. The record's key is the
/// message's correlation key, so the message is on the partition of that key (DESIGN.md §4).
/// Unused fields stay at their zero value.
public struct MessageRecord: Sendable, Hashable {
    /// The key of the published message (events); 0 in commands.
    public var messageKey: Int64 = 0
    /// The message name (`<message name>`); empty for an ingested event that only starts a
    /// process.
    public var name: String = ""
    public var variables: [String: JSONValue] = [:]
    /// Milliseconds the message waits for a subscription (0: correlated now or never).
    public var timeToLive: Int64 = 0
    /// `messagePublished`: when a buffered message expires.
    public var expiresAt: Int64 = 0
    /// Unique among the buffered messages of one name and correlation key: a second
    /// message with the same id is rejected while the first is buffered (Zeebe's rule).
    public var messageId: String = ""
    /// `correlateMessage`: the only instance it may correlate to (0: any).
    /// `messageCorrelated`: the instance it correlated to.
    public var instanceKey: Int64 = 0
    /// `messageCorrelated`: the element instance that waited (the catch event, the receive
    /// task, the activity a boundary event sits on, the event-based gateway).
    public var elementInstanceKey: Int64 = 0
    /// `messageCorrelated`: the message event that caught it.
    public var elementIndex: Int32 = -1
    /// `ingestEvent`: the process to start when no instance of it is active for the
    /// correlation key, the exact version resolved by whoever appended the command, and the
    /// end of the deployments topic it was resolved against (as `createInstance`).
    public var startProcessId: String = ""
    public var processVersion: Int32 = 0
    public var deploymentPosition: Int64 = -1
    public var businessKey: String = ""
    /// `ingestEvent`: where the event came from; the engine applies each source offset once.
    public var sourceTopic: String = ""
    public var sourcePartition: Int32 = -1
    public var sourceOffset: Int64 = -1

    public init(name: String = "", variables: [String: JSONValue] = [:], timeToLive: Int64 = 0, messageId: String = "") {
        self.name = name
        self.variables = variables
        self.timeToLive = timeToLive
        self.messageId = messageId
    }

    /// "topic/partition": the source partition an ingested event came from.
    public var sourcePartitionName: String { "\(sourceTopic)/\(sourcePartition)" }
}

/// An element instance waiting for a message: a catch event, a receive task, a boundary
/// event (on its activity's instance), a message event after an event-based gateway (on
/// the gateway's instance).
public struct SubscriptionRecord: Sendable, Hashable {
    public var instanceKey: Int64 = 0
    public var subscriptionKey: Int64 = 0
    /// The element instance that waits (and whose end closes the subscription).
    public var elementInstanceKey: Int64 = 0
    /// The message event that catches (the catch event, receive task or boundary event).
    public var elementIndex: Int32 = -1
    public var messageName: String = ""
    public var correlationKey: String = ""
    /// Subscriptions held on the partition of their correlation key (commands between
    /// partitions, and the `remoteSubscription` events): the instance's correlationId and
    /// journal partition, whether a message ends the wait (false for a non-interrupting
    /// boundary event), and the outbox command's source (partition, and its position << 10
    /// | its index among the commands of that step) for deduplication.
    public var correlationId: String = ""
    public var instancePartition: Int32 = -1
    public var interrupting = true
    public var sourcePartition: Int32 = -1
    public var sourceOffset: Int64 = -1

    public init(
        instanceKey: Int64 = 0, subscriptionKey: Int64 = 0, elementInstanceKey: Int64 = 0, elementIndex: Int32 = -1,
        messageName: String = "", correlationKey: String = ""
    ) {
        self.instanceKey = instanceKey
        self.subscriptionKey = subscriptionKey
        self.elementInstanceKey = elementInstanceKey
        self.elementIndex = elementIndex
        self.messageName = messageName
        self.correlationKey = correlationKey
    }
}
