import BatonModel

/// A deployed process version with what the engine precomputes for it.
public struct DeployedProcess: Sendable {
    public let process: ExecutableProcess
    public let version: Int32
    /// For each inclusive joining gateway: the elements from which a token can still reach
    /// it (within its scope, not through the gateway itself).
    let inclusiveUpstream: [Int32: Set<Int32>]

    public init(process: ExecutableProcess, version: Int32) {
        self.process = process
        self.version = version
        var upstream: [Int32: Set<Int32>] = [:]
        for (index, element) in process.elements.enumerated()
        where element.kind == .inclusiveGateway && element.incoming.count > 1 {
            let gateway = Int32(index)
            var seen: Set<Int32> = []
            var pending = element.incoming.map { process[flow: $0].source }
            while let next = pending.popLast() {
                guard next != gateway, seen.insert(next).inserted else { continue }
                let candidate = process[element: next]
                pending.append(contentsOf: candidate.incoming.map { process[flow: $0].source })
                if let activity = candidate.attachedTo { pending.append(activity) }
                // A token inside a sub-process that leads here counts as at the sub-process.
            }
            upstream[gateway] = seen
        }
        self.inclusiveUpstream = upstream
    }

    /// True when the element is a gateway that joins (more than one incoming flow).
    func isJoin(_ element: Int32) -> Bool {
        let kind = process[element: element].kind
        return (kind == .parallelGateway || kind == .inclusiveGateway) && process[element: element].incoming.count > 1
    }
}

/// The deployed process versions the engine may run. Definitions are immutable; a command
/// names the exact version it wants (DESIGN.md §6).
public struct ProcessRegistry: Sendable {
    private var versions: [String: [Int32: DeployedProcess]] = [:]

    public init() {}

    /// Adds the next version of `process` and returns its version number.
    @discardableResult
    public mutating func deploy(_ process: ExecutableProcess) -> Int32 {
        let version = (versions[process.processId]?.keys.max() ?? 0) + 1
        versions[process.processId, default: [:]][version] = DeployedProcess(process: process, version: version)
        return version
    }

    public func process(id: String, version: Int32) -> DeployedProcess? { versions[id]?[version] }

    public func latestVersion(of id: String) -> Int32? { versions[id]?.keys.max() }
}
