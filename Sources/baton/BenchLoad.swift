import ArgumentParser
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage

#if canImport(Glibc)
import Glibc
#endif

/// How `baton bench` starts instances: closed loop (a bounded number in flight) or open loop
/// (a fixed rate), each instance a createInstance command whose correlationId starts with
/// `prefix` and whose timestamp is the moment it was appended.
struct BenchLoad {
    let log: any Log
    let processId: String
    let version: Int32
    let deployments: Int64
    let variables: [String: JSONValue]
    /// Starts every correlationId: unique per run, and a warm-up's apart from the measured.
    let prefix: String

    typealias Progress = @Sendable (_ started: Int, _ statistics: EngineLoop.Statistics, _ seconds: Double) -> Void
    /// When the load began (monotonic seconds), for the progress line.
    let began = MonotonicClock.seconds()

    /// When, this process's CPU time so far, and where the journal ends.
    struct Counters {
        let milliseconds: Int64
        let cpuSeconds: Double
        let journalEnds: [Int32: Int64]

        static func now(log: any Log) throws -> Counters {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
            var ends: [Int32: Int64] = [:]
            for partition in try 0..<log.partitionCount(of: Topics.journal) {
                ends[partition] = try log.endPosition(of: TopicPartition(Topics.journal, partition))
            }
            return Counters(milliseconds: WallClock.now(), cpuSeconds: cpu, journalEnds: ends)
        }
    }

    /// A fresh place for the run: on Kafka, topics under a new prefix (unless one is given);
    /// on the embedded log, the folder emptied, but never the user's data: the default
    /// folder is the bench's own, and a folder is removed only when a bench made it.
    static func prepare(_ data: inout DataDirectory) throws {
        if data.kafka != nil {
            if data.topicPrefix.isEmpty { data.topicPrefix = "bench-\(getpid())-\(WallClock.now())." }
            return
        }
        if data.path == DataDirectory.defaultPath { data.path = "./baton-data-bench" }
        let marker = data.path + "/.baton-bench"
        if POSIX.exists(data.path), !POSIX.exists(marker) {
            throw ValidationError("\(data.path) exists and was not made by 'baton bench': it starts from an empty folder and removes it first; give --data-dir a new folder")
        }
        POSIX.removeTree(data.path)
        try POSIX.makeDirectories(data.path)
        try POSIX.writeAtomically([], to: marker, directory: data.path)
    }

    /// Appends createInstance commands for `indexes`, one append per journal partition.
    func start(_ indexes: Range<Int>) throws {
        let writer = CommandWriter(log: log)
        var byPartition: [Int32: [Record]] = [:]
        for index in indexes {
            let id = prefix + String(index)
            byPartition[try writer.partition(of: id), default: []].append(.command(
                .createInstance, key: id,
                value: .instance(InstanceRecord(processId: processId, processVersion: version, variables: variables, deploymentPosition: deployments)),
                timestamp: WallClock.now()))
        }
        for (partition, commands) in byPartition.sorted(by: { $0.key < $1.key }) { try writer.append(commands, partition: partition) }
    }

    /// Starts `count` instances, never more than `inFlight` unfinished; returns `count`.
    func closedLoop(count: Int, inFlight: Int, loop: EngineLoop, progress: Progress?) async throws -> Int {
        let base = loop.instancesCompleted
        var started = 0
        var ticker = Ticker(progress: progress, begin: began)
        while started < count {
            let finished = loop.instancesCompleted - base
            let room = min(count - started, inFlight - (started - finished), 500)
            if room > 0 {
                try start(started..<(started + room))
                started += room
            } else {
                try await Task.sleep(nanoseconds: 200_000)
            }
            ticker.tick(started, loop)
        }
        return count
    }

    /// Starts `rate` instances per second for `seconds`, each on its due time (late ones as
    /// soon as possible, never skipped); returns how many it started.
    func openLoop(rate: Int, seconds: Int, loop: EngineLoop, progress: Progress?) async throws -> Int {
        let total = rate * seconds
        let begin = MonotonicClock.seconds()
        var started = 0
        var ticker = Ticker(progress: progress, begin: began)
        while started < total {
            let due = min(total, Int((MonotonicClock.seconds() - begin) * Double(rate)) + 1)
            if due > started {
                try start(started..<due)
                started = due
            }
            ticker.tick(started, loop)
            let next = begin + Double(started) / Double(rate)
            let wait = next - MonotonicClock.seconds()
            if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        }
        return started
    }

    /// Waits until the engine has completed `count` instances (the log is this run's alone),
    /// or none completes for `stallSeconds`.
    func waitForCompletion(of count: Int, started: Int, loop: EngineLoop, stallSeconds: Int, progress: Progress?) async throws {
        var ticker = Ticker(progress: progress, begin: began)
        var last = (completed: -1, at: MonotonicClock.seconds())
        while true {
            let journal = loop.instancesCompleted
            if journal >= count { return }
            let now = MonotonicClock.seconds()
            if journal != last.completed { last = (journal, now) }
            if now - last.at > Double(stallSeconds) {
                throw ValidationError("\(count - journal) of \(count) instances did not complete and none completed for \(stallSeconds) s (a task no worker answers, a message or timer nothing sends, an incident?): see 'baton instances' and 'baton incidents'")
            }
            ticker.tick(started, loop)
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// The live progress line: once a second.
    struct Ticker {
        let progress: Progress?
        let begin: Double
        var last = MonotonicClock.seconds()

        mutating func tick(_ started: Int, _ loop: EngineLoop) {
            guard let progress else { return }
            let now = MonotonicClock.seconds()
            guard now - last >= 1 else { return }
            last = now
            progress(started, loop.current, now - begin)
        }
    }

    static let progress: Progress = { started, statistics, seconds in
        print("  \(Int(seconds)) s: started \(started), completed \(statistics.instancesCompleted), active \(statistics.activeInstances), open incidents \(statistics.openIncidents)")
    }
}

extension BenchLoad {
    /// The process `baton bench` starts: the one asked for, or the file's only executable one.
    static func processToStart(_ executable: [String], asked: String?, file: String) throws -> String {
        if let asked {
            guard executable.contains(asked) else {
                throw ValidationError("\(file) has no executable process '\(asked)' (it has: \(executable.joined(separator: ", ")))")
            }
            return asked
        }
        guard executable.count == 1 else {
            throw ValidationError("\(file) has \(executable.count) executable processes (\(executable.joined(separator: ", "))): name one with --process")
        }
        return executable[0]
    }
}
