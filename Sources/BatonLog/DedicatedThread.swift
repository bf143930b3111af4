#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking work (file I/O with fsync, C library calls) on a thread of its own, so
/// it never occupies one of Swift concurrency's few cooperative threads.
public enum DedicatedThread {
    private final class Job {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a new thread and resumes when it returns.
    public static func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            let job = Job {
                do {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            var thread = pthread_t()
            let box = Unmanaged.passRetained(job).toOpaque()
            let created = pthread_create(&thread, nil, { argument in
                let job = Unmanaged<Job>.fromOpaque(argument!).takeRetainedValue()
                job.body()
                return nil
            }, box)
            if created != 0 {
                Unmanaged<Job>.fromOpaque(box).release()
                continuation.resume(throwing: ThreadStartError(code: created))
            } else {
                pthread_detach(thread)
            }
        }
    }

    struct ThreadStartError: Error, CustomStringConvertible {
        let code: Int32
        var description: String { "pthread_create failed with \(code)" }
    }
}
