import BatonBPMN
import BatonEngine
import BatonLog
import BatonModel

#if canImport(Glibc)
import Glibc
#endif

/// A deployment as stored on the deployments topic: the BPMN file as given, and the
/// checksum of every executable process's compiled graph (`graphChecksum`), so that a
/// replica whose compiler gives another graph refuses it instead of replaying against
/// another element numbering.
public struct Deployment: Sendable {
    public let fileName: String
    public let bpmn: [UInt8]
    /// Process id and graph checksum of each executable process, in document order (empty
    /// for format 1 deployments, which predate checksums).
    public let checksums: [(processId: String, checksum: UInt64)]
    /// Camunda 7 Java implementations run as external tasks of these topics (`baton deploy
    /// --delegate-topic`); every replica compiles the file with them (format 3).
    public let delegateTopics: [String: String]

    public init(fileName: String, bpmn: [UInt8], checksums: [(processId: String, checksum: UInt64)] = [], delegateTopics: [String: String] = [:]) {
        self.fileName = fileName
        self.bpmn = bpmn
        self.checksums = checksums
        self.delegateTopics = delegateTopics
    }

    static let format: UInt8 = 3

    public var encoded: [UInt8] {
        var writer = BinaryWriter(capacity: bpmn.count + 64)
        writer.byte(Self.format)
        writer.string(fileName)
        writer.unsigned(UInt64(bpmn.count))
        writer.raw(bpmn)
        writer.unsigned(UInt64(checksums.count))
        for (processId, checksum) in checksums {
            writer.string(processId)
            writer.signed(Int64(bitPattern: checksum))
        }
        writer.unsigned(UInt64(delegateTopics.count))
        for implementation in delegateTopics.keys.sorted() {
            writer.string(implementation)
            writer.string(delegateTopics[implementation]!)
        }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = BinaryReader(bytes)
        let format = try reader.byte()
        guard (1...3).contains(format) else { throw reader.failure("deployment format \(format) is not one this Baton reads") }
        fileName = try reader.string()
        let count = try reader.count()
        bpmn = Array(bytes[reader.offset..<reader.offset + count])
        reader = BinaryReader(bytes, offset: reader.offset + count)
        var checksums: [(processId: String, checksum: UInt64)] = []
        if format >= 2 {
            for _ in 0..<(try reader.count()) { checksums.append((try reader.string(), UInt64(bitPattern: try reader.signed()))) }
        }
        self.checksums = checksums
        var delegateTopics: [String: String] = [:]
        if format >= 3 {
            for _ in 0..<(try reader.count()) { delegateTopics[try reader.string()] = try reader.string() }
        }
        self.delegateTopics = delegateTopics
    }
}

/// A deployment this replica cannot load exactly as it was deployed: reading on would give
/// versions or element numbers that differ from the other replicas', so the engine stops
/// with this error instead.
public struct DeploymentUnusable: Error, CustomStringConvertible {
    public let position: Int64
    public let fileName: String
    public let reason: String
    public var description: String {
        "deployment at position \(position) of \(Topics.deployments)\(fileName.isEmpty ? "" : " (\(fileName))") cannot be loaded: \(reason)"
    }
}

/// Every deployment read so far, compiled into a `ProcessRegistry`. Versions count per
/// process id in deployment order.
public struct DeploymentCatalog: Sendable {
    public private(set) var registry = ProcessRegistry()
    /// Deployments topic position read up to.
    public private(set) var position: Int64 = 0
    /// What was deployed: process id, version, file, and the deployment's position.
    public private(set) var versions: [(processId: String, version: Int32, fileName: String, position: Int64)] = []

    public init() {}

    /// Where each deployment's file sits, to answer a byte-identical redeploy.
    public private(set) var files: [(position: Int64, fileName: String, bpmn: [UInt8], delegateTopics: [String: String])] = []

    /// Reads deployments appended since the last call. Returns true if any were new.
    ///
    /// Versions count per process id in the topic's order, so every replica numbers them
    /// alike, provided it loads every deployment exactly: an entry that does not decode or
    /// compile here, or compiles to another graph than its checksum says, throws
    /// `DeploymentUnusable` (never skipped: skipping would shift every later version).
    @discardableResult
    public mutating func refresh(from log: any Log) throws -> Bool {
        let partition = TopicPartition(Topics.deployments, 0)
        var changed = false
        while true {
            let entries = try log.read(partition, from: position, limit: 100)
            guard !entries.isEmpty else { return changed }
            for entry in entries {
                try load(entry)
                position = entry.position + 1
                changed = true
            }
        }
    }

    /// Refreshes until the deployment at `position` is loaded: a Kafka read may come back
    /// empty before the broker delivers what was just appended. Gives up after `attempts`
    /// reads 50 ms apart and returns whether it got there.
    public mutating func refresh(from log: any Log, through position: Int64, attempts: Int = 100) throws -> Bool {
        for attempt in 0..<attempts {
            try refresh(from: log)
            if self.position > position { return true }
            if attempt + 1 < attempts { usleep(50_000) }
        }
        return false
    }

    private mutating func load(_ entry: LogEntry) throws(DeploymentUnusable) {
        let deployment: Deployment
        do {
            deployment = try Deployment(decoding: entry.payload)
        } catch {
            throw DeploymentUnusable(position: entry.position, fileName: "", reason: "it does not decode (\(error))")
        }
        let compiled: BPMNDeployment
        do {
            compiled = try BPMNDeployment.load(deployment.bpmn, fileName: deployment.fileName, delegateTopics: deployment.delegateTopics)
        } catch {
            throw DeploymentUnusable(position: entry.position, fileName: deployment.fileName, reason: "it does not read on this Baton (\(error))")
        }
        let executables = compiled.processes.compactMap(\.executable)
        guard !executables.isEmpty else {
            let problems = compiled.processes.flatMap(\.problems).prefix(3).map(\.description).joined(separator: "; ")
            throw DeploymentUnusable(position: entry.position, fileName: deployment.fileName, reason: "no process compiles on this Baton (\(problems))")
        }
        if !deployment.checksums.isEmpty {
            let here = executables.map { ($0.processId, $0.graphChecksum) }
            guard here.map(\.0) == deployment.checksums.map(\.processId), here.map(\.1) == deployment.checksums.map(\.checksum) else {
                throw DeploymentUnusable(
                    position: entry.position, fileName: deployment.fileName,
                    reason: "this Baton compiles it to another graph (processes and checksums \(here.map { "\($0.0):\(String($0.1, radix: 16))" }), deployed as \(deployment.checksums.map { "\($0.processId):\(String($0.checksum, radix: 16))" })): run the Baton version that deployed it")
            }
        }
        for executable in executables {
            let version = registry.deploy(executable, deployment: entry.position)
            versions.append((executable.processId, version, deployment.fileName, entry.position))
        }
        files.append((entry.position, deployment.fileName, deployment.bpmn, deployment.delegateTopics))
    }

    /// Checks and appends a BPMN file to the deployments topic; refuses a file whose
    /// executable processes have problems.
    @discardableResult
    public static func deploy(_ bytes: [UInt8], fileName: String, delegateTopics: [String: String] = [:], to log: any Log) throws -> DeployedFile {
        let compiled = try BPMNDeployment.load(bytes, fileName: fileName, delegateTopics: delegateTopics)
        let blocking = compiled.blockingProblems
        guard blocking.isEmpty else { throw DeploymentRefused(problems: blocking) }
        guard compiled.processes.contains(where: { $0.executable != nil }) else {
            throw DeploymentRefused(problems: [], reason: "\(fileName) has no executable process (isExecutable=\"true\")")
        }
        // The same file again (same name, same bytes) is not a new version: the deployment
        // already there answers, as Zeebe does.
        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        if let existing = catalog.files.last(where: { $0.fileName == fileName && $0.bpmn == bytes && $0.delegateTopics == delegateTopics }) {
            return DeployedFile(compiled: compiled, position: existing.position, isNew: false)
        }
        let checksums = compiled.processes.compactMap(\.executable).map { (processId: $0.processId, checksum: $0.graphChecksum) }
        let position = try log.append(
            [Deployment(fileName: fileName, bpmn: bytes, checksums: checksums, delegateTopics: delegateTopics).encoded], to: TopicPartition(Topics.deployments, 0))
        // The partition of each process id with timer start events (now, or in the version
        // this one replaces) schedules the new version's timers. A deployer that dies before
        // this leaves it to the engine that next recovers that partition.
        var requests: [Record] = []
        for process in compiled.processes.compactMap(\.executable)
        where !process.timerStartEvents.isEmpty || catalog.registry.startedByTimer.contains(process.processId) {
            let version = (catalog.registry.latestVersion(of: process.processId) ?? 0) + 1
            requests.append(StartTimerRequest.command(processId: process.processId, version: version, deploymentsEnd: position + 1, timestamp: WallClock.now()))
        }
        try CommandWriter(log: log).appendEach(requests)
        return DeployedFile(compiled: compiled, position: position, isNew: true)
    }
}

/// A BPMN file appended to the deployments topic.
public struct DeployedFile: Sendable {
    public let compiled: BPMNDeployment
    /// Its position in the deployments topic.
    public let position: Int64
    /// False when the same file (name and bytes) was deployed before: nothing was appended,
    /// and `position` is the earlier deployment's.
    public let isNew: Bool
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
