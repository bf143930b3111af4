import BatonBPMN
import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Intermediate link events (issue 13): a link throw event's token goes on at the link
/// catch event of the same name in the same scope, with no sequence flow between them.
@Suite struct LinkEventTests {
    static func link(_ id: String, _ name: String, throwing: Bool) -> String {
        let kind = throwing ? "intermediateThrowEvent" : "intermediateCatchEvent"
        return #"<bpmn:\#(kind) id="\#(id)"><bpmn:linkEventDefinition name="\#(name)"/></bpmn:\#(kind)>"#
    }

    @Test func aLinkCarriesTheTokenToItsCatchEventAndALoopWaitsAtEachTask() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
            \(Self.link("back", "again", throwing: false))<bpmn:sequenceFlow id="f0" sourceRef="back" targetRef="work"/>
            <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="more"/>
            <bpmn:exclusiveGateway id="more" default="toEnd"/>
            <bpmn:sequenceFlow id="loop" sourceRef="more" targetRef="jump"><bpmn:conditionExpression>=rounds &lt; 3</bpmn:conditionExpression></bpmn:sequenceFlow>
            <bpmn:sequenceFlow id="toEnd" sourceRef="more" targetRef="end"/><bpmn:endEvent id="end"/>
            \(Self.link("jump", "again", throwing: true))
            """)
        given.start(["rounds": .number(0)])
        for round in 1...3 {
            let records = given.describe(given.complete("work", variables: ["rounds": .number(Double(round))]))
            if round < 3 {
                #expect(records.contains("elementCompleted jump") && records.contains("elementActivated back") && records.contains("taskCreated work"), "\(records)")
            } else {
                #expect(records.last == "instanceCompleted")
            }
        }
        #expect(given.instance == nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aLinkStaysInItsSubProcess() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sub"/>
            <bpmn:subProcess id="sub">
              <bpmn:startEvent id="subStart"/><bpmn:sequenceFlow id="s1" sourceRef="subStart" targetRef="out"/>
              \(Self.link("out", "x", throwing: true))\(Self.link("in", "x", throwing: false))
              <bpmn:sequenceFlow id="s2" sourceRef="in" targetRef="subEnd"/><bpmn:endEvent id="subEnd"/>
            </bpmn:subProcess>
            <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="end"/><bpmn:endEvent id="end"/>
            """)
        let records = given.describe(given.start())
        #expect(records.contains("elementActivated in") && records.contains("elementCompleted sub") && records.last == "instanceCompleted", "\(records)")
    }

    @Test(arguments: [
        (link("t", "nowhere", throwing: true), "no link catch event named 'nowhere'"),
        (link("t", "twice", throwing: true) + link("c1", "twice", throwing: false) + link("c2", "twice", throwing: false), "2 link catch events are named 'twice'"),
        (#"<bpmn:intermediateThrowEvent id="t"><bpmn:linkEventDefinition/></bpmn:intermediateThrowEvent>"#, "a link event needs a name"),
        (link("t", "on", throwing: true) + link("c", "on", throwing: false) + #"<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="bad" sourceRef="t" targetRef="e"/>"#,
         "cannot have outgoing sequence flows"),
    ])
    func badLinksAreRefusedWithTheReason(_ content: String, _ expected: String) throws {
        let compiled = try compileOne(bpmnDocument(#"<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>"# + content))
        #expect(compiled.problems.contains { $0.rule == .linkInvalid && $0.message.contains(expected) }, "\(compiled.problems)")
    }
}
