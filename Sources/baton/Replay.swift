import ArgumentParser
import BatonLog
import BatonModel
import BatonRuntime
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `baton replay`: rebuild state from the journal alone and print an instance's history.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild state by replaying the journal from its start; print an instance's token history.",
        discussion: """
            Snapshots are not used: every step from position 0 is applied, so this checks that the \
            journal alone rebuilds the state. --to-position stops early (state as it was then). \
            With --instance, prints every element the instance entered and left with times, every \
            task attempt and its outcome, incidents and timers. Shows a progress bar on a terminal.

            --verify checks the fold against the live engine: at every snapshot kept (oldest \
            first), the journal folded up to it must give the state the engine wrote there. The \
            first snapshot that differs is reported with the positions the divergence lies \
            between, the first instance that differs and how (tokens by element id, variables, \
            tasks, timers, incidents, taskResults); the command then exits with status 1.
            """)

    @OptionGroup var data: DataDirectory

    @Option(help: "Only this journal partition.") var partition: Int32?
    @Option(name: .customLong("to-position"), help: "Replay entries before this position only.") var toPosition: Int64?
    @Option(help: "Correlation id or instance key whose history to print.") var instance: String?
    @Flag(help: "Compare the fold with every snapshot the live engine kept; report the first divergence.") var verify = false

    func validate() throws {
        if verify, toPosition != nil || instance != nil {
            throw ValidationError("--verify folds each partition to its snapshots: it takes --partition, not --to-position or --instance")
        }
    }

    func run() throws {
        let log = try data.openLog()
        if verify { return try verify(log) }
        let showProgress = isatty(2) != 0
        let limit = toPosition ?? .max
        // Partitions replay at once: one line shows them all.
        let replayed = Mutex<[Int32: (cursor: Int64, end: Int64)]>([:])
        let started = MonotonicClock.seconds()
        let processors = try data.rebuild(log, upTo: limit, useSnapshots: false, partition: partition) { partition, cursor, end in
            guard showProgress else { return }
            let line = replayed.withLock { progress -> String in
                progress[partition] = (cursor, end)
                let done = progress.values.map(\.cursor).reduce(0, +)
                let total = max(1, progress.values.map(\.end).reduce(0, +))
                return "\rreplaying \(progress.count) partition(s): \(done * 100 / total)% (\(done) of \(total) entries)"
            }
            Terminal.progress(line)
        }
        if showProgress { Terminal.progress("\n") }
        let seconds = MonotonicClock.seconds() - started
        if let stopped = processors.compactMap(\.halted).first { throw ValidationError(stopped.description) }
        for processor in processors {
            let state = processor.engine.state
            let incidents = state.instances.values.map(\.incidents.count).reduce(0, +)
            print("partition \(processor.partition): replayed \(processor.cursor) entries; \(state.instances.count) active instance(s), \(incidents) open incident(s); last answered command at \(state.lastCommandPosition)")
        }
        let records = processors.map(\.recordsApplied).reduce(0, +)
        print("replayed \(BenchFormat.grouped(Double(records))) records in \(BenchFormat.decimal(seconds, 2)) s: \(BenchFormat.grouped(Double(records) / max(seconds, 0.001))) records/s (\(processors.count) partition(s), one thread each)")
        if let instance {
            let history = try InstanceHistory.collect(instance, log: log, catalog: processors[0].catalog, upTo: limit)
            print("history of '\(history.correlationId)':")
            history.lines(catalog: processors[0].catalog).forEach { print("  \($0)") }
        }
    }
}

/// Progress output on standard error (file descriptor 2), which is not buffered.
enum Terminal {
    static func progress(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}
