/// A BPMN 2.0 file as read, before compilation: everything the file says that Baton uses or
/// shows, with the line of each element for error messages. Nothing here is executable;
/// `ProcessCompiler` turns a process into an `ExecutableProcess`.
public struct BPMNDocument: Sendable, Hashable {
    /// The name the file was read under, used in every error message.
    public var fileName: String
    public var id: String?
    public var name: String?
    public var targetNamespace: String?
    public var processes: [BPMNProcess] = []
    public var collaborations: [BPMNCollaboration] = []
    public var messages: [BPMNMessage] = []
    public var errors: [BPMNErrorDeclaration] = []
    public var signals: [BPMNNamedDeclaration] = []
    public var escalations: [BPMNNamedDeclaration] = []
    public var diagrams: [BPMNDiagram] = []

    public init(fileName: String) { self.fileName = fileName }

    public func process(id: String) -> BPMNProcess? { processes.first { $0.id == id } }
}

/// A `<process>`.
public struct BPMNProcess: Sendable, Hashable {
    public var id: String
    public var name: String?
    /// `isExecutable="true"`; a process that is not executable can be viewed but not started.
    public var isExecutable: Bool
    /// `camunda:versionTag="..."` or `<zeebe:versionTag value="..."/>`.
    public var versionTag: String?
    public var line: Int
    public var scope: BPMNScope
    public var laneSets: [BPMNLaneSet] = []

    public init(id: String, name: String?, isExecutable: Bool, line: Int, scope: BPMNScope) {
        self.id = id
        self.name = name
        self.isExecutable = isExecutable
        self.line = line
        self.scope = scope
    }

    /// Every flow node of the process, including those inside sub-processes.
    public var allFlowNodes: [BPMNFlowNode] { scope.allFlowNodes }
    /// Every sequence flow of the process, including those inside sub-processes.
    public var allSequenceFlows: [BPMNSequenceFlow] { scope.allSequenceFlows }
}

/// The contents of a process or sub-process: its flow nodes and the sequence flows between
/// them, plus what else the file held there (data objects, annotations...) by name and line.
public struct BPMNScope: Sendable, Hashable {
    public var flowNodes: [BPMNFlowNode] = []
    public var sequenceFlows: [BPMNSequenceFlow] = []
    /// Elements of the scope that are not flow nodes or flows (data objects, data store
    /// references, text annotations, associations, groups...): kept by kind and line so a
    /// reader can see nothing was lost.
    public var otherElements: [BPMNOtherElement] = []

    public init() {}

    public var allFlowNodes: [BPMNFlowNode] {
        flowNodes.flatMap { [$0] + ($0.subProcess?.allFlowNodes ?? []) }
    }

    public var allSequenceFlows: [BPMNSequenceFlow] {
        sequenceFlows + flowNodes.flatMap { $0.subProcess?.allSequenceFlows ?? [] }
    }
}

/// An element the reader keeps by kind only.
public struct BPMNOtherElement: Sendable, Hashable {
    public var kind: String
    public var id: String?
    public var line: Int
    /// What a diagram shows for it: a text annotation's text, or the `name` attribute.
    public var text: String? = nil
}

/// A `<sequenceFlow>`.
public struct BPMNSequenceFlow: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var sourceRef: String
    public var targetRef: String
    /// The text of `<conditionExpression>`, if any.
    public var conditionExpression: String?
    public var line: Int
}

/// A `<message>` declaration, with the Camunda 8 correlation key if present.
public struct BPMNMessage: Sendable, Hashable {
    public var id: String
    public var name: String?
    /// `zeebe:subscription correlationKey`.
    public var correlationKey: String?
    public var line: Int

    public init(id: String, name: String?, correlationKey: String?, line: Int) {
        self.id = id
        self.name = name
        self.correlationKey = correlationKey
        self.line = line
    }
}

/// An `<error>` declaration.
public struct BPMNErrorDeclaration: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var errorCode: String?
    public var line: Int
}

/// A `<signal>` or `<escalation>` declaration.
public struct BPMNNamedDeclaration: Sendable, Hashable {
    public var id: String
    public var name: String?
    /// `escalationCode` for escalations.
    public var code: String?
    public var line: Int
}

/// A `<collaboration>`: pools (participants) and the message flows between them.
public struct BPMNCollaboration: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var participants: [BPMNParticipant] = []
    public var messageFlows: [BPMNMessageFlow] = []
    public var line: Int
    /// Groups, text annotations and associations drawn across its pools.
    public var otherElements: [BPMNOtherElement] = []
}

public struct BPMNParticipant: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var processRef: String?
    public var line: Int
}

public struct BPMNMessageFlow: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var sourceRef: String
    public var targetRef: String
    public var messageRef: String?
    public var line: Int
}

/// A `<laneSet>` and its lanes (lanes may nest through `childLaneSet`).
public struct BPMNLaneSet: Sendable, Hashable {
    public var id: String?
    public var lanes: [BPMNLane] = []
}

public struct BPMNLane: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var flowNodeRefs: [String] = []
    public var childLaneSet: [BPMNLaneSet] = []
    public var line: Int
}
