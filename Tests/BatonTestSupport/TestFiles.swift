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
