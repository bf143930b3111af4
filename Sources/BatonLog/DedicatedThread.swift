#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking work (file I/O with fsync, C library calls) on threads of its own, so it
/// never occupies one of Swift concurrency's few cooperative threads.
///
/// The threads are kept and reused: a worker or engine loop makes several such calls per
/// round, and starting a thread for each (as this did first) cost more than the work. A
/// call never waits for another: when every thread is busy, another is started.
public enum DedicatedThread {
    /// Runs `body` on a blocking thread and resumes when it returns.
    public static func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            do {
                try BlockingThreads.shared.submit {
                    do {
                        continuation.resume(returning: try body())
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Starts `body` on a blocking thread without waiting for it.
    public static func start(_ body: @escaping @Sendable () -> Void) throws {
        try BlockingThreads.shared.submit(body)
    }

    struct ThreadStartError: Error, CustomStringConvertible {
        let code: Int32
        var description: String { "pthread_create failed with \(code)" }
    }
}

/// Threads that wait for jobs; one more is started whenever the jobs waiting outnumber the
/// idle threads, so a job never waits behind another that blocks.
final class BlockingThreads: @unchecked Sendable {
    static let shared = BlockingThreads()

    private final class Job {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    // Guarded by `mutex`.
    private var jobs: [Job] = []
    private var head = 0
    private var idle = 0

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    func submit(_ body: @escaping () -> Void) throws {
        pthread_mutex_lock(mutex)
        jobs.append(Job(body))
        let waiting = jobs.count - head
        let startAnother = idle < waiting
        if !startAnother { pthread_cond_signal(condition) }
        pthread_mutex_unlock(mutex)
        if startAnother { try start() }
    }

    private func start() throws {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { argument in
            let threads = Unmanaged<BlockingThreads>.fromOpaque(argument!).takeRetainedValue()
            threads.serve()
            return nil
        }, box)
        guard created == 0 else {
            Unmanaged<BlockingThreads>.fromOpaque(box).release()
            throw DedicatedThread.ThreadStartError(code: created)
        }
        pthread_detach(thread)
    }

    /// Takes jobs for ever (the process ends with its threads).
    private func serve() {
        while true {
            pthread_mutex_lock(mutex)
            while head == jobs.count {
                idle += 1
                pthread_cond_wait(condition, mutex)
                idle -= 1
            }
            let job = jobs[head]
            head += 1
            if head > 1024, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            pthread_mutex_unlock(mutex)
            job.body()
        }
    }
}
