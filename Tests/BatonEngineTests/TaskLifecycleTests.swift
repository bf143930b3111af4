import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// The external task pattern: created -> completed | failure (retries, retry timeout) |
/// BPMN error | lock expiry; retries exhausted -> incident -> resolved with new retries.
struct TaskLifecycleTests {
    static let boundaryProcess = """
        <bpmn:startEvent id="s"/>
        <bpmn:serviceTask id="pay"><bpmn:extensionElements><zeebe:taskDefinition type="pay" retries="2"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:boundaryEvent id="declined" attachedToRef="pay"><bpmn:errorEventDefinition errorRef="D"/></bpmn:boundaryEvent>
        <bpmn:boundaryEvent id="slow" attachedToRef="pay"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
        <bpmn:endEvent id="paid"/><bpmn:endEvent id="cancelled"/><bpmn:endEvent id="timedOut"/>
        <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="pay"/><bpmn:sequenceFlow id="f2" sourceRef="pay" targetRef="paid"/>
        <bpmn:sequenceFlow id="f3" sourceRef="declined" targetRef="cancelled"/><bpmn:sequenceFlow id="f4" sourceRef="slow" targetRef="timedOut"/>
        """
    static let declarations = "<bpmn:error id=\"D\" errorCode=\"DECLINED\"/>"

    func harness() throws -> EngineHarness {
        try EngineHarness(Self.boundaryProcess, declarations: Self.declarations)
    }

    @Test func taskActivationArmsBoundaryTimersAndCompletionCancelsThem() throws {
        var given = try harness()
        #expect(given.describe(given.start()).suffix(3) == ["elementActivated pay", "timerCreated slow", "taskCreated pay"])
        #expect(given.task("pay")?.retries == 2)
        #expect(given.describe(given.complete("pay")).prefix(3) == ["taskCompleted pay", "timerCanceled slow", "elementCompleted pay"])
        #expect(given.engine.state.instances.isEmpty)
    }

    @Test func failureWithRetriesWaitsForTheRetryTimeoutThenReactivates() throws {
        var given = try harness()
        given.start()
        #expect(given.describe(given.fail("pay", retries: 1, retryTimeout: 10_000)) == ["taskFailed pay"])
        #expect(given.task("pay")?.phase == .waitingForRetry(retryAt: given.now + 10_000))
        #expect(given.describe(given.complete("pay")).first?.hasPrefix("rejected completeTask: task") == true)
        given.now += 9_999
        #expect(given.describe(given.taskCommand(.retryTask, "pay")).first?.contains("may be retried from") == true)
        given.now += 1
        #expect(given.describe(given.taskCommand(.retryTask, "pay")) == ["taskActivated pay"])
        #expect(given.task("pay")?.attempt == 2)
        #expect(given.task("pay")?.retries == 1)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func failureWithoutTimeoutReactivatesAtOnce() throws {
        var given = try harness()
        given.start()
        #expect(given.describe(given.fail("pay", retries: 1)) == ["taskFailed pay", "taskActivated pay"])
        #expect(given.task("pay")?.attempt == 2)
    }

    @Test func exhaustedRetriesBecomeAnIncidentResolvedWithNewRetries() throws {
        var given = try harness()
        given.start()
        #expect(given.describe(given.fail("pay", retries: 0, message: "card service down")) == ["taskFailed pay", "incidentCreated pay taskRetriesExhausted"])
        let incident = try #require(given.instance?.incidents.values.first)
        #expect(incident.message == "card service down")
        #expect(given.task("pay")?.phase == .incident)
        #expect(given.describe(given.resolveIncident(retries: 0)).first?.contains("at least 1 retry") == true)
        #expect(given.describe(given.resolveIncident(retries: 3)) == ["incidentResolved", "taskActivated pay"])
        #expect(given.task("pay")?.retries == 3 && given.task("pay")?.attempt == 2)
        #expect(given.describe(given.complete("pay")).last == "instanceCompleted")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func bpmnErrorIsCaughtByTheMatchingBoundary() throws {
        var given = try harness()
        given.start()
        let records = given.describe(given.throwError("pay", code: "DECLINED", variables: ["reason": .string("limit")]))
        #expect(records == [
            "taskErrorThrown pay", "variablesUpdated reason", "taskCanceled pay", "timerCanceled slow", "elementTerminated pay",
            "elementActivated declined", "elementCompleted declined", "sequenceFlowTaken f3", "elementActivated cancelled",
            "elementCompleted cancelled", "instanceCompleted",
        ])
    }

    @Test func bpmnErrorWithoutCatcherIsAnIncidentOnTheTask() throws {
        var given = try harness()
        given.start()
        #expect(given.describe(given.throwError("pay", code: "OTHER")) == ["taskErrorThrown pay", "incidentCreated pay unhandledError"])
        #expect(given.describe(given.resolveIncident(retries: 1)) == ["incidentResolved", "taskActivated pay"])
    }

    @Test func interruptingTimerBoundaryCancelsTheTask() throws {
        var given = try harness()
        given.start()
        given.now += 3_600_000
        #expect(given.describe(given.triggerTimer("slow")) == [
            "timerTriggered slow", "taskCanceled pay", "elementTerminated pay", "elementActivated slow", "elementCompleted slow",
            "sequenceFlowTaken f4", "elementActivated timedOut", "elementCompleted timedOut", "instanceCompleted",
        ])
    }

    @Test func lockExpiryReactivatesWithoutConsumingARetry() throws {
        var given = try harness()
        given.start()
        #expect(given.describe(given.taskCommand(.expireTaskLock, "pay")).first?.contains("runs until") == true)
        given.now += 300_000
        #expect(given.describe(given.taskCommand(.expireTaskLock, "pay")) == ["taskLockExpired pay", "taskActivated pay"])
        #expect(given.task("pay")?.attempt == 2 && given.task("pay")?.retries == 2)
    }

    @Test func extendLockMovesTheExpiry() throws {
        var given = try harness()
        given.start()
        given.now += 1000
        #expect(given.describe(given.taskCommand(.extendTaskLock, "pay", lockDuration: 60_000)) == ["taskLockExtended pay"])
        #expect(given.task("pay")?.phase == .active(lockExpiresAt: given.now + 60_000))
    }

    @Test func aClaimedTaskAnswersOnlyToTheWorkerHoldingItsLock() throws {
        var given = try harness()
        given.start()
        #expect(given.describe(given.taskCommand(.extendTaskLock, "pay", lockDuration: 60_000, workerId: "w1")) == ["taskLockExtended pay"])
        #expect(given.task("pay")?.lockOwner == "w1")
        // Another worker can neither claim it nor answer it while the lock runs...
        let claim = given.describe(given.taskCommand(.extendTaskLock, "pay", lockDuration: 60_000, workerId: "w2"))
        #expect(claim.first?.contains("is locked by worker 'w1'") == true, "\(claim)")
        let answer = given.describe(given.taskCommand(.completeTask, "pay", workerId: "w2"))
        #expect(answer.first?.contains("is locked by worker 'w1'") == true, "\(answer)")
        // ... an answer without a workerId (the SDK's) is not checked; after the lock ran out,
        // anyone may claim the task again.
        given.now += 60_001
        #expect(given.describe(given.taskCommand(.extendTaskLock, "pay", lockDuration: 1000, workerId: "w2")) == ["taskLockExtended pay"])
        #expect(given.task("pay")?.lockOwner == "w2")
        #expect(given.describe(given.taskCommand(.completeTask, "pay")).last == "instanceCompleted")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func unlockPublishesTheTaskAgainAtOnce() throws {
        var given = try harness()
        given.start()
        given.taskCommand(.extendTaskLock, "pay", lockDuration: 60_000, workerId: "w1")
        let other = given.describe(given.taskCommand(.unlockTask, "pay", workerId: "w2"))
        #expect(other.first?.contains("is locked by worker 'w1'") == true, "\(other)")
        #expect(given.describe(given.taskCommand(.unlockTask, "pay", workerId: "w1")) == ["taskLockExpired pay", "taskActivated pay"])
        #expect(given.task("pay")?.attempt == 2 && given.task("pay")?.retries == 2 && given.task("pay")?.lockOwner == "")
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func resultsForOlderAttemptsAndDuplicatesAreRejected() throws {
        var given = try harness()
        given.start()
        given.fail("pay", retries: 2)
        let stale = given.complete("pay", attempt: 1)
        #expect(given.describe(stale) == ["rejected completeTask: the command is for attempt 1 of task \(given.task("pay")!.key), which is at attempt 2"])
        let key = given.task("pay")!.key
        #expect(given.describe(given.complete("pay")).last == "instanceCompleted")
        var duplicate = TaskRecord(instanceKey: 99, taskKey: key, attempt: 2)
        duplicate.data = .null
        #expect(given.describe(given.send(.completeTask, .task(duplicate))).first?.contains("is not active") == true)
        #expect(given.replayedState() == given.engine.state)
    }

    @Test func completionAppendsToTaskResultsAndAJoinSeesEveryBranch() throws {
        var given = try EngineHarness(file: TestFiles.examples + "/map-reduce.bpmn")
        given.start()
        given.now += 10
        given.complete("QuoteSupplierB", data: .object(["price": .number(12)]))
        given.complete("QuoteSupplierA", data: .object(["price": .number(10)]))
        given.complete("QuoteSupplierC", data: .object(["price": .number(11)]))
        let dto = try #require(given.instance?.processTaskResults)
        #expect(dto.correlationId == "order-1")
        #expect(dto.processMetadata.processId == "price-quotes")
        #expect(dto.taskResults.map(\.taskId) == ["QuoteSupplierB", "QuoteSupplierA", "QuoteSupplierC"])
        #expect(dto.taskResults.map(\.data) == [12, 10, 11].map { .object(["price": .number($0)]) })
        #expect(dto.taskResults.allSatisfy { $0.startTime == given.now - 10 && $0.endTime == given.now })
        #expect(given.task("PickBestQuote") != nil)
        #expect(dto.json["taskResults"].map { if case .array(let items) = $0 { items.count } else { 0 } } == 3)
    }

    @Test func outputMappingsDecideWhatACompletionWrites() throws {
        var given = try EngineHarness(file: TestFiles.examples + "/shipment-camunda8.bpmn")
        given.start(["parcel": .object(["weight": .number(10), "destination": .object(["country": .string("FR")]), "insured": .bool(true)])])
        #expect(given.instance?.variables["billedWeight"] == .number(12.5))
        let task = try #require(given.task("BookCarrier"))
        #expect(task.topic == "book-carrier")
        let created = given.journal.first { $0.intent == .taskCreated }!
        guard case .task(let value) = created.value else { return }
        #expect(value.variables == ["weight": .number(12.5), "country": .string("FR")])
        given.complete("BookCarrier", variables: ["booking": .object(["trackingNumber": .string("TN1")]), "noise": .bool(true)])
        #expect(given.instance?.variables["trackingNumber"] == .string("TN1"))
        #expect(given.instance?.variables["noise"] == nil)
        #expect(given.replayedState() == given.engine.state)
    }
}
