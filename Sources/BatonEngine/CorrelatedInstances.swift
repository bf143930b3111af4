/// The keys of the active instances of one correlationId, oldest first. Almost always one
/// (one order, one instance), so the first is held inline and only the rare extra ones (a
/// `createInstance` with `allowDuplicate`) take an array: a waiting instance costs its
/// correlation index no allocation of its own.
public struct CorrelatedInstances: Sendable, Hashable, Sequence {
    public private(set) var first: Int64
    private var others: [Int64] = []

    init(_ key: Int64) {
        first = key
    }

    public var count: Int { 1 + others.count }

    /// Adds `key` in key order (instances of one correlationId are created, and keyed, in
    /// journal order, so this appends; a snapshot's instances may come in any order).
    mutating func insert(_ key: Int64) {
        if key < first {
            others.insert(first, at: 0)
            first = key
        } else {
            others.insert(key, at: others.firstIndex { $0 > key } ?? others.endIndex)
        }
    }

    /// Without `key`; nil when it was the last one.
    func removing(_ key: Int64) -> CorrelatedInstances? {
        let left = filter { $0 != key }
        guard let head = left.first else { return nil }
        var rest = CorrelatedInstances(head)
        rest.others = Array(left.dropFirst())
        return rest
    }

    public func makeIterator() -> some IteratorProtocol<Int64> {
        CollectionOfOne(first).makeIterator().chained(with: others.makeIterator())
    }
}

private struct ChainedIterator<First: IteratorProtocol, Second: IteratorProtocol>: IteratorProtocol where First.Element == Second.Element {
    var first: First?
    var second: Second

    mutating func next() -> First.Element? {
        if let element = first?.next() { return element }
        first = nil
        return second.next()
    }
}

extension IteratorProtocol {
    fileprivate func chained<Other: IteratorProtocol>(with other: Other) -> ChainedIterator<Self, Other> where Other.Element == Element {
        ChainedIterator(first: self, second: other)
    }
}

extension Dictionary where Value == CorrelatedInstances {
    /// Records `instanceKey` as active for `correlationId`.
    mutating func add(_ instanceKey: Int64, for correlationId: Key) {
        if let index = index(forKey: correlationId) {
            values[index].insert(instanceKey)
        } else {
            self[correlationId] = CorrelatedInstances(instanceKey)
        }
    }

    /// Forgets `instanceKey` for `correlationId` (and the correlationId with its last one).
    mutating func remove(_ instanceKey: Int64, for correlationId: Key) {
        guard let keys = self[correlationId] else { return }
        self[correlationId] = keys.removing(instanceKey)
    }
}
