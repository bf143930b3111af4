import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime

/// Which open incidents a retry is for: one by key, or those matching every filter given
/// (task topic, element id, text in the error), or all. Shared by Baton's JSON API and
/// the incidents page.
struct IncidentSelection {
    var incident: Int64?
    var topic: String?
    var elementId: String?
    var errorContains: String?
    var all = false

    func choose(in states: [EngineState], processes: ProcessRegistry) throws(GatewayError) -> [(instance: InstanceState, incident: IncidentState)] {
        guard all || incident != nil || topic != nil || elementId != nil || errorContains != nil else {
            throw GatewayError.invalid("say which incidents: topic, elementId, errorContains, or all")
        }
        return states.flatMap { state in
            state.instances.values.flatMap { instance in
                instance.incidents.values.compactMap { open -> (InstanceState, IncidentState)? in
                    let task = open.taskKey == 0 ? nil : instance.tasks[open.taskKey]
                    let process = processes.process(id: instance.processId, version: instance.processVersion)?.process
                    if let incident, open.key != incident { return nil }
                    if let topic, task?.topic != topic { return nil }
                    if let elementId, process.map({ $0[element: open.elementIndex].id }) != elementId { return nil }
                    if let errorContains, !open.message.contains(errorContains) { return nil }
                    return (instance, open)
                }
            }
        }.sorted { $0.1.key < $1.1.key }
    }

    /// Appends a `resolveIncident` command for each of `chosen`: their tasks get `retries`.
    static func resolve(_ chosen: [(instance: InstanceState, incident: IncidentState)], retries: Int32, log: any Log) async throws {
        let now = WallClock.now()
        let commands = chosen.map { instance, incident in
            Record.command(
                .resolveIncident, key: instance.correlationId,
                value: .incident(IncidentRecord(instanceKey: instance.key, incidentKey: incident.key, retries: retries)), timestamp: now)
        }
        try await DedicatedThread.run { try CommandWriter(log: log).appendEach(commands) }
    }
}
