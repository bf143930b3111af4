import BatonModel

/// Where a message is addressed: its name and correlation key.
public struct MessageAddress: Sendable, Hashable {
    public let name: String
    public let correlationKey: String

    public init(name: String, correlationKey: String) {
        self.name = name
        self.correlationKey = correlationKey
    }
}

/// A subscription in the partition's index: which instance, which subscription.
public struct SubscriptionReference: Sendable, Hashable {
    public let instanceKey: Int64
    public let subscriptionKey: Int64
}

/// An element instance waiting for a message (see `SubscriptionRecord`).
public struct SubscriptionState: Sendable, Hashable {
    public let key: Int64
    public let elementInstanceKey: Int64
    /// The message event that catches (catch event, receive task, boundary event, or the
    /// event after an event-based gateway).
    public let elementIndex: Int32
    public let messageName: String
    public let correlationKey: String

    var address: MessageAddress { MessageAddress(name: messageName, correlationKey: correlationKey) }
}

/// A published message within its time to live.
public struct BufferedMessage: Sendable, Hashable {
    public let key: Int64
    public let name: String
    public let correlationKey: String
    public let variables: [String: JSONValue]
    public let expiresAt: Int64
    public let messageId: String
    /// Instances it has correlated to, in order: it correlates to each instance at most once.
    public internal(set) var correlatedInstances: [Int64] = []

    var address: MessageAddress { MessageAddress(name: name, correlationKey: correlationKey) }
}

/// The buffered messages of a partition, by key and by address (oldest first).
public struct MessageBuffer: Sendable, Hashable {
    public private(set) var messages: [Int64: BufferedMessage] = [:]
    private var byAddress: [MessageAddress: [Int64]] = [:]

    public init() {}

    public var count: Int { messages.count }

    mutating func insert(_ message: BufferedMessage) {
        messages[message.key] = message
        byAddress[message.address, default: []].append(message.key)
    }

    mutating func remove(_ key: Int64) {
        guard let message = messages.removeValue(forKey: key) else { return }
        guard var keys = byAddress.removeValue(forKey: message.address) else { return }
        keys.removeAll { $0 == key }
        if !keys.isEmpty { byAddress[message.address] = keys }
    }

    mutating func markCorrelated(_ key: Int64, instanceKey: Int64) {
        messages[key]?.correlatedInstances.append(instanceKey)
    }

    /// The oldest message at `address` that has not expired at `now` and has not yet
    /// correlated to `instanceKey`.
    func firstWaiting(at address: MessageAddress, for instanceKey: Int64, now: Int64) -> BufferedMessage? {
        for key in byAddress[address] ?? [] {
            guard let message = messages[key], message.expiresAt > now, !message.correlatedInstances.contains(instanceKey) else { continue }
            return message
        }
        return nil
    }

    /// The buffered message at `address` with this id, if any.
    func message(at address: MessageAddress, id: String) -> BufferedMessage? {
        for key in byAddress[address] ?? [] where messages[key]?.messageId == id { return messages[key] }
        return nil
    }
}

/// A subscription held on the partition of its correlation key for an instance on another
/// partition: a message published here reaches it through a `correlateSubscription`
/// command to the instance's partition (DESIGN.md §4).
public struct RemoteSubscription: Sendable, Hashable {
    public let instanceKey: Int64
    public let subscriptionKey: Int64
    public let elementInstanceKey: Int64
    public let elementIndex: Int32
    public let instancePartition: Int32
    public let correlationId: String
    /// False for a non-interrupting boundary event: it stays after a message.
    public let interrupting: Bool

    init(_ value: SubscriptionRecord) {
        instanceKey = value.instanceKey
        subscriptionKey = value.subscriptionKey
        elementInstanceKey = value.elementInstanceKey
        elementIndex = value.elementIndex
        instancePartition = value.instancePartition
        correlationId = value.correlationId
        interrupting = value.interrupting
    }
}
