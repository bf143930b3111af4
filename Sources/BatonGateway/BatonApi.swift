import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import Hummingbird

/// Baton's own JSON API, for what neither Camunda API covers (docs/baton-api.openapi.yaml):
/// an instance's history from the journal, retrying incidents in bulk by topic, element or
/// error, and the lag of every task topic's workers.
struct BatonApi: Sendable {
    let gateway: Gateway
    static let root = "/baton/v1"
    /// Most records one history answer holds (the newest are cut, and it says so).
    static let maximumHistoryRecords = 10_000

    func register(on router: Router<BasicRequestContext>) {
        let api = router.group(RouterPath(Self.root))
        api.get("instances/:id/history") { _, context in try await history(context.parameters.get("id") ?? "") }
        api.post("incidents/retry") { request, _ in try await retryIncidents(request) }
        api.get("lag") { _, _ in try await lag() }
    }

    /// Every record of the instance(s) of a correlationId, or of one instance key, read from
    /// the journal, in the events topic's JSON form.
    private func history(_ id: String) async throws -> Response {
        guard !id.isEmpty, id.utf8.count <= 1024 else { throw GatewayError.invalid("id must be a correlationId or an instance key (1 to 1024 bytes)") }
        let log = gateway.log
        let catalog = gateway.readModel.catalog()
        let history = try await DedicatedThread.run { try InstanceHistory.collect(id, log: log, catalog: catalog) }
        guard !history.records.isEmpty else { throw GatewayError.notFound("no records for '\(id)' in the journal") }
        var process: [Int64: (id: String, version: Int32)] = [:]
        var records: [JSONValue] = []
        for (index, record) in history.records.prefix(Self.maximumHistoryRecords).enumerated() {
            if case .instance(let value) = record.value, record.intent == .instanceCreated {
                process[value.instanceKey] = (value.processId, value.processVersion)
            }
            let owner = process[record.value.instanceKey]
            let graph = owner.flatMap { catalog.registry.process(id: $0.id, version: $0.version)?.process }
            let bytes = EventJSON.record(record, partition: record.partition, position: record.position, index: index, process: owner, graph: graph)
            records.append(try JSONValue.parse(bytes))
        }
        return GatewayResponse.json(.object([
            "correlationId": .string(history.correlationId), "instanceKeys": .array(history.instanceKeys.map { .string(String($0)) }),
            "records": .array(records), "truncated": .bool(history.records.count > Self.maximumHistoryRecords),
        ]))
    }

    /// Resolves the open incidents matching every filter given (`topic`, `elementId`,
    /// `errorContains`), or all of them with `all: true`; their tasks get `retries` back.
    private func retryIncidents(_ request: Request) async throws -> Response {
        let body = try await gateway.jsonObject(of: request)
        let topic = try RequestFields.string(body, "topic")
        let element = try RequestFields.string(body, "elementId")
        let error = try RequestFields.string(body, "errorContains")
        let all = try RequestFields.bool(body, "all") ?? false
        let retries = Int32(try RequestFields.integer(body, "retries", minimum: 1, maximum: Int64(Int32.max)) ?? 3)
        let chosen = try gateway.readModel.read { states, processes in
            try IncidentSelection(topic: topic, elementId: element, errorContains: error, all: all).choose(in: states, processes: processes)
        }
        try await IncidentSelection.resolve(chosen, retries: retries, log: gateway.log)
        return GatewayResponse.json(.object([
            "retried": .number(Double(chosen.count)),
            "incidents": .array(chosen.map { .string(String($0.incident.key)) }),
        ]))
    }

    /// Per task topic, and per partition: end, committed position of the topic's workers'
    /// group and the lag between them (what an autoscaler scales workers on).
    private func lag() async throws -> Response {
        let log = gateway.log
        let partitions = try await DedicatedThread.run { try TaskTopicLag.measure(log) }
        let topics = TaskTopicLag.totals(partitions).map { total -> JSONValue in
            .object([
                "topic": .string(total.topic), "group": .string(total.group), "partitions": .number(Double(total.partitions)),
                "end": .number(Double(total.end)), "committed": .number(Double(total.committed)), "lag": .number(Double(total.lag)),
            ])
        }
        return GatewayResponse.json(.object([
            "topics": .array(topics),
            "partitions": .array(partitions.map { lag in
                .object([
                    "topic": .string(lag.topic), "partition": .number(Double(lag.partition)), "end": .number(Double(lag.end)),
                    "committed": lag.committed.map { .number(Double($0)) } ?? .null, "lag": .number(Double(lag.lag)),
                ])
            }),
        ]))
    }
}
