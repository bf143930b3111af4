import BatonLog
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn (output to /dev/null), for kill -9 tests and
/// for running the test binary again in a fresh process.
public struct ChildProcess: Sendable {
    public let pid: pid_t
    /// Set once the child is reaped: its pid may then belong to another process (pids are
    /// reused, and threads use them up quickly), so signals to it are no longer sent.
    private let reaped = ReapedFlag()

    final class ReapedFlag: Sendable {
        let value = Mutex(false)
    }

    /// - Parameters:
    ///   - environment: the child's whole environment (nil: this process's).
    ///   - output: a file for the child's standard output (nil: /dev/null).
    ///   - errorsToOutput: standard error into `output` too (else /dev/null).
    public static func spawn(_ path: String, _ arguments: [String], environment: [String: String]? = nil, output: String? = nil, errorsToOutput: Bool = false) throws -> ChildProcess {
        var pid: pid_t = 0
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if output != nil, errorsToOutput {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)  // standard error into the same file
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        defer { posix_spawn_file_actions_destroy(&actions) }
        let result = envp.map { envp in
            envp.withUnsafeBufferPointer { posix_spawn(&pid, path, &actions, nil, argv, UnsafeMutablePointer(mutating: $0.baseAddress)) }
        } ?? posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard result == 0 else { throw LogError("posix_spawn \(path): \(String(cString: strerror(result)))") }
        return ChildProcess(pid: pid)
    }

    init(pid: pid_t) { self.pid = pid }

    /// Sends `signal`, unless the child has been reaped (its pid may be another's by now).
    public func kill(_ signal: Int32) {
        reaped.value.withLock { reaped in
            if !reaped { _ = Glibc.kill(pid, signal) }
        }
    }

    /// The exit status if the child has ended (reaping it), nil while it runs, -1 once it
    /// has been reaped.
    public func exitStatus() -> Int32? {
        reaped.value.withLock { reaped -> Int32? in
            if reaped { return -1 }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            reaped = true
            return status & 0x7F != 0 ? 128 + (status & 0x7F) : (status >> 8) & 0xFF
        }
    }

    /// The exit status (128 + signal when killed by one), or -1 if it was already reaped.
    public func wait() -> Int32 {
        var status: Int32 = 0
        guard !reaped.value.withLock({ $0 }) else { return -1 }
        let result = waitpid(pid, &status, 0)
        guard result == pid else { return -1 }
        reaped.value.withLock { $0 = true }
        if status & 0x7F != 0 { return 128 + (status & 0x7F) }
        return (status >> 8) & 0xFF
    }
}
