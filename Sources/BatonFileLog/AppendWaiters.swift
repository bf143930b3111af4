import Synchronization

/// Readers of this process waiting for an append to a topic (`Log.waitForAppend`). An
/// append with nobody waiting costs one atomic load; one with waiters wakes those of its
/// topic. A reader that registers just after the append it wanted waits its timeout, as
/// polling would.
///
/// Workers of the in-process demo and bench polled their task topics every 2 ms when idle:
/// each task hop waited about 2-3 ms for that poll (p50 "task created -> answer command"
/// 4-5 ms at 600 orders/s in `baton bench`).
final class AppendWaiters: Sendable {
    private struct Waiter {
        let topic: String
        let continuation: CheckedContinuation<Void, Never>
    }

    private let waiting = Atomic<Int>(0)
    private let waiters = Mutex<(next: UInt64, byId: [UInt64: Waiter])>((0, [:]))

    /// Wakes the readers waiting for `topic`.
    func appended(to topic: String) {
        guard waiting.load(ordering: .acquiring) > 0 else { return }
        let woken = waiters.withLock { state -> [CheckedContinuation<Void, Never>] in
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, waiter) in state.byId where waiter.topic == topic {
                woken.append(waiter.continuation)
                state.byId[id] = nil
            }
            waiting.subtract(woken.count, ordering: .releasing)
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns at the next append to `topic` in this process, or after `milliseconds`.
    func wait(for topic: String, milliseconds: UInt64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let id = waiters.withLock { state -> UInt64 in
                state.next += 1
                state.byId[state.next] = Waiter(topic: topic, continuation: continuation)
                waiting.add(1, ordering: .releasing)
                return state.next
            }
            Task { [self] in
                try? await Task.sleep(nanoseconds: milliseconds * 1_000_000)
                expire(id)
            }
        }
    }

    private func expire(_ id: UInt64) {
        let waiter = waiters.withLock { state -> Waiter? in
            guard let waiter = state.byId.removeValue(forKey: id) else { return nil }
            waiting.subtract(1, ordering: .releasing)
            return waiter
        }
        waiter?.continuation.resume()
    }
}
