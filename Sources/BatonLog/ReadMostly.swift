#if canImport(Glibc)
import Glibc
#endif

/// A value read by many threads at once and rarely changed, behind a reader-writer lock:
/// readers never wait for each other.
///
/// For the log's maps of open partitions and partition counts, read on every append and
/// read by every thread: behind a `Mutex` (a priority-inheritance futex on Linux, which
/// hands the lock over through the kernel whenever two threads meet), the engine thread
/// waited there several times per step while workers polled their task topics, which made
/// up most of the engine's stalls at moderate load (found with `perf record -e
/// sched:sched_switch`).
public final class ReadMostly<Value>: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// Reads under the shared lock.
    public func read<Result>(_ body: (Value) throws -> Result) rethrows -> Result {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(value)
    }

    /// Changes under the exclusive lock.
    public func write<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(&value)
    }
}
