/// A reason Baton refuses to execute a process, pointing at the element at fault.
public struct BPMNProblem: Sendable, Hashable, CustomStringConvertible {
    /// What kind of mistake this is, so tools and tests can tell problems apart without
    /// matching on text.
    public enum Rule: String, Sendable, Hashable {
        case duplicateId
        case flowEndpointMissing
        case flowCrossesScope
        case unreachable
        case gatewayWithoutOutgoing
        case exclusiveGatewayAmbiguous
        case defaultFlowInvalid
        case conditionInvalid
        case conditionIgnored
        case serviceTaskWithoutTopic
        case retriesInvalid
        case unsupportedElement
        case missingStartEvent
        case boundaryEventInvalid
        case errorReferenceInvalid
        case timerInvalid
        case scriptInvalid
        case mappingInvalid
        case messageReferenceInvalid
        case eventBasedGatewayInvalid
        case linkInvalid
        case eventDefinitionMissing
        case multiInstanceInvalid
        case callActivityInvalid
        case escalationReferenceInvalid
        case eventSubProcessInvalid
        case signalReferenceInvalid
        /// A note, not a problem: read, and not run (listeners, data objects).
        case ignoredByBaton
    }

    public let fileName: String
    public let processId: String
    public let elementId: String
    /// The XML local name of the element (`exclusiveGateway`, `sequenceFlow`, `process`...).
    public let elementKind: String
    public let line: Int
    public let rule: Rule
    public let message: String

    public init(
        fileName: String, processId: String, elementId: String, elementKind: String, line: Int, rule: Rule,
        message: String
    ) {
        self.fileName = fileName
        self.processId = processId
        self.elementId = elementId
        self.elementKind = elementKind
        self.line = line
        self.rule = rule
        self.message = message
    }

    /// `file:line: kind 'id' (process 'p'): message`, the shape compilers use so editors
    /// can jump to it.
    public var description: String {
        "\(fileName):\(line): \(elementKind) '\(elementId)' in process '\(processId)': \(message)"
    }
}
