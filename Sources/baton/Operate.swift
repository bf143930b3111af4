import ArgumentParser
import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker

/// The active instances an operator command names: by correlation id (all of its active
/// instances, usually one, but not those a call activity started: they go with their
/// caller) or by instance key.
func activeInstances(_ id: String, processId: String?, data: DataDirectory) throws -> [InstanceState] {
    let processors = try data.rebuild(try data.openLog())
    let all: [InstanceState] = processors.flatMap { Array($0.engine.state.instances.values) }
    let matches = all.filter { instance in
        let named = (instance.correlationId == id && instance.parentInstanceKey == 0) || String(instance.key) == id
        return named && (processId == nil || instance.processId == processId)
    }.sorted { $0.key < $1.key }
    guard !matches.isEmpty else {
        throw ValidationError("no active instance '\(id)'\(processId.map { " of process '\($0)'" } ?? ""): it completed, was canceled, or never started ('baton instance \(id)' shows its history)")
    }
    return matches
}

/// Appends one command per instance, keyed by its correlation id.
func appendOperatorCommands(_ commands: [Record], data: DataDirectory) throws {
    let writer = CommandWriter(log: try data.openLog())
    for command in commands {
        let (partition, position) = try writer.append(command)
        print("\(command.intent) for instance \(command.value.instanceKey) ('\(command.key)') appended to journal partition \(partition) at position \(position)")
    }
}

/// `baton cancel ID`.
struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel process instances: every element ends and nothing continues.",
        discussion: """
            ID is a correlation id (every active instance of it, usually one) or an instance key. \
            The engine terminates every element of the instance, children first: tasks are \
            canceled (a worker's late answer is rejected), timers canceled, open incidents \
            resolved; then the instance is canceled. The command is appended to the journal; \
            a running engine processes it within milliseconds.
            """)

    @OptionGroup var data: DataDirectory

    @Argument(help: "Correlation id or instance key.")
    var id: String

    @Option(help: "Only instances of this process id.")
    var process: String?

    func run() throws {
        let commands = try activeInstances(id, processId: process, data: data).map { instance in
            Record.command(.cancelInstance, key: instance.correlationId, value: .instance(InstanceRecord(instanceKey: instance.key)), timestamp: WallClock.now())
        }
        try appendOperatorCommands(commands, data: data)
    }
}

/// `baton set-variables ID --vars JSON`.
struct SetVariables: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-variables",
        abstract: "Set variables of process instances (merged into the process scope).",
        discussion: """
            ID is a correlation id (every active instance of it, usually one) or an instance key. \
            The variables are merged into the instance's variables, replacing those of the same \
            name; conditions and mappings evaluated afterwards see them. Typical use: correct \
            the data behind an incident, then 'baton incidents retry'.
            """)

    @OptionGroup var data: DataDirectory

    @Argument(help: "Correlation id or instance key.")
    var id: String

    @Option(help: "Variables as a JSON object, for example '{\"approved\":true}'.")
    var vars: String

    @Option(help: "Only instances of this process id.")
    var process: String?

    func run() throws {
        let variables = try parseVariables(vars, requireOne: true)
        let commands = try activeInstances(id, processId: process, data: data).map { instance in
            Record.command(.setVariables, key: instance.correlationId,
                           value: .variables(VariablesRecord(instanceKey: instance.key, variables: variables)), timestamp: WallClock.now())
        }
        try appendOperatorCommands(commands, data: data)
    }
}
