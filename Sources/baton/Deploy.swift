import ArgumentParser
import BatonBPMN
import BatonRuntime

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
        let compiled = try DeploymentCatalog.deploy(try FileContents.read(file), fileName: file, to: log)
        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        for process in compiled.processes where process.executable != nil {
            let version = catalog.registry.latestVersion(of: process.processId) ?? 0
            print("deployed process '\(process.processId)' version \(version) from \(file)")
        }
    }
}

/// Reads a whole file for commands that pass it on as bytes.
enum FileContents {
    static func read(_ path: String) throws -> [UInt8] {
        guard let handle = fopen(path, "rb") else { throw ValidationError("cannot open \(path)") }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = fread(&buffer, 1, buffer.count, handle)
            if count == 0 { return bytes }
            bytes.append(contentsOf: buffer.prefix(count))
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
