import ArgumentParser
import BatonBPMN
import BatonModel
import BatonRuntime
import BatonStorage

/// `baton deploy FILE`: checks a BPMN file and appends it to the deployments topic.
struct Deploy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deploy a BPMN file: check it, then append it to the deployments topic.",
        discussion: """
            The file is compiled exactly as 'baton validate' does; a file whose executable \
            processes have problems is refused with every problem listed, and nothing is written. \
            Each executable process in the file gets the next version of its process id; the \
            same file deployed again (same name, same bytes) is not a new version. A deployment \
            carries a checksum of each compiled graph, and an engine whose compiler gives another \
            graph stops with the reason instead of running it. A running engine picks the \
            deployment up before it processes a command that needs it.

            A Camunda 7 model whose service tasks run Java (camunda:class, \
            camunda:delegateExpression, camunda:expression) deploys unchanged with \
            --delegate-topic, one per implementation: those tasks become external tasks of the \
            topic, and the mapping is stored with the deployment, so every engine compiles the \
            file the same way. Example: baton deploy --delegate-topic com.acme.ChargeCard=charge-card \
            --delegate-topic '${mailer}=send-mail' invoice.bpmn
            """)

    @OptionGroup var data: DataDirectory

    @OptionGroup var delegates: DelegateTopics

    @Argument(help: "The BPMN 2.0 file to deploy.")
    var file: String

    func run() throws {
        let log = try data.openLog()
        let deployed = try DeploymentCatalog.deploy(try POSIX.readFile(file), fileName: file, delegateTopics: try delegates.topics(), to: log)
        var catalog = DeploymentCatalog()
        guard try catalog.refresh(from: log, through: deployed.position) else {
            print("appended to \(Topics.deployments) at position \(deployed.position); reading it back timed out, so its versions are not shown")
            return
        }
        for note in deployed.compiled.processes.flatMap(\.notes) { print("note: \(note)") }
        for entry in catalog.versions where entry.position == deployed.position {
            if deployed.isNew {
                print("deployed process '\(entry.processId)' version \(entry.version) from \(file)")
            } else {
                print("unchanged: process '\(entry.processId)' version \(entry.version) was deployed from this same file before; no new version")
            }
        }
    }
}
