import BatonLog
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Hears of appends other processes make to this process's file logs: an inotify watch on
/// each watched partition's folder, read by one thread per process. When a folder changes,
/// the partition is looked at again (`FileLog.lookForOthersAppends`), which wakes the log's
/// waiting readers if it finds another process's entries. This process's own writes change
/// the folders too; they are found known already and wake nobody.
///
/// Events are read at most once a millisecond: the kernel merges the repeated changes of a
/// file meanwhile into one event, so under load the thread wakes at most a thousand times a
/// second, and not at all while nothing is written (workers waiting for tasks on an idle
/// log used a quarter of a core polling seven topics every 2 ms).
final class AppendWatch: Sendable {
    static let shared = AppendWatch()

    private struct Watcher: @unchecked Sendable {
        weak var log: FileLog?
        let partition: TopicPartition
    }

    /// The inotify instance; -1 where there is none (then readers poll).
    private let descriptor: Int32
    private let watchers = Mutex<[Int32: [Watcher]]>([:])
    private let reading = Mutex(false)
    /// False once reading failed: readers poll again.
    private let working: Atomic<Bool>

    private init() {
        descriptor = inotify_init1(Int32(IN_CLOEXEC))
        working = Atomic(descriptor >= 0)
    }

    /// Whether appends of other processes are heard of (readers need not poll).
    var isWorking: Bool { working.load(ordering: .relaxed) }

    /// Watches `directory`, the folder of `partition` in `log`; false where it cannot.
    func watch(_ directory: String, partition: TopicPartition, of log: FileLog) -> Bool {
        guard isWorking else { return false }
        let watch = inotify_add_watch(descriptor, directory, UInt32(IN_MODIFY | IN_CREATE))
        guard watch >= 0 else { return false }
        watchers.withLock { watchers in
            var list = watchers[watch, default: []].filter { $0.log != nil }
            list.append(Watcher(log: log, partition: partition))
            watchers[watch] = list
        }
        let start = reading.withLock { reading -> Bool in
            defer { reading = true }
            return !reading
        }
        guard start else { return true }
        do {
            try DedicatedThread.start { [self] in readEvents() }
            return true
        } catch {
            working.store(false, ordering: .relaxed)
            return false
        }
    }

    private func readEvents() {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 || errno == EINTR else {
                working.store(false, ordering: .relaxed)
                return
            }
            var changed = Set<Int32>()
            var overflowed = false
            var offset = 0
            while offset + 16 <= count {
                let (watch, mask, nameBytes) = buffer.withUnsafeBytes { raw in
                    (raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                     raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                     raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                }
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    overflowed = true  // events were lost: look at every partition
                } else if mask & UInt32(IN_IGNORED) != 0 {
                    watchers.withLock { _ = $0.removeValue(forKey: watch) }  // the folder is gone
                } else {
                    changed.insert(watch)
                }
                offset += 16 + Int(nameBytes)
            }
            let due = watchers.withLock { watchers in
                overflowed ? Array(watchers.values.joined()) : changed.flatMap { watchers[$0] ?? [] }
            }
            for watcher in due { watcher.log?.lookForOthersAppends(in: watcher.partition) }
            usleep(1000)
        }
    }
}
