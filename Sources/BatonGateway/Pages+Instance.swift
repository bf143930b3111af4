import BatonBPMN
import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import Hummingbird

extension Pages {
    /// Most history rows an instance page shows.
    static let listedRecords = 2_000

    /// An instance (by key or correlation id): where its tokens are, the path taken,
    /// variables, taskResults and its history; with `position`, all of it as it was right
    /// after the journal entry at that position of its partition (the journal folded from
    /// its start up to there: time travel).
    func instance(_ id: String, position: String?) async throws -> Response {
        guard !id.isEmpty, id.utf8.count <= 1024 else { throw GatewayError.invalid("the instance must be an instance key or a correlationId (1 to 1024 bytes)") }
        let at = try position.flatMap { $0.isEmpty ? nil : $0 }.map { text -> Int64 in
            guard let value = Int64(text), value >= 0 else { throw GatewayError.invalid("position must be a journal position (a whole number from 0), not '\(text)'") }
            return value
        }
        let log = gateway.log
        let catalog = gateway.readModel.catalog()
        let history = try await DedicatedThread.run { try InstanceHistory.collect(id, log: log, catalog: catalog) }
        guard let created = history.records.first(where: { $0.intent == .instanceCreated }), case .instance(let started) = created.value else {
            throw GatewayError.notFound("no instance '\(id)' in the journal")
        }
        let key = started.instanceKey
        let partition = created.partition
        let shown: InstanceState?
        if let at {
            shown = try await DedicatedThread.run {
                let replica = PartitionProcessor(partition: partition, log: log, snapshots: nil, clock: WallClock.now)
                try replica.rebuild(upTo: at + 1, useSnapshot: false)
                return replica.engine.state.instances[key]
            }
        } else {
            shown = gateway.readModel.instance(key: key)
        }
        // This instance's records with the journal position of their step.
        let lines = history.lines(catalog: catalog)
        let own = zip(zip(history.records, history.stepPositions), lines).filter { $0.0.0.value.instanceKey == key }.map { (record: $0.0.0, position: $0.0.1, line: $0.1) }
        let records = own.filter { at == nil || $0.position <= at! }.map(\.record)
        let graph = catalog.registry.process(id: started.processId, version: started.processVersion)?.process
        func elementId(_ index: Int32) -> String { graph.map { index >= 0 && Int(index) < $0.elements.count ? $0.elements[Int(index)].id : "#\(index)" } ?? "#\(index)" }

        var overlay = DiagramOverlay()
        for record in records where record.intent == .elementCompleted {
            if case .element(let value) = record.value { overlay.classes[elementId(value.elementIndex)] = ["done"] }
        }
        for element in shown?.elements.values ?? [:].values {
            overlay.classes[elementId(element.elementIndex)] = ["token"]
            overlay.badges[elementId(element.elementIndex), default: []].append(.init(kind: "tokens", count: 1))
        }
        for incident in shown?.incidents.values ?? [:].values {
            overlay.classes[elementId(incident.elementIndex), default: []].append("incident")
        }
        let diagram = try Self.diagram(processId: started.processId, version: started.processVersion, catalog: catalog, overlay: overlay)

        let first = own.map(\.position).min() ?? 0, last = own.map(\.position).max() ?? 0
        let state: String
        if let shown {
            let tokens = Self.elementIds(of: shown, catalog: catalog)
            state = "active, tokens at \(tokens.isEmpty ? "nothing" : tokens.joined(separator: ", "))" + (shown.incidents.isEmpty ? "" : "; <span class=\"alert\">\(shown.incidents.count) open incident(s)</span>")
        } else if records.contains(where: { $0.intent == .instanceCompleted || $0.intent == .instanceCanceled }) {
            state = records.contains { $0.intent == .instanceCanceled } ? "canceled" : "completed"
        } else {
            state = "not started yet"
        }
        let travel = "<form method=\"get\">Journal position (partition \(partition)): "
            + "<input type=\"range\" name=\"position\" min=\"\(first)\" max=\"\(last)\" value=\"\(at ?? last)\"> "
            + "<input type=\"number\" name=\"position\" min=\"0\" value=\"\(at.map(String.init) ?? "")\" placeholder=\"live\"> <button>Show</button></form> "
            + "<a href=\"\(Self.root)/instances/\(key)\">live</a>"
        var rows = ""
        let shownRows = own.filter { at == nil || $0.position <= at! }
        for row in shownRows.prefix(Self.listedRecords) {
            let now = at == row.position
            rows += "<tr\(now ? " class=\"now\"" : "")><td><a href=\"?position=\(row.position)\">\(row.position)</a></td><td><code>\(HTMLPage.text(row.line))</code></td></tr>"
        }
        let later = own.count - shownRows.count
        let title = "\(history.correlationId) (instance \(key))"
        let body = "<p><a href=\"\(Self.root)\">Processes</a> › <a href=\"\(Self.root)/processes/\(HTMLPage.url(started.processId))?version=\(started.processVersion)\">\(HTMLPage.text(started.processId)) v\(started.processVersion)</a> › \(HTMLPage.text(history.correlationId))</p>"
            + "<h1>\(HTMLPage.text(title))</h1>"
            + "<p>\(at.map { "As it was after journal position \($0): " } ?? "Now: ")\(state)</p>\(travel)"
            + "<div class=\"diagram\">\(diagram)</div>"
            + "<h2>Variables</h2><pre>\(HTMLPage.text(JSONValue.object(shown?.variables ?? [:]).jsonText))</pre>"
            + "<h2>taskResults</h2><pre>\(HTMLPage.text((shown?.processTaskResults.json).map(\.jsonText) ?? "[]"))</pre>"
            + "<h2>History</h2><p>Each position links to the instance as it was right after it\(later > 0 ? "; \(later) later event(s) are not shown at this position" : "").</p><table><tr><th>position</th><th>event</th></tr>\(rows)</table>"
        return HTMLPage.response(title: title, body: body, refreshSeconds: at == nil ? 5 : nil)
    }
}
