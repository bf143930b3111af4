import BatonBPMN
import BatonStorage

#if canImport(Glibc)
import Glibc
#endif

/// Where the test data lives: the project's own `bpmn/` and the team's `../shared/`.
public enum TestFiles {
    /// The package root, derived from this file's path (Tests/BatonTestSupport/TestFiles.swift).
    public static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    public static let examples = packageRoot + "/bpmn"
    public static let miwg = packageRoot + "/../shared/bpmn-miwg"

    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    /// Names in `directory` ending with `suffix`, sorted.
    public static func listing(_ directory: String, suffix: String) -> [String] {
        POSIX.list(directory).filter { $0.hasSuffix(suffix) }
    }
}

/// Wraps process content in a `<definitions>` element with the usual namespaces.
public func bpmnDocument(
    _ content: String, prefix: String = "bpmn", executable: Bool = true, declarations: String = ""
) -> [UInt8] {
    let p = prefix.isEmpty ? "" : prefix + ":"
    let xmlns = prefix.isEmpty ? "xmlns" : "xmlns:\(prefix)"
    let text = """
        <?xml version="1.0" encoding="UTF-8"?>
        <\(p)definitions \(xmlns)="http://www.omg.org/spec/BPMN/20100524/MODEL" \
        xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" \
        id="d" targetNamespace="t">
        \(declarations)
        <\(p)process id="p" isExecutable="\(executable)">
        \(content)
        </\(p)process>
        </\(p)definitions>
        """
    return Array(text.utf8)
}

/// Compiles one in-memory document and returns its single process.
public func compileOne(_ bytes: [UInt8]) throws -> CompiledProcess {
    let deployment = try BPMNDeployment.load(bytes, fileName: "test.bpmn")
    return deployment.processes[0]
}

/// An environment variable of this process, or nil.
public func environmentValue(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

/// This process's whole environment, for a child's (`ChildProcess.spawn`).
public func environmentVariables() -> [String: String] { POSIX.environment() }

/// Writes `bytes` to `path` (replacing it), creating the folders on the way.
public func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
    if !directory.isEmpty { try POSIX.makeDirectories(directory) }
    try POSIX.writeAtomically(bytes, to: path, directory: directory.isEmpty ? "." : directory)
}

/// A process with one service task of `topic` (Zeebe's taskDefinition with `retries`); with
/// `catchErrorCode`, an error boundary event on the task catches that BPMN error and ends in
/// `Caught`.
public func oneTaskProcess(id: String, topic: String, retries: Int = 3, catchErrorCode: String? = nil) -> [UInt8] {
    let boundary = catchErrorCode.map { code in
        """
        <bpmn:boundaryEvent id="OnError" attachedToRef="Work"><bpmn:errorEventDefinition errorRef="E"/></bpmn:boundaryEvent>
        <bpmn:sequenceFlow id="f3" sourceRef="OnError" targetRef="Caught"/>
        <bpmn:endEvent id="Caught"/>
        """ + "<!-- \(code) -->"
    } ?? ""
    let error = catchErrorCode.map { "<bpmn:error id=\"E\" errorCode=\"\($0)\"/>" } ?? ""
    let text = """
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
        xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
        \(error)
        <bpmn:process id="\(id)" isExecutable="true">
        <bpmn:startEvent id="Start"/>
        <bpmn:sequenceFlow id="f1" sourceRef="Start" targetRef="Work"/>
        <bpmn:serviceTask id="Work"><bpmn:extensionElements>\
        <zeebe:taskDefinition type="\(topic)" retries="\(retries)"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:sequenceFlow id="f2" sourceRef="Work" targetRef="Done"/>
        <bpmn:endEvent id="Done"/>
        \(boundary)
        </bpmn:process>
        </bpmn:definitions>
        """
    return Array(text.utf8)
}
