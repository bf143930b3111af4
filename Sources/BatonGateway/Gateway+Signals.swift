import BatonLog
import BatonModel
import BatonWorker
import Hummingbird

/// Signals through both APIs: the gateway appends `broadcastSignal` keyed by the signal's
/// name; that journal partition starts the processes whose signal start event it is and
/// sends the signal on to every other partition, where every subscription of its name is
/// triggered.
enum SignalBroadcast {
    static func command(name: String, variables: [String: JSONValue], gateway: Gateway) -> Record {
        var signal = MessageRecord(name: name, variables: variables)
        signal.deploymentPosition = gateway.readModel.catalog().position
        return Record.command(.broadcastSignal, key: name, value: .message(signal), timestamp: WallClock.now())
    }
}

extension OrchestrationRest {
    /// `POST /v2/signals/broadcast` (`signalName`, `variables`, `tenantId`) answers
    /// `signalKey` and `tenantId`.
    func registerSignals(on rest: RouterGroup<BasicRequestContext>) {
        rest.post("signals/broadcast") { request, _ in
            let body = try await gateway.jsonObject(of: request)
            guard let name = try RequestFields.string(body, "signalName", required: true), !name.isEmpty else {
                throw GatewayError.invalid("signalName: a signal needs a name")
            }
            try Self.checkTenant(body)
            let submitted = try await gateway.submit(SignalBroadcast.command(name: name, variables: try Self.variables(body, "variables"), gateway: gateway))
            if case .rejected(let reason) = submitted.verdict { throw GatewayError.invalid("signal '\(name)' was not broadcast: \(reason)") }
            // The signal's key is the first key its command made (see `StepWriter.nextKey`).
            let signalKey = Int64(submitted.partition) << 56 | submitted.position << 20 | 1
            return GatewayResponse.json(.object(["signalKey": .string(String(signalKey)), "tenantId": .string(Self.defaultTenant)]))
        }
    }
}

extension EngineRest {
    /// `POST /engine-rest/signal` (`name`, typed `variables`): Camunda 7 answers 204.
    /// Delivering to one execution (`executionId`) is not served: a signal reaches every
    /// subscription of its name.
    func registerSignals(on rest: RouterGroup<BasicRequestContext>) {
        rest.post("signal") { request, _ in
            let body = try await gateway.jsonObject(of: request)
            guard let name = try RequestFields.string(body, "name", required: true), !name.isEmpty else {
                throw GatewayError.invalid("name: the signal to broadcast is required")
            }
            if let execution = try RequestFields.string(body, "executionId"), !execution.isEmpty {
                throw GatewayError.invalid("executionId: Baton broadcasts signals to every subscription; delivering one to a single execution is not supported")
            }
            if let tenant = try RequestFields.string(body, "tenantId"), !tenant.isEmpty {
                throw GatewayError.invalid("tenantId: tenant '\(tenant)' does not exist (Baton has no tenants)")
            }
            let variables = try CamundaVariables.decode(body["variables"], field: "variables")
            if case .rejected(let reason) = try await submit(SignalBroadcast.command(name: name, variables: variables, gateway: gateway)) {
                throw GatewayError.invalid("signal '\(name)' was not broadcast: \(reason)")
            }
            return GatewayResponse.noContent()
        }
    }
}
