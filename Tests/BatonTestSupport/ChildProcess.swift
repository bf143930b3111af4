import BatonLog

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn (output to /dev/null), for kill -9 tests and
/// for running the test binary again in a fresh process.
public struct ChildProcess: Sendable {
    public let pid: pid_t

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

    public func kill(_ signal: Int32) { _ = Glibc.kill(pid, signal) }

    /// The exit status if the child has ended (reaping it), nil while it runs.
    public func exitStatus() -> Int32? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        if status & 0x7F != 0 { return 128 + (status & 0x7F) }
        return (status >> 8) & 0xFF
    }

    /// The exit status (128 + signal when killed by one), or -1 if it was already reaped.
    public func wait() -> Int32 {
        var status: Int32 = 0
        guard waitpid(pid, &status, 0) == pid else { return -1 }
        if status & 0x7F != 0 { return 128 + (status & 0x7F) }
        return (status >> 8) & 0xFF
    }
}
