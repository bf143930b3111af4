import BatonTestSupport
import BatonBPMN
import BatonModel
import Testing

struct ReaderTests {
    static let simpleProcess = """
        <X:startEvent id="s"/><X:task id="t"/><X:endEvent id="e"/>
        <X:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><X:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
        """

    @Test(arguments: ["bpmn", "bpmn2", "semantic", "model", ""])
    func anyPrefixOrTheDefaultNamespaceReads(_ prefix: String) throws {
        let content = Self.simpleProcess.replacingAll("X:", with: prefix.isEmpty ? "" : prefix + ":")
        let compiled = try compileOne(bpmnDocument(content, prefix: prefix))
        #expect(compiled.problems == [])
        #expect(compiled.executable?.elements.map(\.id) == ["s", "t", "e"])
    }

    @Test func elementsOfAnotherNamespaceAreNotMistakenForBPMN() throws {
        let content = """
            <bpmn:startEvent id="s"/><other:task xmlns:other="urn:other" id="fake"/><bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>
            """
        let compiled = try compileOne(bpmnDocument(content))
        #expect(compiled.process.allFlowNodes.map(\.id) == ["s", "e"])
    }

    @Test func linesPointAtTheElement() throws {
        let document = try BPMNReader.read(bpmnDocument("\n\n<bpmn:startEvent id=\"s\"/>"), fileName: "x.bpmn")
        // Line 1: declaration, 2: definitions, 3: (declarations), 4: process, 5-6: blank, 7: the event.
        #expect(document.processes[0].scope.flowNodes[0].line == 7)
    }

    @Test func nestedSubProcessesAndBoundaryEventsAreRead() throws {
        let content = """
            <bpmn:startEvent id="s"/>
            <bpmn:subProcess id="outer"><bpmn:startEvent id="os"/>
              <bpmn:subProcess id="inner"><bpmn:startEvent id="is"/><bpmn:endEvent id="ie"/>
                <bpmn:sequenceFlow id="if" sourceRef="is" targetRef="ie"/></bpmn:subProcess>
              <bpmn:endEvent id="oe"/>
              <bpmn:sequenceFlow id="of1" sourceRef="os" targetRef="inner"/>
              <bpmn:sequenceFlow id="of2" sourceRef="inner" targetRef="oe"/>
            </bpmn:subProcess>
            <bpmn:boundaryEvent id="b" attachedToRef="outer" cancelActivity="true"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
            <bpmn:endEvent id="e"/><bpmn:endEvent id="be"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="outer"/>
            <bpmn:sequenceFlow id="f2" sourceRef="outer" targetRef="e"/>
            <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="be"/>
            """
        let compiled = try compileOne(bpmnDocument(content))
        #expect(compiled.problems == [])
        let process = try #require(compiled.executable)
        let outer = process.elementIndex(id: "outer")!
        let inner = process.elementIndex(id: "inner")!
        #expect(process[element: inner].scope == outer)
        #expect(process[element: process.elementIndex(id: "ie")!].scope == inner)
        #expect(process[element: outer].innerStartEvent == process.elementIndex(id: "os"))
        #expect(process[element: process.elementIndex(id: "b")!].errorCode == nil)  // catches every error
        #expect(process[element: outer].boundaryEvents == [process.elementIndex(id: "b")!])
    }

    @Test func eventDefinitionsLoopsAndMessagesAreKept() throws {
        let declarations = """
            <bpmn:message id="m" name="paid"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements></bpmn:message>
            <bpmn:signal id="sig" name="stop"/><bpmn:escalation id="esc" escalationCode="E1"/>
            <bpmn:error id="err" errorCode="E"/>
            """
        let content = """
            <bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
            <bpmn:serviceTask id="t"><bpmn:multiInstanceLoopCharacteristics isSequential="true">
              <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item"/></bpmn:extensionElements>
            </bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>
            <bpmn:intermediateThrowEvent id="x"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:intermediateThrowEvent>
            <bpmn:callActivity id="c" calledElement="other"/>
            """
        let document = try BPMNReader.read(bpmnDocument(content, declarations: declarations), fileName: "x")
        #expect(document.messages == [BPMNMessage(id: "m", name: "paid", correlationKey: "=orderId", line: 3)])
        #expect(document.signals.map(\.id) == ["sig"])
        #expect(document.escalations.map(\.code) == ["E1"])
        #expect(document.errors.map(\.errorCode) == ["E"])
        let nodes = document.processes[0].scope.flowNodes
        #expect(nodes[0].eventDefinitions == [.message(messageRef: "m")])
        #expect(nodes[1].loop?.isSequential == true)
        #expect(nodes[1].loop?.inputCollection == "=items")
        #expect(nodes[2].eventDefinitions == [.signal(signalRef: "sig")])
        #expect(nodes[3].calledElement == "other")
    }

    @Test func diagramInterchangeIsRead() throws {
        let text = """
            <?xml version="1.0"?>
            <definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" \
            xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI">
            <process id="p"><startEvent id="s"/></process>
            <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="pl" bpmnElement="p">
              <bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="1" y="2.5" width="36" height="36"/>
                <bpmndi:BPMNLabel><dc:Bounds x="0" y="40" width="50" height="14"/></bpmndi:BPMNLabel></bpmndi:BPMNShape>
              <bpmndi:BPMNEdge id="e_di" bpmnElement="f"><di:waypoint x="10" y="20"/><di:waypoint x="30" y="40"/></bpmndi:BPMNEdge>
            </bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>
            """
        let document = try BPMNReader.read(Array(text.utf8), fileName: "x")
        let plane = try #require(document.diagrams.first?.planes.first)
        #expect(plane.bpmnElement == "p")
        #expect(plane.shapes.first?.bounds == BPMNBounds(x: 1, y: 2.5, width: 36, height: 36))
        #expect(plane.shapes.first?.labelBounds == BPMNBounds(x: 0, y: 40, width: 50, height: 14))
        #expect(plane.edges.first?.waypoints == [BPMNPoint(x: 10, y: 20), BPMNPoint(x: 30, y: 40)])
    }

    @Test func nonExecutableProcessLoadsButRefusesToStart() throws {
        let compiled = try compileOne(bpmnDocument(Self.simpleProcess.replacingAll("X:", with: "bpmn:"), executable: false))
        #expect(compiled.problems == [])
        #expect(compiled.executable == nil)
        #expect(compiled.startRefusal?.contains("not executable") == true)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
