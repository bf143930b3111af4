import BatonModel

/// Compiles the processes of a BPMN document into executable graphs, collecting every
/// problem (not just the first) so that a modeller can fix a file in one pass.
public enum ProcessCompiler {
    /// The BPMN constructs Baton executes, named as a modeller knows them.
    public static let supportedConstructs =
        "none, message, signal and timer start events (a date, a duration after deployment, a cycle R<n>/<duration> or a cron expression; the latest version starts); none, terminate, error and signal end events; signal intermediate throw and catch events and signal boundary events (interrupting and non-interrupting); none intermediate throw event; task, manual task, service task and user task (external tasks), script task (expression), receive task; send task, business rule task, message throw and end events as external tasks (with a task topic; without one the first three publish their message to baton.messages); exclusive, parallel, inclusive and event-based gateways; embedded sub-process; intermediate timer and message catch events; intermediate link throw and catch events; error boundary event; escalation throw and end events and escalation boundary events (interrupting and non-interrupting); timer and message boundary events (interrupting and non-interrupting; timer cycles R<n>/<duration> or cron (UTC) repeat on non-interrupting ones); event sub-processes with timer, message, signal, error and escalation starts (interrupting or not; a non-interrupting timer start may repeat); call activities (the latest version, a fixed one, the caller's deployment, or a version tag; variables in and out as Camunda 7 or 8 pass them); multi-instance tasks, sub-processes and call activities (parallel or sequential, over an input collection or a loop cardinality, with output collection and completion condition)"

    public static func compile(_ document: BPMNDocument, delegateTopics: [String: String] = [:]) -> [CompiledProcess] {
        document.processes.map { process in
            var compilation = ProcessCompilation(document: document, process: process, delegateTopics: delegateTopics)
            return compilation.run()
        }
    }
}

/// The working state of compiling one process. Nodes and flows of every scope are numbered
/// in document order (pre-order through sub-processes); those numbers become the element
/// and flow indexes of the `ExecutableProcess`.
struct ProcessCompilation {
    let document: BPMNDocument
    let process: BPMNProcess
    var problems: [BPMNProblem] = []
    /// What is read and not run (`CompiledProcess.notes`).
    var notes: [BPMNProblem] = []

    var nodes: [BPMNFlowNode] = []
    /// The sub-process (node index) each node sits in; nil for the process scope.
    var nodeScopes: [Int32?] = []
    var nodeIndex: [String: Int32] = [:]
    var flows: [BPMNSequenceFlow] = []
    var flowScopes: [Int32?] = []
    var flowIndex: [String: Int32] = [:]

    /// Per node: what Baton executes it as (nil when unsupported or invalid).
    var details: [ElementDetails?] = []
    /// Per flow: resolved endpoints (nil when they do not resolve).
    var flowEndpoints: [(source: Int32, target: Int32)?] = []
    var flowConditions: [ParsedExpression?] = []
    var outgoing: [[Int32]] = []
    var incoming: [[Int32]] = []
    /// Link throw events: the link catch event each goes on at.
    var linkTargets: [Int: Int32] = [:]

    /// Camunda 7 Java implementations (class, delegate expression, expression as written)
    /// run as external tasks of these topics (`baton deploy --delegate-topic`).
    let delegateTopics: [String: String]

    init(document: BPMNDocument, process: BPMNProcess, delegateTopics: [String: String] = [:]) {
        self.document = document
        self.process = process
        self.delegateTopics = delegateTopics
    }

    mutating func run() -> CompiledProcess {
        collect(process.scope, in: nil)
        details = nodes.indices.map { classify(Int32($0)) }
        resolveFlows()
        checkGateways()
        checkBoundaryEvents()
        checkStartEvents()
        resolveLinks()
        checkReachability()
        problems.sort { ($0.line, $0.elementId) < ($1.line, $1.elementId) }
        let executable = process.isExecutable && problems.isEmpty ? build() : nil
        var compiled = CompiledProcess(process: process, problems: problems, executable: executable)
        compiled.notes = notes
        return compiled
    }

    mutating func report(
        _ rule: BPMNProblem.Rule, id: String, kind: String, line: Int, _ message: String
    ) {
        problems.append(
            BPMNProblem(
                fileName: document.fileName, processId: process.id, elementId: id, elementKind: kind,
                line: line, rule: rule, message: message))
    }

    mutating func report(_ rule: BPMNProblem.Rule, node index: Int32, _ message: String) {
        let node = nodes[Int(index)]
        report(rule, id: node.id, kind: node.kind.rawValue, line: node.line, message)
    }

    mutating func report(_ rule: BPMNProblem.Rule, flow index: Int32, _ message: String) {
        let flow = flows[Int(index)]
        report(rule, id: flow.id, kind: "sequenceFlow", line: flow.line, message)
    }

    static let dataElements: Set<String> = ["dataObject", "dataObjectReference", "dataStoreReference", "dataStore"]

    private mutating func note(id: String, kind: String, line: Int, _ message: String) {
        notes.append(BPMNProblem(
            fileName: document.fileName, processId: process.id, elementId: id, elementKind: kind, line: line, rule: .ignoredByBaton,
            message: message))
    }

    private mutating func collect(_ scope: BPMNScope, in parent: Int32?) {
        for node in scope.flowNodes {
            let index = Int32(nodes.count)
            if nodeIndex[node.id] != nil || flowIndex[node.id] != nil {
                report(.duplicateId, id: node.id, kind: node.kind.rawValue, line: node.line,
                       "another element of the process has the same id")
            } else {
                nodeIndex[node.id] = index
            }
            nodes.append(node)
            nodeScopes.append(parent)
            for listener in node.listeners {
                note(id: node.id, kind: node.kind.rawValue, line: listener.line,
                     "\(listener.name) is not run: Baton runs no code in the engine; do that work in a task's worker, or in a consumer of baton.events (which sees every element start and end)")
            }
            if let content = node.subProcess { collect(content, in: index) }
        }
        for other in scope.otherElements where Self.dataElements.contains(other.kind) {
            note(id: other.id ?? "", kind: other.kind, line: other.line,
                 "\(other.kind) is read for the diagram only: Baton keeps an instance's data in its variables")
        }
        for flow in scope.sequenceFlows {
            let index = Int32(flows.count)
            if nodeIndex[flow.id] != nil || flowIndex[flow.id] != nil {
                report(.duplicateId, id: flow.id, kind: "sequenceFlow", line: flow.line,
                       "another element of the process has the same id")
            } else {
                flowIndex[flow.id] = index
            }
            flows.append(flow)
            flowScopes.append(parent)
        }
    }

    /// Resolves each flow's endpoints, requires both in the flow's own scope, and parses
    /// conditions.
    private mutating func resolveFlows() {
        outgoing = Array(repeating: [], count: nodes.count)
        incoming = Array(repeating: [], count: nodes.count)
        for (position, flow) in flows.enumerated() {
            let index = Int32(position)
            var endpoints: (Int32, Int32)?
            if let source = resolveEndpoint(flow.sourceRef, role: "sourceRef", flow: index),
                let target = resolveEndpoint(flow.targetRef, role: "targetRef", flow: index)
            {
                endpoints = (source, target)
                outgoing[Int(source)].append(index)
                incoming[Int(target)].append(index)
            }
            flowEndpoints.append(endpoints)
            var condition: ParsedExpression?
            if let text = flow.conditionExpression, !text.isEmpty {
                do {
                    condition = try ParsedExpression.parse(text)
                } catch {
                    report(.conditionInvalid, flow: index, "conditionExpression '\(text)': \(error)")
                }
                if let (source, _) = endpoints,
                    ![.exclusiveGateway, .inclusiveGateway].contains(nodes[Int(source)].kind)
                {
                    report(.conditionIgnored, flow: index,
                           "has a condition but leaves \(nodes[Int(source)].kind.rawValue) '\(nodes[Int(source)].id)'; Baton evaluates conditions only on flows leaving exclusive or inclusive gateways")
                }
            }
            flowConditions.append(condition)
        }
    }

    private mutating func resolveEndpoint(_ id: String, role: String, flow: Int32) -> Int32? {
        guard let node = nodeIndex[id] else {
            report(.flowEndpointMissing, flow: flow, "\(role) '\(id)' names no flow node of process '\(process.id)'")
            return nil
        }
        guard nodeScopes[Int(node)] == flowScopes[Int(flow)] else {
            report(.flowCrossesScope, flow: flow,
                   "\(role) '\(id)' is in another scope; a sequence flow cannot cross a sub-process boundary")
            return nil
        }
        return node
    }
}
