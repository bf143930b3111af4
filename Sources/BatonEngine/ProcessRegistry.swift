import BatonModel

/// A deployed process version with what the engine precomputes for it. Immutable and
/// shared: passing it around costs one reference count, never a copy of the graph.
public final class DeployedProcess: Sendable {
    public let process: ExecutableProcess
    public let version: Int32
    /// Dense index in the registry; instances refer to their definition by it, so the hot
    /// loop never hashes a process id.
    public let definition: Int32
    /// The deployment (the deployments topic position of its file) it came with; -1 when
    /// not known. Processes of one file share it: what a call activity bound by
    /// deployment calls.
    public let deployment: Int64
    /// Hot copies of per-element facts, read without copying an `ExecutableElement`.
    let kinds: [ElementKind]
    let joins: [Bool]
    /// Whether the element is the activity inside a multi-instance body.
    let multiInstanceInner: [Bool]
    let flowTargets: [Int32]
    /// For each inclusive joining gateway: the elements from which a token can still reach
    /// it (within its scope, not through the gateway itself).
    let inclusiveUpstream: [Int32: Set<Int32>]
    /// The event sub-processes of each scope: by the sub-process's element index, -1 for
    /// the process scope.
    let eventSubProcesses: [Int32: [Int32]]
    /// The compiled graph's checksum (`ExecutableProcess.graphChecksum`), which snapshots
    /// name for every definition their instances run.
    public let graphChecksum: UInt64

    init(process: ExecutableProcess, version: Int32, definition: Int32, deployment: Int64) {
        self.process = process
        self.version = version
        self.definition = definition
        self.deployment = deployment
        kinds = process.elements.map(\.kind)
        joins = process.elements.map { ($0.kind == .parallelGateway || $0.kind == .inclusiveGateway) && $0.incoming.count > 1 }
        multiInstanceInner = process.elements.map { element in element.scope.map { process[element: $0].kind == .multiInstanceBody } ?? false }
        flowTargets = process.flows.map(\.target)
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
            }
            upstream[gateway] = seen
        }
        inclusiveUpstream = upstream
        var eventSubProcesses: [Int32: [Int32]] = [:]
        for (index, element) in process.elements.enumerated() where element.kind == .eventSubProcess {
            eventSubProcesses[element.scope ?? -1, default: []].append(Int32(index))
        }
        self.eventSubProcesses = eventSubProcesses
        graphChecksum = process.graphChecksum
    }

    /// True when the element is a gateway that joins (more than one incoming flow).
    @inline(__always) func isJoin(_ element: Int32) -> Bool { joins[Int(element)] }
    @inline(__always) func kind(_ element: Int32) -> ElementKind { kinds[Int(element)] }
    @inline(__always) func isMultiInstanceInner(_ element: Int32) -> Bool { multiInstanceInner[Int(element)] }
}

/// The deployed process versions the engine may run. Definitions are immutable; a command
/// names the exact version it wants (DESIGN.md §6).
public struct ProcessRegistry: Sendable {
    private var byId: [String: [Int32: Int32]] = [:]
    private(set) var definitions: [DeployedProcess] = []
    /// Processes with a message start event of each message name (in any version).
    private var startedByMessage: [String: Set<String>] = [:]
    /// Processes with a signal start event of each signal name (in any version).
    private var startedBySignal: [String: Set<String>] = [:]
    /// Processes with a timer start event (in any version).
    public private(set) var startedByTimer: Set<String> = []

    public init() {}

    /// Adds the next version of `process` and returns its version number. `deployment`
    /// identifies the file it came with (the deployments topic position), shared by every
    /// process of that file.
    @discardableResult
    public mutating func deploy(_ process: ExecutableProcess, deployment: Int64 = -1) -> Int32 {
        let version = (byId[process.processId]?.keys.max() ?? 0) + 1
        let definition = Int32(definitions.count)
        definitions.append(DeployedProcess(process: process, version: version, definition: definition, deployment: deployment))
        byId[process.processId, default: [:]][version] = definition
        for start in process.messageStartEvents {
            if let name = process[element: start].message?.name { startedByMessage[name, default: []].insert(process.processId) }
        }
        if !process.timerStartEvents.isEmpty { startedByTimer.insert(process.processId) }
        for start in process.signalStartEvents {
            if let name = process[element: start].message?.name { startedBySignal[name, default: []].insert(process.processId) }
        }
        return version
    }

    /// The latest version of each process whose message start event waits for `name`, with
    /// that start event, in process id order.
    public func messageStarts(named name: String) -> [(process: DeployedProcess, startEvent: Int32)] {
        latestStarts(of: startedByMessage[name], named: name, \.messageStartEvents)
    }

    /// The latest version of each process whose signal start event waits for `name`, with
    /// that start event, in process id order.
    public func signalStarts(named name: String) -> [(process: DeployedProcess, startEvent: Int32)] {
        latestStarts(of: startedBySignal[name], named: name, \.signalStartEvents)
    }

    private func latestStarts(
        of ids: Set<String>?, named name: String, _ starts: KeyPath<ExecutableProcess, [Int32]>
    ) -> [(process: DeployedProcess, startEvent: Int32)] {
        guard let ids else { return [] }
        return ids.sorted().compactMap { id in
            guard let version = latestVersion(of: id), let deployed = process(id: id, version: version),
                let start = deployed.process[keyPath: starts].first(where: { deployed.process[element: $0].message?.name == name })
            else { return nil }
            return (deployed, start)
        }
    }

    public func process(id: String, version: Int32) -> DeployedProcess? {
        byId[id]?[version].map { definitions[Int($0)] }
    }

    public func latestVersion(of id: String) -> Int32? { byId[id]?.keys.max() }

    /// The version of `id` that `binding` picks for a call from `caller`, or nil.
    public func version(of id: String, _ binding: CallDefinition.Binding, calledFrom caller: DeployedProcess) -> Int32? {
        switch binding {
        case .latest: return latestVersion(of: id)
        case .version(let version): return byId[id]?[version] != nil ? version : nil
        case .deployment:
            guard caller.deployment >= 0 else { return nil }
            return byId[id]?.values.map { definitions[Int($0)] }.first { $0.deployment == caller.deployment }?.version
        case .versionTag(let tag):
            return byId[id]?.values.map { definitions[Int($0)] }.filter { $0.process.versionTag == tag }.map(\.version).max()
        }
    }

    @inline(__always) subscript(definition: Int32) -> DeployedProcess { definitions[Int(definition)] }
}
