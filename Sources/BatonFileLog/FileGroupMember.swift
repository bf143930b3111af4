import BatonLog
import BatonStorage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

extension FileLog: PartitionSharing {
    /// Members of a group on the file log, in any number of processes, divide a topic's
    /// partitions with `flock`ed files under `<log>/groups/<group>/`: a member holds its own
    /// file in `members/` locked while it lives, and one lock file per partition it holds in
    /// `leases/`. The kernel drops the locks of a process that dies (kill -9 included), so
    /// its partitions become free for the others.
    public func join(group: String, topic: String) throws(LogError) -> any GroupMember {
        try FileGroupMember(directory: directory + "/groups/" + group, partitionCount: try partitionCount(of: topic))
    }
}

/// A member of a consumer group on the file log (see `FileLog.join`). Every member takes
/// ceil(partitions / live members) partitions at most, so the work spreads as members join
/// and flows back as they leave or die.
final class FileGroupMember: GroupMember, @unchecked Sendable {
    let directory: String
    let partitionCount: Int32
    /// How often the member count is read again (ms).
    let rebalanceInterval: Int64 = 200
    private struct State {
        var memberDescriptor: Int32 = -1
        /// Held partitions and the descriptors of their locked lease files.
        var leases: [Int32: Int32] = [:]
        var lastRebalance: Int64?
        var left = false
    }
    private let state = Mutex(State())

    init(directory: String, partitionCount: Int32) throws(LogError) {
        self.directory = directory
        self.partitionCount = partitionCount
        try POSIX.makeDirectories(directory + "/members")
        try POSIX.makeDirectories(directory + "/leases")
        // Locked before it is visible under members/: a member seen there unlocked is dead.
        let name = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let staging = directory + "/members/.joining-" + name
        let descriptor = try POSIX.open(staging, O_CREAT | O_RDWR | O_CLOEXEC, mode: 0o644)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0, rename(staging, directory + "/members/" + name) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw LogError("joining the consumer group in \(directory): \(reason)")
        }
        state.withLock { $0.memberDescriptor = descriptor }
    }

    deinit { leave() }

    func partitions(beforeGivingBack: ([Int32]) throws(LogError) -> Void) throws(LogError) -> [Int32] {
        try state.withLock { (state: inout State) throws(LogError) -> [Int32] in
            guard !state.left else { return [] }
            let now = MonotonicClock.milliseconds()
            if state.lastRebalance.map({ now - $0 >= rebalanceInterval }) ?? true {
                state.lastRebalance = now
                let members = max(1, try liveMembers())
                let share = (Int(partitionCount) + members - 1) / members
                let extra = Array(state.leases.keys.sorted().dropFirst(share))
                if !extra.isEmpty { try beforeGivingBack(extra) }
                for partition in extra { close(state.leases.removeValue(forKey: partition)!) }
                var partition: Int32 = 0
                while state.leases.count < share, partition < partitionCount {
                    if state.leases[partition] == nil, let descriptor = try lease(partition) {
                        state.leases[partition] = descriptor
                    }
                    partition += 1
                }
            }
            return state.leases.keys.sorted()
        }
    }

    func settledPartitions() -> [Int32]? {
        state.withLock { state in
            guard !state.left else { return [] }
            guard let last = state.lastRebalance, MonotonicClock.milliseconds() - last < rebalanceInterval else { return nil }
            return state.leases.keys.sorted()
        }
    }

    func leave() {
        state.withLock { state in
            guard !state.left else { return }
            state.left = true
            for descriptor in state.leases.values { close(descriptor) }
            state.leases = [:]
            close(state.memberDescriptor)
        }
    }

    /// Locks the lease file of `partition` if no other member holds it.
    private func lease(_ partition: Int32) throws(LogError) -> Int32? {
        let descriptor = try POSIX.open("\(directory)/leases/\(partition)", O_CREAT | O_RDWR | O_CLOEXEC, mode: 0o644)
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return descriptor }
        close(descriptor)
        return nil
    }

    /// Members whose file is still locked; the files of dead members are removed.
    private func liveMembers() throws(LogError) -> Int {
        var live = 0
        for name in POSIX.list(directory + "/members") where !name.hasPrefix(".") {
            let path = directory + "/members/" + name
            let descriptor = open(path, O_RDWR | O_CLOEXEC)
            guard descriptor >= 0 else { continue }  // removed by another member just now
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                unlink(path)
            } else {
                live += 1
            }
            close(descriptor)
        }
        return live
    }
}

extension FileLog: TopicListing {
    /// Every topic with a partition count in the log folder.
    public func topicNames() throws(LogError) -> [String] {
        POSIX.list(directory).filter { access(directory + "/" + $0 + "/partitions", F_OK) == 0 }
    }

    public func reportedEnd(of partition: TopicPartition) throws(LogError) -> Int64 { try endPosition(of: partition) }
}
