import ArgumentParser
import BatonLog
import BatonModel
import BatonWorker

extension TopicsCommand {
    /// `baton topics lag`: how far the workers of each task topic are behind.
    struct Lag: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the lag of every task topic's workers (consumer group baton-workers.<topic>).",
            discussion: """
                Lag is the end of each partition minus the position the topic's workers \
                committed: tasks published and not yet answered. It is what an autoscaler \
                (KEDA, docs/KEDA.md) scales worker processes on, and what /metrics exports as \
                baton_task_topic_lag. On Kafka the end is the broker's high watermark.
                """)

        @OptionGroup var data: DataDirectory
        @Option(help: "Only this task topic (repeatable).") var topic: [String] = []
        @Flag(help: "One line per partition instead of per topic.") var perPartition = false

        func run() throws {
            let log = try data.openLog()
            let lags = try TaskTopicLag.measure(log, topics: topic.isEmpty ? nil : topic)
            guard !lags.isEmpty else {
                print("no task topics yet (they are created when a process with a service task is deployed and started)")
                return
            }
            var rows = [["TOPIC", "GROUP", perPartition ? "PARTITION" : "PARTITIONS", "END", "COMMITTED", "LAG"]]
            if perPartition {
                rows += lags.map { [$0.topic, $0.group, "\($0.partition)", "\($0.end)", $0.committed.map(String.init) ?? "-", "\($0.lag)"] }
            } else {
                rows += TaskTopicLag.totals(lags).map { [$0.topic, $0.group, "\($0.partitions)", "\($0.end)", "\($0.committed)", "\($0.lag)"] }
            }
            let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max()! }
            for row in rows {
                print(row.indices.map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }.joined(separator: "  ").trimmingTrailingSpaces())
            }
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
