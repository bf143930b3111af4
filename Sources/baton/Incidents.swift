import ArgumentParser
import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker

/// `baton incidents list|retry`.
struct Incidents: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List open incidents, or retry them in bulk once the failing service is healthy again.",
        subcommands: [List.self, Retry.self])

    /// One open incident with what the filters and the output need.
    struct Open {
        let instance: InstanceState
        let incident: IncidentState
        let elementId: String
        let topic: String?
    }

    static func open(_ data: DataDirectory) throws -> [Open] {
        let processors = try data.rebuild(try data.openLog())
        let catalog = processors[0].catalog
        return processors.flatMap { $0.engine.state.instances.values }.flatMap { instance in
            instance.incidents.values.map { incident in
                let process = catalog.registry.process(id: instance.processId, version: instance.processVersion)?.process
                return Open(
                    instance: instance, incident: incident,
                    elementId: process?[element: incident.elementIndex].id ?? "#\(incident.elementIndex)",
                    topic: instance.tasks[incident.taskKey]?.topic)
            }
        }.sorted { $0.incident.key < $1.incident.key }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List open incidents (state rebuilt from the log).")
        @OptionGroup var data: DataDirectory

        func run() throws {
            let open = try Incidents.open(data)
            print("\(open.count) open incident(s)")
            for item in open {
                print("  \(item.incident.key)  \(item.instance.correlationId)  \(item.elementId)\(item.topic.map { " [\($0)]" } ?? "")  \(item.incident.kind): \(item.incident.message)")
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve incidents in bulk: their tasks are published again with new retries.",
            discussion: """
                Choose the incidents with --topic (the task topic), --element (the BPMN element id), or \
                --all. Each chosen incident gets a resolveIncident command in the journal; the engine \
                re-publishes its task with --retries retries (or runs the failed step again for \
                expression incidents).
                """)
        @OptionGroup var data: DataDirectory
        @Option(help: "Only incidents of tasks on this topic.") var topic: String?
        @Option(help: "Only incidents on this BPMN element id.") var element: String?
        @Flag(help: "Every open incident.") var all = false
        @Option(help: "Retries the task gets back.") var retries: Int32 = 3

        func validate() throws {
            guard all || topic != nil || element != nil else { throw ValidationError("say which incidents: --topic, --element or --all") }
            guard retries >= 1 else { throw ValidationError("--retries must be at least 1") }
        }

        func run() throws {
            let chosen = try Incidents.open(data).filter { item in
                (topic == nil || item.topic == topic) && (element == nil || item.elementId == element)
            }
            let count = try Incidents.retry(chosen.map { ($0.instance, $0.incident) }, retries: retries, log: try data.openLog())
            print("asked to retry \(count) incident(s) with \(retries) retries each")
        }
    }

    /// Appends one resolveIncident command per incident, batched per journal partition.
    static func retry(_ incidents: [(InstanceState, IncidentState)], retries: Int32, log: any Log) throws -> Int {
        let now = WallClock.now()
        try CommandWriter(log: log).appendEach(incidents.map { instance, incident in
            Record.command(
                .resolveIncident, key: instance.correlationId,
                value: .incident(IncidentRecord(instanceKey: instance.key, incidentKey: incident.key, retries: retries)), timestamp: now)
        })
        return incidents.count
    }
}
