/// A deployed process compiled for execution: element ids interned to integer indexes,
/// flows as index arrays, conditions and timers parsed. The engine's hot loop reads only
/// this, never the BPMN document.
///
/// Invariants (established by the compiler, relied on by the engine): every index stored in
/// an element or a flow is a valid index into `elements` / `flows`; `startEvent` is the none
/// start event of the process scope, or -1 when the process starts only by message, signal
/// or timer (`messageStartEvents`, `signalStartEvents`, `timerStartEvents`); every sub-process has exactly one none start event.
public struct ExecutableProcess: Sendable, Hashable {
    /// The BPMN process id (`bpmnProcessId` in Zeebe's terms).
    public let processId: String
    public let name: String?
    /// Camunda's version tag (`camunda:versionTag`, `zeebe:versionTag`): what a call
    /// activity bound by version tag asks for.
    public let versionTag: String?
    public let elements: [ExecutableElement]
    public let flows: [ExecutableFlow]
    /// The none start event of the process scope, or -1 when there is none.
    public let startEvent: Int32
    /// The message start events of the process scope.
    public let messageStartEvents: [Int32]
    /// The signal start events of the process scope.
    public let signalStartEvents: [Int32]
    /// The timer start events of the process scope.
    public let timerStartEvents: [Int32]
    private let indexById: [String: Int32]

    public init(
        processId: String, name: String?, elements: [ExecutableElement], flows: [ExecutableFlow],
        startEvent: Int32, versionTag: String? = nil
    ) {
        self.processId = processId
        self.name = name
        self.versionTag = versionTag
        self.elements = elements
        self.flows = flows
        self.startEvent = startEvent
        func starts(_ kind: ElementKind) -> [Int32] {
            elements.indices.filter { elements[$0].kind == kind && elements[$0].scope == nil }.map { Int32($0) }
        }
        messageStartEvents = starts(.messageStartEvent)
        signalStartEvents = starts(.signalStartEvent)
        timerStartEvents = starts(.timerStartEvent)
        var indexById: [String: Int32] = [:]
        for (index, element) in elements.enumerated() { indexById[element.id] = Int32(index) }
        self.indexById = indexById
    }

    /// The index of the element with this BPMN id; used at the edges (CLI, tests), never in
    /// the hot loop.
    public func elementIndex(id: String) -> Int32? { indexById[id] }

    /// Borrowed (`_read`), not copied: callers read a field or two of a large struct.
    public subscript(element index: Int32) -> ExecutableElement { _read { yield elements[Int(index)] } }
    public subscript(flow index: Int32) -> ExecutableFlow { _read { yield flows[Int(index)] } }
}

/// The element kinds Baton executes. Anything else in a BPMN file is refused at deploy time.
public enum ElementKind: UInt8, Sendable, Hashable, CaseIterable {
    case noneStartEvent = 1
    case noneEndEvent = 2
    case terminateEndEvent = 3
    case errorEndEvent = 4
    case serviceTask = 5
    case userTask = 6
    case scriptTask = 7
    case manualTask = 8
    /// A plain `<task>`: passes straight through, as in Camunda and Zeebe.
    case undefinedTask = 9
    case exclusiveGateway = 10
    case parallelGateway = 11
    case inclusiveGateway = 12
    case subProcess = 13
    case timerCatchEvent = 14
    case errorBoundaryEvent = 15
    case timerBoundaryEvent = 16
    /// A none intermediate throw event: passes straight through.
    case noneThrowEvent = 17
    case messageStartEvent = 18
    /// An intermediate message catch event: waits for its message.
    case messageCatchEvent = 19
    /// Waits for its message like a catch event, but is an activity (boundary events,
    /// mappings).
    case receiveTask = 20
    case messageBoundaryEvent = 21
    /// Waits for the first of the message and timer events on its outgoing flows.
    case eventBasedGateway = 22
    /// Send task, message throw and end events and business rule tasks are external tasks
    /// (a worker sends the message or evaluates the rule) when they name a task topic; the
    /// first three otherwise throw their message to `Topics.messages` (`message` is set,
    /// `task` is nil).
    case sendTask = 23
    case messageThrowEvent = 24
    case messageEndEvent = 25
    case businessRuleTask = 26
    /// An intermediate link throw event: the token goes on at the link catch event of the
    /// same name in the same scope (`ExecutableElement.linkTarget`), with no sequence flow.
    case linkThrowEvent = 27
    /// An intermediate link catch event: where a link throw event's token goes on.
    case linkCatchEvent = 28
    /// The body of a multi-instance activity: it holds the activity's flows and boundary
    /// events and runs the activity itself (the element in its scope, with the same id)
    /// once per item, in parallel or one after another (`ExecutableElement.multiInstance`).
    case multiInstanceBody = 29
    /// Starts an instance of another process (`ExecutableElement.call`) and waits for it.
    case callActivity = 30
    /// Escalation throw and end events: they throw `ExecutableElement.errorCode` as an
    /// escalation to the nearest enclosing activity with a matching escalation boundary
    /// event; uncaught, the token goes on (an escalation is not an error).
    case escalationThrowEvent = 31
    case escalationEndEvent = 32
    /// Catches an escalation thrown inside its activity (the code in `errorCode`; nil catches
    /// every one), interrupting or not.
    case escalationBoundaryEvent = 33
    /// An event sub-process (`triggeredByEvent="true"`): armed when its scope starts, it
    /// runs when its start event's trigger comes, ending the rest of the scope when that
    /// start event interrupts (`cancelActivity`).
    case eventSubProcess = 34
    /// The start event of an event sub-process, by trigger: a timer (`timer`), a message
    /// (`message`), an error or an escalation thrown inside the scope (`errorCode`; nil
    /// catches every one). `cancelActivity` is whether it interrupts.
    case timerEventStart = 35
    case messageEventStart = 36
    case errorEventStart = 37
    case escalationEventStart = 38
    /// Signal events (BPMN 2.0.2 §10.5.5): a signal is broadcast, and reaches every
    /// subscription of its name on every partition (`message` holds the signal's name, with
    /// no correlation key). A start event starts the latest version of its process on the
    /// partition the signal was broadcast on; a catch event, a boundary event (interrupting
    /// or not) and an event sub-process start wait; a throw or end event broadcasts it.
    case signalStartEvent = 39
    case signalCatchEvent = 40
    case signalBoundaryEvent = 41
    case signalThrowEvent = 42
    case signalEndEvent = 43
    case signalEventStart = 44
    /// A timer start event of the process (`timer`: a date, a duration from deployment, or
    /// a cycle): the partition of the process id holds its timer and starts the latest
    /// version each time it fires.
    case timerStartEvent = 45

    /// True for kinds that wait for a worker (an external task).
    public var isExternalTask: Bool {
        switch self {
        case .serviceTask, .userTask, .sendTask, .messageThrowEvent, .messageEndEvent, .businessRuleTask: true
        default: false
        }
    }
    /// Kinds that may send their message themselves (when they have no task topic).
    public var throwsMessage: Bool { self == .sendTask || self == .messageThrowEvent || self == .messageEndEvent }
    public var isBoundaryEvent: Bool {
        self == .errorBoundaryEvent || self == .timerBoundaryEvent || self == .messageBoundaryEvent || self == .escalationBoundaryEvent
            || self == .signalBoundaryEvent
    }
    public var isGateway: Bool {
        self == .exclusiveGateway || self == .parallelGateway || self == .inclusiveGateway || self == .eventBasedGateway
    }
    /// Kinds that wait for a message of their own (`ExecutableElement.message`).
    public var catchesMessage: Bool {
        self == .messageStartEvent || self == .messageCatchEvent || self == .receiveTask || self == .messageBoundaryEvent
            || self == .messageEventStart
    }
    /// Kinds that wait for a signal (`ExecutableElement.message` names it); their
    /// subscriptions have no correlation key.
    public var catchesSignal: Bool {
        self == .signalCatchEvent || self == .signalBoundaryEvent || self == .signalEventStart
    }
    /// The start events of event sub-processes.
    public var startsEventSubProcess: Bool {
        self == .timerEventStart || self == .messageEventStart || self == .errorEventStart || self == .escalationEventStart
            || self == .signalEventStart
    }
}

/// One flow node of an executable process.
public struct ExecutableElement: Sendable, Hashable {
    public let id: String
    public let name: String?
    public let kind: ElementKind
    /// The enclosing sub-process, or nil for the process scope.
    public let scope: Int32?
    /// Indexes into `ExecutableProcess.flows`.
    public let incoming: [Int32]
    public let outgoing: [Int32]
    /// The default flow of an exclusive or inclusive gateway (or activity).
    public let defaultFlow: Int32?
    /// Boundary events attached to this activity.
    public let boundaryEvents: [Int32]
    /// For boundary events: the activity they are attached to.
    public let attachedTo: Int32?
    /// For boundary events: whether triggering it interrupts the activity.
    public let cancelActivity: Bool
    /// For sub-processes: their none start event.
    public let innerStartEvent: Int32?
    public let task: TaskDefinition?
    public let timer: TimerDefinition?
    /// Error (escalation) end or throw event: the code it throws. Error (escalation) boundary
    /// event: the code it catches (nil catches every one).
    public let errorCode: String?
    public let script: ScriptDefinition?
    /// Message events and receive tasks: the message they wait for; message throw and end
    /// events and send tasks without a task topic: the message they send. Signal events:
    /// the signal (its name; no correlation key).
    public let message: MessageDefinition?
    /// Link throw events: the link catch event the token goes on at.
    public let linkTarget: Int32?
    /// Multi-instance bodies: how many inner instances, with which items, collected how.
    public let multiInstance: MultiInstanceDefinition?
    /// Call activities: which process they start and which variables go in and out.
    public let call: CallDefinition?
    public let inputs: [VariableMapping]
    public let outputs: [VariableMapping]

    public init(
        id: String, name: String?, kind: ElementKind, scope: Int32?, incoming: [Int32] = [],
        outgoing: [Int32] = [], defaultFlow: Int32? = nil, boundaryEvents: [Int32] = [],
        attachedTo: Int32? = nil, cancelActivity: Bool = true, innerStartEvent: Int32? = nil,
        task: TaskDefinition? = nil, timer: TimerDefinition? = nil, errorCode: String? = nil,
        script: ScriptDefinition? = nil, message: MessageDefinition? = nil, linkTarget: Int32? = nil,
        multiInstance: MultiInstanceDefinition? = nil, call: CallDefinition? = nil, inputs: [VariableMapping] = [],
        outputs: [VariableMapping] = []
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.scope = scope
        self.incoming = incoming
        self.outgoing = outgoing
        self.defaultFlow = defaultFlow
        self.boundaryEvents = boundaryEvents
        self.attachedTo = attachedTo
        self.cancelActivity = cancelActivity
        self.innerStartEvent = innerStartEvent
        self.task = task
        self.timer = timer
        self.errorCode = errorCode
        self.script = script
        self.message = message
        self.linkTarget = linkTarget
        self.multiInstance = multiInstance
        self.call = call
        self.inputs = inputs
        self.outputs = outputs
    }
}

extension ExecutableElement {
    /// The element with its place in the graph changed (the compiler's split of a
    /// multi-instance activity into its body and the inner activity).
    public func placed(
        scope: Int32?, incoming: [Int32], outgoing: [Int32], defaultFlow: Int32?, boundaryEvents: [Int32], attachedTo: Int32?
    ) -> ExecutableElement {
        ExecutableElement(
            id: id, name: name, kind: kind, scope: scope, incoming: incoming, outgoing: outgoing, defaultFlow: defaultFlow,
            boundaryEvents: boundaryEvents, attachedTo: attachedTo, cancelActivity: cancelActivity,
            innerStartEvent: innerStartEvent, task: task, timer: timer, errorCode: errorCode, script: script, message: message,
            linkTarget: linkTarget, multiInstance: multiInstance, call: call, inputs: inputs, outputs: outputs)
    }
}

/// What a call activity starts: the called process (by id, or an expression giving it) in
/// the version its binding picks, and how variables cross (Camunda 8: every variable in
/// and out unless `propagateAll…` is false, plus `zeebe:ioMapping`; Camunda 7: only
/// `camunda:in`/`camunda:out`, `variables="all"` for every one).
public struct CallDefinition: Sendable, Hashable {
    /// Which version of the called process runs.
    public enum Binding: Sendable, Hashable {
        /// The latest version deployed when the call activity is activated.
        case latest
        /// A fixed version (Camunda 7 `calledElementBinding="version"`).
        case version(Int32)
        /// The version deployed in the same deployment (file) as the caller.
        case deployment
        /// The latest version with this version tag.
        case versionTag(String)
    }

    public let processId: String
    public let processIdExpression: ParsedExpression?
    public let binding: Binding
    /// Every variable the call activity sees goes to the called instance.
    public let passesAllVariablesIn: Bool
    /// Every variable of the called instance comes back when it completes.
    public let passesAllVariablesOut: Bool
    /// Camunda 7 `camunda:out` mappings (evaluated over the called instance's variables).
    public let outputs: [VariableMapping]

    /// How deep calls may nest (a process that calls itself stops here with an incident).
    public static let maximumDepth = 32

    public init(
        processId: String, processIdExpression: ParsedExpression?, binding: Binding, passesAllVariablesIn: Bool,
        passesAllVariablesOut: Bool, outputs: [VariableMapping]
    ) {
        self.processId = processId
        self.processIdExpression = processIdExpression
        self.binding = binding
        self.passesAllVariablesIn = passesAllVariablesIn
        self.passesAllVariablesOut = passesAllVariablesOut
        self.outputs = outputs
    }
}

/// Multi-instance characteristics (`multiInstanceLoopCharacteristics` with Camunda 8's
/// `zeebe:loopCharacteristics` or Camunda 7's `camunda:collection`).
public struct MultiInstanceDefinition: Sendable, Hashable {
    /// One inner instance after another (true) or all at once.
    public let isSequential: Bool
    /// The list with one item per inner instance; nil when `cardinality` gives the count.
    public let inputCollection: ParsedExpression?
    /// How many inner instances (`loopCardinality`), when there is no input collection.
    public let cardinality: ParsedExpression?
    /// The inner instance's local variable holding its item.
    public let inputElement: String?
    /// The variable that receives the list of every inner instance's `outputElement`, in
    /// item order, when the body completes.
    public let outputCollection: String?
    public let outputElement: ParsedExpression?
    /// Evaluated each time an inner instance completes; true ends the others and the body.
    public let completionCondition: ParsedExpression?
    /// The inner activity the body runs (set when the compiler splits the activity).
    public let innerElement: Int32

    /// The most inner instances one body may have.
    public static let maximumInstances = 10_000

    public init(
        isSequential: Bool, inputCollection: ParsedExpression?, cardinality: ParsedExpression?, inputElement: String?,
        outputCollection: String?, outputElement: ParsedExpression?, completionCondition: ParsedExpression?, innerElement: Int32 = -1
    ) {
        self.isSequential = isSequential
        self.inputCollection = inputCollection
        self.cardinality = cardinality
        self.inputElement = inputElement
        self.outputCollection = outputCollection
        self.outputElement = outputElement
        self.completionCondition = completionCondition
        self.innerElement = innerElement
    }

    public func running(_ innerElement: Int32) -> MultiInstanceDefinition {
        MultiInstanceDefinition(
            isSequential: isSequential, inputCollection: inputCollection, cardinality: cardinality, inputElement: inputElement,
            outputCollection: outputCollection, outputElement: outputElement, completionCondition: completionCondition,
            innerElement: innerElement)
    }
}

/// A sequence flow between two elements of the same scope.
public struct ExecutableFlow: Sendable, Hashable {
    public let id: String
    public let source: Int32
    public let target: Int32
    /// Nil for an unconditioned flow.
    public let condition: ParsedExpression?

    public init(id: String, source: Int32, target: Int32, condition: ParsedExpression?) {
        self.id = id
        self.source = source
        self.target = target
        self.condition = condition
    }
}

/// What a worker needs to pick an external task up.
public struct TaskDefinition: Sendable, Hashable {
    /// The task topic (Camunda 7 `camunda:topic`, Camunda 8 `zeebe:taskDefinition type`); the
    /// expression's source when the topic is an expression.
    public let topic: String
    /// A topic written as an expression (`type="=&quot;work-&quot; + region"`), evaluated
    /// when the task is created.
    public let topicExpression: ParsedExpression?
    /// Attempts before an incident is raised.
    public let retries: Int
    /// Retries written as an expression (`retries="=retryCount"`), evaluated when the task
    /// is created; `retries` is then the default.
    public let retriesExpression: ParsedExpression?
    public let priority: Int

    public static let defaultRetries = 3
    public static let userTaskTopic = "baton.user-task"
    /// The longest topic an expression may give (Kafka's limit on topic names is 249).
    public static let maximumTopicLength = 200

    public init(
        topic: String, topicExpression: ParsedExpression? = nil, retries: Int = TaskDefinition.defaultRetries,
        retriesExpression: ParsedExpression? = nil, priority: Int = 0
    ) {
        self.topic = topic
        self.topicExpression = topicExpression
        self.retries = retries
        self.retriesExpression = retriesExpression
        self.priority = priority
    }

    /// The most retries a task may have.
    public static let maximumRetries = 1000

    /// The retries an expression's result gives, or why it gives none.
    public static func retries(from value: JSONValue) -> Result<Int, TaskDefinitionError> {
        guard case .number(let number) = value, let whole = Int(exactly: number), (0...maximumRetries).contains(whole) else {
            return .failure(TaskDefinitionError(message: "\(value.jsonText) is not a whole number from 0 to \(maximumRetries)"))
        }
        return .success(whole)
    }

    /// Why `name` (an expression's result) cannot be a task topic, or nil if it can.
    public static func topicProblem(_ name: JSONValue) -> String? {
        guard case .string(let text) = name else { return "\(name.jsonText) is not a string" }
        if text.isEmpty { return "it is empty" }
        if text.utf8.count > maximumTopicLength { return "it is longer than \(maximumTopicLength) bytes" }
        if text.hasPrefix(".") || text.contains(where: { $0 == "/" || $0 == "\u{0}" || $0.isWhitespace }) {
            return "'\(text.prefix(60))' holds a character a topic name cannot ('/', whitespace, a leading '.')"
        }
        return nil
    }
}

public struct TaskDefinitionError: Error, Sendable, Hashable {
    public let message: String

    public init(message: String) {
        self.message = message
    }
}

/// The message an element waits for.
public struct MessageDefinition: Sendable, Hashable {
    /// `<message name>`.
    public let name: String
    /// How the waiting instance computes its correlation key (Camunda 8
    /// `zeebe:subscription correlationKey="=orderId"`); nil: the instance's correlationId,
    /// which is also how Camunda 7 messages (addressed by the API call) are waited for.
    public let correlationKey: ParsedExpression?

    public init(name: String, correlationKey: ParsedExpression? = nil) {
        self.name = name
        self.correlationKey = correlationKey
    }
}

/// A script task: an expression whose result is stored in a variable. No code is executed.
public struct ScriptDefinition: Sendable, Hashable {
    public let expression: ParsedExpression
    public let resultVariable: String

    public init(expression: ParsedExpression, resultVariable: String) {
        self.expression = expression
        self.resultVariable = resultVariable
    }
}

/// One input or output mapping of an activity (`zeebe:ioMapping`, `camunda:inputOutput`).
public struct VariableMapping: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        case expression(ParsedExpression)
        /// A constant string (Camunda 7 parameters written without `${ }`).
        case constant(String)
    }

    public let source: Source
    public let target: String

    public init(source: Source, target: String) {
        self.source = source
        self.target = target
    }
}
