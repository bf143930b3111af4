#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file, refusing files over a size limit before reading them.
enum FileBytes {
    static func read(path: String, limit: Int) throws(BPMNReadError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw BPMNReadError(fileName: path, line: nil, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw BPMNReadError(fileName: path, line: nil, message: "cannot stat: \(String(cString: strerror(errno)))")
        }
        let size = Int(status.st_size)
        guard size <= limit else {
            throw BPMNReadError(
                fileName: path, line: nil,
                message: "file is \(size) bytes; BPMN files are limited to \(limit / 1024 / 1024) MiB")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + filled, size - filled)
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw BPMNReadError(fileName: path, line: nil, message: "read failed after \(filled) of \(size) bytes")
            }
            filled += count
        }
        return bytes
    }
}
