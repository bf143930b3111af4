import BatonBPMN
import BatonModel
import BatonTestSupport

/// Builds random block-structured BPMN processes from every element kind the engine runs:
/// sequences, parallel / exclusive / inclusive blocks, embedded sub-processes, service,
/// user and script tasks, timer catch events, error and timer boundary events, terminate
/// and error end events. The text goes through the real reader and compiler.
struct RandomProcess {
    private var generator: SplitMix64
    private var nodes: [String] = []
    private var counter = 0
    private(set) var text = ""

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
        let start = id("start")
        let end = id("end")
        var body: [String] = ["<bpmn:startEvent id=\"\(start)\"/>", "<bpmn:endEvent id=\"\(end)\"/>"]
        let (entry, exit) = block(depth: 0, into: &body)
        body.append(flow(start, entry))
        body.append(flow(exit, end))
        text = body.joined(separator: "\n")
    }

    private mutating func id(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)\(counter)"
    }

    private mutating func pick(_ count: Int) -> Int { Int(generator.next() % UInt64(count)) }

    private mutating func flow(_ source: String, _ target: String, condition: String? = nil) -> String {
        let flowId = id("f")
        guard let condition else { return "<bpmn:sequenceFlow id=\"\(flowId)\" sourceRef=\"\(source)\" targetRef=\"\(target)\"/>" }
        return "<bpmn:sequenceFlow id=\"\(flowId)\" sourceRef=\"\(source)\" targetRef=\"\(target)\"><bpmn:conditionExpression>\(condition)</bpmn:conditionExpression></bpmn:sequenceFlow>"
    }

    private mutating func serviceTask(_ taskId: String, retries: Int) -> String {
        "<bpmn:serviceTask id=\"\(taskId)\"><bpmn:extensionElements><zeebe:taskDefinition type=\"t\(pick(3))\" retries=\"\(retries)\"/></bpmn:extensionElements></bpmn:serviceTask>"
    }

    /// Emits a block and returns its entry and exit element ids.
    private mutating func block(depth: Int, into body: inout [String]) -> (String, String) {
        let choice = depth >= 3 ? pick(5) : pick(12)
        switch choice {
        case 0, 1:
            let task = id("task")
            body.append(serviceTask(task, retries: 1 + pick(3)))
            return (task, task)
        case 2:
            let task = id("user")
            body.append("<bpmn:userTask id=\"\(task)\"/>")
            return (task, task)
        case 3:
            let script = id("script")
            body.append("<bpmn:scriptTask id=\"\(script)\"><bpmn:extensionElements><zeebe:script expression=\"=r\(pick(3)) + \(pick(10))\" resultVariable=\"r\(pick(3))\"/></bpmn:extensionElements></bpmn:scriptTask>")
            return (script, script)
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
            let kind = ["parallelGateway", "exclusiveGateway", "inclusiveGateway"][choice - 6]
            let fork = id("fork")
            let join = id("join")
            let branches = 2 + pick(2)
            var defaultFlow: String?
            var flows: [String] = []
            for branch in 0..<branches {
                let (entry, exit) = block(depth: depth + 1, into: &body)
                let isDefault = kind != "parallelGateway" && branch == branches - 1
                let condition = kind == "parallelGateway" || isDefault ? nil : "=r\(pick(3)) &gt; \(pick(100))"
                let out = flow(fork, entry, condition: condition)
                if isDefault { defaultFlow = out.split(separator: "\"")[1].description }
                flows.append(out)
                flows.append(flow(exit, join))
            }
            let defaultAttribute = defaultFlow.map { " default=\"\($0)\"" } ?? ""
            let joinKind = kind == "exclusiveGateway" ? "exclusiveGateway" : kind
            body.append("<bpmn:\(kind) id=\"\(fork)\"\(defaultAttribute)/>")
            body.append("<bpmn:\(joinKind) id=\"\(join)\"/>")
            body.append(contentsOf: flows)
            return (fork, join)
        case 9:
            let sub = id("sub")
            var inner: [String] = []
            let start = id("subStart")
            let end = id("subEnd")
            let (entry, exit) = block(depth: depth + 1, into: &inner)
            inner.append("<bpmn:startEvent id=\"\(start)\"/>")
            inner.append(flow(start, entry))
            // Sometimes the sub-process throws an error at its end, caught on its boundary.
            if pick(3) == 0 {
                inner.append("<bpmn:endEvent id=\"\(end)\"><bpmn:errorEventDefinition errorRef=\"E1\"/></bpmn:endEvent>")
            } else {
                inner.append("<bpmn:endEvent id=\"\(end)\"/>")
            }
            inner.append(flow(exit, end))
            body.append("<bpmn:subProcess id=\"\(sub)\">\n\(inner.joined(separator: "\n"))\n</bpmn:subProcess>")
            let boundary = id("subCatch")
            body.append("<bpmn:boundaryEvent id=\"\(boundary)\" attachedToRef=\"\(sub)\"><bpmn:errorEventDefinition errorRef=\"E1\"/></bpmn:boundaryEvent>")
            let merge = id("merge")
            body.append("<bpmn:exclusiveGateway id=\"\(merge)\"/>")
            body.append(flow(sub, merge))
            body.append(flow(boundary, merge))
            return (sub, merge)
        case 10:
            // A task with an error boundary (E1) and a timer boundary, each to its own path.
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
            return (task, merge)
        default:
            // A parallel split where one branch may end the whole scope (terminate end).
            let fork = id("split")
            let stop = id("stop")
            let (entry, exit) = block(depth: depth + 1, into: &body)
            let gate = id("gate")
            let quietEnd = id("quietEnd")
            let quietFlow = id("quiet")
            body.append("<bpmn:parallelGateway id=\"\(fork)\"/>")
            body.append("<bpmn:exclusiveGateway id=\"\(gate)\" default=\"\(quietFlow)\"/>")
            body.append("<bpmn:endEvent id=\"\(quietEnd)\"/>")
            body.append("<bpmn:endEvent id=\"\(stop)\"><bpmn:terminateEventDefinition/></bpmn:endEvent>")
            body.append(flow(fork, entry))
            body.append(flow(fork, gate))
            body.append(flow(gate, stop, condition: "=r0 &gt; 90"))
            body.append("<bpmn:sequenceFlow id=\"\(quietFlow)\" sourceRef=\"\(gate)\" targetRef=\"\(quietEnd)\"/>")
            return (fork, exit)
        }
    }
}
