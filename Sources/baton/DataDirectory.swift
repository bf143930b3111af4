import ArgumentParser
import BatonFileLog
import BatonKafka
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonWorker
import Dispatch
import Synchronization

/// Where the log lives (the embedded file log, or Kafka), shared by every subcommand that
/// touches it.
struct DataDirectory: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Folder of the embedded log and its snapshots.")
    var path = DataDirectory.defaultPath
    static let defaultPath = "./baton-data"

    @Option(name: .customLong("kafka"), help: "Use Kafka at HOST:PORT[,HOST:PORT] instead of the embedded log (snapshots go to the baton.snapshots topic).")
    var kafka: String?

    @Option(name: .customShort("X"), help: "A librdkafka setting for --kafka, as key=value (repeatable), e.g. -X security.protocol=SASL_SSL.")
    var kafkaSettings: [String] = []

    @Option(help: "With --kafka: a file of librdkafka settings, one key=value per line (# starts a comment); -X wins over it.")
    var kafkaConfig: String?

    @Option(help: "With --kafka: a prefix for every topic name, to keep several installations apart on one cluster.")
    var topicPrefix = ""

    @Option(help: "Journal partitions, used when the data folder is created (an existing journal keeps its count).")
    var partitions: Int32 = 2

    @Option(help: "Partitions of a task topic, used when it is created (workers of one topic share them; an existing topic keeps its count).")
    var taskPartitions: Int32 = Topics.defaultTaskPartitions

    @Flag(help: "Open a log with a corrupt batch by cutting it there (everything after the batch is lost).")
    var repair = false

    /// Opens the log; `extraTopics` are partition counts of topics this command may create
    /// (a source topic for `baton produce`).
    func openLog(extraTopics: [String: Int32] = [:]) throws -> any Log {
        if let kafka {
            var settings: [String] = []
            if let kafkaConfig {
                let text = String(decoding: try POSIX.readFile(kafkaConfig), as: UTF8.self)
                settings = text.split(whereSeparator: \.isNewline)
                    .map { String($0.drop { $0 == " " || $0 == "\t" }) }
                    .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            }
            let configuration = KafkaConfiguration(
                bootstrapServers: kafka, overrides: try KafkaConfiguration.overrides(settings + kafkaSettings))
            return try KafkaLog(configuration, topicPrefix: topicPrefix, defaultPartitions: 1, topics: [Topics.journal: partitions, Topics.snapshots: partitions, Topics.events: partitions, Topics.orders: Topics.defaultSourcePartitions, Topics.messages: Topics.defaultSourcePartitions].merging(extraTopics) { $1 },
                                partitionsByPrefix: [Topics.taskPrefix: taskPartitions], deferredSync: [Topics.taskPrefix])
        }
        return try FileLog(directory: path + "/log", defaultPartitions: 1, topics: [Topics.journal: partitions, Topics.events: partitions, Topics.orders: Topics.defaultSourcePartitions, Topics.messages: Topics.defaultSourcePartitions].merging(extraTopics) { $1 },
                           partitionsByPrefix: [Topics.taskPrefix: taskPartitions], repair: repair, deferredSync: Topics.remadeFromJournal)
    }

    /// How workers get tasks: a consumer group per task topic on Kafka, committed positions
    /// on the embedded log.
    func taskTransport(_ log: any Log) -> any TaskTransport {
        if let kafkaLog = log as? KafkaLog { return KafkaTaskTransport(log: kafkaLog, clock: WallClock.now) }
        return LogTaskTransport(log: log)
    }

    /// Where journal partition P keeps its snapshots: files in the data folder, or partition
    /// P of the snapshots topic on Kafka.
    func snapshots(_ log: any Log) -> @Sendable (Int32) -> (any SnapshotStorage)? {
        if kafka != nil {
            return { LogSnapshotStore(log: log, partition: $0) }
        }
        let directory = path + "/snapshots"
        return { SnapshotStore(directory: "\(directory)/journal-\($0)") }
    }

    /// Every partition's state rebuilt from its newest snapshot and the journal, read-only;
    /// the partitions at once, one thread each (they share nothing). `progress` gets the
    /// partition, its cursor and the end it replays to, from any of those threads.
    func rebuild(_ log: any Log, upTo position: Int64 = .max, useSnapshots: Bool = true, partition only: Int32? = nil,
                 progress: @escaping @Sendable (Int32, Int64, Int64) -> Void = { _, _, _ in }) throws -> [PartitionProcessor] {
        let partitions = try (0..<log.partitionCount(of: Topics.journal)).filter { only == nil || only == $0 }
        let stores = snapshots(log)
        let rebuilt = Mutex<[Int32: Result<RebuiltPartition, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: partitions.count) { index in
            let partition = partitions[index]
            let result = Result { () throws -> RebuiltPartition in
                let processor = PartitionProcessor(
                    partition: partition, log: log, snapshots: useSnapshots ? stores(partition) : nil,
                    clock: WallClock.now, warn: { print("warning: \($0)") })
                let end = try log.endPosition(of: TopicPartition(Topics.journal, partition))
                try processor.rebuild(upTo: position, useSnapshot: useSnapshots) { progress(partition, $0, min(end, position)) }
                return RebuiltPartition(processor: processor)
            }
            rebuilt.withLock { $0[partition] = result }
        }
        let results = rebuilt.withLock { $0 }
        return try partitions.map { try results[$0]!.get().processor }
    }
}

/// A partition rebuilt on a thread of its own, handed back once that thread is done with
/// it (nothing else touches the processor meanwhile).
private struct RebuiltPartition: @unchecked Sendable {
    let processor: PartitionProcessor
}
