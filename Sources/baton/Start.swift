import ArgumentParser
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker

/// `baton start PROCESS`: appends a createInstance command for the latest version.
struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a process instance: append a createInstance command to the journal.",
        discussion: """
            The command goes to the journal partition of the correlation id (murmur2, as Kafka's \
            Java client computes it) and names the exact process version (the latest deployed, \
            unless --version says otherwise). A running 'baton run' processes it within \
            milliseconds; without one, it waits in the journal. A second start for a correlation \
            id that already has an active instance of the process is rejected by the engine (and \
            copied to baton.dead-letter with the reason) unless --allow-duplicate is given.
            """)

    @OptionGroup var data: DataDirectory

    @Argument(help: "The BPMN process id.")
    var processId: String

    @Option(help: "The instance's correlation id: its partitioning key (for example an order id).")
    var correlationId: String

    @Option(help: "Variables as a JSON object, for example '{\"order\":{\"total\":250}}'.")
    var vars = "{}"

    @Option(help: "A business key to keep with the instance.")
    var businessKey = ""

    @Option(help: "A process version; the latest deployed if omitted.")
    var version: Int32?

    @Flag(help: "Start even if an instance of this process is active for the correlation id (by default the engine rejects that: one order, one instance).")
    var allowDuplicate = false

    func run() throws {
        let variables = try parseVariables(vars)
        let log = try data.openLog()
        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        guard let latest = catalog.registry.latestVersion(of: processId) else {
            throw ValidationError("process '\(processId)' is not deployed; deploy its BPMN file first ('baton deploy FILE')")
        }
        let chosen = version ?? latest
        guard catalog.registry.process(id: processId, version: chosen) != nil else {
            throw ValidationError("process '\(processId)' has no version \(chosen) (latest is \(latest))")
        }
        let command = Record.command(
            .createInstance, key: correlationId,
            value: .instance(InstanceRecord(
                processId: processId, processVersion: chosen, businessKey: businessKey, variables: variables,
                deploymentPosition: catalog.position, allowDuplicate: allowDuplicate)),
            timestamp: WallClock.now())
        let (partition, position) = try CommandWriter(log: log).append(command)
        print("createInstance for '\(correlationId)' (process '\(processId)' version \(chosen)) appended to journal partition \(partition) at position \(position)")
    }
}

/// `--vars` as a JSON object, or a validation error that says what is wrong with it.
func parseVariables(_ text: String, requireOne: Bool = false) throws -> [String: JSONValue] {
    let object: [String: JSONValue]?
    do {
        object = try JSONValue.parse(text).objectValue
    } catch {
        throw ValidationError("--vars is not valid JSON: \(error)")
    }
    guard let object, !requireOne || !object.isEmpty else {
        throw ValidationError(requireOne ? "--vars must be a JSON object with at least one variable" : "--vars must be a JSON object")
    }
    return object
}
