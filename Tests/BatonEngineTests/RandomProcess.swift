import BatonBPMN
import BatonModel
import BatonTestSupport

/// Builds random block-structured BPMN processes; the text goes through the real reader and
/// compiler.
///
/// `.everything` uses every element kind the engine runs: sequences, parallel / exclusive /
/// inclusive blocks, forks whose extra branches end in their own none or terminate end
/// events, chains of non-waiting elements of unequal length, embedded sub-processes nested
/// to depth 3, service, user and script tasks, timer catch events, error and timer boundary
/// events, terminate and error end events, multi-instance service tasks and sub-processes,
/// call activities (of the process in `declarations`), event sub-processes (timer, timer
/// cycle, signal, escalation and error starts) in sub-processes, escalation and signal throw
/// events, non-interrupting timer-cycle and signal boundary events, and a timer start event
/// beside the none start.
///
/// `.differential` keeps to what Baton and SpiffWorkflow both run (none start and end,
/// terminate end, service and script tasks, the three gateways, embedded sub-processes) and
/// can be written in either engine's dialect from the same seed: Baton's (Camunda 8
/// extensions, FEEL) or Spiff's (service tasks as user tasks, which wait for the test to
/// complete them; Python conditions and scripts). Conditions read only the inputs r0...r2
/// and scripts write variables nothing reads, because Spiff copies variables per token and
/// merges them at joins where Camunda and Baton share one scope.
struct RandomProcess {
    /// What every random process needs beside it: the error its error events throw, and
    /// the process its call activities call (one service task, or an error end event).
    static let declarations = """
        <bpmn:error id="E1" errorCode="E1"/>
        <bpmn:escalation id="X1" escalationCode="X1"/>
        <bpmn:signal id="S1" name="sig-1"/>
        <bpmn:process id="called" isExecutable="true">
        <bpmn:startEvent id="calledStart"/><bpmn:sequenceFlow id="calledFlow1" sourceRef="calledStart" targetRef="calledWork"/>
        <bpmn:serviceTask id="calledWork"><bpmn:extensionElements><zeebe:taskDefinition type="t0"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:sequenceFlow id="calledFlow2" sourceRef="calledWork" targetRef="calledEnd"/><bpmn:endEvent id="calledEnd"/>
        </bpmn:process>
        """

    enum Subset { case everything, differential }
    enum Dialect { case baton, spiff }

    private let subset: Subset
    private let dialect: Dialect
    private var generator: SplitMix64
    private var counter = 0
    private(set) var text = ""
    /// The sub-processes that enclose each element, outermost first.
    private var scopes: [String: [String]] = [:]
    private var currentScopes: [String] = []
    /// How many inclusive forks enclose the block being generated.
    private var inclusiveDepth = 0
    /// Every sequence flow as (source, target).
    private var flows: [(String, String)] = []
    /// The ids of the terminate end events.
    private(set) var terminateEnds: [String] = []

    init(seed: UInt64, subset: Subset = .everything, dialect: Dialect = .baton) {
        self.subset = subset
        self.dialect = dialect
        generator = SplitMix64(seed: seed)
        let start = id("start")
        let end = id("end")
        var body: [String] = ["<bpmn:startEvent id=\"\(start)\"/>", "<bpmn:endEvent id=\"\(end)\"/>"]
        let (entry, exit) = block(depth: 0, into: &body)
        body.append(flow(start, entry))
        body.append(flow(exit, end))
        // In `.everything`, one process in four also starts by a repeating timer.
        if subset == .everything, pick(4) == 0 {
            let tick = id("tick")
            body.append("<bpmn:startEvent id=\"\(tick)\"><bpmn:timerEventDefinition><bpmn:timeCycle>R\(1 + pick(3))/PT\(10 + pick(50))S</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>")
            body.append(flow(tick, entry))
        }
        text = body.joined(separator: "\n")
    }

    /// Elements that may run concurrently with terminate end `terminate` inside the scope it
    /// ends: those of that scope (or nested in it) from which no path leads to the terminate
    /// end. Which of them complete before it fires depends on the order in which an engine
    /// runs concurrent tokens, which BPMN leaves open.
    func racingWith(terminate: String) -> Set<String> {
        guard let scope = scopes[terminate] else { return [] }
        var upstream: Set<String> = [terminate]
        var pending = [terminate]
        while let next = pending.popLast() {
            for (source, target) in flows where target == next && upstream.insert(source).inserted { pending.append(source) }
        }
        return Set(scopes.compactMap { element, path -> String? in
            guard path.starts(with: scope), element != terminate else { return nil }
            // An element nested deeper runs when the sub-process holding it (at this level) runs.
            let representative = path.count > scope.count ? path[scope.count] : element
            return upstream.contains(representative) ? nil : element
        })
    }

    private mutating func id(_ prefix: String) -> String {
        counter += 1
        let name = "\(prefix)\(counter)"
        scopes[name] = currentScopes
        return name
    }

    private mutating func pick(_ count: Int) -> Int { Int(generator.next() % UInt64(count)) }

    private mutating func flow(_ source: String, _ target: String, condition: String? = nil) -> String {
        flows.append((source, target))
        let flowId = id("f")
        scopes[flowId] = nil
        guard let condition else { return "<bpmn:sequenceFlow id=\"\(flowId)\" sourceRef=\"\(source)\" targetRef=\"\(target)\"/>" }
        return "<bpmn:sequenceFlow id=\"\(flowId)\" sourceRef=\"\(source)\" targetRef=\"\(target)\"><bpmn:conditionExpression>\(condition)</bpmn:conditionExpression></bpmn:sequenceFlow>"
    }

    /// `r<variable> > <threshold>` in the dialect.
    private func condition(_ variable: Int, _ threshold: Int) -> String {
        dialect == .baton ? "=r\(variable) &gt; \(threshold)" : "r\(variable) &gt; \(threshold)"
    }

    private mutating func serviceTask(_ taskId: String, retries: Int) -> String {
        let topic = pick(3)
        guard dialect == .baton else { return "<bpmn:userTask id=\"\(taskId)\"/>" }
        return "<bpmn:serviceTask id=\"\(taskId)\"><bpmn:extensionElements><zeebe:taskDefinition type=\"t\(topic)\" retries=\"\(retries)\"/></bpmn:extensionElements>\(multiInstance())</bpmn:serviceTask>"
    }

    /// In `.everything`, one activity in four runs as multi-instance: parallel or
    /// sequential, over 0 to 3 items (a cardinality or a list), sometimes collecting
    /// `loopCounter`s, sometimes ending early by a completion condition.
    private mutating func multiInstance() -> String {
        guard subset == .everything, pick(4) == 0 else { return "" }
        let sequential = pick(2) == 0 ? "true" : "false"
        let count = pick(4)
        let condition = pick(3) == 0 ? "<bpmn:completionCondition>=nrOfCompletedInstances &gt;= \(1 + pick(2))</bpmn:completionCondition>" : ""
        if pick(2) == 0 {
            return "<bpmn:multiInstanceLoopCharacteristics isSequential=\"\(sequential)\"><bpmn:loopCardinality>=\(count)</bpmn:loopCardinality>\(condition)</bpmn:multiInstanceLoopCharacteristics>"
        }
        let items = (0..<count).map { String($0) }.joined(separator: ", ")
        return "<bpmn:multiInstanceLoopCharacteristics isSequential=\"\(sequential)\"><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection=\"=[\(items)]\" inputElement=\"item\" outputCollection=\"c\(counter)\" outputElement=\"=loopCounter\"/></bpmn:extensionElements>\(condition)</bpmn:multiInstanceLoopCharacteristics>"
    }

    /// A script task. In `.differential` it writes a variable of its own; one in twelve
    /// divides by zero, which both engines treat as a failure of the task (an incident),
    /// except inside the branches of an inclusive fork: Spiff's inclusive join fires without
    /// the token of a failed task, where Baton (as Zeebe) keeps the join waiting for it
    /// until the incident is resolved.
    private mutating func scriptTask() -> String {
        let script = id("script")
        let (input, addend, output) = (pick(3), pick(10), pick(3))
        let failing = subset == .differential && pick(12) == 0 && inclusiveDepth == 0
        let result = subset == .differential ? "s\(counter)" : "r\(output)"
        let expression = failing ? "r\(input) / (r\(input) - r\(input))" : "r\(input) + \(addend)"
        guard dialect == .baton else {
            return "<bpmn:scriptTask id=\"\(script)\" scriptFormat=\"python\"><bpmn:script>\(result) = \(expression)</bpmn:script></bpmn:scriptTask>"
        }
        return "<bpmn:scriptTask id=\"\(script)\"><bpmn:extensionElements><zeebe:script expression=\"=\(expression)\" resultVariable=\"\(result)\"/></bpmn:extensionElements></bpmn:scriptTask>"
    }

    /// Emits a block and returns its entry and exit element ids.
    private mutating func block(depth: Int, into body: inout [String]) -> (String, String) {
        let choice: Int
        switch subset {
        case .everything: choice = depth >= 3 ? pick(5) : pick(15)
        case .differential: choice = depth >= 3 ? [0, 3, 13][pick(3)] : [0, 1, 3, 5, 6, 7, 8, 9, 11, 12, 13, 14][pick(12)]
        }
        switch choice {
        case 0, 1:
            let task = id("task")
            body.append(serviceTask(task, retries: 1 + pick(3)))
            return (task, task)
        case 2:
            // One in three is a call activity of `called` (declared beside, `declarations`).
            if subset == .everything, pick(3) == 0 {
                let call = id("call")
                body.append("<bpmn:callActivity id=\"\(call)\"><bpmn:extensionElements><zeebe:calledElement processId=\"called\"/></bpmn:extensionElements>\(multiInstance())</bpmn:callActivity>")
                return (call, call)
            }
            let task = id("user")
            body.append("<bpmn:userTask id=\"\(task)\"/>")
            return (task, task)
        case 3:
            let script = scriptTask()
            body.append(script)
            let scriptId = script.split(separator: "\"")[1].description
            return (scriptId, scriptId)
        case 4:
            let timer = id("wait")
            body.append("<bpmn:intermediateCatchEvent id=\"\(timer)\"><bpmn:timerEventDefinition><bpmn:timeDuration>PT\(1 + pick(5))S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>")
            return (timer, timer)
        case 5:
            let (firstIn, firstOut) = block(depth: depth + 1, into: &body)
            let (secondIn, secondOut) = block(depth: depth + 1, into: &body)
            body.append(flow(firstOut, secondIn))
            return (firstIn, secondOut)
        case 6, 7, 8:
            return fork(["parallelGateway", "exclusiveGateway", "inclusiveGateway"][choice - 6], depth: depth, danglingEnds: false, into: &body)
        case 9:
            return subProcess(depth: depth, into: &body)
        case 10:
            return guardedTask(depth: depth, into: &body)
        case 11, 12:
            // A fork whose extra branches end in their own end events, beside the ones that join.
            return fork(choice == 11 ? "parallelGateway" : "inclusiveGateway", depth: depth, danglingEnds: true, into: &body)
        case 13:
            return chain(into: &body)
        default:
            return terminateSplit(depth: depth, into: &body)
        }
    }

    /// One to four non-waiting elements in a row (scripts, none throw events, pass-through
    /// gateways): branches of unequal length that a token runs through in one step.
    private mutating func chain(into body: inout [String]) -> (String, String) {
        var ids: [String] = []
        for _ in 0...pick(4) {
            switch pick(3) {
            case 0:
                let script = scriptTask()
                body.append(script)
                ids.append(script.split(separator: "\"")[1].description)
            case 1:
                let pass = id("pass")
                body.append("<bpmn:exclusiveGateway id=\"\(pass)\"/>")
                ids.append(pass)
            default:
                let event = id("event")
                // In `.everything`, one in four throws an escalation (X1) or a signal (sig-1).
                let thrown = subset == .everything ? pick(8) : 7
                let definition = thrown == 0 ? "<bpmn:escalationEventDefinition escalationRef=\"X1\"/>" : thrown == 1 ? "<bpmn:signalEventDefinition signalRef=\"S1\"/>" : ""
                body.append("<bpmn:intermediateThrowEvent id=\"\(event)\">\(definition)</bpmn:intermediateThrowEvent>")
                ids.append(event)
            }
        }
        for (from, to) in zip(ids, ids.dropFirst()) { body.append(flow(from, to)) }
        return (ids.first!, ids.last!)
    }

    /// A gateway block. With `danglingEnds`, one or two extra branches (a chain, or a block)
    /// end in a none end event, or sometimes a terminate end event, instead of joining.
    private mutating func fork(_ kind: String, depth: Int, danglingEnds: Bool, into body: inout [String]) -> (String, String) {
        let fork = id("fork")
        let join = id("join")
        let joined = danglingEnds ? 1 + pick(2) : 2 + pick(2)
        let dangling = danglingEnds ? 1 + pick(2) : 0
        var defaultFlow: String?
        var flows: [String] = []
        if kind == "inclusiveGateway" { inclusiveDepth += 1 }
        defer { if kind == "inclusiveGateway" { inclusiveDepth -= 1 } }
        for branch in 0..<(joined + dangling) {
            let isDangling = branch >= joined
            let (entry, exit) = isDangling && pick(2) == 0 ? chain(into: &body) : block(depth: depth + 1, into: &body)
            let isDefault = kind != "parallelGateway" && branch == 0
            let condition = kind == "parallelGateway" || isDefault ? nil : self.condition(pick(3), pick(100))
            let out = flow(fork, entry, condition: condition)
            if isDefault { defaultFlow = out.split(separator: "\"")[1].description }
            flows.append(out)
            if isDangling {
                let terminate = pick(4) == 0
                let end = id(terminate ? "kill" : "branchEnd")
                if terminate {
                    terminateEnds.append(end)
                    body.append("<bpmn:endEvent id=\"\(end)\"><bpmn:terminateEventDefinition/></bpmn:endEvent>")
                } else {
                    body.append("<bpmn:endEvent id=\"\(end)\"/>")
                }
                flows.append(flow(exit, end))
            } else {
                flows.append(flow(exit, join))
            }
        }
        let defaultAttribute = defaultFlow.map { " default=\"\($0)\"" } ?? ""
        body.append("<bpmn:\(kind) id=\"\(fork)\"\(defaultAttribute)/>")
        body.append("<bpmn:\(kind) id=\"\(join)\"/>")
        body.append(contentsOf: flows)
        return (fork, join)
    }

    /// An embedded sub-process. In `.everything` it sometimes throws an error at its end,
    /// caught on its boundary.
    private mutating func subProcess(depth: Int, into body: inout [String]) -> (String, String) {
        let sub = id("sub")
        currentScopes.append(sub)
        var inner: [String] = []
        let start = id("subStart")
        let end = id("subEnd")
        let (entry, exit) = block(depth: depth + 1, into: &inner)
        inner.append("<bpmn:startEvent id=\"\(start)\"/>")
        inner.append(flow(start, entry))
        let throwsError = subset == .everything && pick(3) == 0
        if throwsError {
            inner.append("<bpmn:endEvent id=\"\(end)\"><bpmn:errorEventDefinition errorRef=\"E1\"/></bpmn:endEvent>")
        } else {
            inner.append("<bpmn:endEvent id=\"\(end)\"/>")
        }
        inner.append(flow(exit, end))
        if subset == .everything, pick(6) == 0 { inner.append(eventSubProcess()) }
        currentScopes.removeLast()
        body.append("<bpmn:subProcess id=\"\(sub)\">\n\(multiInstance())\(inner.joined(separator: "\n"))\n</bpmn:subProcess>")
        guard subset == .everything else { return (sub, sub) }
        let boundary = id("subCatch")
        body.append("<bpmn:boundaryEvent id=\"\(boundary)\" attachedToRef=\"\(sub)\"><bpmn:errorEventDefinition errorRef=\"E1\"/></bpmn:boundaryEvent>")
        let merge = id("merge")
        body.append("<bpmn:exclusiveGateway id=\"\(merge)\"/>")
        body.append(flow(sub, merge))
        body.append(flow(boundary, merge))
        return (sub, merge)
    }

    /// An event sub-process of the enclosing sub-process: a timer start (interrupting or
    /// not; a non-interrupting one may be a cycle), a signal or escalation start
    /// (interrupting or not) or an error start (catching E1 before the sub-process's
    /// boundary does), then a service task and an end.
    private mutating func eventSubProcess() -> String {
        let esp = id("esp")
        currentScopes.append(esp)
        let start = id("espStart")
        let task = id("espTask")
        let end = id("espEnd")
        let kind = pick(6)
        let interrupting = kind == 0 || pick(2) == 0
        let trigger: String
        switch kind {
        case 0: trigger = "<bpmn:errorEventDefinition errorRef=\"E1\"/>"
        case 1: trigger = "<bpmn:escalationEventDefinition escalationRef=\"X1\"/>"
        case 2: trigger = "<bpmn:signalEventDefinition signalRef=\"S1\"/>"
        case 3 where !interrupting: trigger = "<bpmn:timerEventDefinition><bpmn:timeCycle>R\(1 + pick(3))/PT\(5 + pick(20))S</bpmn:timeCycle></bpmn:timerEventDefinition>"
        default: trigger = "<bpmn:timerEventDefinition><bpmn:timeDuration>PT\(1 + pick(20))S</bpmn:timeDuration></bpmn:timerEventDefinition>"
        }
        let text = """
            <bpmn:subProcess id="\(esp)" triggeredByEvent="true">
            <bpmn:startEvent id="\(start)" isInterrupting="\(interrupting)">\(trigger)</bpmn:startEvent>
            \(serviceTask(task, retries: 1))<bpmn:endEvent id="\(end)"/>\(flow(start, task))\(flow(task, end))
            </bpmn:subProcess>
            """
        currentScopes.removeLast()
        return text
    }

    /// A task with an error boundary (E1) and a timer boundary, each to its own path.
    private mutating func guardedTask(depth: Int, into body: inout [String]) -> (String, String) {
        let task = id("guarded")
        body.append(serviceTask(task, retries: 1 + pick(2)))
        let error = id("caught")
        let timer = id("late")
        body.append("<bpmn:boundaryEvent id=\"\(error)\" attachedToRef=\"\(task)\"><bpmn:errorEventDefinition errorRef=\"E1\"/></bpmn:boundaryEvent>")
        body.append("<bpmn:boundaryEvent id=\"\(timer)\" attachedToRef=\"\(task)\"><bpmn:timerEventDefinition><bpmn:timeDuration>PT\(30 + pick(60))S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>")
        let merge = id("merge")
        body.append("<bpmn:exclusiveGateway id=\"\(merge)\"/>")
        body.append(flow(task, merge))
        let (handlerIn, handlerOut) = block(depth: depth + 1, into: &body)
        body.append(flow(error, handlerIn))
        body.append(flow(handlerOut, merge))
        body.append(flow(timer, merge))
        // Sometimes also a non-interrupting boundary that repeats (a timer cycle) or waits
        // for sig-1, each to an end of its own.
        if pick(3) == 0 {
            let extra = id("notice")
            let definition = pick(2) == 0
                ? "<bpmn:timerEventDefinition><bpmn:timeCycle>R\(1 + pick(3))/PT\(5 + pick(20))S</bpmn:timeCycle></bpmn:timerEventDefinition>"
                : "<bpmn:signalEventDefinition signalRef=\"S1\"/>"
            let noted = id("noted")
            body.append("<bpmn:boundaryEvent id=\"\(extra)\" attachedToRef=\"\(task)\" cancelActivity=\"false\">\(definition)</bpmn:boundaryEvent><bpmn:endEvent id=\"\(noted)\"/>")
            body.append(flow(extra, noted))
        }
        return (task, merge)
    }

    /// A parallel split where one branch may end the whole scope (terminate end) and
    /// otherwise ends quietly.
    private mutating func terminateSplit(depth: Int, into body: inout [String]) -> (String, String) {
        let fork = id("split")
        let (entry, exit) = block(depth: depth + 1, into: &body)
        let stop = id("stop")
        let gate = id("gate")
        let quietEnd = id("quietEnd")
        let quietFlow = id("quiet")
        scopes[quietFlow] = nil
        terminateEnds.append(stop)
        body.append("<bpmn:parallelGateway id=\"\(fork)\"/>")
        body.append("<bpmn:exclusiveGateway id=\"\(gate)\" default=\"\(quietFlow)\"/>")
        body.append("<bpmn:endEvent id=\"\(quietEnd)\"/>")
        body.append("<bpmn:endEvent id=\"\(stop)\"><bpmn:terminateEventDefinition/></bpmn:endEvent>")
        body.append(flow(fork, entry))
        body.append(flow(fork, gate))
        body.append(flow(gate, stop, condition: condition(0, 90)))
        flows.append((gate, quietEnd))
        body.append("<bpmn:sequenceFlow id=\"\(quietFlow)\" sourceRef=\"\(gate)\" targetRef=\"\(quietEnd)\"/>")
        return (fork, exit)
    }
}
