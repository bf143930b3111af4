import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Time is the engine's (DESIGN.md §3): a command's own timestamp is what its producer
/// claimed and changes nothing that is processed.
struct EngineTimeTests {
    static let process = """
        <bpmn:startEvent id="start"/>
        <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work" retries="2"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:boundaryEvent id="late" attachedToRef="work"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
        <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT30S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:endEvent id="end"/><bpmn:endEvent id="lateEnd"/>
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="wait"/>
        <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="end"/><bpmn:sequenceFlow id="f4" sourceRef="late" targetRef="lateEnd"/>
        """

    /// The same commands at the same engine times, with producers an hour ahead, an hour
    /// behind or right: the records are the same, byte for byte.
    @Test(arguments: [Int64(3_600_000), -3_600_000])
    func producerClockSkewChangesNothing(_ skew: Int64) throws {
        func run(skew: Int64) throws -> [Record] {
            var given = try EngineHarness(Self.process)
            given.producerSkew = skew
            var records = given.start()
            given.now += 1_000
            records += given.fail("work", retries: 1, retryTimeout: 5_000)
            given.now += 5_000
            records += given.taskCommand(.retryTask, "work")
            given.now += 2_000
            records += given.complete("work")
            given.now += 30_000
            records += given.triggerTimer("wait")
            #expect(given.engine.state.instances.isEmpty)
            return records
        }
        let right = try run(skew: 0)
        let skewed = try run(skew: skew)
        #expect(skewed == right)
        #expect(skewed.map(RecordCodec.encode) == right.map(RecordCodec.encode))
    }

    /// A producer whose clock runs ahead cannot make a timer, a lock or a retry due early.
    @Test func producerClockAheadCannotFireTimersOrExpireLocksEarly() throws {
        var given = try EngineHarness(Self.process)
        given.start()
        given.producerSkew = 3_600_000
        #expect(given.describe(given.triggerTimer("late")).first?.hasPrefix("rejected triggerTimer: timer") == true)
        #expect(given.describe(given.taskCommand(.expireTaskLock, "work")).first?.hasPrefix("rejected expireTaskLock: the lock") == true)
        given.fail("work", retries: 1, retryTimeout: 60_000)
        #expect(given.describe(given.taskCommand(.retryTask, "work")).first?.hasPrefix("rejected retryTask: task") == true)
        #expect(given.instance?.timers.count == 1)
    }

    /// Every record of a step carries the engine's time, not the producer's.
    @Test func recordsCarryTheStepTime() throws {
        var given = try EngineHarness(Self.process)
        given.producerSkew = -7_200_000
        let records = given.start()
        #expect(records.allSatisfy { $0.timestamp == given.now })
        let task = try #require(given.task("work"))
        #expect(task.phase == .active(lockExpiresAt: given.now + 300_000))
        #expect(given.instance?.startTime == given.now)
    }
}
