import ArgumentParser

@main
struct Baton: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton",
        abstract: "Baton: BPMN 2.0 workflows as a fold over a log.",
        discussion: """
            Baton reads BPMN 2.0 files made in Camunda Modeler (Camunda 7 or Camunda 8 style) or by \
            hand and compiles them into executable process graphs.

            Available now: 'baton validate' checks BPMN files the way a deployment will. The \
            engine, the embedded log and the Kafka runtime are not built yet.
            """,
        subcommands: [Validate.self])
}
