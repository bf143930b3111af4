import BatonLog
import Dispatch
import Synchronization

/// Partitions an engine replica was given, recovered (snapshot + tail) off its loop's
/// thread, up to `lanes` at once: the partitions it already runs keep processing while a
/// large one replays, and a partition given later does not wait behind it either.
final class PartitionRecoveries: Sendable {
    private let lanes: Int
    private let state = Mutex(State())
    private let running = DispatchGroup()

    private struct State {
        var inFlight: Set<Int32> = []
        var waiting: [(partition: Int32, make: @Sendable () throws -> PartitionProcessor)] = []
        var busyLanes = 0
        var finished: [(partition: Int32, result: Result<RecoveredPartition, any Error>)] = []
    }

    init(lanes: Int = 4) {
        self.lanes = max(1, lanes)
    }

    /// Whether `partition` is being recovered (or waits for a lane).
    func isRecovering(_ partition: Int32) -> Bool {
        state.withLock { $0.inFlight.contains(partition) }
    }

    /// Recovers `partition` with `make` on a recovery thread.
    func start(_ partition: Int32, _ make: @escaping @Sendable () throws -> PartitionProcessor) {
        state.withLock {
            $0.inFlight.insert(partition)
            $0.waiting.append((partition, make))
        }
        running.enter()
        startWaiting()
    }

    private func startWaiting() {
        while let (partition, make) = state.withLock({ state -> (Int32, @Sendable () throws -> PartitionProcessor)? in
            guard state.busyLanes < lanes, !state.waiting.isEmpty else { return nil }
            state.busyLanes += 1
            let next = state.waiting.removeFirst()
            return (next.partition, next.make)
        }) {
            // A thread of its own (recovery blocks on I/O for seconds: never on the threads
            // Swift concurrency and Dispatch share).
            let recover: @Sendable () -> Void = {
                let result = Result { RecoveredPartition(processor: try make()) }
                self.finish(partition, result)
            }
            do { try DedicatedThread.start(recover) } catch { finish(partition, .failure(error)) }
        }
    }

    private func finish(_ partition: Int32, _ result: Result<RecoveredPartition, any Error>) {
        state.withLock {
            $0.busyLanes -= 1
            $0.inFlight.remove(partition)
            $0.finished.append((partition, result))
        }
        running.leave()
        startWaiting()
    }

    /// The recoveries that finished since the last call, in the order they finished.
    func takeFinished() -> [(partition: Int32, result: Result<PartitionProcessor, any Error>)] {
        state.withLock { state in
            defer { state.finished = [] }
            return state.finished.map { ($0.partition, $0.result.map(\.processor)) }
        }
    }

    /// Returns once every recovery started has ended.
    func waitForAll() {
        running.wait()
    }
}

/// A processor handed from the recovery thread to the loop's thread; nothing touches it in
/// between.
struct RecoveredPartition: @unchecked Sendable {
    let processor: PartitionProcessor
}
