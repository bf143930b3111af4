import BatonBPMN
import BatonEngine
import BatonLog
import BatonModel

/// A deployment as stored on the deployments topic: the BPMN file as given. Every replica
/// compiles it the same way, so versions are the same everywhere.
public struct Deployment: Sendable {
    public let fileName: String
    public let bpmn: [UInt8]

    public init(fileName: String, bpmn: [UInt8]) {
        self.fileName = fileName
        self.bpmn = bpmn
    }

    static let format: UInt8 = 1

    public var encoded: [UInt8] {
        var writer = BinaryWriter(capacity: bpmn.count + 64)
        writer.byte(Self.format)
        writer.string(fileName)
        writer.unsigned(UInt64(bpmn.count))
        writer.raw(bpmn)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = BinaryReader(bytes)
        guard try reader.byte() == Self.format else { throw reader.failure("unknown deployment format") }
        fileName = try reader.string()
        let count = try reader.count()
        bpmn = Array(bytes[reader.offset..<reader.offset + count])
    }
}

/// Every deployment read so far, compiled into a `ProcessRegistry`. Versions count per
/// process id in deployment order.
public struct DeploymentCatalog: Sendable {
    public private(set) var registry = ProcessRegistry()
    /// Deployments topic position read up to.
    public private(set) var position: Int64 = 0
    /// What was deployed: process id, version, file.
    public private(set) var versions: [(processId: String, version: Int32, fileName: String)] = []

    public init() {}

    /// Reads deployments appended since the last call. Returns true if any were new.
    @discardableResult
    public mutating func refresh(from log: any Log) throws(LogError) -> Bool {
        let partition = TopicPartition(Topics.deployments, 0)
        var changed = false
        while true {
            let entries = try log.read(partition, from: position, limit: 100)
            guard !entries.isEmpty else { return changed }
            for entry in entries {
                position = entry.position + 1
                changed = true
                guard let deployment = try? Deployment(decoding: entry.payload),
                    let compiled = try? BPMNDeployment.load(deployment.bpmn, fileName: deployment.fileName)
                else { continue }
                for process in compiled.processes {
                    guard let executable = process.executable else { continue }
                    let version = registry.deploy(executable)
                    versions.append((executable.processId, version, deployment.fileName))
                }
            }
        }
    }

    /// Checks and appends a BPMN file to the deployments topic; refuses a file whose
    /// executable processes have problems.
    @discardableResult
    public static func deploy(_ bytes: [UInt8], fileName: String, to log: any Log) throws -> DeployedFile {
        let compiled = try BPMNDeployment.load(bytes, fileName: fileName)
        let blocking = compiled.blockingProblems
        guard blocking.isEmpty else { throw DeploymentRefused(problems: blocking) }
        guard compiled.processes.contains(where: { $0.executable != nil }) else {
            throw DeploymentRefused(problems: [], reason: "\(fileName) has no executable process (isExecutable=\"true\")")
        }
        let position = try log.append([Deployment(fileName: fileName, bpmn: bytes).encoded], to: TopicPartition(Topics.deployments, 0))
        return DeployedFile(compiled: compiled, position: position)
    }
}

/// A BPMN file appended to the deployments topic.
public struct DeployedFile: Sendable {
    public let compiled: BPMNDeployment
    /// Its position in the deployments topic.
    public let position: Int64
    /// The deployments position a `createInstance` of one of its processes names
    /// (`InstanceRecord.deploymentPosition`): every replica that has read this far knows it.
    public var deploymentsEnd: Int64 { position + 1 }
}

/// A deployment refused before anything was written, with every problem.
public struct DeploymentRefused: Error, CustomStringConvertible {
    public let problems: [BPMNProblem]
    public var reason: String = ""
    public var description: String {
        reason.isEmpty ? "deployment refused:\n" + problems.map { "  \($0)" }.joined(separator: "\n") : reason
    }
}
