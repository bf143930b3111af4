import BatonTestSupport
import BatonBPMN
import Testing

/// The OMG BPMN MIWG reference models (../shared/bpmn-miwg): modelling tests written by other
/// tools, in ISO-8859-1 with `semantic:` and other prefixes. Every one must load as a model;
/// the counts were taken with an independent XML parser (Python's ElementTree).
@Suite(.enabled(if: TestFiles.exists(TestFiles.miwg), "../shared/bpmn-miwg is absent (a clone outside CI): MIWG reference tests skipped"))
struct MIWGReferenceTests {
    struct Expected: Sendable, CustomStringConvertible {
        let file: String
        let processes: Int
        let flowNodes: Int
        let sequenceFlows: Int
        let shapes: Int
        let edges: Int
        var description: String { file }
    }

    static let expected: [Expected] = [
        Expected(file: "A.1.0.bpmn", processes: 1, flowNodes: 5, sequenceFlows: 4, shapes: 5, edges: 4),
        Expected(file: "A.2.0.bpmn", processes: 1, flowNodes: 8, sequenceFlows: 9, shapes: 8, edges: 9),
        Expected(file: "A.2.1.bpmn", processes: 1, flowNodes: 8, sequenceFlows: 11, shapes: 8, edges: 11),
        Expected(file: "A.3.0.bpmn", processes: 1, flowNodes: 10, sequenceFlows: 8, shapes: 10, edges: 8),
        Expected(file: "A.4.0.bpmn", processes: 2, flowNodes: 17, sequenceFlows: 13, shapes: 20, edges: 15),
        Expected(file: "A.4.1.bpmn", processes: 2, flowNodes: 17, sequenceFlows: 13, shapes: 22, edges: 15),
        Expected(file: "B.1.0.bpmn", processes: 4, flowNodes: 29, sequenceFlows: 26, shapes: 34, edges: 29),
        Expected(file: "B.2.0.bpmn", processes: 4, flowNodes: 94, sequenceFlows: 85, shapes: 99, edges: 87),
    ]

    @Test func everyReferenceFileIsCounted() {
        #expect(TestFiles.listing(TestFiles.miwg, suffix: ".bpmn") == Self.expected.map(\.file))
    }

    @Test(arguments: expected)
    func loadsAsModel(_ expected: Expected) throws {
        let deployment = try BPMNDeployment.load(path: TestFiles.miwg + "/" + expected.file)
        let document = deployment.document
        #expect(document.processes.count == expected.processes)
        #expect(document.processes.map(\.allFlowNodes.count).reduce(0, +) == expected.flowNodes)
        #expect(document.processes.map(\.allSequenceFlows.count).reduce(0, +) == expected.sequenceFlows)
        let planes = document.diagrams.flatMap(\.planes)
        #expect(planes.map(\.shapes.count).reduce(0, +) == expected.shapes)
        #expect(planes.map(\.edges.count).reduce(0, +) == expected.edges)
        // Every shape has bounds; every edge has at least two waypoints.
        #expect(planes.allSatisfy { $0.shapes.allSatisfy { $0.bounds != nil } })
        #expect(planes.allSatisfy { $0.edges.allSatisfy { $0.waypoints.count >= 2 } })
        // Reference models are not executable: they load for viewing and refuse to start.
        for compiled in deployment.processes {
            #expect(compiled.executable == nil)
            #expect(compiled.startRefusal?.contains("not executable") == true)
        }
        #expect(deployment.blockingProblems.isEmpty)
    }

    @Test func isoLatin1NamesAreDecoded() throws {
        // A.1.0 is declared ISO-8859-1; names must arrive as proper Unicode.
        let document = try BPMNReader.read(path: TestFiles.miwg + "/A.1.0.bpmn")
        #expect(document.processes[0].scope.flowNodes.map(\.name) == ["Start Event", "Task 1", "Task 2", "Task 3", "End Event"])
    }

    @Test func collaborationLanesAndMessageFlowsAreRead() throws {
        let document = try BPMNReader.read(path: TestFiles.miwg + "/A.4.0.bpmn")
        let collaboration = try #require(document.collaborations.first)
        #expect(collaboration.participants.count == 1)
        #expect(collaboration.messageFlows.count == 2)
        let lanes = document.processes.flatMap(\.laneSets).flatMap(\.lanes)
        #expect(lanes.count == 2)
        #expect(lanes.map(\.flowNodeRefs.count).reduce(0, +) == 7)
    }

    @Test func unsupportedElementsAreNamedNotDropped() throws {
        let deployment = try BPMNDeployment.load(path: TestFiles.miwg + "/B.2.0.bpmn")
        let problems = deployment.processes.flatMap(\.problems)
        let unsupported = problems.filter { $0.rule == .unsupportedElement }
        // Call activities run since issue 13 (the processes they call must be deployed).
        #expect(!problems.contains { $0.elementKind == "callActivity" })
        // Signals run since issue 13; these name no <signal>.
        #expect(problems.contains { $0.elementKind == "endEvent" && $0.rule == .signalReferenceInvalid && $0.message.contains("no signalRef") })
        // Send tasks are supported since issue 12; this one names a <message> without a name.
        #expect(problems.contains { $0.elementKind == "sendTask" && $0.rule == .messageReferenceInvalid && $0.message.contains("has no name") })
        // Multi-instance runs since issue 13; these name neither a collection nor a cardinality.
        #expect(problems.contains { $0.rule == .multiInstanceInvalid && $0.message.contains("needs an input collection") })
        #expect(problems.contains { $0.elementKind == "boundaryEvent" && $0.rule == .signalReferenceInvalid })
        #expect(unsupported.contains { $0.message.contains("conditional boundaryEvent") } && unsupported.contains { $0.message.contains("standard loop") })
    }
}
