/// Why a BPMN file could not be read at all (as opposed to a `BPMNProblem`, which is a
/// readable file whose content Baton refuses to execute).
public struct BPMNReadError: Error, Sendable, Hashable, CustomStringConvertible {
    public let fileName: String
    /// 1-based line, when the parser knew it.
    public let line: Int?
    public let message: String

    public init(fileName: String, line: Int?, message: String) {
        self.fileName = fileName
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(fileName):\(line): \(message)" }
        return "\(fileName): \(message)"
    }
}
