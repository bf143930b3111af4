import BatonEngine
import BatonModel
import BatonTestSupport
import BatonStorage
import Testing

/// Baton against another BPMN engine, SpiffWorkflow (from PyPI, installed by `make test`
/// into `.build/spiff-venv`): random block-structured processes of the subset both run,
/// each with three inputs, tasks completed in the same order in both. The waiting tasks
/// after every round, the final status, the open incidents and the multiset of completed
/// elements must agree.
///
/// Spiff's known deviations are kept out, not papered over:
/// - Spiff copies variables per token and merges them at joins (Camunda and Baton share one
///   scope), so conditions read only the inputs and scripts write variables of their own
///   (see `RandomProcess.Subset.differential`);
/// - which elements of branches running concurrently with a terminate end event complete
///   before it fires depends on the order an engine runs concurrent tokens in (BPMN leaves
///   it open, and Spiff may even run a task the terminate end already cancelled), so when a
///   terminate end fired, the elements concurrent with it inside the scope it ends are left
///   out of the comparison of completed elements and incidents
///   (`RandomProcess.racingWith(terminate:)`); after a terminate end completed Spiff's
///   workflow, the tasks it left ready in embedded sub-processes are not run;
/// - Spiff's inclusive join fires without waiting for the token of a failed task (Baton, as
///   Zeebe, keeps it waiting until the incident is resolved), so failing scripts are not
///   generated inside inclusive branches;
/// - Spiff's inclusive join can fire early, while a token is still on its way inside a
///   nested block of one of its branches, and then fire again when that token arrives (seen
///   at seed 980: `join4` completes twice, its successor runs twice). Where Spiff completes
///   an inclusive join more often than Baton, which completed it at least once, the extra
///   completions are left out (counted and printed). Baton's own joins are held to token
///   conservation on every command, so a Baton join cannot fire without its tokens.
/// Any other difference fails the test with the process printed.
///
/// `BATON_DIFFERENTIAL_PROCESSES=N` runs seeds 1...N (default 300);
/// `BATON_DIFFERENTIAL_SEED=S` reruns one.
struct DifferentialTests {
    static let inputs: [[String: Double]] = [
        ["r0": 10, "r1": 60, "r2": 95],
        ["r0": 95, "r1": 5, "r2": 50],
        ["r0": 50, "r1": 99, "r2": 1],
    ]

    static var seeds: ClosedRange<UInt64> {
        if let one = environmentValue("BATON_DIFFERENTIAL_SEED").flatMap(UInt64.init) { return one...one }
        return 1...max(1, environmentValue("BATON_DIFFERENTIAL_PROCESSES").flatMap(UInt64.init) ?? 300)
    }

    static let python = TestFiles.packageRoot + "/.build/spiff-venv/bin/python3"
    static let runner = TestFiles.packageRoot + "/Tests/Differential/spiff_runner.py"

    /// What one engine did with one process and input.
    struct Outcome: Equatable {
        var trace: [[String]] = []
        var status = ""
        var incidents: [String] = []
        var completed: [String] = []
    }

    struct Case {
        let name: String
        let seed: UInt64
        let input: Int
        let process: RandomProcess
        let spiffText: String
    }

    @Test func batonAndSpiffWorkflowAgree() throws {
        guard TestFiles.exists(Self.python) else {
            Issue.record("SpiffWorkflow is not installed at \(Self.python): run `make test` (it creates that virtualenv)")
            return
        }
        var cases: [Case] = []
        for seed in Self.seeds {
            let baton = RandomProcess(seed: seed, subset: .differential, dialect: .baton)
            let spiff = RandomProcess(seed: seed, subset: .differential, dialect: .spiff)
            for input in Self.inputs.indices {
                cases.append(Case(name: "seed\(seed)-input\(input)", seed: seed, input: input, process: baton, spiffText: spiff.text))
            }
        }
        let spiffOutcomes = try runSpiff(cases)
        var agreed = 0
        var racing = 0
        var completedTerminates = 0
        var earlyJoins = 0
        for item in cases {
            guard let spiff = spiffOutcomes[item.name] else {
                Issue.record("\(item.name): SpiffWorkflow gave no result")
                continue
            }
            if case .failure(let message) = spiff {
                Issue.record("\(item.name): SpiffWorkflow failed: \(message)\n\(item.spiffText)")
                continue
            }
            guard case .success(var theirs) = spiff else { continue }
            var ours = try runBaton(item)
            let fired = item.process.terminateEnds.filter { ours.completed.contains($0) || theirs.completed.contains($0) }
            if !fired.isEmpty {
                completedTerminates += 1
                let excluded = fired.reduce(into: Set<String>()) { $0.formUnion(item.process.racingWith(terminate: $1)) }
                let before = ours.completed.count + theirs.completed.count
                ours.completed.removeAll { excluded.contains($0) }
                theirs.completed.removeAll { excluded.contains($0) }
                ours.incidents.removeAll { excluded.contains($0) }
                theirs.incidents.removeAll { excluded.contains($0) }
                if ours.completed.count + theirs.completed.count != before { racing += 1 }
            }
            earlyJoins += Self.dropEarlyInclusiveJoins(&theirs, ours: ours, process: item.process.text)
            guard ours == theirs else {
                Issue.record("""
                    \(item.name) (BATON_DIFFERENTIAL_SEED=\(item.seed)), input \(Self.inputs[item.input]): Baton and SpiffWorkflow differ
                    Baton: \(ours)
                    Spiff: \(theirs)
                    \(item.process.text)
                    """)
                continue
            }
            agreed += 1
        }
        print("differential: \(agreed) of \(cases.count) runs agree (\(Self.seeds.count) processes × \(Self.inputs.count) inputs); \(completedTerminates) ended through a terminate end, \(racing) of them with concurrent elements left out of the comparison; \(earlyJoins) early firings of Spiff's inclusive joins left out")
        #expect(agreed == cases.count)
        if Self.seeds.count >= 100 {
            // The generator must reach what the comparison is about.
            #expect(completedTerminates > 0)
            #expect(cases.contains { item in item.process.text.contains("branchEnd") })
        }
    }

    /// Removes the completions of inclusive joins that Spiff has beyond Baton's (see above).
    /// The elements after such a join show once in Spiff's list (its task tree keeps one
    /// completed copy of them), so only the join repeats. Returns how many it removed.
    static func dropEarlyInclusiveJoins(_ theirs: inout Outcome, ours: Outcome, process: String) -> Int {
        var removed = 0
        for join in Set(theirs.completed) where process.contains("<bpmn:inclusiveGateway id=\"\(join)\"/>") {
            let extra = theirs.completed.filter { $0 == join }.count - ours.completed.filter { $0 == join }.count
            guard extra > 0, ours.completed.contains(join) else { continue }
            for _ in 0..<extra { theirs.completed.remove(at: theirs.completed.firstIndex(of: join)!) }
            removed += extra
        }
        return removed
    }

    func runBaton(_ item: Case) throws -> Outcome {
        var harness = try EngineHarness(item.process.text)
        harness.start(Self.inputs[item.input].mapValues { JSONValue.number($0) })
        var outcome = Outcome()
        for round in 0..<200 {
            guard let instance = harness.instance else { break }
            let waiting = instance.tasks.values
                .filter { if case .active = $0.phase { true } else { false } }
                .map { (id: harness.process[element: $0.elementIndex].id, task: $0) }
                .sorted { ($0.id, $0.task.key) < ($1.id, $1.task.key) }
            guard !waiting.isEmpty else { break }
            outcome.trace.append(waiting.map(\.id))
            let chosen = waiting[(Int(item.seed) * 7 + item.input * 7 + round * 13) % waiting.count].task
            harness.send(.completeTask, .task(TaskRecord(instanceKey: instance.key, taskKey: chosen.key, attempt: chosen.attempt)))
        }
        #expect(harness.tokenViolations.isEmpty)
        outcome.status = harness.instance == nil ? "completed" : "active"
        outcome.incidents = (harness.instance?.incidents.values.map { harness.process[element: $0.elementIndex].id } ?? []).sorted()
        outcome.completed = harness.journal.compactMap { record -> String? in
            guard record.intent == .elementCompleted, case .element(let value) = record.value else { return nil }
            return harness.process[element: value.elementIndex].id
        }.sorted()
        return outcome
    }

    enum SpiffResult {
        case success(Outcome)
        case failure(String)
    }

    /// Runs every case in one Python process (SpiffWorkflow takes a while to import).
    func runSpiff(_ cases: [Case]) throws -> [String: SpiffResult] {
        let directory = TemporaryDirectory("baton-differential")
        defer { directory.remove() }
        let input = directory.path + "/cases.jsonl"
        let output = directory.path + "/results.jsonl"
        let lines = cases.map { item -> String in
            let variables = JSONValue.object(Self.inputs[item.input].mapValues { .number($0) })
            return JSONValue.object([
                "name": .string(item.name), "bpmn": .string(String(decoding: bpmnDocument(item.spiffText), as: UTF8.self)),
                "process": .string("p"), "variables": variables, "policy": .number(Double(Int(item.seed) + item.input)),
            ]).jsonText
        }
        try writeFile(input, Array(lines.joined(separator: "\n").utf8))
        let runner = try ChildProcess.spawn(Self.python, [Self.runner, input], output: output)
        let status = runner.wait()
        #expect(status == 0, "spiff_runner.py exited with \(status)")
        var results: [String: SpiffResult] = [:]
        for line in String(decoding: try POSIX.readFile(output), as: UTF8.self).split(separator: "\n") {
            guard let object = try? JSONValue.parse(Array(line.utf8)).objectValue, case .string(let name)? = object["name"] else {
                Issue.record("spiff_runner.py wrote a line that is not a result: \(line)")
                continue
            }
            if case .string(let error)? = object["error"] {
                results[name] = .failure(error)
                continue
            }
            func strings(_ value: JSONValue?) -> [String] {
                guard case .array(let items)? = value else { return [] }
                return items.compactMap { if case .string(let text) = $0 { text } else { nil } }
            }
            var outcome = Outcome()
            if case .array(let rounds)? = object["trace"] { outcome.trace = rounds.map { strings($0) } }
            if case .string(let status)? = object["status"] { outcome.status = status }
            outcome.incidents = strings(object["incidents"])
            outcome.completed = strings(object["completed"])
            results[name] = .success(outcome)
        }
        return results
    }
}
