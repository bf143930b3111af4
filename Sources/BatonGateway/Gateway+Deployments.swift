import BatonLog
import BatonModel
import BatonRuntime

#if canImport(Glibc)
import Glibc
#endif

/// Deploying BPMN files for both REST flavours, and the numeric keys Camunda 8 gives
/// process definitions.
extension Gateway {
    /// What a deployment request deployed: each executable process with the file it came
    /// from, and this replica's catalog once it holds them.
    struct Deployed {
        let position: Int64
        let processes: [(processId: String, fileName: String)]
        let catalog: DeploymentCatalog
    }

    /// Deploys each file (BPMN only; 400 naming the file and its problems), then waits until
    /// this replica's view has the new versions, so the answer can name them.
    func deploy(_ files: [(fileName: String, bytes: [UInt8])]) async throws -> Deployed {
        guard !files.isEmpty else { throw GatewayError.invalid("the deployment has no file part (a part with a filename, e.g. process.bpmn)") }
        let log = log
        var processes: [(processId: String, fileName: String)] = []
        var lastPosition: Int64 = 0
        for file in files {
            let fileName = file.fileName
            guard fileName.hasSuffix(".bpmn") || fileName.hasSuffix(".xml") else {
                throw GatewayError.invalid("\(fileName): Baton deploys BPMN files (.bpmn, .bpmn20.xml); DMN and forms are not supported")
            }
            let result: DeployedFile
            do {
                result = try await DedicatedThread.run { try DeploymentCatalog.deploy(file.bytes, fileName: fileName, to: log) }
            } catch {
                throw GatewayError.invalid("\(fileName) is not deployable: \(error)")
            }
            lastPosition = max(lastPosition, result.position)
            processes += result.compiled.processes.compactMap(\.executable).map { ($0.processId, fileName) }
        }
        let catalog = try await DedicatedThread.run { [readModel, lastPosition] in
            for _ in 0..<200 {
                try readModel.refresh(partition: 0)
                if readModel.catalog().position > lastPosition { break }
                usleep(10_000)
            }
            return readModel.catalog()
        }
        return Deployed(position: lastPosition, processes: processes, catalog: catalog)
    }
}

/// Camunda 8 names a process definition by a number: here the position of its deployment in
/// `baton.deployments` times 4096 plus its place among the processes of that deployment, so
/// every replica computes the same key from the same catalog.
struct ProcessDefinitionKeys {
    struct Definition {
        let key: Int64
        let processId: String
        let version: Int32
        let fileName: String
    }

    let definitions: [Definition]

    init(_ catalog: DeploymentCatalog) {
        var ordinals: [Int64: Int64] = [:]
        definitions = catalog.versions.map { version in
            let ordinal = ordinals[version.position, default: 0]
            ordinals[version.position] = ordinal + 1
            return Definition(key: version.position << 12 | ordinal, processId: version.processId, version: version.version, fileName: version.fileName)
        }
    }

    func definition(key: Int64) -> Definition? { definitions.first { $0.key == key } }

    func definition(processId: String, version: Int32) -> Definition? {
        definitions.first { $0.processId == processId && $0.version == version }
    }

    func latest(processId: String) -> Definition? { definitions.last { $0.processId == processId } }
}
