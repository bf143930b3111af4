import BatonBPMN
import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Timer start events (issue 13): process-level timers on the partition of the process id,
/// scheduled for the latest version when asked (`scheduleStartTimers`); each
/// firing starts an instance with a correlationId of its own on that partition.
@Suite struct StartTimerTests {
    static func model(_ timer: String) -> String {
        """
        <bpmn:startEvent id="tick"><bpmn:timerEventDefinition>\(timer)</bpmn:timerEventDefinition></bpmn:startEvent>
        <bpmn:sequenceFlow id="f1" sourceRef="tick" targetRef="work"/><bpmn:userTask id="work"/>
        """
    }

    static let configuration = EngineConfiguration(journalPartitions: 4)

    static func harness(_ timer: String) throws -> EngineHarness {
        try EngineHarness(bytes: bpmnDocument(model(timer)), configuration: configuration)
    }

    @discardableResult
    static func schedule(_ given: inout EngineHarness, version: Int32 = 1) -> [Record] {
        given.send(.scheduleStartTimers, .instance(InstanceRecord(processId: "p", processVersion: version)), key: "p")
    }

    @discardableResult
    static func fire(_ given: inout EngineHarness) -> [Record] {
        let timer = given.engine.state.startTimers.values.min { $0.key < $1.key }!
        given.now = max(given.now, timer.dueAt)
        return given.send(.triggerTimer, .timer(TimerRecord(instanceKey: 0, timerKey: timer.key)), key: "p")
    }

    @Test func aCycleStartsAnInstanceEachTimeThenStops() throws {
        var given = try Self.harness("<bpmn:timeCycle>R3/PT1H</bpmn:timeCycle>")
        let scheduled = Self.schedule(&given)
        #expect(scheduled.map(\.intent) == [.timerCreated] && scheduled[0].key == "p")
        #expect(given.engine.state.startTimers.values.first?.dueAt == given.now + 3_600_000)
        #expect(given.engine.state.dueWork.due(at: given.now + 3_600_000).count == 1)
        for firing in 1...3 {
            let records = Self.fire(&given)
            #expect(records.contains { $0.intent == .instanceCreated })
            #expect(given.engine.state.instances.count == firing)
            #expect(given.engine.state.startTimers.count == (firing < 3 ? 1 : 0))
        }
        for instance in given.engine.state.instances.values {
            #expect(Murmur2.partition(forKey: instance.correlationId, partitions: 4) == 1, "\(instance.correlationId) lives on this partition")
            #expect(instance.tasks.count == 1)
        }
        #expect(Set(given.engine.state.instances.values.map(\.correlationId)).count == 3)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aDateInThePastFiresAtOnceAndOnlyOnce() throws {
        var given = try Self.harness("<bpmn:timeDate>2020-01-01T00:00:00Z</bpmn:timeDate>")
        Self.schedule(&given)
        #expect(given.engine.state.dueWork.due(at: given.now).count == 1)
        Self.fire(&given)
        #expect(given.engine.state.instances.count == 1 && given.engine.state.startTimers.isEmpty)
        let again = Self.schedule(&given)
        #expect(again.first?.rejectionReason.contains("scheduled already") == true, "a restart asking again starts nothing")
        let late = given.send(.triggerTimer, .timer(TimerRecord(instanceKey: 0, timerKey: 12345)), key: "p")
        #expect(late.first?.recordType == .rejection)
    }

    @Test func firingsMissedWhileTheEngineWasDownAreSkipped() throws {
        var given = try Self.harness("<bpmn:timeCycle>R/PT1M</bpmn:timeCycle>")
        Self.schedule(&given)
        given.now += 3_600_000
        Self.fire(&given)
        #expect(given.engine.state.instances.count == 1)
        #expect(given.engine.state.startTimers.values.first?.dueAt == given.now + 60_000, "one instance, then on from now")
    }

    @Test func aTimerIsNotEarlyAndANewVersionReplacesTheOldTimers() throws {
        var given = try Self.harness("<bpmn:timeDuration>PT10M</bpmn:timeDuration>")
        Self.schedule(&given)
        let timer = try #require(given.engine.state.startTimers.values.first)
        let early = given.send(.triggerTimer, .timer(TimerRecord(instanceKey: 0, timerKey: timer.key)), key: "p")
        #expect(early.first?.rejectionReason.contains("is due at") == true)
        let second = try #require(try BPMNDeployment.load(bpmnDocument(Self.model("<bpmn:timeCycle>R/PT5M</bpmn:timeCycle>")), fileName: "v2.bpmn").processes[0].executable)
        given.engine.processes.deploy(second)
        #expect(Self.schedule(&given, version: 1).first?.rejectionReason.contains("is not the latest") == true)
        let replaced = Self.schedule(&given, version: 2)
        #expect(replaced.map(\.intent) == [.timerCanceled, .timerCreated])
        #expect(given.engine.state.startTimers.values.map(\.version) == [2] && given.engine.state.startTimerVersions["p"] == 2)
        // A version without a timer start event cancels the old timers and schedules none.
        let third = try #require(try BPMNDeployment.load(bpmnDocument("<bpmn:startEvent id=\"s\"/>"), fileName: "v3.bpmn").processes[0].executable)
        given.engine.processes.deploy(third)
        #expect(Self.schedule(&given, version: 3).map(\.intent) == [.timerCanceled])
        #expect(given.engine.state.startTimers.isEmpty && given.engine.state.dueWork.due(at: .max).isEmpty)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func aCronStartTimerFiresAtItsInstants() throws {
        var given = try Self.harness("<bpmn:timeCycle>0 0 9 * * MON-FRI</bpmn:timeCycle>")
        given.now = try ISO8601.epochMilliseconds("2026-11-27T10:00:00Z")  // a Friday
        Self.schedule(&given)
        #expect(given.engine.state.startTimers.values.first?.dueAt == (try ISO8601.epochMilliseconds("2026-11-30T09:00:00Z")))
        Self.fire(&given)
        #expect(given.engine.state.instances.count == 1)
        #expect(given.engine.state.startTimers.values.first?.dueAt == (try ISO8601.epochMilliseconds("2026-12-01T09:00:00Z")))
    }

    @Test func snapshotsKeepStartTimers() throws {
        var given = try Self.harness("<bpmn:timeCycle>R5/PT1H</bpmn:timeCycle>")
        Self.schedule(&given)
        Self.fire(&given)
        let processes = given.engine.processes
        let loaded = try EngineState.fromSnapshot(given.engine.state.snapshotBytes(processes: processes), processes: processes)
        #expect(loaded == given.engine.state)
        #expect(loaded.startTimers.values.first?.repetitions == 3)
    }

    @Test func aProcessThatStartsByTimerCannotBeCreatedDirectly() throws {
        var given = try Self.harness("<bpmn:timeDuration>PT1M</bpmn:timeDuration>")
        let refused = given.start()
        #expect(refused.first?.rejectionReason.contains("its timer start event 'tick' fires") == true, "\(given.describe(refused))")
    }

    @Test func aNonInterruptingEventSubProcessTimerCycleRepeats() throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/><bpmn:userTask id="work"/>
            <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/><bpmn:endEvent id="e"/>
            <bpmn:subProcess id="remind" triggeredByEvent="true">
              <bpmn:startEvent id="rs" isInterrupting="false"><bpmn:timerEventDefinition><bpmn:timeCycle>R2/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
              <bpmn:sequenceFlow id="r1" sourceRef="rs" targetRef="nudge"/><bpmn:userTask id="nudge"/>
            </bpmn:subProcess>
            """)
        given.start()
        given.now += 3_600_000
        given.triggerTimer("rs")
        #expect(given.instance?.timers.values.first?.repetitions == 0, "one more firing left")
        given.now += 3_600_000
        given.triggerTimer("rs")
        #expect(given.instance?.tasks.count == 3 && given.instance?.timers.isEmpty == true)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test(arguments: [
        (#"<bpmn:startEvent id="x"><bpmn:timerEventDefinition><bpmn:timeDuration>=wait</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>"#, "before any instance has variables"),
        (#"<bpmn:subProcess id="x" triggeredByEvent="true"><bpmn:startEvent id="xs"><bpmn:timerEventDefinition><bpmn:timeCycle>R/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent></bpmn:subProcess>"#, "an interrupting timer start event fires once"),
    ])
    func timerStartsBatonCannotRunAreNamed(_ element: String, _ fragment: String) throws {
        let found = try compileOne(bpmnDocument("<bpmn:startEvent id=\"s\"/>\(element)")).problems
        #expect(found.contains { $0.rule == .timerInvalid && $0.message.contains(fragment) }, "\(found)")
    }
}
