import BatonBPMN
import BatonEngine
import BatonModel
import BatonStorage
import BatonTestSupport
import Testing

/// Journals written by earlier Batons replay in this one (issue 9): each folder under
/// `Tests/Fixtures/journal-*` holds a journal a Baton of that record version wrote (the
/// entries as they were appended, commands and steps), the process it ran, and what it
/// must decode to and fold into. A codec or applier change that reads old bytes otherwise,
/// or folds old records into another state, fails here. Fixtures are never regenerated:
/// a new record version adds a new folder beside the old ones.
///
/// `BATON_WRITE_JOURNAL_FIXTURE=DIR` writes a fixture with the current record version to DIR.
struct JournalCompatibilityTests {
    static let fixtures = TestFiles.packageRoot + "/Tests/Fixtures"

    @Test func everyJournalFixtureReplaysToTheSameRecordsAndState() throws {
        let folders = TestFiles.listing(Self.fixtures, suffix: "").filter { $0.hasPrefix("journal-") }
        #expect(!folders.isEmpty, "no journal fixture under \(Self.fixtures)")
        for folder in folders {
            let path = "\(Self.fixtures)/\(folder)"
            let (records, state) = try Self.replay(path)
            let expectedRecords = String(decoding: try POSIX.readFile("\(path)/records.txt"), as: UTF8.self)
            let expectedState = String(decoding: try POSIX.readFile("\(path)/state.txt"), as: UTF8.self)
            #expect(records == expectedRecords, "\(folder): the journal decodes to other records than it did")
            #expect(state == expectedState, "\(folder): the journal folds into another state than it did")
        }
    }

    /// Decodes every entry of a fixture's journal and folds its steps, as a replica
    /// recovering from the journal does. Returns the dumps of the records and of the state.
    static func replay(_ path: String) throws -> (records: String, state: String) {
        let deployment = try BPMNDeployment.load(path: "\(path)/process.bpmn")
        // As EngineHarness deploys: the processes `p` calls first, then `p` (older fixtures
        // hold `p` alone).
        var registry = ProcessRegistry()
        for compiled in deployment.processes.sorted(by: { ($0.process.id == "p" ? 1 : 0) < ($1.process.id == "p" ? 1 : 0) }) {
            registry.deploy(try #require(compiled.executable))
        }
        var engine = Engine(partition: 1, processes: registry)
        var lines: [String] = []
        for payload in try entries(POSIX.readFile("\(path)/journal.bin")) {
            if payload.first == 0x53 {
                let step = try RecordCodec.decodeStep(payload)
                lines.append("step answering \(step.commandPositions)")
                for record in step.records {
                    lines.append("  " + FixtureDump.line(record))
                    engine.apply(record)
                }
            } else {
                lines.append(FixtureDump.line(try RecordCodec.decodeRecord(payload)))
            }
        }
        return (lines.joined(separator: "\n") + "\n", FixtureDump.value(engine.state) + "\n")
    }

    /// `[u32 little-endian length][payload]...`
    static func entries(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var entries: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count {
            try #require(offset + 4 <= bytes.count, "journal.bin is cut inside a length at byte \(offset)")
            let length = bytes[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            try #require(offset + length <= bytes.count, "journal.bin is cut inside an entry at byte \(offset)")
            entries.append(Array(bytes[offset..<offset + length]))
            offset += length
        }
        return entries
    }

    /// Writes a fixture with the current record version: a random process and random
    /// workers, as in the replay property, on a seed that reaches many intents.
    @Test func writeFixtureWhenAsked() throws {
        guard let directory = environmentValue("BATON_WRITE_JOURNAL_FIXTURE") else { return }
        func run(_ seed: UInt64) throws -> (RandomProcess, EngineHarness) {
            let random = RandomProcess(seed: seed)
            var harness = try EngineHarness(random.text, declarations: RandomProcess.declarations)
            var rng = SplitMix64(seed: seed)
            for _ in 0..<60 {
                harness.now += Int64(rng.next() % 5_000)
                SimulatedWorld.act(&harness, &rng)
            }
            return (random, harness)
        }
        // The seed whose journal holds the most kinds of record, ending with instances still active.
        func score(_ harness: EngineHarness) -> Int {
            // A journal with what record version 3 added (local variables, called instances)
            // wins over any without.
            let scoped = harness.journal.contains { record in
                if case .variables(let value) = record.value { return value.scopeKey != 0 }
                return false
            }
            let called = harness.journal.contains { record in
                if case .instance(let value) = record.value { return value.parentInstanceKey != 0 }
                return false
            }
            return Set(harness.journal.map { "\($0.recordType)\($0.intent)" }).count * 10 + (scoped ? 1000 : 0) + (called ? 1000 : 0)
                + min(harness.engine.state.instances.count, 3)
        }
        var best = try run(1)
        for seed in UInt64(2)...200 {
            let candidate = try run(seed)
            if score(candidate.1) > score(best.1) { best = candidate }
        }
        var (random, harness) = best
        // The runtime's stand-in for a poison pill, answered with a rejection.
        harness.send(.refuseEntry, .entry(EntryRecord(reason: "the entry is not a command this Baton reads", size: 3)))
        // Operator commands on the first active instance: set variables, then cancel it.
        if let first = harness.engine.state.instances.values.min(by: { $0.key < $1.key }) {
            harness.correlationId = first.correlationId
            harness.send(.setVariables, .variables(VariablesRecord(instanceKey: first.key, variables: ["approved": .bool(true)])))
            harness.send(.cancelInstance, .instance(InstanceRecord(instanceKey: first.key)))
        }
        try writeFile("\(directory)/process.bpmn", bpmnDocument(random.text, declarations: RandomProcess.declarations))
        // The journal as a runtime appends it: each command, then the step answering it.
        var bytes: [UInt8] = []
        func append(_ payload: [UInt8]) {
            withUnsafeBytes(of: UInt32(payload.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: payload)
        }
        var index = 0
        while index < harness.journal.count {
            let command = harness.journal[index]
            append(RecordCodec.encode(command))
            index += 1
            var produced: [Record] = []
            while index < harness.journal.count, harness.journal[index].recordType != .command {
                produced.append(harness.journal[index])
                index += 1
            }
            if !produced.isEmpty {
                append(RecordCodec.encode(Step(partition: 1, commandPositions: [command.position], records: produced)))
            }
        }
        try writeFile("\(directory)/journal.bin", bytes)
        let (records, state) = try Self.replay(directory)
        try writeFile("\(directory)/records.txt", Array(records.utf8))
        try writeFile("\(directory)/state.txt", Array(state.utf8))
        let intents = Set(harness.journal.map(\.intent))
        print("journal fixture written to \(directory): \(harness.journal.count) records, \(intents.count) of \(Intent.allCases.count) intents, \(harness.journal.filter { $0.recordType == .rejection }.count) rejections, \(harness.engine.state.instances.count) instances left active")
    }
}

/// A stable text form of records and state: every stored field, dictionaries in key order
/// (Swift's own description orders them by a per-process hash seed).
enum FixtureDump {
    /// Fields added after version 1, as `Type.field`, with the value an older record or
    /// state has for them: left out at that value, so an old fixture's text stays what it
    /// was. nil: always left out (an index derived from the rest of the state).
    static let laterFields: [String: String?] = [
        "InstanceRecord.deploymentPosition": "-1",
        "InstanceRecord.allowDuplicate": "false",
        "IncidentState.variables": "[]",
        "EngineState.instancesByCorrelation": String?.none,
        "EngineState.dueWork": String?.none,
        "EngineState.openIncidents": String?.none,
        "EngineState.instancesWithIncidents": String?.none,
        "EngineState.subscriptionsByAddress": String?.none,
        "EngineState.messages": "{messages=[] byAddress=[]}",
        "EngineState.sourceOffsets": "[]",
        "EngineState.remoteSubscriptions": "[]",
        "EngineState.startTimers": "[]",
        "EngineState.startTimerVersions": "[]",
        "InstanceState.subscriptions": "[]",
        "InstanceState.locals": "[]",
        "InstanceState.parentInstanceKey": "0",
        "InstanceState.parentElementInstanceKey": "0",
        "InstanceRecord.parentInstanceKey": "0",
        "InstanceRecord.parentElementInstanceKey": "0",
        "TimerRecord.repetitions": "0",
        "TimerState.repetitions": "0",
        "VariablesRecord.scopeKey": "0",
    ]

    static func line(_ record: Record) -> String {
        "\(record.recordType) \(record.intent) v\(record.version) p\(record.partition) @\(record.position) <-\(record.sourcePosition) t\(record.timestamp) key=\(record.key) \(value(record.value))"
            + (record.rejectionReason.isEmpty ? "" : " reason=\(record.rejectionReason)")
    }

    static func value(_ subject: Any) -> String {
        let mirror = Mirror(reflecting: subject)
        switch mirror.displayStyle {
        case .dictionary:
            let pairs = mirror.children.map { child -> (String, String) in
                let pair = Array(Mirror(reflecting: child.value).children)
                return (value(pair[0].value), value(pair[1].value))
            }
            return "[" + pairs.sorted { $0.0 < $1.0 }.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "]"
        case .collection, .set:
            let items = mirror.children.map { value($0.value) }
            return "[" + (mirror.displayStyle == .set ? items.sorted() : items).joined(separator: ", ") + "]"
        case .struct, .class:
            let fields = mirror.children.compactMap { child -> String? in
                let text = value(child.value)
                if let label = child.label, let later = laterFields["\(mirror.subjectType).\(label)"], later == nil || later == text {
                    return nil
                }
                return "\(child.label ?? "_")=\(text)"
            }
            return "{" + fields.joined(separator: " ") + "}"
        case .enum:
            guard let payload = mirror.children.first else { return "\(subject)" }
            return "\(payload.label ?? "_")(\(value(payload.value)))"
        case .optional:
            return mirror.children.first.map { value($0.value) } ?? "nil"
        case .tuple:
            return "(" + mirror.children.map { value($0.value) }.joined(separator: ", ") + ")"
        default:
            return "\(subject)"
        }
    }
}
