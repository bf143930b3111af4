import BatonModel

/// What an element behaviour needs to know about the token it moves.
struct Token {
    let instanceKey: Int64
    let elementInstanceKey: Int64
    let elementIndex: Int32
    let flowScopeKey: Int64
    let deployed: DeployedProcess

    var element: ExecutableElement { deployed.process[element: elementIndex] }
}

/// Pending token movements inside one command, processed first in, first out, so that a
/// long chain of elements never deepens the call stack.
enum TokenWork {
    case activate(element: Int32, scopeKey: Int64)
    case take(flow: Int32, scopeKey: Int64)
    case scopeCheck(scopeKey: Int64)
}
