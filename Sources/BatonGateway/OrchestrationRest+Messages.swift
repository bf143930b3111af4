import BatonLog
import BatonModel
import BatonWorker
import Hummingbird

/// `/v2/messages/publication` and `/v2/messages/correlation`: a message goes to the journal
/// partition of its correlation key, where the instances with that correlationId live.
extension OrchestrationRest {
    func registerMessages(on rest: RouterGroup<BasicRequestContext>) {
        rest.post("messages/publication") { request, _ in try await publish(request, correlate: false) }
        rest.post("messages/correlation") { request, _ in try await publish(request, correlate: true) }
    }

    /// Publication: buffered for `timeToLive` ms (default 0), accepted whether or not an
    /// instance waits. Correlation: now or never; 404 when no instance waits and no process
    /// starts with it.
    private func publish(_ request: Request, correlate: Bool) async throws -> Response {
        let body = try await gateway.jsonObject(of: request)
        guard let name = try RequestFields.string(body, "name", required: true), !name.isEmpty else {
            throw GatewayError.invalid("name: a message needs a name")
        }
        guard let key = try RequestFields.string(body, "correlationKey"), !key.isEmpty else {
            throw GatewayError.invalid("correlationKey: Baton routes a message by its correlation key (the correlationId of the instances it is for); give one")
        }
        try Self.checkTenant(body)
        var message = MessageRecord(name: name, variables: try Self.variables(body, "variables"))
        if !correlate {
            message.timeToLive = try RequestFields.integer(body, "timeToLive", minimum: 0, maximum: 10 * 365 * 86_400_000) ?? 0
            message.messageId = try RequestFields.string(body, "messageId") ?? ""
        }
        message.deploymentPosition = gateway.readModel.catalog().position
        let command = Record.command(correlate ? .correlateMessage : .publishMessage, key: key, value: .message(message), timestamp: WallClock.now())
        let submitted = try await gateway.submit(command)
        if case .rejected(let reason) = submitted.verdict {
            if correlate, reason.contains("no subscription") { throw GatewayError.notFound("message '\(name)' with correlation key '\(key)' was not correlated: \(reason)") }
            throw GatewayError.invalid("message '\(name)' was not published: \(reason)")
        }
        // The message's key is the first key its command made (see `StepWriter.nextKey`).
        let messageKey = Int64(submitted.partition) << 56 | submitted.position << 20 | 1
        var answer: [String: JSONValue] = ["messageKey": .string(String(messageKey)), "tenantId": .string(Self.defaultTenant)]
        if correlate {
            let instance = gateway.readModel.createdInstance(partition: submitted.partition, position: submitted.position)
            answer["processInstanceKey"] = instance.map { .string(String($0)) } ?? .null
        }
        return GatewayResponse.json(.object(answer))
    }
}
