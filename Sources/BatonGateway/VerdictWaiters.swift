import Synchronization

/// Requests waiting for the engine's verdict on a command they appended. The read model's
/// follower answers them all after each read, so however many requests wait, one thread
/// reads the journal (rather than each request reading and sleeping on its own).
final class VerdictWaiters: Sendable {
    private struct Waiter {
        let partition: Int32
        let position: Int64
        let deadline: Int64
        let continuation: CheckedContinuation<ReadModel.Verdict?, Never>
    }

    private let state = Mutex<(next: UInt64, waiters: [UInt64: Waiter])>((0, [:]))
    private let followed = Mutex(false)

    /// Whether a follower answers waiters (else `wait` would wait for nobody).
    var isFollowed: Bool {
        get { followed.withLock { $0 } }
        set { followed.withLock { $0 = newValue } }
    }

    var hasWaiters: Bool { state.withLock { !$0.waiters.isEmpty } }

    /// Waits until `answer` finds the verdict, or until `deadline` (nil).
    func wait(partition: Int32, position: Int64, deadline: Int64) async -> ReadModel.Verdict? {
        await withCheckedContinuation { continuation in
            state.withLock { state in
                state.next += 1
                state.waiters[state.next] = Waiter(partition: partition, position: position, deadline: deadline, continuation: continuation)
            }
        }
    }

    /// Resumes every waiter whose verdict `known` has, and every one past its deadline.
    func answer(now: Int64, with known: (Int32, Int64) -> ReadModel.Verdict?) {
        let ready: [(CheckedContinuation<ReadModel.Verdict?, Never>, ReadModel.Verdict?)] = state.withLock { state in
            var ready: [(CheckedContinuation<ReadModel.Verdict?, Never>, ReadModel.Verdict?)] = []
            for (id, waiter) in state.waiters {
                if let verdict = known(waiter.partition, waiter.position) {
                    ready.append((waiter.continuation, verdict))
                } else if now >= waiter.deadline {
                    ready.append((waiter.continuation, nil))
                } else {
                    continue
                }
                state.waiters[id] = nil
            }
            return ready
        }
        for (continuation, verdict) in ready { continuation.resume(returning: verdict) }
    }
}
