import BatonEngine
import BatonLog
import BatonModel
import Dispatch
import Synchronization

/// Turns a snapshot's bytes back into a state. A large snapshot's instances are decoded on
/// a second thread while this one indexes and stores them: recovering a partition with a
/// million waiting instances does both halves at once (on two cores about half the time).
enum SnapshotDecoding {
    /// Below this many instances one thread does it all.
    static let pipelinedFrom = 20_000
    static let batchSize = 4_096

    static func state(
        from bytes: [UInt8], processes: ProcessRegistry, pipelinedFrom: Int = pipelinedFrom, batchSize: Int = batchSize
    ) throws(DecodingError) -> EngineState {
        var decoder = try SnapshotDecoder(bytes, processes: processes)
        var builder = decoder.builder()
        func onThisThread() throws(DecodingError) -> EngineState {
            while case let instances = try decoder.nextInstances(upTo: batchSize), !instances.isEmpty { builder.add(instances) }
            return try decoder.finish(builder)
        }
        guard decoder.instanceCount >= pipelinedFrom else { return try onThisThread() }
        let handoff = Handoff()
        let decoding = DecoderBox(decoder)
        let decode: @Sendable () -> Void = {
            var decoder = decoding.decoder
            do throws(DecodingError) {
                while case let instances = try decoder.nextInstances(upTo: batchSize), !instances.isEmpty { handoff.put(.instances(instances)) }
                decoding.decoder = decoder
                handoff.put(.done)
            } catch {
                handoff.put(.failed(error))
            }
        }
        do {
            try DedicatedThread.start(decode)
        } catch {
            return try onThisThread()  // no second thread to be had
        }
        while true {
            switch handoff.take() {
            case .instances(let instances): builder.add(instances)
            case .done:
                var decoder = decoding.decoder
                return try decoder.finish(builder)
            case .failed(let error): throw error
            }
        }
    }

    enum Item: Sendable {
        case instances([InstanceState])
        case done
        case failed(DecodingError)
    }

    /// Batches from the decoding thread to the building one, at most `capacity` waiting.
    final class Handoff: Sendable {
        private let items = Mutex<[Item]>([])
        private let available = DispatchSemaphore(value: 0)
        private let space: DispatchSemaphore

        init(capacity: Int = 8) {
            space = DispatchSemaphore(value: capacity)
        }

        func put(_ item: Item) {
            space.wait()
            items.withLock { $0.append(item) }
            available.signal()
        }

        func take() -> Item {
            available.wait()
            defer { space.signal() }
            return items.withLock { $0.removeFirst() }
        }
    }

    /// The decoder, handed to the decoding thread and back once it has read the instances
    /// (never used by both at once).
    final class DecoderBox: @unchecked Sendable {
        var decoder: SnapshotDecoder
        init(_ decoder: SnapshotDecoder) { self.decoder = decoder }
    }
}
