import BatonFileLog
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import Testing

/// The JSON answer contract (issue 10): the schemas in topics/schemas/ and the engine's
/// decoder agree, and a JSON answer appended by anyone drives the task like the SDK's.
struct TaskAnswerTests {
    static let schemas = TestFiles.packageRoot + "/topics/schemas"
    static let answerSchemas = [
        "complete": "answer-complete", "failure": "answer-failure", "bpmnError": "answer-bpmn-error", "extendLock": "answer-extend-lock",
    ]

    static func schema(_ name: String) throws -> [String: JSONValue] {
        try #require(try JSONValue.parse(try POSIX.readFile("\(schemas)/\(name).schema.json")).objectValue)
    }

    @Test(arguments: ["complete", "failure", "bpmnError", "extendLock"])
    func theSchemaOfEachAnswerTypeListsExactlyTheFieldsTheEngineReads(_ type: String) throws {
        let schema = try Self.schema(Self.answerSchemas[type]!)
        let properties = Set(try #require(schema["properties"]?.objectValue).keys)
        #expect(properties == TaskAnswer.commonFields.union(TaskAnswer.types[type]!.fields))
        #expect(schema["additionalProperties"] == .bool(false))
        guard case .array(let examples)? = schema["examples"], case .array(let required)? = schema["required"] else {
            Issue.record("\(type): the schema needs examples and required")
            return
        }
        #expect(!examples.isEmpty)
        for example in examples {
            let command = try TaskAnswer.command(from: example)
            #expect(command.intent == TaskAnswer.types[type]!.intent)
            // Round trip through the writer's form.
            #expect(try TaskAnswer.command(from: try #require(TaskAnswer.json(for: command))) == command)
            // Each required field left out: refused, naming it.
            for case .string(let field) in required {
                var fields = try #require(example.objectValue)
                fields[field] = nil
                #expect(throws: AnswerError.self, "\(type) without \(field)") { try TaskAnswer.command(from: .object(fields)) }
            }
        }
    }

    @Test
    func theTaskMessageSchemaRequiresEveryFieldTheEngineWrites() throws {
        let schema = try Self.schema("task-message")
        guard case .array(let required)? = schema["required"], let properties = schema["properties"]?.objectValue else {
            Issue.record("the task message schema needs required and properties")
            return
        }
        let message = TaskMessage(
            taskKey: 7, attempt: 1, topicName: "t", activityId: "Work", activityInstanceId: "3", processInstanceId: "2",
            processDefinitionKey: "p:1", processDefinitionId: "p", businessKey: "", correlationId: "c", variables: [:],
            retries: 3, priority: 0, lockExpirationTime: 5, partition: 0, processTaskResults: .object([:]))
        // What the engine publishes (the bytes), read back.
        let published = try JSONValue.parse(message.jsonBytes())
        #expect(try TaskMessage(json: published) == message)
        #expect(published == message.json)
        let written = Set(try #require(published.objectValue).keys)
        #expect(Set(properties.keys) == written)
        #expect(Set(required.compactMap { if case .string(let name) = $0 { name } else { nil } }) == written.subtracting(["tenantId"]))
    }

    @Test
    func aPublishMessageCommandInJSONMatchesItsSchema() throws {
        let text = #"{"type":"publishMessage","name":"paid","correlationKey":"order-1","variables":{"x":1},"timeToLive":5000,"messageId":"m-1"}"#
        let command = try TaskAnswer.command(fromJSON: Array(text.utf8))
        #expect(command.intent == .publishMessage && command.key == "order-1")
        guard case .message(let message) = command.value else { return }
        #expect(message.name == "paid" && message.timeToLive == 5000 && message.messageId == "m-1" && message.variables == ["x": .number(1)])
        let json = try #require(MessageCommand.json(for: command))
        #expect(try TaskAnswer.command(from: json) == command)
        let schema = try Self.schema("publish-message")
        let properties = Set(try #require(schema["properties"]?.objectValue).keys)
        #expect(properties == Set(try #require(json.objectValue).keys).union(["timestamp"]))
        for (bad, expected) in [
            (#"{"type":"publishMessage","correlationKey":"k"}"#, "needs the string field 'name'"),
            (#"{"type":"publishMessage","name":"","correlationKey":"k"}"#, "'name' must not be empty"),
            (#"{"type":"publishMessage","name":"n"}"#, "'correlationKey'"),
            (#"{"type":"publishMessage","name":"n","correlationKey":"k","timeToLive":-5}"#, "timeToLive"),
            (#"{"type":"publishMessage","name":"n","correlationKey":"k","colour":"red"}"#, "'colour' is not part of a publishMessage"),
        ] {
            do {
                _ = try TaskAnswer.command(fromJSON: Array(bad.utf8))
                Issue.record("\(bad) was accepted")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }

    @Test
    func malformedAnswersNameTheFieldAtFault() {
        let cases: [(String, String)] = [
            (#"{"type":"done","taskId":"1-1","processInstanceId":"2","correlationId":"c"}"#, "'type' is 'done'"),
            (#"{"type":"complete","taskId":"1","processInstanceId":"2","correlationId":"c"}"#, "<taskKey>-<attempt>"),
            (#"{"type":"complete","taskId":"1-1","processInstanceId":"x","correlationId":"c"}"#, "processInstanceId"),
            (#"{"type":"failure","taskId":"1-1","processInstanceId":"2","correlationId":"c","retries":-1}"#, "'retries' is -1"),
            (#"{"type":"failure","taskId":"1-1","processInstanceId":"2","correlationId":"c","retries":1.5}"#, "'retries' is 1.5"),
            (#"{"type":"complete","taskId":"1-1","processInstanceId":"2","correlationId":"c","variables":[1]}"#, "'variables' must be a JSON object"),
            (#"{"type":"complete","taskId":"1-1","processInstanceId":"2","correlationId":"c","retries":1}"#, "'retries' is not part of a complete answer"),
            (#"{"type":"extendLock","taskId":"1-1","processInstanceId":"2","correlationId":"c","newDuration":0}"#, "'newDuration' is 0"),
            (#"{"type":"complete","taskId":"1-1""#, "not valid JSON"),
        ]
        for (text, reason) in cases {
            do {
                _ = try TaskAnswer.command(fromJSON: Array(text.utf8))
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.message.contains(reason), "\(text): \(error.message)")
            }
        }
    }

    /// A JSON answer appended to the journal (as kcat or any client would) completes the
    /// task, fails it with retries, and throws a caught BPMN error.
    @Test
    func jsonAnswersOnTheJournalDriveTasksLikeTheSDK() async throws {
        let directory = TemporaryDirectory("baton-json-answers")
        defer { directory.remove() }
        let log = try FileLog(directory: directory.path + "/log", topics: [Topics.journal: 2])
        let harness = try RuntimeHarness(log: log)
        let deployments = try DeploymentCatalog.deploy(oneTaskProcess(id: "json", topic: "json-work", catchErrorCode: "NOPE"), fileName: "json.bpmn", to: log).deploymentsEnd
        for id in ["a", "b", "c"] { try harness.start("json", correlationId: id, deployments: deployments) }
        try await harness.settle()

        var messages: [String: TaskMessage] = [:]
        for partition in try 0..<log.partitionCount(of: Topics.tasks("json-work")) {
            for entry in try readAll(log, TopicPartition(Topics.tasks("json-work"), partition)) {
                let message = try TaskMessage(json: JSONValue.parse(entry.payload))
                messages[message.correlationId] = message
            }
        }
        #expect(messages.count == 3)
        func answer(_ message: TaskMessage, _ fields: String) throws {
            let text = #"{"taskId":"\#(message.id)","processInstanceId":"\#(message.processInstanceId)","correlationId":"\#(message.correlationId)",\#(fields)}"#
            try log.append([Array(text.utf8)], to: TopicPartition(Topics.journal, message.partition))
        }
        try answer(messages["a"]!, #""type":"complete","data":{"charged":12.5},"variables":{"paid":true}"#)
        try answer(messages["b"]!, #""type":"failure","errorMessage":"down","retries":0"#)
        try answer(messages["c"]!, #""type":"bpmnError","errorCode":"NOPE""#)
        try await harness.settle()

        let events = try harness.journalEvents()
        let completedTask = events.first { $0.intent == .taskCompleted && $0.key == "a" }
        guard case .task(let task)? = completedTask?.value else {
            Issue.record("task of 'a' not completed: \(try harness.journalRejections(partition: messages["a"]!.partition).map(\.rejectionReason))")
            return
        }
        #expect(task.data == .object(["charged": .number(12.5)]))
        #expect(events.contains { $0.intent == .instanceCompleted && $0.key == "a" })
        #expect(events.contains { $0.intent == .incidentCreated && $0.key == "b" })
        #expect(events.contains { $0.intent == .instanceCompleted && $0.key == "c" })
        // The same answer again is a duplicate delivery: rejected, nothing changes.
        try answer(messages["a"]!, #""type":"complete""#)
        try await harness.settle()
        let rejections = try harness.journalRejections(partition: messages["a"]!.partition)
        #expect(rejections.contains { $0.intent == .completeTask && $0.key == "a" })
    }
}
