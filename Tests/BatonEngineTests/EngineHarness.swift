import BatonTestSupport
import BatonBPMN
import BatonEngine
import BatonModel
import Testing

/// Given-events / when-command / then-events for the engine, with no log and no I/O: the
/// harness plays the log (assigns positions) and the clock (the commands' timestamps).
struct EngineHarness {
    var engine: Engine
    let process: ExecutableProcess
    let version: Int32
    var position: Int64 = 0
    /// The engine's clock: the step time each command is processed at.
    var now: Int64 = 1_700_000_000_000
    /// How far the producers' clocks are off the engine's: commands claim `now + skew`.
    var producerSkew: Int64 = 0
    /// Every command sent and every record produced, in order: the journal.
    private(set) var journal: [Record] = []
    var correlationId = "order-1"

    init(_ content: String, declarations: String = "", configuration: EngineConfiguration = EngineConfiguration()) throws {
        try self.init(bytes: bpmnDocument(content, declarations: declarations), configuration: configuration)
    }

    init(file: String) throws {
        let bytes = try BPMNDeployment.load(path: file)
        try self.init(deployment: bytes, configuration: EngineConfiguration())
    }

    /// Deploys the processes of `called` first, then starts the first process of `file`.
    init(file: String, calling called: [String]) throws {
        var registry = ProcessRegistry()
        for path in called {
            for compiled in try BPMNDeployment.load(path: path).processes { registry.deploy(try #require(compiled.executable)) }
        }
        let compiled = try BPMNDeployment.load(path: file).processes[0]
        let process = try #require(compiled.executable, "\(compiled.problems)")
        version = registry.deploy(process)
        self.process = process
        engine = Engine(partition: 1, processes: registry, configuration: EngineConfiguration())
    }

    init(bytes: [UInt8], configuration: EngineConfiguration) throws {
        try self.init(deployment: try BPMNDeployment.load(bytes, fileName: "test.bpmn"), configuration: configuration)
    }

    /// Deploys every process of the file; the one started is `p` (`bpmnDocument`'s), else the
    /// first. Other processes (in `declarations`) are there to be called.
    init(deployment: BPMNDeployment, configuration: EngineConfiguration) throws {
        let compiled = deployment.processes.first { $0.process.id == "p" } ?? deployment.processes[0]
        guard let process = compiled.executable else {
            Issue.record("process does not compile: \(compiled.problems)")
            throw HarnessError.notExecutable
        }
        var registry = ProcessRegistry()
        for other in deployment.processes where other.process.id != process.processId {
            guard let executable = other.executable else {
                Issue.record("process '\(other.process.id)' does not compile: \(other.problems)")
                throw HarnessError.notExecutable
            }
            registry.deploy(executable, deployment: 1)
        }
        version = registry.deploy(process, deployment: 1)
        self.process = process
        engine = Engine(partition: 1, processes: registry, configuration: configuration)
    }

    enum HarnessError: Error { case notExecutable }

    /// Appends a command at the next position and processes it. Every command's records are
    /// checked for token conservation (`TokenConservation`); a violation is a test failure.
    @discardableResult
    mutating func send(_ intent: Intent, _ value: RecordValue, key: String? = nil) -> [Record] {
        position += 1
        let command = Record.command(intent, key: key ?? correlationId, value: value, timestamp: now + producerSkew, partition: 1, position: position)
        journal.append(command)
        let before = engine.state
        let produced = engine.process(command, at: now)
        journal.append(contentsOf: produced)
        outbox += produced.filter { $0.recordType == .command && $0.partition == 1 }
        let violations = TokenConservation.check(before: before, records: produced, after: engine.state, processes: engine.processes)
        tokenViolations += violations
        if !violations.isEmpty {
            Issue.record("token conservation broken by \(intent) at position \(position):\n\(violations.joined(separator: "\n"))\n\(describe(produced).joined(separator: "\n"))")
        }
        return produced
    }

    /// Appends the commands `records` sent to this partition through the outbox (a thrown
    /// signal), as the runtime does once their step is durable; returns what they produced.
    @discardableResult
    mutating func deliverOutbox(of records: [Record]) -> [Record] {
        var produced: [Record] = []
        for command in records where command.recordType == .command && command.partition == 1 {
            produced += send(command.intent, command.value, key: command.key)
        }
        return produced
    }

    /// Commands steps sent to this partition through the outbox and not delivered yet.
    var outbox: [Record] = []

    /// Token conservation violations seen so far (each also recorded as a test issue).
    private(set) var tokenViolations: [String] = []

    @discardableResult
    mutating func start(_ variables: [String: JSONValue] = [:]) -> [Record] {
        send(.createInstance, .instance(InstanceRecord(processId: process.processId, processVersion: version, variables: variables, deploymentPosition: 1)))
    }

    /// The oldest active instance of the started process (not one a call activity started).
    var instance: InstanceState? { engine.state.instances.values.filter { $0.parentInstanceKey == 0 }.min { $0.key < $1.key } }
    var instanceKey: Int64 { instance!.key }

    /// The active task of the element with this BPMN id.
    func task(_ elementId: String) -> TaskState? {
        let index = process.elementIndex(id: elementId)
        return instance?.tasks.values.first { $0.elementIndex == index }
    }

    @discardableResult
    mutating func complete(_ elementId: String, data: JSONValue = .null, variables: [String: JSONValue] = [:], attempt: Int32? = nil) -> [Record] {
        guard let task = task(elementId) else {
            Issue.record("no active task at \(elementId)")
            return []
        }
        var value = TaskRecord(instanceKey: instanceKey, taskKey: task.key, attempt: attempt ?? task.attempt)
        value.data = data
        value.variables = variables
        return send(.completeTask, .task(value))
    }

    @discardableResult
    mutating func fail(_ elementId: String, retries: Int32, retryTimeout: Int64 = 0, message: String = "boom") -> [Record] {
        let task = task(elementId)!
        var value = TaskRecord(instanceKey: instanceKey, taskKey: task.key, attempt: task.attempt)
        value.retries = retries
        value.retryTimeout = retryTimeout
        value.errorMessage = message
        return send(.failTask, .task(value))
    }

    @discardableResult
    mutating func throwError(_ elementId: String, code: String, variables: [String: JSONValue] = [:]) -> [Record] {
        let task = task(elementId)!
        var value = TaskRecord(instanceKey: instanceKey, taskKey: task.key, attempt: task.attempt)
        value.errorCode = code
        value.variables = variables
        return send(.throwTaskError, .task(value))
    }

    @discardableResult
    mutating func taskCommand(_ intent: Intent, _ elementId: String, lockDuration: Int64 = 0, workerId: String = "") -> [Record] {
        let task = task(elementId)!
        var value = TaskRecord(instanceKey: instanceKey, taskKey: task.key, attempt: task.attempt)
        value.lockDuration = lockDuration
        value.workerId = workerId
        return send(intent, .task(value))
    }

    @discardableResult
    mutating func triggerTimer(_ elementId: String) -> [Record] {
        let index = process.elementIndex(id: elementId)
        let timer = instance!.timers.values.first { $0.elementIndex == index }!
        return send(.triggerTimer, .timer(TimerRecord(instanceKey: instanceKey, timerKey: timer.key)))
    }

    @discardableResult
    mutating func resolveIncident(retries: Int32 = 0, variables: [String: JSONValue] = [:]) -> [Record] {
        let incident = instance!.incidents.values.first!
        return send(.resolveIncident, .incident(IncidentRecord(instanceKey: instanceKey, incidentKey: incident.key, retries: retries, variables: variables)))
    }

    /// Records as short lines: `intent elementOrFlowId`, rejections with their reason.
    func describe(_ records: [Record]) -> [String] {
        records.map { record in
            if record.recordType == .rejection { return "rejected \(record.intent): \(record.rejectionReason)" }
            switch record.value {
            case .element(let value) where record.intent == .sequenceFlowTaken:
                return "\(record.intent) \(process[flow: value.flowIndex].id)"
            case .element(let value): return "\(record.intent) \(process[element: value.elementIndex].id)"
            case .task(let value): return "\(record.intent) \(process[element: value.elementIndex].id)"
            case .timer(let value): return "\(record.intent) \(process[element: value.elementIndex].id)"
            case .incident(let value) where record.intent == .incidentCreated:
                return "\(record.intent) \(process[element: value.elementIndex].id) \(value.kind)"
            case .variables(let value): return "\(record.intent) \(value.variables.keys.sorted().joined(separator: ","))"
            default: return "\(record.intent)"
            }
        }
    }

    /// The state rebuilt from scratch by applying only the journal's events and rejections.
    func replayedState() -> EngineState {
        var replica = Engine(partition: 1, processes: engine.processes, configuration: engine.configuration)
        for record in journal where record.recordType != .command { replica.apply(record) }
        return replica.state
    }
}
