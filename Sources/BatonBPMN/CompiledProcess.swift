import BatonModel

/// One process of a BPMN file after compilation: always viewable, executable only when it
/// is marked executable and has no problems.
public struct CompiledProcess: Sendable, Hashable {
    /// The process as read, for viewing and drawing.
    public let process: BPMNProcess
    /// Everything Baton refuses in it, in file order.
    public let problems: [BPMNProblem]
    /// What Baton reads but does not run (listeners, data objects): said, not refused.
    public var notes: [BPMNProblem] = []
    /// The compiled graph; nil when the process cannot be started.
    public let executable: ExecutableProcess?

    public var processId: String { process.id }

    /// Why an instance of this process cannot be started, or nil if it can.
    public var startRefusal: String? {
        if !process.isExecutable {
            return "process '\(process.id)' is not executable (isExecutable is not \"true\"); it can be viewed but not started"
        }
        if !problems.isEmpty {
            return "process '\(process.id)' has \(problems.count) problem(s); the first: \(problems[0])"
        }
        return nil
    }
}

/// A BPMN file read and compiled: what `baton deploy` accepts or refuses.
public struct BPMNDeployment: Sendable, Hashable {
    public let document: BPMNDocument
    public let processes: [CompiledProcess]

    /// Problems in processes marked executable: these block deployment. Problems of
    /// non-executable processes are reported but do not block viewing them.
    public var blockingProblems: [BPMNProblem] {
        processes.filter { $0.process.isExecutable }.flatMap(\.problems)
    }

    /// Reads and compiles a file's bytes. `delegateTopics` runs Camunda 7 Java-implemented
    /// service tasks as external tasks: the attribute's value as written
    /// (`com.acme.Charge`, `${chargeDelegate}`) to the topic its workers take.
    public static func load(_ bytes: [UInt8], fileName: String, delegateTopics: [String: String] = [:]) throws(BPMNReadError) -> BPMNDeployment {
        let document = try BPMNReader.read(bytes, fileName: fileName)
        return BPMNDeployment(document: document, processes: ProcessCompiler.compile(document, delegateTopics: delegateTopics))
    }

    /// Reads and compiles a file on disk.
    public static func load(path: String, delegateTopics: [String: String] = [:]) throws(BPMNReadError) -> BPMNDeployment {
        let document = try BPMNReader.read(path: path)
        return BPMNDeployment(document: document, processes: ProcessCompiler.compile(document, delegateTopics: delegateTopics))
    }
}
