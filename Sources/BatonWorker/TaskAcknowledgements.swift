import BatonLog
import Synchronization

/// Commits what was fetched from task topics in the background, so that a commit (fsyncs on
/// the file log, a broker round trip on Kafka) never holds up what is being answered: the
/// worker's next answers, the gateway's fetchAndLock responses. Under load, committing
/// inline held the gateway's responses 40-960 ms and the worker's answer loop 20-30 ms
/// every commit interval.
///
/// One commit at a time per topic, with the furthest mark waiting (a mark covers every
/// earlier one). A commit that fails is kept for the next one and reported by the next
/// `acknowledge` of any topic. Nothing depends on a commit being done before the answer it
/// covers: a worker that dies first leaves those tasks to be fetched again, and the engine
/// refuses answers and claims it already has.
public final class TaskAcknowledgements: Sendable {
    let transport: any TaskTransport
    private let state = Mutex<(waiting: [String: [Int32: Int64]], committing: Set<String>, failure: String?)>(([:], [], nil))

    public init(transport: any TaskTransport) {
        self.transport = transport
    }

    /// Queues `mark` of `topic` for committing; throws the failure of an earlier commit.
    public func acknowledge(topic: String, through mark: [Int32: Int64]) throws {
        if let failure = state.withLock({ state -> String? in
            defer { state.failure = nil }
            return state.failure
        }) {
            throw LogError("committing a task topic's position failed: \(failure)")
        }
        guard !mark.isEmpty else { return }
        // Where the transport records a mark in memory until its next commit is due (the
        // file log's), no thread is woken for it: under load that was one thread switch per
        // answered batch.
        guard transport.markAnswered(topic: topic, through: mark) else { return }
        let start = state.withLock { state -> Bool in
            // Two callers may get here out of order: per partition, the further position wins.
            state.waiting[topic, default: [:]].merge(mark, uniquingKeysWith: max)
            return state.committing.insert(topic).inserted
        }
        guard start else { return }
        do {
            try DedicatedThread.start { [self] in commitWaiting(topic) }
        } catch {
            state.withLock { _ = $0.committing.remove(topic) }
            throw error
        }
    }

    /// The committing thread of `topic`: commits the waiting mark until none is left.
    private func commitWaiting(_ topic: String) {
        while let next = state.withLock({ state -> [Int32: Int64]? in
            guard let next = state.waiting.removeValue(forKey: topic) else {
                state.committing.remove(topic)
                return nil
            }
            return next
        }) {
            do {
                try transport.acknowledge(topic: topic, through: next)
            } catch {
                state.withLock { state in
                    state.failure = "topic '\(topic)': \(error)"
                    state.waiting[topic, default: [:]].merge(next, uniquingKeysWith: max)
                    state.committing.remove(topic)
                }
                return
            }
        }
    }

    /// Waits for the running commits, then commits what still waits (before leaving the
    /// groups); throws the last failure.
    public func drain() async throws {
        while state.withLock({ !$0.committing.isEmpty }) {
            try? await Task.sleep(nanoseconds: 1_000_000)
        }
        let (waiting, failure) = state.withLock { state in
            defer { state.waiting = [:]; state.failure = nil }
            return (state.waiting, state.failure)
        }
        let transport = transport
        for (topic, mark) in waiting.sorted(by: { $0.key < $1.key }) {
            try await DedicatedThread.run { try transport.acknowledge(topic: topic, through: mark) }
        }
        if let failure, waiting.isEmpty { throw LogError("committing a task topic's position failed: \(failure)") }
    }
}
