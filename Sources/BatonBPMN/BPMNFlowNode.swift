/// A flow node as read from the file: every BPMN 2.0 flow node kind is represented, so that
/// nothing in a file is silently dropped; the compiler decides what Baton can execute.
public struct BPMNFlowNode: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var kind: BPMNFlowNodeKind
    public var line: Int
    public var incoming: [String] = []
    public var outgoing: [String] = []
    public var eventDefinitions: [BPMNEventDefinition] = []
    /// Boundary events: the activity they sit on.
    public var attachedToRef: String?
    /// Boundary events: `cancelActivity` (default true).
    public var cancelActivity: Bool = true
    /// Start events of event sub-processes: `isInterrupting` (default true).
    public var isInterrupting: Bool = true
    /// Sub-processes: `triggeredByEvent="true"` makes it an event sub-process.
    public var triggeredByEvent: Bool = false
    /// Activities: `isForCompensation="true"` makes it a compensation handler.
    public var isForCompensation: Bool = false
    /// Gateways and activities: the `default` flow id.
    public var defaultFlow: String?
    public var loop: BPMNLoopCharacteristics?
    /// External task topic and retries from either Camunda generation.
    public var taskDefinition: BPMNTaskDefinition?
    public var inputMappings: [BPMNMapping] = []
    public var outputMappings: [BPMNMapping] = []
    public var script: BPMNScript?
    /// Camunda 7 service tasks implemented in Java: which attribute and its value
    /// (`camunda:class`, `camunda:delegateExpression`, `camunda:expression`).
    public var javaImplementation: (attribute: String, value: String)? {
        get { javaAttribute.map { ($0, javaValue ?? "") } }
        set {
            javaAttribute = newValue?.attribute
            javaValue = newValue?.value
        }
    }
    private var javaAttribute: String?
    private var javaValue: String?
    /// Receive and send tasks: the `messageRef` attribute (events carry theirs in the
    /// event definition).
    public var messageRef: String?
    /// Call activities: `calledElement` or `zeebe:calledElement processId`.
    public var calledElement: String?
    /// Execution and task listeners (Camunda 7 `camunda:executionListener`/`taskListener`,
    /// Camunda 8 `zeebe:executionListeners`/`taskListeners`): read, not run.
    public var listeners: [BPMNListener] = []
    /// Call activities: version binding and variable passing, whichever generation wrote them.
    public var callDetails = BPMNCallDetails()
    /// Sub-processes, transactions and ad-hoc sub-processes: their content.
    public var subProcess: BPMNScope? {
        get { content?.scope }
        set { content = newValue.map(BPMNScopeBox.init) }
    }
    private var content: BPMNScopeBox?

    public init(id: String, name: String?, kind: BPMNFlowNodeKind, line: Int) {
        self.id = id
        self.name = name
        self.kind = kind
        self.line = line
    }
}

/// Boxes a nested scope so that `BPMNFlowNode` stays a small value type.
final class BPMNScopeBox: Sendable, Hashable {
    let scope: BPMNScope
    init(_ scope: BPMNScope) { self.scope = scope }
    static func == (lhs: BPMNScopeBox, rhs: BPMNScopeBox) -> Bool { lhs.scope == rhs.scope }
    func hash(into hasher: inout Hasher) { hasher.combine(scope) }
}

/// Every flow node element of BPMN 2.0, by its XML local name.
public enum BPMNFlowNodeKind: String, Sendable, Hashable, CaseIterable {
    case startEvent, endEvent, intermediateCatchEvent, intermediateThrowEvent, boundaryEvent
    case implicitThrowEvent
    case task, serviceTask, sendTask, receiveTask, userTask, manualTask, businessRuleTask, scriptTask
    case callActivity, subProcess, transaction, adHocSubProcess
    case exclusiveGateway, inclusiveGateway, parallelGateway, eventBasedGateway, complexGateway

    public var isGateway: Bool {
        switch self {
        case .exclusiveGateway, .inclusiveGateway, .parallelGateway, .eventBasedGateway, .complexGateway:
            return true
        default: return false
        }
    }

    public var isActivity: Bool {
        switch self {
        case .task, .serviceTask, .sendTask, .receiveTask, .userTask, .manualTask, .businessRuleTask,
            .scriptTask, .callActivity, .subProcess, .transaction, .adHocSubProcess:
            return true
        default: return false
        }
    }

    public var isEvent: Bool { !isGateway && !isActivity }
    public var hasContent: Bool { self == .subProcess || self == .transaction || self == .adHocSubProcess }
}

/// An event definition inside an event.
public enum BPMNEventDefinition: Sendable, Hashable {
    case message(messageRef: String?)
    case timer(BPMNTimer)
    case error(errorRef: String?)
    case signal(signalRef: String?)
    case escalation(escalationRef: String?)
    case conditional(condition: String?)
    case link(name: String?)
    case terminate
    case cancel
    case compensate(activityRef: String?)

    /// The XML local name, for messages.
    public var elementName: String {
        switch self {
        case .message: return "messageEventDefinition"
        case .timer: return "timerEventDefinition"
        case .error: return "errorEventDefinition"
        case .signal: return "signalEventDefinition"
        case .escalation: return "escalationEventDefinition"
        case .conditional: return "conditionalEventDefinition"
        case .link: return "linkEventDefinition"
        case .terminate: return "terminateEventDefinition"
        case .cancel: return "cancelEventDefinition"
        case .compensate: return "compensateEventDefinition"
        }
    }
}

/// A timer event definition: exactly one of the three should be set.
public struct BPMNTimer: Sendable, Hashable {
    public var timeDuration: String?
    public var timeDate: String?
    public var timeCycle: String?
}

/// An execution or task listener as read (its extension element's name and line).
public struct BPMNListener: Sendable, Hashable {
    public let name: String
    public let line: Int
}

/// A call activity's extensions: Camunda 8 `zeebe:calledElement bindingType
/// propagateAllChildVariables propagateAllParentVariables`, Camunda 7
/// `camunda:calledElementBinding`/`calledElementVersion` and `camunda:in`/`camunda:out`.
public struct BPMNCallDetails: Sendable, Hashable {
    /// True when `zeebe:calledElement` is present (Camunda 8 defaults: every variable in and out).
    public var camunda8 = false
    public var binding: String?
    public var version: String?
    /// `camunda:calledElementVersionTag` / `zeebe:calledElement versionTag`.
    public var versionTag: String?
    public var propagateAllChildVariables: Bool?
    public var propagateAllParentVariables: Bool?
    /// `camunda:in` / `camunda:out`: `variables="all"`, or source (or sourceExpression) and target.
    public var camundaIn: [BPMNMapping] = []
    public var camundaOut: [BPMNMapping] = []
    public var camundaInAll = false
    public var camundaOutAll = false

    public init() {}
}

/// `standardLoopCharacteristics` or `multiInstanceLoopCharacteristics`.
public struct BPMNLoopCharacteristics: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case standardLoop, multiInstance }
    public var kind: Kind
    public var isSequential: Bool
    /// `zeebe:loopCharacteristics inputCollection`, `camunda:collection` or `loopCardinality`.
    public var inputCollection: String?
    public var inputElement: String?
    public var loopCardinality: String?
    public var completionCondition: String?
    /// `zeebe:loopCharacteristics outputCollection` / `outputElement`.
    public var outputCollection: String?
    public var outputElement: String?
}

/// An external task's topic and retries, whichever Camunda generation wrote them.
public struct BPMNTaskDefinition: Sendable, Hashable {
    public enum Style: String, Sendable, Hashable {
        /// `camunda:type="external" camunda:topic="..."`.
        case camunda7
        /// `<zeebe:taskDefinition type="..." retries="..."/>`.
        case camunda8
    }
    public var style: Style
    public var topic: String?
    public var retries: String?
    public var priority: String?
}

/// One input or output mapping (`zeebe:input`/`zeebe:output`, `camunda:inputParameter`/
/// `camunda:outputParameter`).
public struct BPMNMapping: Sendable, Hashable {
    /// The expression or constant that gives the value.
    public var source: String
    /// The variable that receives it.
    public var target: String
    public var line: Int
}

/// A script task's script: Baton evaluates it as an expression, never as code.
public struct BPMNScript: Sendable, Hashable {
    public var format: String?
    public var text: String?
    public var resultVariable: String?
}
