import BatonBPMN
import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import Hummingbird

/// Pages for people, under `/ui`: the processes with their versions and counts, a process
/// with its diagram (tokens waiting and incidents per element), an instance with its
/// tokens, path, variables, task results and history at any journal position, and the open
/// incidents with retry. Server-rendered HTML with inline SVG: no scripts, no external
/// assets; behind the gateway's authentication like every other route.
struct Pages: Sendable {
    let gateway: Gateway
    static let root = "/ui"
    /// Most instances a process page lists.
    static let listedInstances = 200

    func register(on router: Router<BasicRequestContext>) {
        let pages = router.group(RouterPath(Self.root))
        pages.get("") { _, _ in processes() }
        pages.get("processes/:id") { request, context in try process(context.parameters.get("id") ?? "", version: request.uri.queryParameters.get("version")) }
        pages.get("instances/:id") { request, context in try await instance(context.parameters.get("id") ?? "", position: request.uri.queryParameters.get("position")) }
        pages.get("incidents") { request, _ in incidents(retried: request.uri.queryParameters.get("retried").flatMap { Int($0) }) }
        pages.post("incidents/retry") { request, _ in try await retry(request) }
    }

    // MARK: processes

    private func processes() -> Response {
        let catalog = gateway.readModel.catalog()
        let counts = gateway.readModel.read { states, _ in
            var counts: [String: (instances: Int, incidents: Int)] = [:]
            for instance in states.flatMap(\.instances.values) {
                counts["\(instance.processId) \(instance.processVersion)", default: (0, 0)].instances += 1
                counts["\(instance.processId) \(instance.processVersion)", default: (0, 0)].incidents += instance.incidents.count
            }
            return counts
        }
        var rows = ""
        for deployed in catalog.versions.sorted(by: { ($0.processId, -$0.version) < ($1.processId, -$1.version) }) {
            let count = counts["\(deployed.processId) \(deployed.version)"] ?? (0, 0)
            rows += "<tr><td><a href=\"\(Self.root)/processes/\(HTMLPage.url(deployed.processId))?version=\(deployed.version)\">\(HTMLPage.text(deployed.processId))</a></td>"
                + "<td>\(deployed.version)</td><td>\(HTMLPage.text(deployed.fileName))</td><td>\(count.instances)</td><td\(count.incidents > 0 ? " class=\"alert\"" : "")>\(count.incidents)</td></tr>"
        }
        let body = "<h1>Processes</h1>"
            + (rows.isEmpty ? "<p>Nothing is deployed yet: <code>baton deploy FILE.bpmn</code>.</p>"
                : "<table><tr><th>process</th><th>version</th><th>file</th><th>active instances</th><th>open incidents</th></tr>\(rows)</table>")
        return HTMLPage.response(title: "Processes", body: body, refreshSeconds: 5)
    }

    // MARK: one process

    private func process(_ processId: String, version: String?) throws -> Response {
        let catalog = gateway.readModel.catalog()
        let versions = catalog.versions.filter { $0.processId == processId }
        guard let newest = versions.map(\.version).max() else { throw GatewayError.notFound("no process '\(processId)' is deployed") }
        let chosen = try version.map { text -> Int32 in
            guard let number = Int32(text), versions.contains(where: { $0.version == number }) else {
                throw GatewayError.notFound("process '\(processId)' has no version '\(text)' (versions \(versions.map { String($0.version) }.joined(separator: ", ")))")
            }
            return number
        } ?? newest
        let (instances, tokens, incidents) = gateway.readModel.read { states, processes in
            let graph = processes.process(id: processId, version: chosen)?.process
            var tokens: [String: Int] = [:]
            var incidents: [String: Int] = [:]
            var instances: [InstanceState] = []
            for instance in states.flatMap(\.instances.values) where instance.processId == processId && instance.processVersion == chosen {
                instances.append(instance)
                for element in instance.elements.values { tokens[graph?[element: element.elementIndex].id ?? "", default: 0] += 1 }
                for incident in instance.incidents.values { incidents[graph?[element: incident.elementIndex].id ?? "", default: 0] += 1 }
            }
            return (instances.sorted { $0.key < $1.key }, tokens, incidents)
        }
        var overlay = DiagramOverlay()
        for (element, count) in tokens { overlay.badges[element, default: []].append(.init(kind: "tokens", count: count)) }
        for (element, count) in incidents {
            overlay.badges[element, default: []].append(.init(kind: "incidents", count: count))
            overlay.classes[element, default: []].append("incident")
        }
        // The heat map: the more tokens wait at an element, the stronger its colour.
        let most = tokens.values.max() ?? 0
        for (element, count) in tokens where count > 0 { overlay.classes[element, default: []].append("heat-\(max(1, (count * 5 + most - 1) / max(most, 1)))") }
        let diagram = try Self.diagram(processId: processId, version: chosen, catalog: catalog, overlay: overlay)
        var rows = ""
        for instance in instances.prefix(Self.listedInstances) {
            rows += "<tr><td><a href=\"\(Self.root)/instances/\(instance.key)\">\(instance.key)</a></td><td>\(HTMLPage.text(instance.correlationId))</td>"
                + "<td>\(HTMLPage.text(Self.elementIds(of: instance, catalog: catalog).joined(separator: ", ")))</td><td\(instance.incidents.isEmpty ? "" : " class=\"alert\"")>\(instance.incidents.count)</td></tr>"
        }
        let versionLinks = versions.map(\.version).sorted().map { $0 == chosen ? "<b>v\($0)</b>" : "<a href=\"?version=\($0)\">v\($0)</a>" }.joined(separator: " ")
        let body = "<p><a href=\"\(Self.root)\">Processes</a> › \(HTMLPage.text(processId))</p><h1>\(HTMLPage.text(processId)) \(versionLinks)</h1>"
            + "<p>\(instances.count) active instance(s); a blue badge counts tokens waiting at an element, a red one open incidents.</p>"
            + "<div class=\"diagram\">\(diagram)</div>"
            + (rows.isEmpty ? "" : "<h2>Active instances\(instances.count > Self.listedInstances ? " (the first \(Self.listedInstances))" : "")</h2><table><tr><th>instance</th><th>correlation id</th><th>tokens at</th><th>incidents</th></tr>\(rows)</table>")
        return HTMLPage.response(title: processId, body: body, refreshSeconds: 5)
    }

    /// The SVG of a deployed version's diagram, or a note when its file has none.
    static func diagram(processId: String, version: Int32, catalog: DeploymentCatalog, overlay: DiagramOverlay) throws -> String {
        guard let deployed = catalog.versions.first(where: { $0.processId == processId && $0.version == version }),
            let file = catalog.files.last(where: { $0.position <= deployed.position && $0.fileName == deployed.fileName })
        else { return "<p>The deployment of this version is not readable here.</p>" }
        let document = try BPMNReader.read(file.bpmn, fileName: file.fileName)
        return DiagramRenderer(document: document).svg(for: processId, overlay: overlay)
            ?? "<p>\(HTMLPage.text(file.fileName)) has no diagram (BPMNDI) to draw.</p>"
    }

    static func elementIds(of instance: InstanceState, catalog: DeploymentCatalog) -> [String] {
        let graph = catalog.registry.process(id: instance.processId, version: instance.processVersion)?.process
        return instance.elements.values.sorted { $0.key < $1.key }.map { graph?[element: $0.elementIndex].id ?? "#\($0.elementIndex)" }
    }

    // MARK: incidents

    private func incidents(retried: Int?) -> Response {
        let catalog = gateway.readModel.catalog()
        let open = gateway.readModel.read { states, _ in
            states.flatMap(\.instances.values).flatMap { instance in instance.incidents.values.map { (instance, $0) } }.sorted { $0.1.key < $1.1.key }
        }
        var rows = ""
        var topics: Set<String> = []
        var elements: Set<String> = []
        for (instance, incident) in open {
            let element = catalog.registry.process(id: instance.processId, version: instance.processVersion)?.process[element: incident.elementIndex].id ?? "#\(incident.elementIndex)"
            let topic = instance.tasks[incident.taskKey]?.topic ?? ""
            if !topic.isEmpty { topics.insert(topic) }
            elements.insert(element)
            rows += "<tr><td>\(incident.key)</td><td><a href=\"\(Self.root)/instances/\(instance.key)\">\(HTMLPage.text(instance.correlationId))</a></td>"
                + "<td>\(HTMLPage.text(instance.processId)) v\(instance.processVersion)</td><td>\(HTMLPage.text(element))</td><td>\(HTMLPage.text(topic))</td>"
                + "<td>\(HTMLPage.text(incident.message))</td><td>" + HTMLPage.retryForm(["incident": String(incident.key)], label: "Retry") + "</td></tr>"
        }
        var bulk = ""
        if !open.isEmpty {
            bulk = "<h2>Retry in bulk</h2><p>" + HTMLPage.retryForm(["all": "true"], label: "Retry all \(open.count)")
            for topic in topics.sorted() { bulk += " " + HTMLPage.retryForm(["topic": topic], label: "Retry topic \(topic)") }
            for element in elements.sorted() { bulk += " " + HTMLPage.retryForm(["elementId": element], label: "Retry element \(element)") }
            bulk += "</p><form method=\"post\" action=\"\(Self.root)/incidents/retry\">Retry those whose error contains <input name=\"errorContains\" required> with <input name=\"retries\" value=\"3\" size=\"3\"> retries <button>Retry</button></form>"
        }
        let body = "<p><a href=\"\(Self.root)\">Processes</a> › Incidents</p>"
            + (retried.map { "<p class=\"now\">Asked to retry \($0) incident(s): their tasks are published again.</p>" } ?? "")
            + "<h1>Open incidents (\(open.count))</h1>"
            + (rows.isEmpty ? "<p>None.</p>" : "<table><tr><th>incident</th><th>instance</th><th>process</th><th>element</th><th>topic</th><th>error</th><th></th></tr>\(rows)</table>")
            + bulk
        return HTMLPage.response(title: "Incidents", body: body, refreshSeconds: 5)
    }

    /// A retry from the incidents page (a form post): one incident, or all that match a
    /// topic, an element, an error text, or all; back to the page with what was done.
    private func retry(_ request: Request) async throws -> Response {
        let form = try HTMLPage.form(try await gateway.body(of: request))
        let retries = try form["retries"].map { text -> Int32 in
            guard let number = Int32(text), number >= 1 else { throw GatewayError.invalid("retries must be a whole number from 1, not '\(text)'") }
            return number
        } ?? 3
        let incident = try form["incident"].map { text -> Int64 in
            guard let key = Int64(text) else { throw GatewayError.invalid("incident must be an incident key, not '\(text)'") }
            return key
        }
        let chosen = try gateway.readModel.read { states, processes in
            try IncidentSelection(incident: incident, topic: form["topic"], elementId: form["elementId"], errorContains: form["errorContains"], all: form["all"] == "true")
                .choose(in: states, processes: processes)
        }
        if let incident, chosen.isEmpty { throw GatewayError.notFound("no open incident \(incident)") }
        try await IncidentSelection.resolve(chosen, retries: retries, log: gateway.log)
        var response = Response(status: .seeOther)
        response.headers[.location] = "\(Self.root)/incidents?retried=\(chosen.count)"
        return response
    }
}
