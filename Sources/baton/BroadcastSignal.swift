import ArgumentParser
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker

/// `baton broadcast-signal NAME`: appends a broadcastSignal command.
struct BroadcastSignal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcast-signal",
        abstract: "Broadcast a BPMN signal: append a broadcastSignal command to the journal.",
        discussion: """
            A signal has no correlation key: it reaches every element waiting for a signal of \
            that name (catch events, boundary events, event sub-process starts) in every \
            instance on every journal partition, and starts the latest version of each process \
            whose signal start event it is, once. The command goes to the partition of the \
            signal's name, which starts the processes and sends the signal on to the others. \
            Nothing waiting: the signal is gone (signals are not buffered).
            """)

    @OptionGroup var data: DataDirectory

    @Argument(help: "The signal name (<signal name=\"...\"> in the BPMN file).")
    var name: String

    @Option(help: "Variables as a JSON object, merged into every instance the signal reaches or starts.")
    var vars = "{}"

    func run() throws {
        guard !name.isEmpty, name.utf8.count <= 1024 else { throw ValidationError("the signal name must have 1 to 1024 bytes") }
        let variables = try parseVariables(vars)
        let log = try data.openLog()
        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        var signal = MessageRecord(name: name, variables: variables)
        signal.deploymentPosition = catalog.position
        let command = Record.command(.broadcastSignal, key: name, value: .message(signal), timestamp: WallClock.now())
        let (partition, position) = try CommandWriter(log: log).append(command)
        print("broadcastSignal '\(name)' appended to journal partition \(partition) at position \(position)")
    }
}
