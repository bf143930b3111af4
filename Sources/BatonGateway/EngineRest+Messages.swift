import BatonEngine
import BatonLog
import BatonModel
import BatonWorker
import Hummingbird

/// `POST /engine-rest/message`: Camunda 7's message correlation. Camunda 7 addresses the
/// waiting execution by process instance, business key or process variables; the gateway
/// finds the instances that wait for the message in its read model and sends each a
/// `correlateMessage` keyed by its correlationId. With no instance waiting, a process whose
/// message start event it is starts (its correlationId is the business key, or a fresh id).
extension EngineRest {
    func registerMessages(on rest: RouterGroup<BasicRequestContext>) {
        rest.post("message") { request, _ in try await correlateMessage(request) }
    }

    private func correlateMessage(_ request: Request) async throws -> Response {
        let body = try await gateway.jsonObject(of: request)
        guard let name = try RequestFields.string(body, "messageName", required: true), !name.isEmpty else {
            throw GatewayError.invalid("messageName: the message to correlate is required")
        }
        if let tenant = try RequestFields.string(body, "tenantId"), !tenant.isEmpty {
            throw Self.mismatch(name, "tenant '\(tenant)' does not exist (Baton has no tenants)")
        }
        let businessKey = try RequestFields.string(body, "businessKey")
        let instanceId = try RequestFields.string(body, "processInstanceId")
        let correlationKeys = try CamundaVariables.decode(body["correlationKeys"], field: "correlationKeys")
        let variables = try CamundaVariables.decode(body["processVariables"], field: "processVariables")
        let all = try RequestFields.bool(body, "all") ?? false
        let resultEnabled = try RequestFields.bool(body, "resultEnabled") ?? false

        var waiting = instances().filter { instance in instance.subscriptions.values.contains { $0.messageName == name } }
        if let instanceId {
            guard let key = Int64(instanceId) else { throw GatewayError.invalid("processInstanceId: '\(instanceId.prefix(60))' is not an instance id") }
            waiting = waiting.filter { $0.key == key }
        }
        if let businessKey { waiting = waiting.filter { $0.businessKey == businessKey } }
        waiting = waiting.filter { instance in correlationKeys.allSatisfy { instance.variables[$0.key] == $0.value } }
        if waiting.count > 1, !all {
            throw Self.mismatch(name, "Cannot correlate message '\(name)': \(waiting.count) executions match the parameters (set all to correlate to every one)")
        }
        var results: [JSONValue] = []
        if !waiting.isEmpty {
            for instance in waiting {
                var message = MessageRecord(name: name, variables: variables)
                message.instanceKey = instance.key
                let command = Record.command(.correlateMessage, key: instance.correlationId, value: .message(message), timestamp: WallClock.now())
                if case .rejected(let reason) = try await submit(command) { throw Self.mismatch(name, "Cannot correlate message '\(name)': \(reason)") }
                results.append(.object([
                    "resultType": .string("Execution"), "processInstance": .null,
                    "execution": .object([
                        "id": .string(String(instance.key)), "processInstanceId": .string(String(instance.key)), "ended": .bool(false), "tenantId": .null,
                    ]),
                ]))
            }
        } else {
            guard instanceId == nil, correlationKeys.isEmpty else {
                throw Self.mismatch(name, "Cannot correlate message '\(name)': No process definition or execution matches the parameters")
            }
            let catalog = gateway.readModel.catalog()
            guard !EngineRest.messageStartProcesses(name, catalog.registry).isEmpty else {
                throw Self.mismatch(name, "Cannot correlate message '\(name)': No process definition or execution matches the parameters")
            }
            var message = MessageRecord(name: name, variables: variables)
            message.businessKey = businessKey ?? ""
            message.deploymentPosition = catalog.position
            var generator = SystemRandomNumberGenerator()
            let key = businessKey.flatMap { $0.isEmpty ? nil : $0 } ?? ("rest-" + String(generator.next() as UInt64, radix: 16))
            let command = Record.command(.correlateMessage, key: key, value: .message(message), timestamp: WallClock.now())
            let submitted = try await gateway.submit(command)
            if case .rejected(let reason) = submitted.verdict { throw Self.mismatch(name, "Cannot correlate message '\(name)': \(reason)") }
            let instance = gateway.readModel.createdInstance(partition: submitted.partition, position: submitted.position)
            results.append(.object([
                "resultType": .string("ProcessDefinition"), "execution": .null,
                "processInstance": .object([
                    "id": instance.map { .string(String($0)) } ?? .null, "businessKey": businessKey.map { .string($0) } ?? .null,
                    "ended": .bool(false), "suspended": .bool(false), "tenantId": .null, "links": .array([]),
                ]),
            ]))
        }
        return resultEnabled ? GatewayResponse.json(.array(results)) : GatewayResponse.noContent()
    }

    static func mismatch(_ name: String, _ message: String) -> GatewayError {
        GatewayError(.badRequest, type: "MismatchingMessageCorrelationException", message)
    }

    /// Process ids whose latest version starts with message `name`.
    static func messageStartProcesses(_ name: String, _ registry: ProcessRegistry) -> [String] {
        registry.messageStarts(named: name).map(\.process.process.processId)
    }
}
