import BatonLog
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Thin, throwing wrappers over the POSIX calls the file log needs. Every error names the
/// path and the call.
public enum POSIX {
    public static func error(_ call: String, _ path: String) -> LogError {
        LogError("\(call) \(path): \(String(cString: strerror(errno)))")
    }

    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(LogError) -> Int32 {
        while true {
            let descriptor = Glibc.open(path, flags | O_CLOEXEC, mode)
            if descriptor >= 0 { return descriptor }
            if errno != EINTR { throw error("open", path) }
        }
    }

    public static func size(_ descriptor: Int32, _ path: String) throws(LogError) -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw error("fstat", path) }
        return Int(status.st_size)
    }

    public static func readFully(_ descriptor: Int32, count: Int, at offset: Int, _ path: String) throws(LogError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, count - filled, off_t(offset + filled)) }
            if result < 0, errno == EINTR { continue }
            guard result >= 0 else { throw error("pread", path) }
            if result == 0 { return Array(bytes.prefix(filled)) }
            filled += result
        }
        return bytes
    }

    public static func writeFully(_ descriptor: Int32, _ bytes: [UInt8], at offset: Int, _ path: String) throws(LogError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + written, bytes.count - written, off_t(offset + written)) }
            if result < 0, errno == EINTR { continue }
            guard result > 0 else { throw error("pwrite", path) }
            written += result
        }
    }

    public static func sync(_ descriptor: Int32, _ path: String) throws(LogError) {
        guard fdatasync(descriptor) == 0 else { throw error("fdatasync", path) }
    }

    public static func makeDirectories(_ path: String) throws(LogError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0, errno != EEXIST { throw error("mkdir", current) }
        }
    }

    /// fsyncs a directory so that file creations and renames in it are durable.
    public static func syncDirectory(_ path: String) throws(LogError) {
        let descriptor = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw error("fsync", path) }
    }

    /// This process's environment variables.
    public static func environment() -> [String: String] {
        var variables: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") { variables[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
            cursor += 1
        }
        return variables
    }

    public static func list(_ directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Writes a small file atomically: temporary file, fsync, rename, fsync of the directory.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(LogError) {
        // A name of its own per write: two writers of the same file (threads of one process
        // committing one position, two processes after a rebalance) never rename each
        // other's half-written file, nor find theirs gone.
        let temporary = path + ".tmp.\(getpid()).\(temporaryCounter.add(1, ordering: .relaxed).newValue)"
        let descriptor = try open(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        do throws(LogError) {
            try writeFully(descriptor, bytes, at: 0, temporary)
            guard fsync(descriptor) == 0 else { throw error("fsync", temporary) }
        } catch {
            close(descriptor)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let failure = error("rename", temporary)
            unlink(temporary)
            throw failure
        }
        try syncDirectory(directory)
    }

    private static let temporaryCounter = Atomic<UInt64>(0)
}

extension POSIX {
    /// Reads a whole (small) file.
    public static func readFile(_ path: String) throws(LogError) -> [UInt8] {
        let descriptor = try open(path, O_RDONLY)
        defer { close(descriptor) }
        return try readFully(descriptor, count: try size(descriptor, path), at: 0, path)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The folder `path` is in ("." for a bare file name).
    public static func directory(containing path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func remove(_ path: String) { unlink(path) }

    /// Removes a folder and everything in it (like `rm -rf`); a missing folder is fine.
    public static func removeTree(_ path: String) {
        guard let handle = opendir(path) else {
            unlink(path)
            return
        }
        closedir(handle)
        for name in list(path) {
            let child = path + "/" + name
            var status = stat()
            if lstat(child, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR { removeTree(child) } else { unlink(child) }
        }
        rmdir(path)
    }
}
