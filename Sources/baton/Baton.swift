import ArgumentParser

@main
struct Baton: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton",
        abstract: "Baton: BPMN 2.0 workflows as a fold over a log.",
        discussion: """
            Baton reads BPMN 2.0 files made in Camunda Modeler (Camunda 7 or Camunda 8 style) or by \
            hand and compiles them into executable process graphs.

            Everything runs on the embedded log in --data-dir (default ./baton-data): 'baton run' \
            is the engine; the other commands append commands to the journal or rebuild state from \
            it, and are safe to use while 'baton run' runs. With --kafka HOST:PORT the same commands \
            use Kafka instead (one engine process runs every journal partition for now).
            """,
        subcommands: [
            Run.self, EngineCommand.self, WorkerCommand.self, GatewayCommand.self, Ingest.self, Deploy.self, Start.self, PublishMessage.self, BroadcastSignal.self, Produce.self, Instances.self, Instance.self, Cancel.self, SetVariables.self,
            Incidents.self, Replay.self, Prune.self, Demo.self, Bench.self,
            TopicsCommand.self, Validate.self, Diagram.self,
        ])
}
