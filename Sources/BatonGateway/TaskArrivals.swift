import Synchronization

/// Long-polling fetches that found nothing wait here instead of each polling the task
/// topics: one of them per set of topics is the poller (it reads the topics whenever a task
/// is published to one of them, where the log hears of that, else every millisecond), the
/// others sleep until it finds tasks, gives the role up, or their own deadline passes.
final class TaskArrivals: Sendable {
    private struct Waiter {
        let deadline: Int64
        let continuation: CheckedContinuation<Bool, Never>
    }

    private let state = Mutex<(next: UInt64, waiters: [UInt64: Waiter], pollers: Set<String>)>((0, [:], []))

    /// Makes the caller the poller of `topics` if there is none (true at once); otherwise
    /// sleeps until `wakeAll`, or until `deadline` has passed when the poller sweeps (false).
    /// Deciding and registering under one lock: a poller leaving meanwhile cannot wake the
    /// others before this caller sleeps, leaving it asleep with no poller.
    func pollOrWait(_ topics: String, until deadline: Int64) async -> Bool {
        await withCheckedContinuation { continuation in
            let poller = state.withLock { state -> Bool in
                if state.pollers.insert(topics).inserted { return true }
                state.next += 1
                state.waiters[state.next] = Waiter(deadline: deadline, continuation: continuation)
                return false
            }
            if poller { continuation.resume(returning: true) }
        }
    }

    /// Gives the poller role up and wakes everyone, so that a waiter takes it over.
    func resignPoller(of topics: String) {
        state.withLock { _ = $0.pollers.remove(topics) }
        wakeAll()
    }

    /// Wakes every waiter (new tasks are buffered, or the poller left).
    func wakeAll() {
        let woken = state.withLock { state in
            defer { state.waiters = [:] }
            return state.waiters.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume(returning: false) }
    }

    /// The earliest deadline of the sleeping fetches: a poller wakes for it to let that one
    /// answer empty.
    func earliestDeadline() -> Int64? {
        state.withLock { $0.waiters.values.lazy.map(\.deadline).min() }
    }

    /// Wakes the waiters whose deadline has passed.
    func wakeExpired(now: Int64) {
        let woken = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            let expired = state.waiters.filter { $0.value.deadline <= now }
            for id in expired.keys { state.waiters[id] = nil }
            return expired.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume(returning: false) }
    }
}
