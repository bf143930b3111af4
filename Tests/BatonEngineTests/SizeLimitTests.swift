import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Bounded sizes (issue 9, DESIGN.md §3): a command that would make an instance's variables
/// or one task result larger than the configured limits is rejected with the reason, and
/// the instance goes on as if it had never come.
struct SizeLimitTests {
    static let limits = EngineConfiguration(maximumVariablesBytes: 1_000, maximumTaskResultBytes: 500)
    static func text(_ count: Int) -> JSONValue { .string(String(repeating: "x", count: count)) }

    @Test func anInstanceWhoseVariablesAreTooLargeIsNotStarted() throws {
        var given = try EngineHarness(bytes: bpmnDocument(FlowElementTests.serviceTask), configuration: Self.limits)
        let records = given.describe(given.start(["blob": Self.text(2_000)]))
        #expect(records.count == 1)
        #expect(records[0].hasPrefix("rejected createInstance: the new instance's variables would take 2012 bytes, more than the 1000"))
        #expect(given.engine.state.instances.isEmpty)
        #expect(given.describe(given.start(["small": Self.text(10)])).first == "instanceCreated")
    }

    @Test func aTaskResultTooLargeIsRejectedAndTheTaskStaysActive() throws {
        var given = try EngineHarness(bytes: bpmnDocument(FlowElementTests.serviceTask), configuration: Self.limits)
        given.start()
        let rejected = given.describe(given.complete("work", data: Self.text(600)))
        #expect(rejected.count == 1 && rejected[0].contains("brings 602 bytes (data, variables and error texts), more than the 500 one task result may have"))
        #expect(given.task("work")?.phase == .active(lockExpiresAt: given.now + 300_000))
        #expect(given.instance?.taskResults.isEmpty == true)
        let failed = given.describe(given.fail("work", retries: 1, message: String(repeating: "e", count: 600)))
        #expect(failed.first?.contains("more than the 500 one task result may have") == true)
        #expect(given.describe(given.complete("work", data: Self.text(100))).last == "instanceCompleted")
    }

    @Test func variablesThatWouldOutgrowTheInstanceAreRejectedWhereverTheyComeFrom() throws {
        let limits = EngineConfiguration(maximumVariablesBytes: 1_000, maximumTaskResultBytes: 2_000)
        var given = try EngineHarness(bytes: bpmnDocument(FlowElementTests.serviceTask), configuration: limits)
        given.start(["a": Self.text(400)])
        let key = given.instanceKey
        // A worker's variables, merged as they come.
        let completion = given.describe(given.complete("work", variables: ["b": Self.text(650)]))
        #expect(completion.count == 1 && completion[0].contains("instance \(key)'s variables would take"))
        // An operator's.
        let set = given.describe(given.send(.setVariables, .variables(VariablesRecord(instanceKey: key, variables: ["c": Self.text(700)]))))
        #expect(set.count == 1 && set[0].contains("more than the 1000 an instance's variables may have"))
        // Replacing a variable counts its new size, not both.
        let replaced = given.describe(given.send(.setVariables, .variables(VariablesRecord(instanceKey: key, variables: ["a": Self.text(900)]))))
        #expect(replaced == ["variablesUpdated a"])
        #expect(given.replayedState() == given.engine.state)
    }
}
