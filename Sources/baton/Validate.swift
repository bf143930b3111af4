import ArgumentParser
import BatonBPMN
import BatonModel

/// `baton validate FILE...`: reads and compiles BPMN files and reports every problem that
/// would make a deployment refuse them.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check BPMN files as a deployment would, and list every problem.",
        discussion: """
            Each file is parsed (network access, DTDs and entities off; at most 16 MiB) and every \
            process in it is compiled. Problems are printed as FILE:LINE: KIND 'ID' in process 'P': \
            MESSAGE, so editors can jump to them.

            A process marked isExecutable="true" must have no problems to be deployable. A process \
            that is not executable is listed for viewing: its problems are shown as notes and do \
            not fail the command. What Baton reads but does not run (execution and task listeners, \
            data objects) is listed as a note.

            Constructs accepted for execution: \(ProcessCompiler.supportedConstructs). Anything else is reported with its id and line.

            Expressions (conditions, scripts, mappings, job types, retries, timers, correlation \
            keys): FEEL as '=…' with list and context literals, paths and filters (items[price > \
            10]; lists count from 1, negative from the end), if/then/else, for/in/return, \
            some/every/satisfies, between, in (values, lists, intervals such as [1..10]), \
            instance of, ** and these functions: \(BuiltinFunction.allCases.map { "\($0.rawValue)()" }.joined(separator: ", ")). \
            now() and today() are the time of the engine step, so a replay computes the same; \
            random number() and uuid() are refused for that reason, and patterns of matches(), \
            replace() and split() are taken literally. JUEL as '${…}': the same operators \
            (eq, ne, lt, gt, &&, ||, !), empty, ?:, list[index] from 0, execution.getVariable('x') \
            and the methods \(Method.allCases.filter { $0 != .getVariable }.map { ".\($0.rawValue)()" }.joined(separator: ", ")). \
            An evaluation does at most \(ParsedExpression.maximumWork) units of work; beyond that, or \
            on a type error, the element gets an incident naming the expression.

            Exit status: 0 when every executable process is valid, 1 when a file cannot be read \
            or an executable process has problems.
            """)

    @Argument(help: "BPMN 2.0 files to check.")
    var files: [String]

    @Flag(help: "Also list the problems of processes that are not executable.")
    var verbose = false

    @OptionGroup var delegates: DelegateTopics

    func run() throws {
        var failed = false
        for file in files {
            let deployment: BPMNDeployment
            do {
                deployment = try BPMNDeployment.load(path: file, delegateTopics: try delegates.topics())
            } catch {
                print("error: \(error)")
                failed = true
                continue
            }
            if deployment.processes.isEmpty {
                print("\(file): no <process> in the file")
                failed = true
            }
            for compiled in deployment.processes {
                let process = compiled.process
                let counts = "\(process.allFlowNodes.count) flow nodes, \(process.allSequenceFlows.count) sequence flows"
                if let executable = compiled.executable {
                    print("\(file): process '\(process.id)' is executable (\(counts), \(executable.elements.count) elements compiled)")
                } else if !process.isExecutable {
                    print("\(file): process '\(process.id)' loads for viewing only: not marked isExecutable=\"true\" (\(counts), \(compiled.problems.count) note(s))")
                    if verbose { compiled.problems.forEach { print("  note: \($0)") } }
                } else {
                    print("\(file): process '\(process.id)' has \(compiled.problems.count) problem(s):")
                    compiled.problems.forEach { print("  error: \($0)") }
                    failed = true
                }
                compiled.notes.forEach { print("  note: \($0)") }
            }
        }
        if failed { throw ExitCode.failure }
    }
}
