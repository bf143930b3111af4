import BatonEngine
import BatonModel

/// Where two states of one partition differ, for people: the first instance (by key) that
/// differs and how (its tokens by element id, variables, tasks, timers, incidents, task
/// results), or the first partition-wide part that does (`baton replay --verify`).
public struct StateDifference: CustomStringConvertible, Sendable {
    /// The instance that differs first, if an instance does.
    public let instanceKey: Int64?
    /// The elements whose tokens differ, by element id.
    public let elements: [String]
    public let description: String

    /// nil when the states are equal. `expected` is what the live engine recorded (a
    /// snapshot), `actual` what folding the journal gave.
    public static func between(expected: EngineState, actual: EngineState, processes: ProcessRegistry) -> StateDifference? {
        guard expected != actual else { return nil }
        for key in Set(expected.instances.keys).union(actual.instances.keys).sorted() {
            let live = expected.instances[key], replayed = actual.instances[key]
            guard live != replayed else { continue }
            guard let live, let replayed else {
                let present = live ?? replayed!
                return StateDifference(
                    instanceKey: key, elements: [],
                    description: "instance \(key) (\(present.correlationId), process '\(present.processId)' version \(present.processVersion)) is \(live == nil ? "active in the replay but not in the snapshot" : "active in the snapshot but not in the replay")")
            }
            let ids = { (instance: InstanceState) -> [String: Int] in
                let process = processes.process(id: instance.processId, version: instance.processVersion)?.process
                var tokens: [String: Int] = [:]
                for element in instance.elements.values { tokens[process.map { $0[element: element.elementIndex].id } ?? "#\(element.elementIndex)", default: 0] += 1 }
                return tokens
            }
            let liveTokens = ids(live), replayedTokens = ids(replayed)
            let elements = Set(liveTokens.keys).union(replayedTokens.keys).filter { liveTokens[$0] != replayedTokens[$0] }.sorted()
            var parts: [String] = []
            for element in elements { parts.append("element '\(element)': \(liveTokens[element] ?? 0) token(s) in the snapshot, \(replayedTokens[element] ?? 0) in the replay") }
            if live.variables != replayed.variables {
                let names = Set(live.variables.keys).union(replayed.variables.keys).filter { live.variables[$0] != replayed.variables[$0] }.sorted()
                parts.append("variables differ: \(names.joined(separator: ", "))")
            }
            if live.tasks != replayed.tasks { parts.append("tasks differ (snapshot \(live.tasks.count), replay \(replayed.tasks.count))") }
            if live.timers != replayed.timers { parts.append("timers differ (snapshot \(live.timers.count), replay \(replayed.timers.count))") }
            if live.incidents != replayed.incidents { parts.append("incidents differ (snapshot \(live.incidents.count), replay \(replayed.incidents.count))") }
            if live.taskResults != replayed.taskResults { parts.append("taskResults differ (snapshot \(live.taskResults.count), replay \(replayed.taskResults.count))") }
            if parts.isEmpty { parts.append("its subscriptions, local variables or joins differ") }
            return StateDifference(
                instanceKey: key, elements: elements,
                description: "instance \(key) (\(live.correlationId), process '\(live.processId)' version \(live.processVersion)): " + parts.joined(separator: "; "))
        }
        let part: String
        if expected.lastCommandPosition != actual.lastCommandPosition {
            part = "the last answered command: \(expected.lastCommandPosition) in the snapshot, \(actual.lastCommandPosition) in the replay"
        } else if expected.messages != actual.messages {
            part = "the buffered messages"
        } else if expected.sourceOffsets != actual.sourceOffsets {
            part = "the offsets of ingested sources"
        } else if expected.remoteSubscriptions != actual.remoteSubscriptions {
            part = "the subscriptions of other partitions' instances"
        } else if expected.startTimers != actual.startTimers || expected.startTimerVersions != actual.startTimerVersions {
            part = "the timers of timer start events"
        } else {
            part = "the derived indexes (due work, correlation ids, open incidents)"
        }
        return StateDifference(instanceKey: nil, elements: [], description: "no instance differs; \(part) differ")
    }
}
