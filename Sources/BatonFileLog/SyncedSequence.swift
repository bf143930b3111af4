import BatonLog

#if canImport(Glibc)
import Glibc
#endif

/// How far one partition's writes of this process are known durable, and the fsync that
/// extends it (group commit): one append runs the fsync, the appends that wrote meanwhile
/// sleep on a condition until it is done and return if it covered them, else one of them
/// runs the next.
///
/// The fsync runs outside the lock: the waiters sleep instead of contending for a lock held
/// for the length of an fsync (a `Mutex` held across it, as first, had its waiters spin and
/// then take the kernel's priority-inheritance path; 7.5 % of the gateway benchmark's CPU
/// went to that lock with 64 requests appending at once).
final class SyncedSequence: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let finished: UnsafeMutablePointer<pthread_cond_t>
    // Guarded by `mutex`.
    private var synced: UInt64 = 0
    private var syncing = false

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        finished = .allocate(capacity: 1)
        finished.initialize(to: pthread_cond_t())
        pthread_cond_init(finished, nil)
    }

    deinit {
        pthread_cond_destroy(finished)
        pthread_mutex_destroy(mutex)
        finished.deallocate()
        mutex.deallocate()
    }

    /// The highest write sequence known durable.
    var value: UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return synced
    }

    /// Records that everything up to `sequence` is durable (made so by other means).
    func advance(to sequence: UInt64) {
        pthread_mutex_lock(mutex)
        synced = max(synced, sequence)
        pthread_mutex_unlock(mutex)
    }

    /// Returns once write `sequence` is durable: at once if it is, after the fsync in
    /// progress if that covers it, else after running `fsync`, which makes durable what was
    /// written when it started and returns the sequence it covers. An fsync that fails
    /// throws to the append that ran it; the waiters then try again themselves.
    func sync(through sequence: UInt64, _ fsync: () throws(LogError) -> UInt64) throws(LogError) {
        pthread_mutex_lock(mutex)
        while synced < sequence, syncing { pthread_cond_wait(finished, mutex) }
        guard synced < sequence else {
            pthread_mutex_unlock(mutex)
            return
        }
        syncing = true
        pthread_mutex_unlock(mutex)
        let covered: UInt64?
        let failure: LogError?
        do {
            covered = try fsync()
            failure = nil
        } catch {
            covered = nil
            failure = error
        }
        pthread_mutex_lock(mutex)
        syncing = false
        if let covered { synced = max(synced, covered) }
        pthread_cond_broadcast(finished)
        pthread_mutex_unlock(mutex)
        if let failure { throw failure }
    }
}
