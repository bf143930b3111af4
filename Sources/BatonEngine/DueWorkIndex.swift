import BatonModel

/// Time-driven work an instance waits for: a timer to fire, a worker's lock to run out, a
/// failed task's retry timeout to pass; and a buffered message's time to live to end.
public enum DueWork: Sendable, Hashable {
    case timer(instanceKey: Int64, timerKey: Int64, dueAt: Int64)
    case lockExpiry(instanceKey: Int64, taskKey: Int64, attempt: Int32, dueAt: Int64)
    case retry(instanceKey: Int64, taskKey: Int64, attempt: Int32, dueAt: Int64)
    /// A buffered message's time to live ends (it belongs to no instance).
    case messageExpiry(messageKey: Int64, dueAt: Int64)

    /// The instance the work belongs to; 0 for a message.
    public var instanceKey: Int64 {
        switch self {
        case .timer(let instanceKey, _, _), .lockExpiry(let instanceKey, _, _, _), .retry(let instanceKey, _, _, _): instanceKey
        case .messageExpiry: 0
        }
    }

    public var dueAt: Int64 {
        switch self {
        case .timer(_, _, let dueAt), .lockExpiry(_, _, _, let dueAt), .retry(_, _, _, let dueAt), .messageExpiry(_, let dueAt): dueAt
        }
    }

    /// Timer and task keys are unique in a partition: hashing the key alone is enough and
    /// keeps the index cheap on the hot path (equality still compares every field).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(sortKey)
    }

    /// What a task waits for in its phase (nothing while it waits on an incident).
    init?(_ phase: TaskState.Phase, instanceKey: Int64, taskKey: Int64, attempt: Int32) {
        switch phase {
        case .active(let lockExpiresAt): self = .lockExpiry(instanceKey: instanceKey, taskKey: taskKey, attempt: attempt, dueAt: lockExpiresAt)
        case .waitingForRetry(let retryAt): self = .retry(instanceKey: instanceKey, taskKey: taskKey, attempt: attempt, dueAt: retryAt)
        case .incident: return nil
        }
    }

    init?(_ task: TaskState?, instanceKey: Int64) {
        guard let task else { return nil }
        self.init(task.phase, instanceKey: instanceKey, taskKey: task.key, attempt: task.attempt)
    }
}

/// Every piece of due work of a partition, bucketed by the second it is due in, kept by the
/// appliers as timers and tasks change. What is due is found in time proportional to the
/// seconds that have work in them and the work that is due, never to the active instances
/// (the runtime asks every 50 ms). Derived from the instances: rebuilt when a snapshot loads.
public struct DueWorkIndex: Sendable, Hashable {
    private var buckets: [Int64: Set<DueWork>] = [:]
    public private(set) var count = 0
    /// Buckets left empty: kept (a task usually ends right after it starts, and freeing and
    /// allocating its bucket each time costs more than the rest of the index), dropped in
    /// one sweep once there are many.
    private var emptyBuckets = 0

    public init() {}

    private static func bucket(_ dueAt: Int64) -> Int64 { dueAt >= 0 ? dueAt / 1000 : (dueAt - 999) / 1000 }

    mutating func insert(_ work: DueWork) {
        let bucket = Self.bucket(work.dueAt)
        if let index = buckets.index(forKey: bucket) {
            if buckets.values[index].isEmpty { emptyBuckets -= 1 }
            if buckets.values[index].insert(work).inserted { count += 1 }
            return
        }
        if emptyBuckets > 64 {
            buckets = buckets.filter { !$0.value.isEmpty }
            emptyBuckets = 0
        }
        buckets[bucket] = [work]
        count += 1
    }

    mutating func remove(_ work: DueWork) {
        guard let index = buckets.index(forKey: Self.bucket(work.dueAt)) else { return }
        guard buckets.values[index].remove(work) != nil else { return }
        count -= 1
        if buckets.values[index].isEmpty { emptyBuckets += 1 }
    }

    mutating func replace(_ old: DueWork?, with new: DueWork?) {
        guard old != new else { return }
        if let old { remove(old) }
        if let new { insert(new) }
    }

    /// Equal when they hold the same work, however many empty buckets each keeps.
    public static func == (left: DueWorkIndex, right: DueWorkIndex) -> Bool {
        guard left.count == right.count else { return false }
        return left.buckets.filter { !$0.value.isEmpty } == right.buckets.filter { !$0.value.isEmpty }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
    }

    /// The work due at `now`, in due order (then by kind and key, so the order is the same
    /// on every replica).
    public func due(at now: Int64) -> [DueWork] {
        let last = Self.bucket(now)
        var due: [DueWork] = []
        for (bucket, items) in buckets where bucket <= last {
            for item in items where item.dueAt <= now { due.append(item) }
        }
        return due.sorted { ($0.dueAt, $0.sortKey) < ($1.dueAt, $1.sortKey) }
    }
}

extension DueWork {
    var sortKey: Int64 {
        switch self {
        case .timer(_, let key, _), .lockExpiry(_, let key, _, _), .retry(_, let key, _, _), .messageExpiry(let key, _): key
        }
    }
}
