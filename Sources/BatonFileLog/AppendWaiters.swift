import Synchronization

/// Readers of this process waiting for an append to a topic (`Log.waitForAppend`), and a
/// count per topic of the appends heard of: this process's, and other processes' once a
/// read or the `AppendWatch` finds them. A reader takes the count before it reads and
/// waits "since" it, so an append that lands between its read and its wait wakes it at
/// once rather than after its timeout.
///
/// Workers of the in-process demo and bench polled their task topics every 2 ms when idle:
/// each task hop waited about 2-3 ms for that poll (p50 "task created -> answer command"
/// 4-5 ms at 600 orders/s in `baton bench`), and the polls of seven topics cost a quarter
/// of a core with nothing to do.
final class AppendWaiters: Sendable {
    private struct Waiter {
        let topics: Set<String>
        let continuation: CheckedContinuation<Void, Never>
        var timeout: Task<Void, Never>?
    }

    private struct State {
        var next: UInt64 = 0
        var byId: [UInt64: Waiter] = [:]
        var marks: [String: UInt64] = [:]
    }

    private let state = Mutex(State())

    /// How many appends to `topic` have been heard of so far.
    func mark(of topic: String) -> UInt64 { state.withLock { $0.marks[topic] ?? 0 } }

    /// Counts an append to `topic` and wakes the readers waiting for it.
    func appended(to topic: String) {
        let woken = state.withLock { state -> [Waiter] in
            state.marks[topic, default: 0] &+= 1
            guard !state.byId.isEmpty else { return [] }
            var woken: [Waiter] = []
            for (id, waiter) in state.byId where waiter.topics.contains(topic) {
                woken.append(waiter)
                state.byId[id] = nil
            }
            return woken
        }
        for waiter in woken {
            waiter.timeout?.cancel()
            waiter.continuation.resume()
        }
    }

    /// Returns at the first append to one of the topics of `marks` after its mark (at once
    /// if one came already), or after `milliseconds`.
    func wait(since marks: [String: UInt64], milliseconds: UInt64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let id = state.withLock { state -> UInt64? in
                guard marks.allSatisfy({ state.marks[$0.key] ?? 0 == $0.value }) else { return nil }
                state.next += 1
                state.byId[state.next] = Waiter(topics: Set(marks.keys), continuation: continuation)
                return state.next
            }
            guard let id else {
                continuation.resume()
                return
            }
            // Cancelled when an append wakes the reader first: no timer outlives its wait.
            let timeout = Task { [self] in
                try? await Task.sleep(nanoseconds: milliseconds * 1_000_000)
                expire(id)
            }
            let woken = state.withLock { state -> Bool in
                guard state.byId[id] != nil else { return true }
                state.byId[id]?.timeout = timeout
                return false
            }
            if woken { timeout.cancel() }
        }
    }

    private func expire(_ id: UInt64) {
        let waiter = state.withLock { $0.byId.removeValue(forKey: id) }
        waiter?.continuation.resume()
    }
}
