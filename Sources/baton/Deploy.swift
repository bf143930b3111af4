import ArgumentParser
import BatonBPMN
import BatonRuntime
import BatonStorage

/// `baton deploy FILE`: checks a BPMN file and appends it to the deployments topic.
struct Deploy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deploy a BPMN file: check it, then append it to the deployments topic.",
        discussion: """
            The file is compiled exactly as 'baton validate' does; a file whose executable \
            processes have problems is refused with every problem listed, and nothing is written. \
            Each executable process in the file gets the next version of its process id. A running \
            engine picks the deployment up before it processes a command that needs it.
            """)

    @OptionGroup var data: DataDirectory

    @Argument(help: "The BPMN 2.0 file to deploy.")
    var file: String

    func run() throws {
        let log = try data.openLog()
        let compiled = try DeploymentCatalog.deploy(try POSIX.readFile(file), fileName: file, to: log).compiled
        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        for process in compiled.processes where process.executable != nil {
            let version = catalog.registry.latestVersion(of: process.processId) ?? 0
            print("deployed process '\(process.processId)' version \(version) from \(file)")
        }
    }
}
