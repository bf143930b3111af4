import BatonModel

/// What an element behaviour needs to know about the token it moves.
struct Token {
    let instanceKey: Int64
    let elementInstanceKey: Int64
    let elementIndex: Int32
    let flowScopeKey: Int64
    let deployed: DeployedProcess

    /// Borrowed, not copied: an element is a large struct, and behaviours read one or two
    /// of its fields.
    var element: ExecutableElement { _read { yield deployed.process.elements[Int(elementIndex)] } }
}

/// One pending token movement inside a command.
enum TokenWork {
    /// A token arrives at `element` in the scope `scopeKey` (after a flow, a join firing,
    /// a boundary event's trigger or a scope's entry).
    case activate(element: Int32, scopeKey: Int64)
    /// The token that left element instance `source` takes `flow` in the scope `scopeKey`.
    case take(flow: Int32, source: Int64, scopeKey: Int64)
    /// As `take`, but the event the flow leads to has already been triggered (the message
    /// or timer after an event-based gateway): it is activated and left at once.
    case pass(flow: Int32, source: Int64, scopeKey: Int64)
    /// A token of the scope ended; the scope may be done.
    case scopeCheck(scopeKey: Int64)
    /// A multi-instance body starts an inner instance of its activity, with the instance's
    /// local variables (its item and loop counter), kept by the agenda in `slot` so that
    /// work items stay plain values (copied without reference counting).
    case activateInner(element: Int32, scopeKey: Int64, slot: Int32)
    /// An event whose trigger has come (an event sub-process's start event) is activated
    /// and left at once, with no flow leading to it.
    case activateTriggered(element: Int32, scopeKey: Int64)

    var scopeKey: Int64 {
        switch self {
        case .activate(_, let scopeKey), .take(_, _, let scopeKey), .pass(_, _, let scopeKey), .scopeCheck(let scopeKey),
             .activateInner(_, let scopeKey, _), .activateTriggered(_, let scopeKey): scopeKey
        }
    }

    /// Whether this work moves a token (as opposed to only checking a scope).
    var carriesToken: Bool {
        if case .scopeCheck = self { return false }
        return true
    }
}

/// The token movements still to run inside one command, first in, first out, so that a
/// long chain of elements never deepens the call stack.
///
/// A token in here is *in flight*: it has left one element and not yet arrived at the next.
/// It still belongs to its scope, so a scope with work in flight is not done
/// (`hasTokenInFlight(in:)`), even when no element of it is active at that moment.
struct TokenAgenda {
    private var work: [TokenWork]
    private var next = 0
    /// The local variables of queued inner instances (`TokenWork.activateInner`).
    private var innerLocals: [[String: JSONValue]] = []

    init(_ work: [TokenWork] = []) {
        self.work = work
    }

    mutating func append(_ item: TokenWork) {
        work.append(item)
    }

    /// Queues an inner instance of a multi-instance body with its local variables.
    mutating func appendInner(element: Int32, scopeKey: Int64, locals: [String: JSONValue]) {
        innerLocals.append(locals)
        work.append(.activateInner(element: element, scopeKey: scopeKey, slot: Int32(innerLocals.count - 1)))
    }

    func locals(inSlot slot: Int32) -> [String: JSONValue] { innerLocals[Int(slot)] }

    /// The oldest pending work, removed from the agenda.
    mutating func popFirst() -> TokenWork? {
        guard next < work.count else { return nil }
        defer { next += 1 }
        return work[next]
    }

    /// Whether a token of the scope is still on its way (a queued flow or activation).
    /// Scope checks are rare (a token ending), and the work left is short, so a scan costs
    /// less than counting every movement.
    func hasTokenInFlight(in scopeKey: Int64) -> Bool {
        work[next...].contains { $0.scopeKey == scopeKey && $0.carriesToken }
    }

    /// Drops every pending movement of the scope: a terminate end event ended it, and the
    /// tokens on their way end with it.
    mutating func discardWork(in scopeKey: Int64) {
        work.removeSubrange(..<next)
        next = 0
        work.removeAll { $0.scopeKey == scopeKey }
    }
}
