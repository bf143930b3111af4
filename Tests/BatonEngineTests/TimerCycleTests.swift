import BatonBPMN
import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Timer cycles (issue 13): a non-interrupting boundary timer with `R3/PT10M` fires three
/// times, ten minutes apart, while its activity waits; `R/…` has no end; an interrupting one
/// fires once; the cycle ends with its activity.
@Suite struct TimerCycleTests {
    static func model(cycle: String, interrupting: Bool = false) -> String {
        """
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="approve"/>
        <bpmn:userTask id="approve"/><bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="e"/><bpmn:endEvent id="e"/>
        <bpmn:boundaryEvent id="remind" attachedToRef="approve" cancelActivity="\(interrupting)">
        <bpmn:timerEventDefinition><bpmn:timeCycle>\(cycle)</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>
        <bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="nudge"/><bpmn:endEvent id="nudge"/>
        """
    }

    /// Fires the boundary timer when due; the reminders that went out.
    func fire(_ given: inout EngineHarness) -> [String] {
        let timer = given.instance!.timers.values.first!
        given.now = timer.dueAt
        return given.describe(given.triggerTimer("remind"))
    }

    @Test func aCountedCycleFiresThatManyTimesAnIntervalApart() throws {
        var given = try EngineHarness(Self.model(cycle: "R3/PT10M"))
        given.start()
        let first = try #require(given.instance?.timers.values.first)
        #expect(first.dueAt == given.now + 600_000 && first.repetitions == 2)
        var reminders = 0
        for round in 1...3 {
            let records = fire(&given)
            reminders += records.filter { $0 == "elementActivated nudge" }.count
            #expect(records.contains("timerCreated remind") == (round < 3), "round \(round): \(records)")
        }
        #expect(reminders == 3)
        #expect(given.instance?.timers.isEmpty == true && given.task("approve") != nil)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anEndlessCycleGoesOnUntilTheActivityEnds() throws {
        var given = try EngineHarness(Self.model(cycle: "R/PT1H"))
        given.start()
        for _ in 1...5 { _ = fire(&given) }
        #expect(given.instance?.timers.values.first?.repetitions == -1)
        let records = given.describe(given.complete("approve"))
        #expect(records.contains("timerCanceled remind") && records.last == "instanceCompleted", "\(records)")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func anInterruptingCycleFiresOnce() throws {
        var given = try EngineHarness(Self.model(cycle: "R3/PT10M", interrupting: true))
        given.start()
        let records = fire(&given)
        #expect(!records.contains("timerCreated remind") && records.contains("elementTerminated approve"), "\(records)")
    }

    @Test func aCycleMayBeAnExpression() throws {
        var given = try EngineHarness(Self.model(cycle: "=&quot;R2/PT&quot; + string(minutes) + &quot;M&quot;"))
        given.start(["minutes": .number(5)])
        let timer = try #require(given.instance?.timers.values.first)
        #expect(timer.dueAt == given.now + 300_000 && timer.repetitions == 1)
    }

    @Test(arguments: [
        ("<bpmn:intermediateCatchEvent id=\"x\"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1M</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>", BPMNProblem.Rule.timerInvalid, "repeats only on a timer start event or a non-interrupting boundary"),
        (#"<bpmn:boundaryEvent id="x" attachedToRef="t" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeCycle>0 0 25 * * MON</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>"#, .timerInvalid, "the hour field '25': 25 is outside 0-23"),
        (#"<bpmn:boundaryEvent id="x" attachedToRef="t" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/2026-01-01T00:00:00Z/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>"#, .timerInvalid, "a start or end date is not supported"),
        (#"<bpmn:boundaryEvent id="x" attachedToRef="t" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT0.5S</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>"#, .timerInvalid, "at least one second"),
    ])
    func cyclesBatonDoesNotRunAreNamed(_ element: String, _ rule: BPMNProblem.Rule, _ fragment: String) throws {
        let found = try compileOne(bpmnDocument("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/><bpmn:userTask id="t"/>\(element)
            """)).problems.filter { $0.rule != .unreachable }
        #expect(found.count == 1 && found[0].rule == rule && found[0].elementId == "x" && found[0].message.contains(fragment), "\(found)")
    }

    @Test func aCronCycleFiresAtEachMatchingInstant() throws {
        var given = try EngineHarness(Self.model(cycle: "0 */10 * * * *"))
        given.now = try ISO8601.epochMilliseconds("2026-11-28T10:03:00Z")
        given.start()
        let first = try #require(given.instance?.timers.values.first)
        #expect(first.dueAt == (try ISO8601.epochMilliseconds("2026-11-28T10:10:00Z")) && first.repetitions == -1)
        given.now = first.dueAt + 500
        given.triggerTimer("remind")
        #expect(given.instance?.timers.values.first?.dueAt == (try ISO8601.epochMilliseconds("2026-11-28T10:20:00Z")))
        #expect(given.replayedState() == given.engine.state)
    }
}
