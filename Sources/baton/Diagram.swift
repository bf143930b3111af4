import ArgumentParser
import BatonBPMN
import BatonStorage

/// `baton diagram FILE`: a BPMN file's diagram as SVG.
struct Diagram: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a BPMN file's diagram (its BPMNDI) as a self-contained SVG.",
        discussion: """
            Pools, lanes, events with their markers (message, timer, error, signal, escalation, \
            conditional, link, terminate, cancel, compensation; dashed when non-interrupting, \
            filled when throwing), tasks with their type icons, call activities, sub-processes \
            expanded or collapsed, loop and multi-instance markers, gateways with their markers, \
            sequence flows (default and conditional markers), message flows, associations, data \
            objects, data stores, text annotations, groups and labels, all where the file puts \
            them. Each shape is an SVG group with the element's id (data-element-id). No \
            external assets: the SVG opens in any browser.
            """)

    @Argument(help: "The BPMN file.") var file: String
    @Option(help: "Draw the diagram showing this process (by id); default: the file's first diagram.") var process: String?
    @Option(name: .shortAndLong, help: "Write the SVG to this file instead of standard output.") var output: String?

    func run() throws {
        let document = try BPMNReader.read(path: file)
        if let process, document.process(id: process) == nil {
            throw ValidationError("\(file) has no process '\(process)'; it has \(document.processes.map { "'\($0.id)'" }.joined(separator: ", "))")
        }
        guard let svg = DiagramRenderer(document: document).svg(for: process) else {
            throw ValidationError("\(file) has no diagram (no BPMNDI): nothing to draw")
        }
        if let output {
            try POSIX.writeAtomically(Array(svg.utf8), to: output, directory: POSIX.directory(containing: output))
            print("wrote \(output)")
        } else {
            print(svg)
        }
    }
}
