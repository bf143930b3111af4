import ArgumentParser
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker

/// `baton publish-message NAME --correlation-key K`: appends a publishMessage command.
struct PublishMessage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish-message",
        abstract: "Publish a BPMN message: append a publishMessage command to the journal.",
        discussion: """
            The message goes to the journal partition of its correlation key, where the \
            instances whose correlation id is that key live: it is correlated in one step to \
            every instance waiting there for a message of that name (one waiting element per \
            instance), and starts the processes whose message start event it is (where no \
            instance of the process is active for the key). With --ttl it waits that long for \
            an instance to subscribe; a second message with the same --message-id is rejected \
            while the first waits. Nothing waiting and no --ttl: the message is dropped, as \
            Zeebe does.
            """)

    @OptionGroup var data: DataDirectory

    @Argument(help: "The message name (<message name=\"...\"> in the BPMN file).")
    var name: String

    @Option(help: "The correlation key: the correlation id of the instances it is for (or the value of their zeebe:subscription correlationKey).")
    var correlationKey: String

    @Option(help: "Variables as a JSON object, merged into the instance that catches the message.")
    var vars = "{}"

    @Option(help: "How long the message waits for a subscription: milliseconds or an ISO-8601 duration (PT10M).")
    var ttl = "0"

    @Option(help: "An id unique among the buffered messages of this name and key (a second one is rejected while the first waits).")
    var messageId = ""

    func run() throws {
        let variables = try parseVariables(vars)
        let timeToLive = try parseDuration(ttl, option: "--ttl")
        let log = try data.openLog()
        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        var message = MessageRecord(name: name, variables: variables, timeToLive: timeToLive, messageId: messageId)
        message.deploymentPosition = catalog.position
        let command = Record.command(.publishMessage, key: correlationKey, value: .message(message), timestamp: WallClock.now())
        let (partition, position) = try CommandWriter(log: log).append(command)
        print("publishMessage '\(name)' for '\(correlationKey)' appended to journal partition \(partition) at position \(position)")
    }
}

/// Milliseconds, or an ISO-8601 duration, or a validation error naming the option.
func parseDuration(_ text: String, option: String) throws -> Int64 {
    if let milliseconds = Int64(text) {
        guard milliseconds >= 0 else { throw ValidationError("\(option) must not be negative") }
        return milliseconds
    }
    do {
        return try ISO8601.durationMilliseconds(text)
    } catch {
        throw ValidationError("\(option) '\(text)': \(error) (milliseconds, or an ISO-8601 duration such as PT10M)")
    }
}
