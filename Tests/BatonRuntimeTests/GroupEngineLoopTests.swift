import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An engine replica given several partitions recovers them off its loop's thread: a
/// partition whose recovery takes long (a million instances to load) does not hold up the
/// others, whether they were given before or with it (issue 14).
struct GroupEngineLoopTests {
    /// Gives the replica `partitions` at its first poll.
    final class GivenPartitions: PartitionOwnership {
        var partitions: [Int32]
        init(_ partitions: [Int32]) { self.partitions = partitions }
        func poll() -> (assigned: [Int32], revoked: [Int32]) {
            defer { partitions = [] }
            return (partitions, [])
        }
    }

    final class Gate: Sendable {
        let isOpen = Mutex(false)
    }

    /// No snapshot; loading one for `slow` waits until the gate opens.
    struct GatedSnapshots: SnapshotStorage {
        let slow: Int32
        let partition: Int32
        let gate: Gate
        func write(_ state: EngineState, cursor: Int64, processes: ProcessRegistry) throws {}
        func loadNewest(processes: ProcessRegistry, warn: (String) -> Void) -> (state: EngineState, cursor: Int64)? {
            while partition == slow, !gate.isOpen.withLock({ $0 }) { usleep(1_000) }
            return nil
        }
    }

    /// Synchronous, its loop on a thread of its own: nothing here waits for Swift
    /// concurrency's few threads, which other tests of a full run keep busy.
    @Test func aSlowRecoveryDoesNotHoldUpThePartitionsAlreadyRunning() throws {
        let log = MemoryLog(topics: [Topics.journal: 2])
        try DeploymentCatalog.deploy(try POSIX.readFile(RuntimeTests.order), fileName: "order-process.bpmn", to: log)
        let gate = Gate()
        let loop = GroupEngineLoop(log: log, snapshots: { GatedSnapshots(slow: 1, partition: $0, gate: gate) }, clock: WallClockMilliseconds.now, warn: { _ in })
        let stopped = Gate()
        try DedicatedThread.start {
            do { try loop.runBlocking(ownership: GivenPartitions([1, 0])) } catch { Issue.record("the loop failed: \(error)") }
            stopped.isOpen.withLock { $0 = true }
        }

        // An order on partition 0 starts while partition 1 is still recovering.
        let commands = CommandWriter(log: log)
        let order = try #require((0..<100).map { "order-\($0)" }.first { (try? commands.partition(of: $0)) == 0 })
        try commands.append([.command(.createInstance, key: order, value: .instance(InstanceRecord(processId: "order-process", processVersion: 1)), timestamp: WallClockMilliseconds.now())], partition: 0)
        let started = WallClockMilliseconds.now()
        while loop.current.instancesCreated < 1, WallClockMilliseconds.now() - started < 20_000 { usleep(10_000) }
        #expect(loop.current.instancesCreated == 1)
        #expect(loop.partitions == [0])

        gate.isOpen.withLock { $0 = true }
        let opened = WallClockMilliseconds.now()
        while loop.partitions != [0, 1], WallClockMilliseconds.now() - opened < 20_000 { usleep(10_000) }
        #expect(loop.partitions == [0, 1])
        loop.stop()
        while !stopped.isOpen.withLock({ $0 }) { usleep(10_000) }
    }
}
