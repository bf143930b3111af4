import BatonTestSupport
import BatonBPMN
import Testing

/// One test per validation rule: each names the element id, its kind and the line.
struct ValidationTests {
    /// Compiles `content` and returns its problems.
    func problems(_ content: String, declarations: String = "") throws -> [BPMNProblem] {
        try compileOne(bpmnDocument(content, declarations: declarations)).problems
    }

    func only(_ rule: BPMNProblem.Rule, in problems: [BPMNProblem]) throws -> BPMNProblem {
        #expect(problems.count == 1, "\(problems)")
        let problem = try #require(problems.first)
        #expect(problem.rule == rule)
        #expect(problem.line > 0)
        #expect(problem.description.hasPrefix("test.bpmn:\(problem.line): \(problem.elementKind) '\(problem.elementId)'"))
        return problem
    }

    @Test func flowToMissingElement() throws {
        let problem = try only(.flowEndpointMissing, in: problems("""
            <bpmn:startEvent id="s"/>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="nowhere"/>
            """))
        #expect(problem.elementId == "f" && problem.elementKind == "sequenceFlow" && problem.line == 6)
        #expect(problem.message.contains("'nowhere'"))
    }

    @Test func flowAcrossSubProcessBoundary() throws {
        let found = try problems("""
            <bpmn:startEvent id="s"/>
            <bpmn:subProcess id="sub"><bpmn:startEvent id="in"/><bpmn:endEvent id="ie"/>
              <bpmn:sequenceFlow id="fi" sourceRef="in" targetRef="ie"/></bpmn:subProcess>
            <bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>
            <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="e"/>
            <bpmn:sequenceFlow id="bad" sourceRef="s" targetRef="ie"/>
            """)
        #expect(found.map(\.rule) == [.flowCrossesScope])
        #expect(found.first?.elementId == "bad")
    }

    @Test func unreachableElement() throws {
        let problem = try only(.unreachable, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>
            <bpmn:task id="island"/>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>
            """))
        #expect(problem.elementId == "island" && problem.elementKind == "task" && problem.line == 6)
    }

    @Test func gatewayWithoutOutgoingFlow() throws {
        let problem = try only(.gatewayWithoutOutgoing, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:parallelGateway id="g"/>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="g"/>
            """))
        #expect(problem.elementId == "g" && problem.elementKind == "parallelGateway")
    }

    @Test func exclusiveGatewayWithTwoUnconditionedFlowsAndNoDefault() throws {
        let problem = try only(.exclusiveGatewayAmbiguous, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"/><bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="g"/>
            <bpmn:sequenceFlow id="fa" sourceRef="g" targetRef="a"/>
            <bpmn:sequenceFlow id="fb" sourceRef="g" targetRef="b"/>
            """))
        #expect(problem.elementId == "g" && problem.message.contains("'fa', 'fb'"))
    }

    @Test func exclusiveGatewayWithConditionsAndDefaultIsValid() throws {
        #expect(try problems("""
            <bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="fb"/><bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="g"/>
            <bpmn:sequenceFlow id="fa" sourceRef="g" targetRef="a"><bpmn:conditionExpression>=x &gt; 1</bpmn:conditionExpression></bpmn:sequenceFlow>
            <bpmn:sequenceFlow id="fb" sourceRef="g" targetRef="b"/>
            """) == [])
    }

    @Test func defaultFlowThatIsNotOutgoing() throws {
        let problem = try only(.defaultFlowInvalid, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="f"/><bpmn:endEvent id="a"/>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="g"/>
            <bpmn:sequenceFlow id="fa" sourceRef="g" targetRef="a"/>
            """))
        #expect(problem.elementId == "g")
    }

    @Test func conditionThatDoesNotParse() throws {
        let problem = try only(.conditionInvalid, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="fb"/><bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="g"/>
            <bpmn:sequenceFlow id="fa" sourceRef="g" targetRef="a"><bpmn:conditionExpression>=amount &gt;</bpmn:conditionExpression></bpmn:sequenceFlow>
            <bpmn:sequenceFlow id="fb" sourceRef="g" targetRef="b"/>
            """))
        #expect(problem.elementId == "fa" && problem.message.contains("=amount >"))
    }

    @Test func conditionOnAFlowThatNeverEvaluatesIt() throws {
        let problem = try only(.conditionIgnored, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"><bpmn:conditionExpression>=true</bpmn:conditionExpression></bpmn:sequenceFlow>
            """))
        #expect(problem.elementId == "f")
    }

    @Test(arguments: [
        "<bpmn:serviceTask id=\"t\"/>",
        "<bpmn:serviceTask id=\"t\" camunda:class=\"com.example.Delegate\"/>",
        "<bpmn:serviceTask id=\"t\"><bpmn:extensionElements><zeebe:taskDefinition type=\"\"/></bpmn:extensionElements></bpmn:serviceTask>",
    ])
    func serviceTaskWithoutTopic(_ task: String) throws {
        let problem = try only(.serviceTaskWithoutTopic, in: problems("""
            <bpmn:startEvent id="s"/>\(task)<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>
            """))
        #expect(problem.elementId == "t" && problem.elementKind == "serviceTask" && problem.line == 5)
    }

    @Test func retriesThatAreNotANumber() throws {
        let problem = try only(.retriesInvalid, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:serviceTask id="t"><bpmn:extensionElements>
            <zeebe:taskDefinition type="x" retries="many"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>
            """))
        #expect(problem.message.contains("'many'"))
    }

    @Test(arguments: [
        ("camunda:class=\"com.acme.Charge\"", "camunda:class=\"com.acme.Charge\""),
        ("camunda:delegateExpression=\"${chargeDelegate}\"", "camunda:delegateExpression=\"${chargeDelegate}\""),
        ("camunda:expression=\"${payments.charge(order)}\"", "camunda:expression=\"${payments.charge(order)}\""),
    ])
    func javaServiceTasksAreNamedWithTheWayOut(_ attribute: String, _ expected: String) throws {
        let problem = try only(.serviceTaskWithoutTopic, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:serviceTask id="t" \(attribute)/>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>
            """))
        #expect(problem.message.contains(expected) && problem.message.contains("Baton cannot run") && problem.message.contains("camunda:type=\"external\""), "\(problem.message)")
        #expect(problem.message.contains("--delegate-topic"), "\(problem.message)")
    }

    /// `--delegate-topic`: the same model compiles with those tasks as external tasks of the
    /// mapped topics; an implementation nobody mapped is still reported.
    @Test func javaServiceTasksRunAsExternalTasksOfTheMappedTopics() throws {
        let bytes = bpmnDocument("""
            <bpmn:startEvent id="s"/><bpmn:serviceTask id="charge" camunda:class="com.acme.Charge"/>
            <bpmn:serviceTask id="mail" camunda:delegateExpression="${mailer}"/><bpmn:serviceTask id="other" camunda:class="com.acme.Other"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="charge"/><bpmn:sequenceFlow id="f2" sourceRef="charge" targetRef="mail"/>
            <bpmn:sequenceFlow id="f3" sourceRef="mail" targetRef="other"/>
            """)
        let mapped = try BPMNDeployment.load(bytes, fileName: "c7.bpmn", delegateTopics: ["com.acme.Charge": "charge-card", "${mailer}": "send-mail"])
        let problems = mapped.processes[0].problems
        #expect(problems.map(\.elementId) == ["other"], "\(problems)")
        let all = try BPMNDeployment.load(bytes, fileName: "c7.bpmn", delegateTopics: ["com.acme.Charge": "charge-card", "${mailer}": "send-mail", "com.acme.Other": "other"])
        let process = try #require(all.processes[0].executable)
        #expect(process[element: process.elementIndex(id: "charge")!].task?.topic == "charge-card")
        #expect(process[element: process.elementIndex(id: "mail")!].task?.topic == "send-mail")
    }

    /// Listeners and data objects are read and not run: a note each, not a problem.
    @Test func listenersAndDataObjectsAreNotesNotProblems() throws {
        let compiled = try compileOne(bpmnDocument("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
            <bpmn:serviceTask id="t" camunda:type="external" camunda:topic="work"><bpmn:extensionElements>
            <camunda:executionListener class="com.acme.Audit" event="start"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:userTask id="u"><bpmn:extensionElements><zeebe:taskListeners><zeebe:taskListener eventType="creating" type="x"/></zeebe:taskListeners></bpmn:extensionElements></bpmn:userTask>
            <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="u"/>
            <bpmn:dataObjectReference id="ref" dataObjectRef="order"/><bpmn:dataObject id="order"/>
            """))
        #expect(compiled.problems == [] && compiled.executable != nil, "\(compiled.problems)")
        #expect(compiled.notes.map(\.elementId).sorted() == ["order", "ref", "t", "u"], "\(compiled.notes)")
        #expect(compiled.notes.allSatisfy { $0.rule == .ignoredByBaton })
        #expect(compiled.notes.contains { $0.message.hasPrefix("camunda:executionListener is not run") })
    }

    /// An ad-hoc sub-process is reported once; its activities (which have no start event to
    /// be reached from) are not each reported as unreachable.
    @Test func anUnsupportedSubProcessIsOneProblemNotOnePerChild() throws {
        let found = try problems("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="adhoc"/>
            <bpmn:adHocSubProcess id="adhoc"><bpmn:task id="a"/><bpmn:task id="b"/><bpmn:sequenceFlow id="i1" sourceRef="a" targetRef="b"/></bpmn:adHocSubProcess>
            """)
        #expect(found.map(\.elementId) == ["adhoc"] && found[0].rule == .unsupportedElement, "\(found)")
    }

    @Test(arguments: [
        ("<bpmn:sendTask id=\"x\"/>", "sendTask"),
        ("<bpmn:businessRuleTask id=\"x\"/>", "businessRuleTask"),
        ("<bpmn:adHocSubProcess id=\"x\"/>", "adHocSubProcess"),
        ("<bpmn:complexGateway id=\"x\"/>", "complexGateway"),
        ("<bpmn:transaction id=\"x\"/>", "transaction"),
        ("<bpmn:intermediateCatchEvent id=\"x\"><bpmn:conditionalEventDefinition/></bpmn:intermediateCatchEvent>", "conditional intermediateCatchEvent"),
        ("<bpmn:endEvent id=\"x\"><bpmn:messageEventDefinition/></bpmn:endEvent>", "message endEvent with neither a task topic"),
        ("<bpmn:intermediateThrowEvent id=\"x\"><bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>", "compensation is not supported by Baton"),
        ("<bpmn:task id=\"x\"><bpmn:standardLoopCharacteristics/></bpmn:task>", "standard loop"),
    ])
    func unsupportedElementIsListedByName(_ element: String, _ name: String) throws {
        let found = try problems("""
            <bpmn:startEvent id="s"/>\(element)<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="x"/>
            """)
        let problem = try #require(found.first { $0.rule == .unsupportedElement })
        #expect(problem.elementId == "x" && problem.line == 5)
        #expect(problem.message.contains(name))
    }

    /// Compensation is reported once per element that takes part (the boundary, the handler,
    /// the throw), with what to do instead; the handler, reached only by an association, is
    /// not also reported as unreachable.
    @Test func compensationIsReportedNotRun() throws {
        let found = try problems("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="book"/>
            <bpmn:serviceTask id="book"><bpmn:extensionElements><zeebe:taskDefinition type="book"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:boundaryEvent id="undo" attachedToRef="book"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>
            <bpmn:serviceTask id="cancel" isForCompensation="true"><bpmn:extensionElements><zeebe:taskDefinition type="cancel"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:association id="a1" sourceRef="undo" targetRef="cancel"/>
            <bpmn:sequenceFlow id="f2" sourceRef="book" targetRef="fail"/>
            <bpmn:endEvent id="fail"><bpmn:compensateEventDefinition/></bpmn:endEvent>
            """)
        #expect(found.map(\.elementId) == ["undo", "cancel", "fail"], "\(found)")
        #expect(found.allSatisfy { $0.rule == .unsupportedElement && $0.message.contains("compensation is not supported by Baton") && $0.message.contains("error boundary event") })
    }

    @Test func processWithoutNoneStartEvent() throws {
        let problem = try only(.missingStartEvent, in: problems("<bpmn:endEvent id=\"e\"/>").filter { $0.rule != .unreachable })
        #expect(problem.elementId == "p" && problem.elementKind == "process" && problem.line == 4)
    }

    @Test func boundaryEventOnMissingActivity() throws {
        let problem = try only(.boundaryEventInvalid, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>
            <bpmn:boundaryEvent id="b" attachedToRef="ghost"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>
            """).filter { $0.rule != .unreachable })
        #expect(problem.elementId == "b" && problem.message.contains("'ghost'"))
    }

    @Test func errorEndEventWithUnknownError() throws {
        let problem = try only(.errorReferenceInvalid, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:endEvent id="e"><bpmn:errorEventDefinition errorRef="nope"/></bpmn:endEvent>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>
            """))
        #expect(problem.elementId == "e" && problem.message.contains("'nope'"))
    }

    /// An <error> without a code on a boundary event catches every error (as Zeebe accepts);
    /// an error end event must still throw a code.
    @Test func anErrorWithoutACodeIsACatchAllOnABoundaryOnly() throws {
        let declarations = #"<bpmn:error id="Any" name="anything"/>"#
        let boundary = try compileOne(bpmnDocument("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>
            <bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="w"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:errorEventDefinition errorRef="Any"/></bpmn:boundaryEvent>
            <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="e2"/><bpmn:endEvent id="e2"/>
            """, declarations: declarations))
        #expect(boundary.problems == [])
        let process = try #require(boundary.executable)
        #expect(process[element: try #require(process.elementIndex(id: "b"))].errorCode == nil)
        let end = try compileOne(bpmnDocument("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>
            <bpmn:endEvent id="e"><bpmn:errorEventDefinition errorRef="Any"/></bpmn:endEvent>
            """, declarations: declarations))
        #expect(end.problems.contains { $0.rule == .errorReferenceInvalid && $0.message.contains("has no errorCode") })
    }

    @Test(arguments: ["intermediateCatchEvent", "boundaryEvent"])
    func anEventWithoutADefinitionIsInvalidNotUnsupported(_ kind: String) throws {
        let attached = kind == "boundaryEvent" ? #" attachedToRef="t""# : ""
        let found = try problems("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>
            <bpmn:task id="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="x"/>
            <bpmn:\(kind) id="x"\(attached)/>
            """)
        #expect(found.contains { $0.rule == .eventDefinitionMissing && $0.elementId == "x" && $0.message.contains("needs an event definition") }, "\(found)")
        #expect(!found.contains { $0.rule == .unsupportedElement })
    }

    @Test(arguments: ["P1M", "tomorrow", "PT", ""])
    func timerThatDoesNotParse(_ duration: String) throws {
        let problem = try only(.timerInvalid, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition>
            <bpmn:timeDuration>\(duration)</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>
            """))
        #expect(problem.elementId == "t" && problem.elementKind == "intermediateCatchEvent")
    }

    @Test func scriptTaskThatWouldRunCode() throws {
        let problem = try only(.scriptInvalid, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:scriptTask id="t" scriptFormat="groovy" camunda:resultVariable="r">
            <bpmn:script>System.exit(0)</bpmn:script></bpmn:scriptTask>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>
            """))
        #expect(problem.message.contains("groovy"))
    }

    @Test func mappingWithBrokenExpression() throws {
        let problem = try only(.mappingInvalid, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:task id="t"><bpmn:extensionElements><zeebe:ioMapping>
            <zeebe:input source="=a +" target="b"/></zeebe:ioMapping></bpmn:extensionElements></bpmn:task>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>
            """))
        #expect(problem.elementId == "t" && problem.line == 6)
    }

    @Test func duplicateIds() throws {
        let problem = try only(.duplicateId, in: problems("""
            <bpmn:startEvent id="s"/><bpmn:endEvent id="s"/>
            """).filter { $0.rule != .unreachable })
        #expect(problem.elementId == "s" && problem.elementKind == "endEvent")
    }

    @Test func everyProblemIsReportedNotJustTheFirst() throws {
        let found = try problems("""
            <bpmn:startEvent id="s"/><bpmn:serviceTask id="t"/><bpmn:sendTask id="u"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
            <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="u"/>
            <bpmn:sequenceFlow id="f3" sourceRef="u" targetRef="missing"/>
            """)
        #expect(Set(found.map(\.rule)) == [.serviceTaskWithoutTopic, .unsupportedElement, .flowEndpointMissing])
    }
}
