import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Planted bugs: records of correct steps, changed the way a token-flow bug would change
/// them, must each break `TokenConservation` (a checker that passes everything would let
/// the engine tests and the replay property say nothing).
struct TokenConservationTests {
    /// A correct step: the state before it, its records, and the harness for names.
    struct Step {
        let given: EngineHarness
        let before: EngineState
        let records: [Record]

        func lines() -> [String] { given.describe(records) }

        /// The violations of `records` changed by `mutate`, folded onto the state before as a
        /// replica would fold them.
        func violations(_ mutate: (inout [Record], [String]) -> Void) -> [String] {
            var mutated = records
            mutate(&mutated, lines())
            var replica = Engine(partition: 1, processes: given.engine.processes, configuration: given.engine.configuration, state: before)
            for record in mutated { replica.apply(record) }
            return TokenConservation.check(before: before, records: mutated, after: replica.state, processes: given.engine.processes)
        }
    }

    static func step(_ content: String, variables: [String: JSONValue] = [:], then act: ((inout EngineHarness) -> [Record])? = nil) throws -> Step {
        var given = try EngineHarness(content)
        var before = given.engine.state
        var records = given.start(variables)
        if let act {
            before = given.engine.state
            records = act(&given)
        }
        #expect(given.tokenViolations.isEmpty, "the unmutated step must conserve tokens")
        return Step(given: given, before: before, records: records)
    }

    static let siblingEndsFirst = """
        <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/><bpmn:endEvent id="shortEnd"/>\(TokenFlowTests.script)<bpmn:endEvent id="end"/>
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
        <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="shortEnd"/>
        <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="work"/>
        <bpmn:sequenceFlow id="f5" sourceRef="work" targetRef="end"/>
        """

    static func index(_ line: String, _ lines: [String]) -> Int { lines.firstIndex(of: line)! }

    @Test func unmutatedStepsPass() throws {
        let step = try Self.step(Self.siblingEndsFirst, variables: ["a": .number(1)])
        #expect(step.violations { _, _ in }.isEmpty)
    }

    /// The bug the issue reports: the instance completes before the last token took its flow.
    @Test func tokenLostAfterLeavingIsCaught() throws {
        let step = try Self.step(Self.siblingEndsFirst, variables: ["a": .number(1)])
        let found = step.violations { records, lines in
            records.removeSubrange(Self.index("sequenceFlowTaken f5", lines)...Self.index("elementCompleted end", lines))
        }
        #expect(found.contains { $0.contains("left and has not taken a flow") })
    }

    @Test func instanceCompletedBeforeATokenArrivesIsCaught() throws {
        let step = try Self.step(Self.siblingEndsFirst, variables: ["a": .number(1)])
        let found = step.violations { records, lines in
            let completed = records.removeLast()
            records.insert(completed, at: Self.index("elementActivated end", lines))
        }
        #expect(found.contains { $0.contains("the instance completed while a token is still on its way to 'end'") })
    }

    @Test func flowThatNeverReachesItsTargetIsCaught() throws {
        let step = try Self.step(Self.siblingEndsFirst, variables: ["a": .number(1)])
        let found = step.violations { records, lines in
            records.removeSubrange(Self.index("elementActivated end", lines)...Self.index("elementCompleted end", lines))
        }
        #expect(!found.isEmpty)
        #expect(found.contains { $0.contains("on its way to 'end'") })
    }

    @Test func activationWithoutAFlowIsCaught() throws {
        let step = try Self.step(Self.siblingEndsFirst, variables: ["a": .number(1)])
        let found = step.violations { records, lines in
            let activation = records[Self.index("elementActivated work", lines)]
            guard case .element(var value) = activation.value else { return }
            value.elementInstanceKey += 1000
            records.insert(Record(recordType: .event, intent: .elementActivated, partition: activation.partition, position: activation.position,
                                  sourcePosition: activation.sourcePosition, timestamp: activation.timestamp, key: activation.key, value: .element(value)),
                           at: Self.index("elementActivated work", lines))
        }
        #expect(found.contains { $0.contains("'work' activated with no token on its way to it") })
    }

    @Test func subProcessCompletingBeforeItsLastTokenIsCaught() throws {
        let step = try Self.step(TokenFlowTests.subProcessBranchEndsFirst, variables: ["a": .number(1)])
        let found = step.violations { records, lines in
            let completed = records.remove(at: Self.index("elementCompleted sub", lines))
            records.insert(completed, at: Self.index("sequenceFlowTaken s4", lines))
        }
        #expect(found.contains { $0.contains("sub-process 'sub' completed while") })
    }

    @Test func parallelJoinFiringBeforeEveryBranchIsCaught() throws {
        let step = try Self.step(FlowElementTests.parallel) { given in
            given.complete("b")
            return given.complete("a")
        }
        let found = step.violations { records, lines in
            records.remove(at: Self.index("sequenceFlowTaken ja", lines))
        }
        #expect(found.contains { $0.contains("parallel join 'join' fired with no token on flow 'ja'") })
    }

    @Test func instanceCompletingWithAnOpenIncidentIsCaught() throws {
        let step = try Self.step("""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
            <bpmn:scriptTask id="broken"><bpmn:extensionElements><zeebe:script expression="=1 / 0" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:serviceTask id="ship"><bpmn:extensionElements><zeebe:taskDefinition type="ship"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:endEvent id="brokenEnd"/><bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/></bpmn:endEvent>
            <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
            <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="broken"/><bpmn:sequenceFlow id="f2" sourceRef="broken" targetRef="brokenEnd"/>
            <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="ship"/><bpmn:sequenceFlow id="f4" sourceRef="ship" targetRef="stop"/>
            """) { given in given.complete("ship") }
        let found = step.violations { records, lines in
            records.remove(at: Self.index("incidentResolved", lines))
        }
        #expect(found.contains { $0.contains("completed with incident") })
    }

    @Test func terminateEndLeavingASiblingActiveIsCaught() throws {
        let step = try Self.step("""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
            <bpmn:serviceTask id="slow"><bpmn:extensionElements><zeebe:taskDefinition type="slow"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:endEvent id="slowEnd"/><bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/></bpmn:endEvent>
            <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
            <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="slow"/><bpmn:sequenceFlow id="f2" sourceRef="slow" targetRef="slowEnd"/>
            <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="stop"/>
            """)
        let found = step.violations { records, lines in
            records.removeSubrange(Self.index("taskCanceled slow", lines)...Self.index("elementTerminated slow", lines))
        }
        #expect(found.contains { $0.contains("terminate end 'stop' left 'slow'") })
    }
}
