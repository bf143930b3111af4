import ArgumentParser
import BatonEngine
import BatonModel
import BatonRuntime

/// `baton instances`: the active instances, rebuilt from the log.
struct Instances: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List active process instances (state rebuilt from snapshot + journal).",
        discussion: "Reads the log without writing; safe while 'baton run' is running on the same data folder.")

    @OptionGroup var data: DataDirectory

    @Option(help: "Show at most this many instances.")
    var limit = 50

    func run() throws {
        let processors = try data.rebuild(try data.openLog())
        let instances = processors.flatMap { $0.engine.state.instances.values }.sorted { $0.startTime < $1.startTime }
        print("\(instances.count) active instance(s) on \(processors.count) partition(s)")
        for instance in instances.prefix(limit) {
            let process = processors[0].catalog.registry.process(id: instance.processId, version: instance.processVersion)?.process
            let tokens = instance.elements.values.map { process?[element: $0.elementIndex].id ?? "#\($0.elementIndex)" }.sorted()
            let incidents = instance.incidents.isEmpty ? "" : "  incidents: \(instance.incidents.count)"
            print("  \(instance.correlationId)  key \(instance.key)  \(instance.processId) v\(instance.processVersion)  at \(tokens.joined(separator: ", "))\(incidents)")
        }
        if instances.count > limit { print("  ... \(instances.count - limit) more (--limit)") }
    }
}

/// `baton instance ID`: where the tokens are, variables, taskResults, incidents.
struct Instance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one instance: where its tokens are, its variables, taskResults and incidents.",
        discussion: "ID is the correlation id or the instance key. A completed instance is shown from its history. An instance a call activity started shares its caller's correlation id and shows with it: the call activity names it (and its incidents), it names its caller.")

    @OptionGroup var data: DataDirectory

    @Argument(help: "Correlation id or instance key.")
    var id: String

    func run() throws {
        let log = try data.openLog()
        let processors = try data.rebuild(log)
        let all = processors.flatMap { $0.engine.state.instances.values }
        let matches = all.filter { $0.correlationId == id || String($0.key) == id }
        let catalog = processors[0].catalog
        if matches.isEmpty {
            let history = try InstanceHistory.collect(id, log: log, catalog: catalog)
            guard !history.records.isEmpty else { throw ValidationError("no instance '\(id)' in the journal") }
            let ended = history.records.last { $0.intent == .instanceCompleted || $0.intent == .instanceCanceled }
            print("instance '\(history.correlationId)' is not active (\(ended?.intent == .instanceCanceled ? "canceled" : "completed")); its history:")
            history.lines(catalog: catalog).forEach { print("  \($0)") }
            return
        }
        for instance in matches {
            let process = catalog.registry.process(id: instance.processId, version: instance.processVersion)?.process
            func name(_ index: Int32) -> String { process?[element: index].id ?? "#\(index)" }
            print("instance \(instance.key)  correlationId \(instance.correlationId)  process \(instance.processId) v\(instance.processVersion)")
            if instance.parentInstanceKey != 0 {
                print("called by instance \(instance.parentInstanceKey) (call activity element instance \(instance.parentElementInstanceKey))")
            }
            print("tokens:")
            for element in instance.elements.values.sorted(by: { $0.key < $1.key }) {
                var line = "  \(name(element.elementIndex)) (element instance \(element.key))"
                if let task = instance.tasks.values.first(where: { $0.elementInstanceKey == element.key }) {
                    line += "  task \(task.key) [\(task.topic)] attempt \(task.attempt), retries \(task.retries), \(task.phase)"
                }
                // A call activity waits for the instance it called; that one's incidents show here too.
                if let called = all.first(where: { $0.parentInstanceKey == instance.key && $0.parentElementInstanceKey == element.key }) {
                    line += "  calls instance \(called.key) (\(called.processId) v\(called.processVersion))"
                    if !called.incidents.isEmpty { line += ", which has \(called.incidents.count) incident(s)" }
                }
                print(line)
            }
            print("variables: \(JSONValue.object(instance.variables).jsonText)")
            print("processTaskResults: \(instance.processTaskResults.json.jsonText)")
            print("incidents: \(instance.incidents.isEmpty ? "none" : "")")
            for incident in instance.incidents.values.sorted(by: { $0.key < $1.key }) {
                print("  \(incident.key) on \(name(incident.elementIndex)): \(incident.kind) — \(incident.message)")
            }
        }
    }
}
