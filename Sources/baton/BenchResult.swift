import BatonLog
import BatonModel
import BatonRuntime

/// What `baton bench` read back from the journal: each instance's start (its
/// createInstance command's timestamp, set when it was appended) and end (the timestamp of
/// the step that completed it), and the journal's size.
struct BenchJournal {
    var latencies: [Int64] = []
    var entries = 0
    var bytes = 0

    static func read(_ log: any Log, prefix: String) throws -> BenchJournal {
        var journal = BenchJournal()
        var started: [String: Int64] = [:]
        var ended: [String: Int64] = [:]
        for partition in try 0..<log.partitionCount(of: Topics.journal) {
            let topic = TopicPartition(Topics.journal, partition)
            var cursor: Int64 = 0
            let end = try log.endPosition(of: topic)
            while cursor < end {
                let entries = try log.read(topic, from: cursor, limit: 5_000)
                guard let last = entries.last else { break }
                cursor = last.position + 1
                for entry in entries {
                    journal.entries += 1
                    journal.bytes += entry.payload.count
                    switch try JournalEntry.decode(entry, partition: partition) {
                    case .command(let command) where command.intent == .createInstance && command.key.hasPrefix(prefix):
                        started[command.key] = command.timestamp
                    case .step(let step):
                        for record in step.records where record.intent == .instanceCompleted && record.recordType == .event && record.key.hasPrefix(prefix) {
                            ended[record.key] = record.timestamp
                        }
                    default: break
                    }
                }
            }
        }
        journal.latencies = ended.compactMap { key, end in started[key].map { max(0, end - $0) } }
        return journal
    }
}

/// The figures `baton bench` prints.
struct BenchResult {
    let file: String
    let processId: String
    let backend: String
    let load: String
    let started: Int
    let completed: Int
    let seconds: Double
    let records: Int
    let entries: Int
    let bytes: Int
    let cpuSeconds: Double
    /// Start-to-end, ms, sorted.
    let latencies: [Int64]

    func percentile(_ p: Double) -> Int64 {
        latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
    }

    var perSecond: (instances: Double, records: Double, entries: Double, bytes: Double) {
        let seconds = max(self.seconds, 0.001)
        return (Double(completed) / seconds, Double(records) / seconds, Double(entries) / seconds, Double(bytes) / seconds)
    }

    var table: String {
        let rates = perSecond
        return """
            result (\(backend), \(load)):
              instances        \(started) started, \(completed) completed in \(Self.decimal(seconds, 2)) s
              throughput       \(Self.grouped(rates.instances)) instances/s, \(Self.grouped(rates.records)) journal records/s, \(Self.grouped(rates.entries)) journal messages/s, \(Self.grouped(rates.bytes / 1024)) KiB/s
              CPU              \(Self.decimal(cpuSeconds / Double(max(1, completed)) * 1e6, 0)) µs per instance (this process: engine, workers, load)
              start -> end     p50 \(percentile(0.5)) ms, p99 \(percentile(0.99)) ms, p99.9 \(percentile(0.999)) ms, max \(latencies.last ?? 0) ms
            """
    }

    var json: JSONValue {
        let rates = perSecond
        return .object([
            "file": .string(file), "processId": .string(processId), "backend": .string(backend), "load": .string(load),
            "started": .number(Double(started)), "completed": .number(Double(completed)), "seconds": .number(seconds),
            "instancesPerSecond": .number(rates.instances), "recordsPerSecond": .number(rates.records),
            "messagesPerSecond": .number(rates.entries), "bytesPerSecond": .number(rates.bytes),
            "cpuMicrosecondsPerInstance": .number(cpuSeconds / Double(max(1, completed)) * 1e6),
            "latencyMilliseconds": .object([
                "p50": .number(Double(percentile(0.5))), "p99": .number(Double(percentile(0.99))),
                "p999": .number(Double(percentile(0.999))), "max": .number(Double(latencies.last ?? 0)),
            ]),
        ])
    }

    static func decimal(_ value: Double, _ places: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        guard places > 0 else { return String(scaled) }
        let whole = scaled / Int64(scale)
        var fraction = String(abs(scaled % Int64(scale)))
        while fraction.count < places { fraction = "0" + fraction }
        return "\(whole).\(fraction)"
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
