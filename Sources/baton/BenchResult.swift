import BatonLog
import BatonModel
import BatonRuntime

/// What `baton bench` reads back from the journal for one load: each instance's start (its
/// createInstance command's timestamp, set when it was appended) and end (the timestamp of
/// the step that completed it), where the time went, and what the journal took in.
struct BenchJournal {
    /// Start to end, ms per instance, sorted.
    var latencies: [Int64] = []
    /// Journal messages appended while the load ran, their bytes, and the records of the
    /// engine's steps among them.
    var entries = 0
    var bytes = 0
    var records = 0
    /// Where the time goes, ms per occurrence, sorted: a createInstance command's append to
    /// the step that creates the instance; a task's creation to the answer's command (its
    /// fetch, the handler and the answer's making); that command to the step that takes it.
    var startPickups: [Int64] = []
    var taskDeliveries: [Int64] = []
    var answerPickups: [Int64] = []

    /// Reads each journal partition from `from` to `to` (the ends before and after the load).
    static func read(_ log: any Log, prefix: String, from: [Int32: Int64], to: [Int32: Int64]) throws -> BenchJournal {
        var journal = BenchJournal()
        var started: [String: Int64] = [:]
        var ended: [String: Int64] = [:]
        var created: [String: Int64] = [:]
        var tasks: [Int64: Int64] = [:]
        var answers: [Int64: Int64] = [:]
        for (partition, end) in to.sorted(by: { $0.key < $1.key }) {
            let topic = TopicPartition(Topics.journal, partition)
            var cursor = from[partition] ?? 0
            while cursor < end {
                let entries = try log.read(topic, from: cursor, limit: min(5_000, Int(end - cursor)))
                guard let last = entries.last else { break }
                cursor = last.position + 1
                for entry in entries where entry.position < end {
                    journal.entries += 1
                    journal.bytes += entry.payload.count
                    switch try JournalEntry.decode(entry, partition: partition) {
                    case .command(let command) where command.key.hasPrefix(prefix):
                        if command.intent == .createInstance {
                            started[command.key] = command.timestamp
                        } else if command.intent == .completeTask, case .task(let task) = command.value, let made = tasks[task.taskKey] {
                            journal.taskDeliveries.append(max(0, command.timestamp - made))
                            answers[task.taskKey] = command.timestamp
                        }
                    case .step(let step):
                        journal.records += step.records.count
                        for record in step.records where record.recordType == .event && record.key.hasPrefix(prefix) {
                            switch (record.intent, record.value) {
                            case (.instanceCompleted, _): ended[record.key] = record.timestamp
                            case (.instanceCreated, _): created[record.key] = record.timestamp
                            case (.taskCreated, .task(let task)): tasks[task.taskKey] = record.timestamp
                            case (.taskCompleted, .task(let task)):
                                tasks[task.taskKey] = nil
                                if let answered = answers.removeValue(forKey: task.taskKey) {
                                    journal.answerPickups.append(max(0, record.timestamp - answered))
                                }
                            default: break
                            }
                        }
                    default: break
                    }
                }
            }
        }
        journal.latencies = ended.compactMap { key, end in started[key].map { max(0, end - $0) } }.sorted()
        journal.startPickups = created.compactMap { key, made in started[key].map { max(0, made - $0) } }.sorted()
        journal.taskDeliveries.sort()
        journal.answerPickups.sort()
        return journal
    }
}

/// The figures of one load.
struct BenchResult {
    let file: String
    let processId: String
    let backend: String
    let load: String
    /// The offered rate of an open loop (nil: closed loop).
    let rate: Int?
    let started: Int
    let seconds: Double
    let cpuSeconds: Double
    let journal: BenchJournal

    var completed: Int { journal.latencies.count }
    var records: Int { journal.records }
    var instancesPerSecond: Double { Double(completed) / max(seconds, 0.001) }
    var messagesPerSecond: Double { Double(journal.entries) / max(seconds, 0.001) }
    var bytesPerSecond: Double { Double(journal.bytes) / max(seconds, 0.001) }
    var cpuMicrosecondsPerInstance: Double { cpuSeconds / Double(max(1, completed)) * 1e6 }

    func latency(_ p: Double) -> Int64 { Self.percentile(journal.latencies, p) }

    static func percentile(_ sorted: [Int64], _ p: Double) -> Int64 {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    /// "p50 / p99 ms" of one stage.
    static func stage(_ sorted: [Int64]) -> String {
        sorted.isEmpty ? "-" : "\(percentile(sorted, 0.5)) / \(percentile(sorted, 0.99)) ms"
    }

    var table: String {
        """
        result (\(backend), \(load)):
          instances        \(started) started, \(completed) completed in \(BenchFormat.decimal(seconds, 2)) s
          throughput       \(BenchFormat.grouped(instancesPerSecond)) instances/s, \(BenchFormat.grouped(Double(records) / max(seconds, 0.001))) journal records/s, \(BenchFormat.grouped(messagesPerSecond)) journal messages/s, \(BenchFormat.grouped(bytesPerSecond / 1024)) KiB/s
          CPU              \(BenchFormat.decimal(cpuMicrosecondsPerInstance, 0)) µs per instance (this process: engine, workers, load)
          start -> end     p50 \(latency(0.5)) ms, p99 \(latency(0.99)) ms, p99.9 \(latency(0.999)) ms, max \(journal.latencies.last ?? 0) ms
          stages p50/p99   start command -> engine step \(Self.stage(journal.startPickups)); task created -> answer command \(Self.stage(journal.taskDeliveries)); answer command -> engine step \(Self.stage(journal.answerPickups))
        """
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "file": .string(file), "processId": .string(processId), "backend": .string(backend), "load": .string(load),
            "started": .number(Double(started)), "completed": .number(Double(completed)), "seconds": .number(seconds),
            "instancesPerSecond": .number(instancesPerSecond), "recordsPerSecond": .number(Double(records) / max(seconds, 0.001)),
            "messagesPerSecond": .number(messagesPerSecond), "bytesPerSecond": .number(bytesPerSecond),
            "cpuMicrosecondsPerInstance": .number(cpuMicrosecondsPerInstance),
            "latencyMilliseconds": .object([
                "p50": .number(Double(latency(0.5))), "p99": .number(Double(latency(0.99))),
                "p999": .number(Double(latency(0.999))), "max": .number(Double(journal.latencies.last ?? 0)),
            ]),
            "stagesMilliseconds": .object([
                "startCommandToStep": Self.stageJSON(journal.startPickups),
                "taskCreatedToAnswer": Self.stageJSON(journal.taskDeliveries),
                "answerToStep": Self.stageJSON(journal.answerPickups),
            ]),
        ]
        if let rate { object["rate"] = .number(Double(rate)) }
        return .object(object)
    }

    static func stageJSON(_ sorted: [Int64]) -> JSONValue {
        .object(["p50": .number(Double(percentile(sorted, 0.5))), "p99": .number(Double(percentile(sorted, 0.99))), "count": .number(Double(sorted.count))])
    }
}

/// Numbers as people read them, without Foundation.
enum BenchFormat {
    static func decimal(_ value: Double, _ places: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        guard places > 0 else { return String(scaled) }
        let whole = scaled / Int64(scale)
        var fraction = String(abs(scaled % Int64(scale)))
        while fraction.count < places { fraction = "0" + fraction }
        return "\(scaled < 0 && whole == 0 ? "-" : "")\(whole).\(fraction)"
    }

    static func grouped(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let digits = String(Int64(value.rounded()))
        var out = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0, character != "-" { out.append(",") }
            out.append(character)
        }
        return String(out.reversed())
    }
}
